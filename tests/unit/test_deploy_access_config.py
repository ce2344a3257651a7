"""Parsing and validating the `github` context entry that opts into the DeployAccess stack."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError
from stacks.deploy_access_config import (
    DEFAULT_BOOTSTRAP_QUALIFIER,
    GitHubDeployConfig,
    load_github_config,
)

ENVIRONMENTS = ("dev", "staging", "prod")
MINIMAL = {"repository": "octo-org/agentcore", "environments": ["dev", "staging", "prod"]}
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def load(raw: Any, **kwargs: Any) -> GitHubDeployConfig | None:
    return load_github_config(raw, ENVIRONMENTS, **kwargs)


def problems_of(raw: Any, **kwargs: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        load(raw, **kwargs)
    return raised.value.problems


def test_absent_or_null_github_means_no_deploy_access() -> None:
    assert load(None) is None


def test_defaults_fill_everything_left_out() -> None:
    assert load(MINIMAL) == GitHubDeployConfig(
        repository="octo-org/agentcore",
        environments=("dev", "staging", "prod"),
        branch=None,
        oidc_provider_arn=None,
        bootstrap_qualifier=DEFAULT_BOOTSTRAP_QUALIFIER,
        account=None,
        region=None,
    )


def test_nulls_mean_defaults_as_in_the_documented_example() -> None:
    documented = {
        **MINIMAL,
        "branch": None,
        "oidc_provider_arn": None,
        "bootstrap_qualifier": "hnb659fds",
        "account": None,
        "region": None,
    }
    assert load(documented) == load(MINIMAL)


def test_every_key_overrides_its_default() -> None:
    config = load(
        {
            "repository": "Octo-Org/agent.core_2",
            "environments": ["prod"],
            "branch": "release/2026-q1",
            "oidc_provider_arn": PROVIDER_ARN,
            "bootstrap_qualifier": "team_a-1",
            "account": "123456789012",
            "region": "eu-west-1",
        },
        synthesizer_qualifier="team_a-1",
    )
    assert config == GitHubDeployConfig(
        repository="Octo-Org/agent.core_2",
        environments=("prod",),
        branch="release/2026-q1",
        oidc_provider_arn=PROVIDER_ARN,
        bootstrap_qualifier="team_a-1",
        account="123456789012",
        region="eu-west-1",
    )


def test_the_app_qualifier_is_the_default_qualifier() -> None:
    config = load(MINIMAL, synthesizer_qualifier="team1")
    assert config is not None
    assert config.bootstrap_qualifier == "team1"


def test_subjects_name_each_environment_and_the_branch_only_when_configured() -> None:
    without_branch = load(MINIMAL)
    with_branch = load({**MINIMAL, "environments": ["prod"], "branch": "main"})
    assert without_branch is not None
    assert with_branch is not None
    assert without_branch.oidc_subjects == (
        "repo:octo-org/agentcore:environment:dev",
        "repo:octo-org/agentcore:environment:staging",
        "repo:octo-org/agentcore:environment:prod",
    )
    assert with_branch.oidc_subjects == (
        "repo:octo-org/agentcore:environment:prod",
        "repo:octo-org/agentcore:ref:refs/heads/main",
    )


FIELD = "context 'github': field"

INVALID = [
    pytest.param(
        ["octo-org/agentcore"],
        "context 'github': got ['octo-org/agentcore']; allowed: a map of settings, or omit"
        " 'github' to deploy without CI",
        id="not-a-map",
    ),
    pytest.param(
        {"environments": ["dev"]},
        f"{FIELD} 'repository': got None; allowed: 'owner/name' of a GitHub repository, e.g."
        " octo-org/agentcore-code-interpreter (required)",
        id="repository-missing",
    ),
    pytest.param(
        {**MINIMAL, "repository": "https://github.com/octo-org/agentcore"},
        f"{FIELD} 'repository': got 'https://github.com/octo-org/agentcore'; allowed: 'owner/name'"
        " of a GitHub repository, e.g. octo-org/agentcore-code-interpreter",
        id="repository-url",
    ),
    pytest.param(
        {**MINIMAL, "repository": "octo-org/*"},
        f"{FIELD} 'repository': got 'octo-org/*'; allowed: 'owner/name' of a GitHub repository,"
        " e.g. octo-org/agentcore-code-interpreter",
        id="repository-wildcard",
    ),
    pytest.param(
        {**MINIMAL, "repository": "-octo/agentcore"},
        f"{FIELD} 'repository': got '-octo/agentcore'; allowed: 'owner/name' of a GitHub"
        " repository, e.g. octo-org/agentcore-code-interpreter",
        id="owner-starts-with-hyphen",
    ),
    pytest.param(
        {**MINIMAL, "environments": "dev"},
        f"{FIELD} 'environments': got 'dev'; allowed: a non-empty list of distinct environment"
        " names",
        id="environments-string",
    ),
    pytest.param(
        {**MINIMAL, "environments": []},
        f"{FIELD} 'environments': got []; allowed: a non-empty list of distinct environment names",
        id="environments-empty",
    ),
    pytest.param(
        {**MINIMAL, "environments": ["dev", "dev"]},
        f"{FIELD} 'environments': got ['dev', 'dev']; allowed: a non-empty list of distinct"
        " environment names",
        id="environments-duplicate",
    ),
    pytest.param(
        {**MINIMAL, "environments": ["dev", "qa"]},
        f"{FIELD} 'environments': got 'qa'; allowed: names configured under 'environments'"
        " (dev, prod, staging)",
        id="environment-not-configured",
    ),
    pytest.param(
        {**MINIMAL, "branch": "refs/heads/main"},
        f"{FIELD} 'branch': got 'refs/heads/main'; allowed: a branch name such as main (without"
        " refs/heads/), or null",
        id="branch-full-ref",
    ),
    pytest.param(
        {**MINIMAL, "branch": "release/*"},
        f"{FIELD} 'branch': got 'release/*'; allowed: a branch name such as main (without"
        " refs/heads/), or null",
        id="branch-wildcard",
    ),
    pytest.param(
        {**MINIMAL, "branch": "a..b"},
        f"{FIELD} 'branch': got 'a..b'; allowed: a branch name such as main (without"
        " refs/heads/), or null",
        id="branch-git-refuses",
    ),
    pytest.param(
        {**MINIMAL, "branch": True},
        f"{FIELD} 'branch': got True; allowed: a branch name such as main (without"
        " refs/heads/), or null",
        id="branch-wrong-type",
    ),
    pytest.param(
        {**MINIMAL, "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/example.com"},
        f"{FIELD} 'oidc_provider_arn': got 'arn:aws:iam::123456789012:oidc-provider/example.com';"
        " allowed: the ARN of this account's IAM OIDC provider for"
        " token.actions.githubusercontent.com, e.g. arn:aws:iam::123456789012:oidc-provider/"
        "token.actions.githubusercontent.com, or null to create it",
        id="provider-of-another-issuer",
    ),
    pytest.param(
        {**MINIMAL, "oidc_provider_arn": PROVIDER_ARN, "account": "210987654321"},
        # Long values are cut short in messages, as for every other setting.
        f"{FIELD} 'oidc_provider_arn': got 'arn:aws:iam::123456789012:oidc-provider/'..."
        " (75 characters); allowed: a provider in account 210987654321, where the deploy role"
        " is created",
        id="provider-in-another-account",
    ),
    pytest.param(
        {**MINIMAL, "bootstrap_qualifier": "hnb659fds-extra"},
        f"{FIELD} 'bootstrap_qualifier': got 'hnb659fds-extra'; allowed: the `cdk bootstrap`"
        " qualifier: 1-10 letters, digits, '_' or '-'",
        id="qualifier-too-long",
    ),
    pytest.param(
        {**MINIMAL, "bootstrap_qualifier": "team1"},
        f"{FIELD} 'bootstrap_qualifier': got 'team1'; allowed: the qualifier the app's stacks are"
        " synthesized with ('hnb659fds'); change context '@aws-cdk/core:bootstrapQualifier' to"
        " use another one everywhere",
        id="qualifier-not-the-apps",
    ),
    pytest.param(
        {**MINIMAL, "account": 123456789012},
        f"{FIELD} 'account': got 123456789012; allowed: a 12-digit AWS account id, or null",
        id="account-number-not-string",
    ),
    pytest.param(
        {**MINIMAL, "region": "EU-WEST-1"},
        f"{FIELD} 'region': got 'EU-WEST-1'; allowed: an AWS region name such as us-east-1,"
        " or null",
        id="region-upper-case",
    ),
    pytest.param(
        {**MINIMAL, "environment": ["dev"]},
        f"{FIELD} 'environment': got ['dev']; allowed: known keys are repository, environments,"
        " branch, oidc_provider_arn, bootstrap_qualifier, account, region (did you mean"
        " 'environments'?)",
        id="unknown-key-typo",
    ),
]


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_invalid_settings_are_rejected_with_a_precise_message(raw: Any, message: str) -> None:
    assert problems_of(raw) == (message,)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        {"repository": "octo", "environments": ["qa"], "branch": "", "region": "mars"}
    )
    assert [problem.split(":")[1].strip() for problem in problems] == [
        "field 'repository'",
        "field 'environments'",
        "field 'branch'",
        "field 'region'",
    ]


def test_the_error_reads_like_the_environment_errors() -> None:
    with pytest.raises(ConfigError) as raised:
        load({**MINIMAL, "region": "mars"})
    assert str(raised.value) == (
        "invalid configuration:\n  - context 'github': field 'region': got 'mars'; allowed: an AWS"
        " region name such as us-east-1, or null"
    )


def test_the_default_qualifier_is_the_cdk_default() -> None:
    import aws_cdk as cdk

    assert cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER == DEFAULT_BOOTSTRAP_QUALIFIER
