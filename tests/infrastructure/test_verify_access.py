"""What `make verify` may do, as the templates grant it: read, never write.

The calls themselves are replayed under these policies in tests/agent/test_verify.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from cfn_driver import RESOURCE_TYPE as CUSTOM_RESOURCE
from synthesis import FIXTURE_ENVIRONMENT_NAMES, VARIANT_GITHUB, SynthesizedApp
from template_queries import (
    managed_policy_described,
    only_resource,
    policies_of_role,
    resources_of_type,
    verify_access_policy,
)

from agentcore_api.resources import STACK_TAG_KEY


def statements(template: dict[str, Any], policy_id: str) -> dict[str, dict[str, Any]]:
    document = template["Resources"][policy_id]["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"]}


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_verify_access_reads_this_interpreter_its_stacks_tags_the_list_and_parameters(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    interpreter_id, _ = only_resource(template, CUSTOM_RESOURCE)
    found = statements(template, verify_access_policy(template))
    _, agent_access = managed_policy_described(template, "use the AgentCore code interpreter")
    agent_statements = {
        s["Sid"]: s for s in agent_access["Properties"]["PolicyDocument"]["Statement"]
    }

    assert found == {
        "ReadThisInterpreter": {
            "Sid": "ReadThisInterpreter",
            "Effect": "Allow",
            "Action": "bedrock-agentcore:GetCodeInterpreter",
            "Resource": {"Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]},
        },
        "ReadTagsOfThisStacksInterpreters": {
            "Sid": "ReadTagsOfThisStacksInterpreters",
            "Effect": "Allow",
            "Action": "bedrock-agentcore:ListTagsForResource",
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":bedrock-agentcore:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":code-interpreter-custom/*",
                    ],
                ]
            },
            "Condition": {
                "StringEquals": {
                    f"aws:ResourceTag/{STACK_TAG_KEY}": f"CodeInterpreter-{environment}"
                }
            },
        },
        "ListInterpreters": {
            "Sid": "ListInterpreters",
            "Effect": "Allow",
            "Action": "bedrock-agentcore:ListCodeInterpreters",
            "Resource": "*",
        },
        # The same discovery parameters agents read.
        "ReadDiscoveryParameters": agent_statements["ReadDiscoveryParameters"],
    }


def test_the_verify_role_exists_only_for_environments_ci_deploys(
    fixture_app: SynthesizedApp, variant_app: SynthesizedApp
) -> None:
    with_role = {
        name
        for app in (fixture_app, variant_app)
        for name, template in app.templates.items()
        if "VerifyRoleArn" in template["Outputs"]
    }
    assert with_role == set(VARIANT_GITHUB["environments"])


def test_the_verify_role_holds_exactly_verify_access_and_trusts_the_same_job_as_smoke_check(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["private"]
    outputs = template["Outputs"]
    verify_role = outputs["VerifyRoleArn"]["Value"]["Fn::GetAtt"][0]
    smoke_role = outputs["SmokeCheckRoleArn"]["Value"]["Fn::GetAtt"][0]
    roles = resources_of_type(template, "AWS::IAM::Role")

    assert set(policies_of_role(template, verify_role)) == {verify_access_policy(template)}
    assert "Policies" not in roles[verify_role]["Properties"]
    assert "ManagedPolicyArns" not in roles[verify_role]["Properties"]
    assert (
        roles[verify_role]["Properties"]["AssumeRolePolicyDocument"]
        == roles[smoke_role]["Properties"]["AssumeRolePolicyDocument"]
    )
    assert roles[verify_role]["Properties"]["MaxSessionDuration"] == 3600
    # And the smoke check's role gains nothing from it: an agent's access, no more.
    assert verify_access_policy(template) not in policies_of_role(template, smoke_role)
