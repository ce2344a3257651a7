"""SSM parameters through which agent code finds the interpreter without pasting its id."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ssm as ssm
from constructs import Construct


class DiscoveryParameters(Construct):
    """`<prefix>/id`, `/arn`, `/artifact-bucket` and `/artifact-prefix` as String parameters."""

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
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        values = {
            "Id": ("id", interpreter_id, "Code interpreter id"),
            "Arn": ("arn", interpreter_arn, "Code interpreter ARN"),
            "ArtifactBucket": ("artifact-bucket", artifact_bucket_name, "Artifact bucket name"),
            "ArtifactPrefix": ("artifact-prefix", artifact_prefix, "Artifact key prefix"),
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
