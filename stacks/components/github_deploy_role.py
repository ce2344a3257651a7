"""The role that GitHub Actions deploy jobs assume through OIDC, instead of stored access keys."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.compliance import acknowledge, resource_of, wildcard_finding
from stacks.deploy_access_config import GITHUB_OIDC_HOST, STS_AUDIENCE


class GitHubDeployRole(Construct):
    """Trusted by the listed GitHub token subjects only; may only assume the CDK bootstrap roles.

    Everything a deployment does (uploading assets, running CloudFormation, reading stack state
    for a diff) is done by the bootstrap roles that `cdk bootstrap` created and scoped; this role
    only hands over to them, so a leaked token can do no more than `cdk deploy` could.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        oidc_provider_arn: str,
        subjects: Sequence[str],
        bootstrap_qualifier: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bootstrap_roles_arn = (
            f"arn:{stack.partition}:iam::{stack.account}:role/cdk-{bootstrap_qualifier}-*"
        )
        # No sts:TagSession: the CDK CLI tags sessions only when a synthesizer passes `Tags` in
        # its assume-role options, and this app never does.
        assume_bootstrap_roles = iam.PolicyStatement(
            sid="AssumeCdkBootstrapRoles",
            actions=["sts:AssumeRole"],
            resources=[self.bootstrap_roles_arn],
        )
        self.role = iam.Role(
            self,
            "Role",
            description="Assumed by GitHub Actions deploy jobs; hands over to the CDK bootstrap"
            " roles.",
            assumed_by=iam.WebIdentityPrincipal(
                oidc_provider_arn,
                # StringEquals, not StringLike: every allowed subject is spelled out, so no
                # wildcard can widen the trust to another repository, branch or environment.
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": list(subjects),
                    }
                },
            ),
            inline_policies={
                "AssumeCdkBootstrapRoles": iam.PolicyDocument(statements=[assume_bootstrap_roles])
            },
        )
        acknowledge(
            resource_of(self.role),
            {
                wildcard_finding(self, self.bootstrap_roles_arn): "This account's CDK bootstrap"
                " roles only: their names end in the account and region they serve, and the"
                " stacks deploy to whichever region the job selects.",
                "NIST.800.53.R5-IAMNoInlinePolicy": "The role's one permission is part of the"
                " role: it cannot be attached to another principal, and no managed policy can"
                " widen what a CI token may do.",
            },
        )

    @property
    def role_arn(self) -> str:
        return self.role.role_arn
