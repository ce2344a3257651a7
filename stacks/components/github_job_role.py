"""Roles a CI deploy job assumes for its environment's post-deploy checks.

The deploy role cannot run them: it may only hand over to the CDK bootstrap roles. Each check
runs under a role of its own that holds exactly one of the stack's managed policies: the smoke
check an agent's access (so it proves what an agent can do, no more), verification the
read-only VerifyAccess.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.deploy_access_config import GITHUB_OIDC_HOST, STS_AUDIENCE, SmokeCheckAccess


class GitHubJobRole(Construct):
    """A role (construct id "Role") that GitHub's OIDC tokens of exactly one job subject (an
    environment's deploy job) may assume, for an hour at most, holding exactly `policy`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job: SmokeCheckAccess,
        policy: iam.ManagedPolicy,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # The account holds one provider for GitHub's issuer, created by the DeployAccess stack
        # (deployed first, once per account) unless cdk.json names an existing one.
        provider_arn = job.oidc_provider_arn or (
            f"arn:{stack.partition}:iam::{stack.account}:oidc-provider/{GITHUB_OIDC_HOST}"
        )
        self.role = iam.Role(
            self,
            "Role",
            description=description,
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": job.subject,
                    }
                },
            ),
        )
        policy.attach_to_role(self.role)

    @property
    def role_arn(self) -> str:
        return self.role.role_arn
