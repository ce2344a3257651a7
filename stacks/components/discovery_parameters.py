"""SSM parameters through which agent code finds the interpreter without pasting its id."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from agentcore_api.discovery import SSM_PARAMETER_NAMES


class DiscoveryParameters(Construct):
    """`<prefix>/id`, `/arn`, `/artifact-bucket`, `/artifact-prefix` and `/mounts` as String
    parameters (names from agentcore_api.discovery). `/mounts` is `[]` without file systems:
    agents read all five in one GetParameters call, which IAM denies whole if any name is not
    granted, so the set is the same in every environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        interpreter_id: str,
        interpreter_arn: str,
        artifact_bucket_name: str,
        artifact_prefix: str,
        mounts: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        names = SSM_PARAMETER_NAMES
        values = {
            "Id": (names["interpreter_id"], interpreter_id, "Code interpreter id"),
            "Arn": (names["interpreter_arn"], interpreter_arn, "Code interpreter ARN"),
            "ArtifactBucket": (
                names["artifact_bucket"],
                artifact_bucket_name,
                "Artifact bucket name",
            ),
            "ArtifactPrefix": (names["artifact_prefix"], artifact_prefix, "Artifact key prefix"),
            "Mounts": (names["mounts"], mounts, "File systems mounted in every session (JSON)"),
        }
        self.parameters: dict[str, ssm.StringParameter] = {}
        for construct_name, (leaf, value, description) in values.items():
            self.parameters[leaf] = ssm.StringParameter(
                self,
                construct_name,
                parameter_name=f"{prefix}/{leaf}",
                string_value=value,
                description=description,
                tier=ssm.ParameterTier.STANDARD,
            )

    @property
    def parameter_arns(self) -> list[str]:
        """Literal ARNs (not references), so a policy naming them reads plainly."""
        stack = Stack.of(self)
        return [
            stack.format_arn(
                service="ssm", resource="parameter", resource_name=f"{self.prefix[1:]}/{leaf}"
            )
            for leaf in self.parameters
        ]
