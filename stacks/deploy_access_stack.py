"""The `CodeInterpreter-DeployAccess` stack: lets GitHub Actions deploy, and nothing more.

Opt-in: it exists only when cdk.json has a top-level `github` context entry. It is deployed once
per account, by hand, before the first deployment from CI (see "Deploy from CI" in the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.components.github_deploy_role import GitHubDeployRole
from stacks.deploy_access_config import (
    BOOTSTRAP_QUALIFIER_CONTEXT,
    DEFAULT_BOOTSTRAP_QUALIFIER,
    GITHUB_OIDC_HOST,
    STS_AUDIENCE,
    GitHubDeployConfig,
    load_github_config,
)

STACK_NAME = "CodeInterpreter-DeployAccess"


class DeployAccessStack(Stack):
    """GitHub's OIDC provider (created or imported) and the deploy role that trusts it."""

    def __init__(self, scope: Construct, *, config: GitHubDeployConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            STACK_NAME,
            env=Environment(account=config.account, region=config.region),
            description=f"Role that GitHub Actions of {config.repository} assume to deploy",
            **kwargs,
        )
        self.config = config
        # An account holds one provider per issuer URL. When another stack or tool created it
        # already, it is imported by ARN: CloudFormation would refuse to create a second one.
        if config.oidc_provider_arn is None:
            provider_arn = iam.OidcProviderNative(
                self,
                "GitHubOidcProvider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[STS_AUDIENCE],
            ).oidc_provider_arn
        else:
            provider_arn = config.oidc_provider_arn

        self.deploy_role = GitHubDeployRole(
            self,
            "DeployRole",
            oidc_provider_arn=provider_arn,
            subjects=config.oidc_subjects,
            bootstrap_qualifier=config.bootstrap_qualifier,
        )
        CfnOutput(
            self,
            "DeployRoleArn",
            value=self.deploy_role.role_arn,
            description="Set as the AWS_DEPLOY_ROLE_ARN variable of each GitHub Environment",
        )


def load_github_context(app: Construct) -> GitHubDeployConfig | None:
    """The app's `github` context entry, validated against every configured environment (not
    just a `-c env=<name>` selection), or None when there is none.

    Raises ConfigError for a bad entry, before any construct is added.
    """
    environments = app.node.try_get_context("environments")
    qualifier = app.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT)
    return load_github_config(
        app.node.try_get_context("github"),
        list(environments) if isinstance(environments, Mapping) else [],
        synthesizer_qualifier=DEFAULT_BOOTSTRAP_QUALIFIER if qualifier is None else str(qualifier),
    )


def build_deploy_access(
    app: Construct, github: GitHubDeployConfig | None
) -> DeployAccessStack | None:
    """Add the DeployAccess stack when the app's context has a `github` entry.

    A `-c env=<name>` run synthesizes that one environment's stack only (that is what
    `make deploy ENV=...` deploys), so it gets None.
    """
    if github is None or app.node.try_get_context("env") is not None:
        return None
    return DeployAccessStack(app, config=github)
