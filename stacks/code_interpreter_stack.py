"""One stack per environment: execution role, artifact bucket, interpreter, and its outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack, Tags
from constructs import Construct

from agentcore_api.discovery import STACK_OUTPUT_KEYS, Mount, encode_mounts
from stacks.components import (
    AgentAccess,
    ArtifactBucket,
    CodeInterpreter,
    DiscoveryParameters,
    ExecutionRole,
)
from stacks.components.github_job_role import GitHubJobRole
from stacks.components.monitoring import Monitoring
from stacks.components.verify_access import VerifyAccess
from stacks.config import EnvironmentConfig, RemovalChoice
from stacks.deploy_access_config import SmokeCheckAccess

REMOVAL_POLICIES = {
    RemovalChoice.RETAIN: RemovalPolicy.RETAIN,
    RemovalChoice.DESTROY: RemovalPolicy.DESTROY,
}


class CodeInterpreterStack(Stack):
    """Wires the constructs together for one environment; holds no logic of its own."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: EnvironmentConfig,
        smoke_check: SmokeCheckAccess | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            config.stack_name,
            env=Environment(account=config.account, region=config.region),
            termination_protection=config.termination_protection,
            description=f"AgentCore code interpreter for the '{config.name}' environment",
            **kwargs,
        )
        self.config = config
        tags = dict(config.tags)
        for key, value in tags.items():
            Tags.of(self).add(key, value)

        self.artifact_bucket = ArtifactBucket(
            self,
            "ArtifactBucket",
            artifact_prefix=config.artifact_prefix,
            retention_days=config.artifact_retention_days,
            removal_policy=REMOVAL_POLICIES[config.removal_policy],
            customer_managed_key=config.artifact_kms,
        )
        self.execution_role = ExecutionRole(
            self,
            "ExecutionRole",
            artifact_bucket=self.artifact_bucket,
            filesystems=config.filesystems,
        )
        self.interpreter = CodeInterpreter(
            self,
            "CodeInterpreter",
            name=config.interpreter_name,
            description=config.description,
            execution_role=self.execution_role,
            network_mode=config.network_mode,
            vpc=config.vpc,
            tags=tags,
            certificate_secret_arns=config.certificate_secret_arns,
            certificate_kms_key_arns=config.certificate_kms_key_arns,
            filesystems=config.filesystems,
        )
        # Agents look at mounted data first: the paths are published with the interpreter's id.
        published_mounts = encode_mounts(
            [Mount(m.mount_path, m.kind.value, m.read_only) for m in config.filesystems]
        )
        self.discovery = DiscoveryParameters(
            self,
            "DiscoveryParameters",
            prefix=config.ssm_prefix,
            interpreter_id=self.interpreter.interpreter_id,
            interpreter_arn=self.interpreter.interpreter_arn,
            artifact_bucket_name=self.artifact_bucket.bucket_name,
            artifact_prefix=config.artifact_prefix,
            mounts=published_mounts,
        )

        self.agent_access = AgentAccess(
            self,
            "AgentAccess",
            interpreter=self.interpreter,
            parameters=self.discovery,
            artifact_bucket=self.artifact_bucket,
            role_arns=config.agent_role_arns,
        )

        # Stack-level outputs keep their keys exactly as written, which agent code and
        # `cdk deploy --outputs-file` rely on.
        keys = STACK_OUTPUT_KEYS
        outputs = {
            keys["interpreter_id"]: (self.interpreter.interpreter_id, "Code interpreter id"),
            keys["interpreter_arn"]: (self.interpreter.interpreter_arn, "Code interpreter ARN"),
            keys["artifact_bucket"]: (self.artifact_bucket.bucket_name, "Artifact bucket name"),
            keys["artifact_prefix"]: (config.artifact_prefix, "Key prefix for artifacts"),
            keys["mounts"]: (published_mounts, "File systems mounted in every session (JSON)"),
            "ExecutionRoleArn": (self.execution_role.role_arn, "Interpreter execution role"),
            "AgentAccessPolicyArn": (
                self.agent_access.policy.managed_policy_arn,
                "Attach to an agent's role to let it use this interpreter",
            ),
        }
        # A CI job that deploys this environment runs its smoke check with an agent's access.
        if smoke_check is not None:
            self.smoke_check_role = GitHubJobRole(
                self,
                "SmokeCheckRole",
                job=smoke_check,
                policy=self.agent_access.policy,
                description="Assumed by this environment's CI deploy job to run the smoke check"
                " with an agent's access.",
            )
            outputs["SmokeCheckRoleArn"] = (
                self.smoke_check_role.role_arn,
                "Role the CI deploy job assumes to run the smoke check",
            )
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)
        self._add_day_two(config, smoke_check)

    def _add_day_two(self, config: EnvironmentConfig, smoke_check: SmokeCheckAccess | None) -> None:
        """Read-only access for `make verify` (and its CI role), alarms and a dashboard."""
        self.verify_access = VerifyAccess(
            self, "VerifyAccess", interpreter=self.interpreter, parameters=self.discovery
        )
        outputs = {
            "VerifyAccessPolicyArn": (
                self.verify_access.policy.managed_policy_arn,
                "Attach to a role to let it run make verify (read-only)",
            )
        }
        # The smoke check's role holds exactly an agent's access; verification gets its own.
        if smoke_check is not None:
            self.verify_role = GitHubJobRole(
                self,
                "VerifyRole",
                job=smoke_check,
                policy=self.verify_access.policy,
                description="Assumed by this environment's CI deploy job to run make verify"
                " (read-only: drift and orphans).",
            )
            outputs["VerifyRoleArn"] = (
                self.verify_role.role_arn,
                "Role the CI deploy job assumes to run make verify",
            )
        if config.monitoring is not None:
            self.monitoring = Monitoring(
                self,
                "Monitoring",
                environment=config.name,
                settings=config.monitoring,
                interpreter=self.interpreter,
                execution_role=self.execution_role,
            )
            outputs["AlarmTopicArn"] = (self.monitoring.topic.topic_arn, "Where alarms notify")
            outputs["DashboardName"] = (self.monitoring.dashboard_name, "CloudWatch dashboard")
            outputs["DashboardUrl"] = (self.monitoring.dashboard_url, "CloudWatch dashboard")
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)
