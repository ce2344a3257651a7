"""Read-only access for `make verify`: drift of the stack's interpreter, and orphans.

Verification reads what agents never need (the interpreter's configuration and tags, the list of
interpreters), so it is not part of AgentAccess; and the CI smoke check must prove that an
agent's access is enough, so its role holds nothing more. The CI deploy job therefore runs
verification under a role of its own that holds only this policy. Deleting orphans is for an
operator's own credentials: nothing here can delete, tag or create.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from agentcore_api.resources import custom_interpreter_arn
from stacks.compliance import acknowledge, resource_of, wildcard_finding
from stacks.components.code_interpreter import (
    CodeInterpreter,
    list_interpreters_statement,
    stack_tag_condition,
)
from stacks.components.discovery_parameters import DiscoveryParameters


class VerifyAccess(Construct):
    """A customer-managed policy: read this stack's interpreter, the tags of interpreters that
    carry this stack's tag, the account's list of interpreters and the discovery parameters."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        interpreter: CodeInterpreter,
        parameters: DiscoveryParameters,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        custom_interpreters = custom_interpreter_arn(
            partition=stack.partition, region=stack.region, account=stack.account
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Lets make verify read this stack's code interpreter and find orphans",
            statements=[
                iam.PolicyStatement(
                    sid="ReadThisInterpreter",
                    actions=["bedrock-agentcore:GetCodeInterpreter"],
                    resources=[interpreter.interpreter_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadTagsOfThisStacksInterpreters",
                    actions=["bedrock-agentcore:ListTagsForResource"],
                    resources=[custom_interpreters],
                    # An interpreter of another stack stays unreadable: a denial means "not
                    # this stack's", which is all the orphan check needs to know.
                    conditions={"StringEquals": stack_tag_condition(stack.stack_name)},
                ),
                list_interpreters_statement(),
                iam.PolicyStatement(
                    sid="ReadDiscoveryParameters",
                    actions=["ssm:GetParameter", "ssm:GetParameters"],
                    resources=parameters.parameter_arns,
                ),
            ],
        )
        acknowledge(
            resource_of(self.policy),
            {
                wildcard_finding(self, custom_interpreters): (
                    "Orphans have ids the service chose, so only code-interpreter-custom/* of"
                    " this account and region can name them; an aws:ResourceTag condition limits"
                    " reading tags to interpreters that carry this stack's tag."
                ),
                wildcard_finding(self, "*"): (
                    "ListCodeInterpreters has no resource type in the Service Authorization"
                    " Reference, so only '*' can allow it; it reveals names, ids and statuses."
                ),
            },
        )
