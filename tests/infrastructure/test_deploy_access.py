"""The DeployAccess stack: who may assume the deploy role, and what that role may do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from synthesis import fixture_context
from template_queries import only_resource, resources_of_type

from stacks.compliance import acknowledged_findings, add_rule_packs
from stacks.config import ConfigError
from stacks.deploy_access_stack import (
    STACK_NAME,
    DeployAccessStack,
    build_deploy_access,
    load_github_context,
)

REPOSITORY = "octo-org/agentcore-code-interpreter"
GITHUB_PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
AUDIENCE_KEY = "token.actions.githubusercontent.com:aud"
SUBJECT_KEY = "token.actions.githubusercontent.com:sub"

# The provider is created; the stack is environment-agnostic; every shipped environment deploys.
CREATED_PROVIDER = {
    "repository": REPOSITORY,
    "environments": ["dev", "staging", "prod"],
    "branch": None,
    "oidc_provider_arn": None,
    "bootstrap_qualifier": "hnb659fds",
    "account": None,
    "region": None,
}
# The provider exists already; the stack is pinned; a branch may deploy too; custom qualifier.
IMPORTED_PROVIDER = {
    "repository": REPOSITORY,
    "environments": ["prod"],
    "branch": "main",
    "oidc_provider_arn": GITHUB_PROVIDER_ARN,
    "bootstrap_qualifier": "team1",
    "account": "123456789012",
    "region": "eu-west-1",
}


def synthesize_deploy_access(
    github: dict[str, Any] | None, outdir: Path, **extra_context: Any
) -> tuple[DeployAccessStack | None, dict[str, Any]]:
    import aws_cdk as cdk

    # Whatever cdk.json holds under `github`, each test decides for itself.
    context = {key: value for key, value in fixture_context().items() if key != "github"}
    context.update(extra_context)
    if github is not None:
        context["github"] = github
    app = cdk.App(context=context, outdir=str(outdir))
    stack = build_deploy_access(app, load_github_context(app))
    if stack is None:
        return None, {}
    # As in app.py: an unacknowledged finding of the rule packs fails this synth.
    add_rule_packs(app)
    return stack, app.synth().get_stack_by_name(stack.stack_name).template


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> tuple[DeployAccessStack, dict[str, Any]]:
    stack, template = synthesize_deploy_access(CREATED_PROVIDER, tmp_path_factory.mktemp("created"))
    assert stack is not None
    return stack, template


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[DeployAccessStack, dict[str, Any]]:
    stack, template = synthesize_deploy_access(
        IMPORTED_PROVIDER,
        tmp_path_factory.mktemp("imported"),
        **{"@aws-cdk/core:bootstrapQualifier": "team1"},
    )
    assert stack is not None
    return stack, template


def deploy_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only_resource(template, "AWS::IAM::Role")


def trust_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = deploy_role(template)[1]["Properties"][
        "AssumeRolePolicyDocument"
    ]["Statement"]
    return statements


def test_stack_is_named_for_the_app_and_pinned_only_when_configured(
    created: tuple[DeployAccessStack, dict[str, Any]],
    imported: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    import aws_cdk as cdk

    assert created[0].stack_name == imported[0].stack_name == STACK_NAME
    assert cdk.Token.is_unresolved(created[0].account)
    assert (imported[0].account, imported[0].region) == ("123456789012", "eu-west-1")


def test_created_provider_is_githubs_issuer_for_the_sts_audience(
    created: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    template = created[1]
    _, provider = only_resource(template, "AWS::IAM::OIDCProvider")
    assert provider["Properties"] == {
        "Url": "https://token.actions.githubusercontent.com",
        "ClientIdList": ["sts.amazonaws.com"],
    }


def test_only_the_provider_and_the_role_are_created(
    created: tuple[DeployAccessStack, dict[str, Any]],
    imported: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    assert sorted(r["Type"] for r in created[1]["Resources"].values()) == [
        "AWS::IAM::OIDCProvider",
        "AWS::IAM::Role",
    ]
    assert [r["Type"] for r in imported[1]["Resources"].values()] == ["AWS::IAM::Role"]


def test_trust_admits_the_repositorys_environments_through_the_created_provider(
    created: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    template = created[1]
    provider_id, _ = only_resource(template, "AWS::IAM::OIDCProvider")
    assert trust_statements(template) == [
        {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": {"Ref": provider_id}},
            "Condition": {
                "StringEquals": {
                    AUDIENCE_KEY: "sts.amazonaws.com",
                    SUBJECT_KEY: [
                        f"repo:{REPOSITORY}:environment:dev",
                        f"repo:{REPOSITORY}:environment:staging",
                        f"repo:{REPOSITORY}:environment:prod",
                    ],
                }
            },
        }
    ]


def test_trust_admits_the_environment_and_branch_through_the_imported_provider(
    imported: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    assert trust_statements(imported[1]) == [
        {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": GITHUB_PROVIDER_ARN},
            "Condition": {
                "StringEquals": {
                    AUDIENCE_KEY: "sts.amazonaws.com",
                    SUBJECT_KEY: [
                        f"repo:{REPOSITORY}:environment:prod",
                        f"repo:{REPOSITORY}:ref:refs/heads/main",
                    ],
                }
            },
        }
    ]


def test_role_may_only_assume_this_accounts_bootstrap_roles(
    created: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    _, role = deploy_role(created[1])
    assert role["Properties"]["Policies"] == [
        {
            "PolicyName": "AssumeCdkBootstrapRoles",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AssumeCdkBootstrapRoles",
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":iam::",
                                    {"Ref": "AWS::AccountId"},
                                    ":role/cdk-hnb659fds-*",
                                ],
                            ]
                        },
                    }
                ],
            },
        }
    ]


def test_pinned_role_names_the_account_and_the_configured_qualifier(
    imported: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    _, role = deploy_role(imported[1])
    (policy,) = role["Properties"]["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "AssumeCdkBootstrapRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::123456789012:role/cdk-team1-*",
        }
    ]
    # The stack itself deploys through the same bootstrap resources it grants.
    assert imported[1]["Parameters"]["BootstrapVersion"]["Default"] == (
        "/cdk-bootstrap/team1/version"
    )


@pytest.mark.parametrize("variant", ["created", "imported"])
def test_no_managed_policies_and_no_other_permissions(
    variant: str, request: pytest.FixtureRequest
) -> None:
    _, template = request.getfixturevalue(variant)
    _, role = deploy_role(template)
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "PermissionsBoundary" not in role["Properties"]
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        assert resources_of_type(template, policy_type) == {}


def test_rule_pack_findings_acknowledged_are_the_wildcard_and_the_inline_policy(
    created: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    stack, _ = created
    acknowledged = set(acknowledged_findings(stack))
    role_path = f"{STACK_NAME}/DeployRole/Role/Resource"
    assert acknowledged == {
        (
            role_path,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>"
            ":role/cdk-hnb659fds-*]",
        ),
        (role_path, "NIST.800.53.R5-IAMNoInlinePolicy"),
    }


def test_output_is_the_deploy_role_arn(
    created: tuple[DeployAccessStack, dict[str, Any]],
) -> None:
    role_id, _ = deploy_role(created[1])
    assert created[1]["Outputs"]["DeployRoleArn"]["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}


@pytest.mark.parametrize("variant", ["created", "imported"])
def test_templates_have_no_lint_errors_or_warnings(
    variant: str, request: pytest.FixtureRequest
) -> None:
    stack, template = request.getfixturevalue(variant)
    regions = [stack.region] if stack.config.region else ["us-east-1", "eu-central-1"]
    matches = lint(json.dumps(template), config=ManualArgs(regions=regions))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_no_github_entry_means_no_stack(tmp_path: Path) -> None:
    stack, _ = synthesize_deploy_access(None, tmp_path)
    assert stack is None


def test_selecting_one_environment_leaves_the_stack_out(tmp_path: Path) -> None:
    # `make deploy ENV=dev` synthesizes with -c env=dev; that run deploys CodeInterpreter-dev only.
    stack, _ = synthesize_deploy_access(CREATED_PROVIDER, tmp_path, env="dev")
    assert stack is None


def test_a_bad_github_entry_fails_before_the_stack_exists(tmp_path: Path) -> None:
    import aws_cdk as cdk

    github = {**CREATED_PROVIDER, "environments": ["dev", "qa"]}
    app = cdk.App(context={**fixture_context(), "github": github}, outdir=str(tmp_path))
    with pytest.raises(ConfigError, match="field 'environments': got 'qa'"):
        build_deploy_access(app, load_github_context(app))
    assert app.node.try_find_child(STACK_NAME) is None
