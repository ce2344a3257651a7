"""The role a CI deploy job assumes for its environment's post-deploy smoke check."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.components.agent_access import AgentAccess
from stacks.deploy_access_config import GITHUB_OIDC_HOST, STS_AUDIENCE


def github_job_role(
    scope: Construct, *, subject: str, oidc_provider_arn: str | None, description: str
) -> iam.Role:
    """A role (construct id "Role") that GitHub's OIDC tokens of exactly one job subject (an
    environment's deploy job) may assume, for an hour at most. It holds no permissions yet."""
    stack = Stack.of(scope)
    # The account holds one provider for GitHub's issuer, created by the DeployAccess stack
    # (deployed first, once per account) unless cdk.json names an existing one.
    provider_arn = oidc_provider_arn or (
        f"arn:{stack.partition}:iam::{stack.account}:oidc-provider/{GITHUB_OIDC_HOST}"
    )
    return iam.Role(
        scope,
        "Role",
        description=description,
        max_session_duration=Duration.hours(1),
        assumed_by=iam.WebIdentityPrincipal(
            provider_arn,
            conditions={
                "StringEquals": {
                    f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                    f"{GITHUB_OIDC_HOST}:sub": subject,
                }
            },
        ),
    )


class SmokeCheckRole(Construct):
    """Trusted by one GitHub token subject (the environment's deploy job); holds exactly the
    stack's agent access policy, so the smoke check proves what an agent can do, no more.

    The deploy role cannot run the check: it may only hand over to the CDK bootstrap roles.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        subject: str,
        oidc_provider_arn: str | None,
        access: AgentAccess,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = github_job_role(
            self,
            subject=subject,
            oidc_provider_arn=oidc_provider_arn,
            description="Assumed by this environment's CI deploy job to run the smoke check"
            " with an agent's access.",
        )
        access.grant(self.role)

    @property
    def role_arn(self) -> str:
        return self.role.role_arn
