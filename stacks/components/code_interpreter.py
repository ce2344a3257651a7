"""The code interpreter: a custom resource backed by the handler in lambda/code_interpreter."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.components.execution_role import ExecutionRole
from stacks.config import NetworkMode, VpcSettings

HANDLER_DIR = Path(__file__).resolve().parents[2] / "lambda" / "code_interpreter"
RESOURCE_TYPE = "Custom::AgentCoreCodeInterpreter"
# The Provider framework polls is_complete at this interval; creation usually takes well under a
# minute, so a short interval shortens every deployment.
QUERY_INTERVAL = Duration.seconds(10)
DEFAULT_TOTAL_TIMEOUT = Duration.minutes(20)
# CloudFormation must outlast the framework's own timeout, or it gives up while the waiter still
# runs and the framework's final answer lands nowhere.
SERVICE_TIMEOUT_MARGIN = Duration.minutes(5)
ON_EVENT_TIMEOUT = Duration.minutes(2)
IS_COMPLETE_TIMEOUT = Duration.minutes(1)
CONTROL_PLANE_ACTIONS = [
    "bedrock-agentcore:CreateCodeInterpreter",
    "bedrock-agentcore:GetCodeInterpreter",
    "bedrock-agentcore:DeleteCodeInterpreter",
    "bedrock-agentcore:TagResource",
    "bedrock-agentcore:UntagResource",
]


class CodeInterpreter(Construct):
    """A custom AgentCore code interpreter, created, awaited and deleted with the stack."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str | None,
        execution_role: ExecutionRole,
        network_mode: NetworkMode,
        vpc: VpcSettings | None,
        tags: Mapping[str, str],
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        total_timeout: Duration = DEFAULT_TOTAL_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        code = lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"])
        on_event = self._handler_function(
            "OnEventHandler", "index.on_event", code, ON_EVENT_TIMEOUT, log_retention
        )
        is_complete = self._handler_function(
            "IsCompleteHandler", "index.is_complete", code, IS_COMPLETE_TIMEOUT, log_retention
        )
        for function in (on_event, is_complete):
            function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="ManageCustomCodeInterpreters",
                    actions=CONTROL_PLANE_ACTIONS,
                    # Custom interpreter ids are `<name>-<random suffix>` and only known once
                    # created, so the narrowest resource the service allows is every custom
                    # interpreter in this account and region. The built-in interpreter lives
                    # under `code-interpreter/`, outside this pattern.
                    resources=[
                        stack.format_arn(
                            service="bedrock-agentcore",
                            resource="code-interpreter-custom",
                            resource_name="*",
                        )
                    ],
                )
            )
        on_event.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassExecutionRoleToAgentCore",
                actions=["iam:PassRole"],
                resources=[execution_role.role_arn],
                conditions={
                    "StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}
                },
            )
        )

        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=on_event,
            is_complete_handler=is_complete,
            query_interval=QUERY_INTERVAL,
            total_timeout=total_timeout,
            log_group=logs.LogGroup(self, "ProviderLogs", retention=log_retention),
        )
        properties: dict[str, object] = {
            "Name": name,
            "ExecutionRoleArn": execution_role.role_arn,
            "NetworkMode": network_mode.value,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
        if description is not None:
            properties["Description"] = description
        if vpc is not None:
            properties["SubnetIds"] = list(vpc.subnet_ids)
            properties["SecurityGroupIds"] = list(vpc.security_group_ids)
            properties["RequireServiceS3Endpoint"] = vpc.require_service_s3_endpoint
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=total_timeout.plus(SERVICE_TIMEOUT_MARGIN),
        )
        self.resource.node.add_dependency(execution_role.policy)

    def _handler_function(
        self,
        construct_id: str,
        handler: str,
        code: lambda_.Code,
        timeout: Duration,
        log_retention: logs.RetentionDays,
    ) -> lambda_.Function:
        return lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            timeout=timeout,
            memory_size=256,
            log_group=logs.LogGroup(self, f"{construct_id}Logs", retention=log_retention),
        )

    @property
    def interpreter_id(self) -> str:
        return self.resource.ref

    @property
    def interpreter_arn(self) -> str:
        return self.resource.get_att_string("CodeInterpreterArn")
