"""What an agent's IAM role needs to use this stack's interpreter, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.compliance import acknowledge, resource_of, wildcard_finding
from stacks.components.artifact_bucket import ArtifactBucket
from stacks.components.code_interpreter import CodeInterpreter
from stacks.components.discovery_parameters import DiscoveryParameters

SESSION_ACTIONS = [
    "bedrock-agentcore:StartCodeInterpreterSession",
    "bedrock-agentcore:InvokeCodeInterpreter",
    "bedrock-agentcore:StopCodeInterpreterSession",
    "bedrock-agentcore:GetCodeInterpreterSession",
    "bedrock-agentcore:ListCodeInterpreterSessions",
    "bedrock-agentcore:GetCodeInterpreter",
]


class AgentAccess(Construct):
    """A customer-managed policy to attach to agent roles: use this interpreter's sessions, read
    its discovery parameters, and read back artifacts under its prefix.

    Attach it to more roles with `grant(role)`. Note that whoever may invoke the interpreter runs
    code with the execution role's permissions (see the README's Security section).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        interpreter: CodeInterpreter,
        parameters: DiscoveryParameters,
        artifact_bucket: ArtifactBucket,
        role_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        statements = [
            iam.PolicyStatement(
                sid="UseThisCodeInterpreter",
                actions=SESSION_ACTIONS,
                resources=[interpreter.interpreter_arn],
            ),
            iam.PolicyStatement(
                sid="ReadDiscoveryParameters",
                actions=["ssm:GetParameter", "ssm:GetParameters"],
                resources=parameters.parameter_arns,
            ),
            *artifact_bucket.prefix_statements(
                sid="ReadArtifacts", object_actions=["s3:GetObject"], key_actions=["kms:Decrypt"]
            ),
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Lets an agent use the AgentCore code interpreter of this stack",
            statements=statements,
        )
        acknowledge(
            resource_of(self.policy),
            {
                wildcard_finding(
                    self, artifact_bucket.objects_arn()
                ): "Agents read back the artifacts their"
                " sandbox wrote under the artifact prefix; the file names are chosen by sandbox"
                " code at run time."
            },
        )
        for index, arn in enumerate(role_arns):
            self.grant(iam.Role.from_role_arn(self, f"AgentRole{index}", arn))

    def grant(self, role: iam.IRole) -> None:
        self.policy.attach_to_role(role)
