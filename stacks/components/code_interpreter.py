"""The code interpreter: a custom resource backed by the handler in lambda/code_interpreter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Annotations, CustomResource, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
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
MAX_SERVICE_TIMEOUT = Duration.hours(1)
ON_EVENT_TIMEOUT = Duration.minutes(2)
IS_COMPLETE_TIMEOUT = Duration.minutes(2)
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
AGENTCORE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
PUBLIC_NETWORK_WARNING = "agentcore-code-interpreter:public-network"

# Each handler may call what it calls, nothing more (see lambda/code_interpreter/index.py).
ON_EVENT_ACTIONS = [
    "bedrock-agentcore:CreateCodeInterpreter",
    "bedrock-agentcore:GetCodeInterpreter",
    "bedrock-agentcore:DeleteCodeInterpreter",
    "bedrock-agentcore:TagResource",
    "bedrock-agentcore:UntagResource",
    "bedrock-agentcore:ListTagsForResource",
]
IS_COMPLETE_ACTIONS = [
    "bedrock-agentcore:GetCodeInterpreter",
    "bedrock-agentcore:DeleteCodeInterpreter",
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
        service_timeout = total_timeout.plus(SERVICE_TIMEOUT_MARGIN)
        if service_timeout.to_seconds() > MAX_SERVICE_TIMEOUT.to_seconds():
            raise ValueError(
                f"total_timeout {total_timeout.to_human_string()} plus the "
                f"{SERVICE_TIMEOUT_MARGIN.to_human_string()} margin exceeds CloudFormation's "
                "one-hour limit for custom resources"
            )
        if network_mode is NetworkMode.PUBLIC:
            Annotations.of(self).add_warning_v2(
                PUBLIC_NETWORK_WARNING,
                "network_mode is PUBLIC: code in this sandbox can reach the internet, so a "
                "prompt-injected agent can send data out. Prefer SANDBOX or VPC.",
            )
        stack = Stack.of(self)
        custom_interpreters = stack.format_arn(
            service="bedrock-agentcore", resource="code-interpreter-custom", resource_name="*"
        )
        code = lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc"])

        on_event = self._handler_function(
            "OnEventHandler",
            handler="index.on_event",
            code=code,
            timeout=ON_EVENT_TIMEOUT,
            log_retention=log_retention,
            statements=[
                iam.PolicyStatement(
                    sid="ManageCustomCodeInterpreters",
                    actions=ON_EVENT_ACTIONS,
                    # Ids are `<name>-<random suffix>`, known only once created, so the narrowest
                    # resource the service allows is every custom interpreter of this account
                    # and region. The built-in interpreter (`code-interpreter/...`) is outside.
                    resources=[custom_interpreters],
                ),
                iam.PolicyStatement(
                    sid="FindInterpreterByName",
                    actions=["bedrock-agentcore:ListCodeInterpreters"],
                    # Listing is not an action on one interpreter, so it cannot be scoped to an
                    # interpreter ARN. The handler lists only to find the interpreter a rollback
                    # returns to (by its derived name); the call reveals names and ids, no data.
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PassExecutionRoleToAgentCore",
                    actions=["iam:PassRole"],
                    resources=[execution_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": AGENTCORE_PRINCIPAL}},
                ),
            ],
        )
        is_complete = self._handler_function(
            "IsCompleteHandler",
            handler="index.is_complete",
            code=code,
            timeout=IS_COMPLETE_TIMEOUT,
            log_retention=log_retention,
            statements=[
                iam.PolicyStatement(
                    sid="WatchCustomCodeInterpreters",
                    actions=IS_COMPLETE_ACTIONS,
                    resources=[custom_interpreters],
                )
            ],
        )

        framework_logs = logs.LogGroup(self, "ProviderLogs", retention=log_retention)
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=on_event,
            is_complete_handler=is_complete,
            query_interval=QUERY_INTERVAL,
            total_timeout=total_timeout,
            log_group=framework_logs,
            framework_on_event_role=self._framework_role("FrameworkOnEventRole", framework_logs),
            framework_complete_and_timeout_role=self._framework_role(
                "FrameworkWaiterRole", framework_logs
            ),
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=framework_logs,
                level=sfn.LogLevel.ALL,
                # Execution data holds the CloudFormation event and its presigned ResponseURL.
                include_execution_data=False,
            ),
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
            service_timeout=service_timeout,
        )
        self.resource.node.add_dependency(execution_role.policy)
        self.functions = (on_event, is_complete)
        self.provider = provider

    def _handler_function(
        self,
        construct_id: str,
        *,
        handler: str,
        code: lambda_.Code,
        timeout: Duration,
        log_retention: logs.RetentionDays,
        statements: Sequence[iam.PolicyStatement],
    ) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{construct_id}Logs", retention=log_retention)
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal(LAMBDA_PRINCIPAL),
            description=f"Runs the code interpreter custom resource's {handler}",
        )
        iam.ManagedPolicy(
            self,
            f"{construct_id}Permissions",
            roles=[role],
            statements=[self._write_logs(log_group), *statements],
        )
        return lambda_.Function(
            self,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            timeout=timeout,
            memory_size=256,
            role=role,
            log_group=log_group,
        )

    def _framework_role(self, construct_id: str, log_group: logs.ILogGroup) -> iam.Role:
        """A role for the Provider framework's functions, without AWS managed policies."""
        role = iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal(LAMBDA_PRINCIPAL),
            description="Runs the CDK custom resource provider framework",
        )
        iam.ManagedPolicy(
            self,
            f"{construct_id}Logs",
            roles=[role],
            statements=[self._write_logs(log_group)],
        )
        return role

    @staticmethod
    def _write_logs(log_group: logs.ILogGroup) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )

    @property
    def interpreter_id(self) -> str:
        return self.resource.ref

    @property
    def interpreter_arn(self) -> str:
        return self.resource.get_att_string("CodeInterpreterArn")
