"""The code interpreter: a custom resource backed by the handler in lambda/code_interpreter."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import (
    Annotations,
    AssetHashType,
    BundlingOptions,
    CustomResource,
    DockerImage,
    Duration,
    ILocalBundling,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IConstruct

from agentcore_api.constraints import FILESYSTEM_KINDS, NFS_PORT
from agentcore_api.resources import (
    NETWORK_SERVICE_NAME,
    SERVICE_PRINCIPAL,
    STACK_TAG_KEY,
    custom_interpreter_arn,
    network_service_linked_role_arn,
)
from stacks.compliance import acknowledge, resource_of, skip_checkov, wildcard_finding
from stacks.components.execution_role import ExecutionRole
from stacks.config import FileSystemMount, NetworkMode, VpcSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLER_DIR = REPO_ROOT / "lambda" / "code_interpreter"
# The handler imports the API facts it shares with the stacks and the agent package.
SHARED_PACKAGE = REPO_ROOT / "agentcore_api"
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")
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
PUBLIC_NETWORK_WARNING = "agentcore-code-interpreter:public-network"
_LOGS_HOLD_NO_SECRETS = (
    "Logs hold request ids, interpreter ids and statuses, never credentials or the presigned"
    " ResponseURL; CloudWatch Logs encrypts them at rest with its own keys."
)
# checkov checks that are the same finding as a cdk-nag rule, with the same reason.
_CHECKOV_TWINS = {
    "CKV_AWS_116": "NIST.800.53.R5-LambdaDLQ",
    "CKV_AWS_115": "NIST.800.53.R5-LambdaConcurrency",
    "CKV_AWS_117": "NIST.800.53.R5-LambdaInsideVPC",
}
_SYNCHRONOUS = (
    "Invoked synchronously by the Provider framework or CloudFormation, which report every"
    " failure on the stack event; a dead-letter queue would only collect presigned URLs."
)

# Findings every handler function keeps, ours and the Provider framework's alike.
_FUNCTION_FINDINGS = {
    "Serverless-LambdaDLQ": _SYNCHRONOUS,
    "NIST.800.53.R5-LambdaDLQ": _SYNCHRONOUS,
    "Serverless-LambdaTracing": (
        "Each step is one structured log line with request and interpreter ids; X-Ray would need"
        " xray:Put* on '*' in every role for a two-call workflow."
    ),
    "NIST.800.53.R5-LambdaConcurrency": (
        "Runs once per stack operation; reserved concurrency would take capacity from the"
        " account's unreserved pool (at least 10 must stay unreserved)."
    ),
    "NIST.800.53.R5-LambdaInsideVPC": (
        "Calls only AWS control-plane APIs over TLS; a VPC would add NAT or endpoints and nothing"
        " to protect."
    ),
}
_FUNCTION_CHECKOV_SKIPS = {
    check_id: _FUNCTION_FINDINGS[finding] for check_id, finding in _CHECKOV_TWINS.items()
}


# Each handler may call what it calls, nothing more (see lambda/code_interpreter/index.py): it
# creates only interpreters with its stack's tag, and reads, tags or deletes only interpreters
# that carry it (listing has no resource to condition). tests/infrastructure/test_iam_contract.py
# replays every call the handler makes against these statements (tests/iam_simulation.py).
WATCH_ACTIONS = [
    "bedrock-agentcore:GetCodeInterpreter",
    "bedrock-agentcore:DeleteCodeInterpreter",
]
READ_TAGS_ACTION = "bedrock-agentcore:ListTagsForResource"


@jsii.implements(ILocalBundling)
class _HandlerWithSharedPackage:
    """Builds the handler's asset without Docker: its folder plus the shared agentcore_api."""

    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        shutil.copytree(HANDLER_DIR, output_dir, ignore=_NOT_SHIPPED, dirs_exist_ok=True)
        shutil.copytree(
            SHARED_PACKAGE,
            Path(output_dir) / SHARED_PACKAGE.name,
            ignore=_NOT_SHIPPED,
            dirs_exist_ok=True,
        )
        return True


def handler_code() -> lambda_.Code:
    """The handler's asset, hashed by its content, so any change to either part redeploys."""
    return lambda_.Code.from_asset(
        str(HANDLER_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds.
            image=DockerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            # jsii hands the options to a Python implementation as one positional struct, not
            # as the keyword arguments of the generated interface, hence the cast.
            local=cast(ILocalBundling, _HandlerWithSharedPackage()),
        ),
    )


def _framework_grant_findings(
    scope: IConstruct, functions: Sequence[lambda_.IFunction]
) -> dict[str, str]:
    """What the Provider framework grants itself to invoke the functions it wraps."""
    findings = {
        wildcard_finding(scope, f"{function.function_arn}:*"): (
            "Invoke permission on the function's versions and aliases, granted by aws-cdk-lib's"
            " Provider framework to call the handler it wraps."
        )
        for function in functions
    }
    findings["NIST.800.53.R5-IAMNoInlinePolicy"] = (
        "aws-cdk-lib's Provider framework grants itself invoke rights through the role's default"
        " policy; it is created, versioned and deleted with this stack."
    )
    return findings


# A full secret ARN ends in "-" and the 6 characters Secrets Manager appends to the name.
_FULL_SECRET_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def secret_resource_pattern(secret_arn: str) -> str:
    """The IAM resource for a secret: its full ARN, or for an ARN without Secrets Manager's
    random suffix, that ARN followed by `-??????` (IAM compares against the full ARN)."""
    if _FULL_SECRET_ARN_SUFFIX.search(secret_arn):
        return secret_arn
    return f"{secret_arn}-??????"


def stack_tag_condition(stack_name: str, *, on: str = "ResourceTag") -> dict[str, str]:
    """`aws:ResourceTag` (or `aws:RequestTag`) of the stack's own tag, equal to its name."""
    return {f"aws:{on}/{STACK_TAG_KEY}": stack_name}


def list_interpreters_statement() -> iam.PolicyStatement:
    """Listing is not an action on one interpreter: the Service Authorization Reference gives
    ListCodeInterpreters no resource type, so only "*" matches it."""
    return iam.PolicyStatement(
        sid="ListInterpreters",
        actions=["bedrock-agentcore:ListCodeInterpreters"],
        resources=["*"],
    )


def filesystem_property(mount: FileSystemMount) -> dict[str, dict[str, str]]:
    """One entry of FilesystemConfigurations: the API's union member, in CloudFormation case."""
    return {
        FILESYSTEM_KINDS[mount.kind.value].cfn_property: {
            "AccessPointArn": mount.access_point_arn,
            "FileSystemArn": mount.file_system_arn,
            "MountPath": mount.mount_path,
        }
    }


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
        certificate_secret_arns: Sequence[str] = (),
        certificate_kms_key_arns: Sequence[str] = (),
        filesystems: Sequence[FileSystemMount] = (),
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        total_timeout: Duration = DEFAULT_TOTAL_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        # How long the Provider waits for READY (or for a deletion), for alarms that report it.
        self.total_timeout = total_timeout
        self._handler_policies: list[iam.ManagedPolicy] = []
        self._log_groups: list[logs.ILogGroup] = []
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
        custom_interpreters = custom_interpreter_arn(
            partition=stack.partition, region=stack.region, account=stack.account
        )
        code = handler_code()
        # Every interpreter this stack's handler creates carries this tag; everything else the
        # handlers do is limited to interpreters that carry it.
        own_interpreters = {"StringEquals": stack_tag_condition(stack.stack_name)}

        on_event = self._handler_function(
            "OnEventHandler",
            handler="index.on_event",
            code=code,
            timeout=ON_EVENT_TIMEOUT,
            log_retention=log_retention,
            statements=[
                self._create_statement(network_mode, vpc),
                iam.PolicyStatement(
                    sid="ReadAndDeleteOwnInterpreters",
                    actions=[*WATCH_ACTIONS, READ_TAGS_ACTION],
                    resources=[custom_interpreters],
                    conditions=own_interpreters,
                ),
                iam.PolicyStatement(
                    sid="TagOwnInterpreters",
                    actions=["bedrock-agentcore:TagResource"],
                    resources=[custom_interpreters],
                    # Template tags may change in place; the stack's own tag may not be given
                    # another stack's name.
                    conditions={
                        **own_interpreters,
                        "StringEqualsIfExists": stack_tag_condition(
                            stack.stack_name, on="RequestTag"
                        ),
                    },
                ),
                iam.PolicyStatement(
                    sid="UntagOwnInterpreters",
                    actions=["bedrock-agentcore:UntagResource"],
                    resources=[custom_interpreters],
                    # Any template tag may go, the stack's own tag never.
                    conditions={
                        **own_interpreters,
                        "ForAllValues:StringNotEquals": {"aws:TagKeys": [STACK_TAG_KEY]},
                    },
                ),
                # Finds the interpreter a rollback returns to (by its derived name), and tells a
                # deleted interpreter from a denied call (a tag condition cannot match it).
                list_interpreters_statement(),
                iam.PolicyStatement(
                    sid="PassExecutionRoleToAgentCore",
                    actions=["iam:PassRole"],
                    resources=[execution_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": SERVICE_PRINCIPAL}},
                ),
                *self._network_statements(network_mode),
                *self._certificate_statements(certificate_secret_arns, certificate_kms_key_arns),
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
                    sid="WatchOwnInterpreters",
                    actions=WATCH_ACTIONS,
                    resources=[custom_interpreters],
                    conditions=own_interpreters,
                ),
                list_interpreters_statement(),
            ],
        )

        framework_logs = logs.LogGroup(self, "ProviderLogs", retention=log_retention)
        self._log_groups.append(framework_logs)
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
        if certificate_secret_arns:
            properties["Certificates"] = list(certificate_secret_arns)
        if vpc is not None:
            properties["SubnetIds"] = list(vpc.subnet_ids)
            properties["SecurityGroupIds"] = list(vpc.security_group_ids)
        if filesystems:
            properties["FilesystemConfigurations"] = [
                filesystem_property(mount) for mount in filesystems
            ]
            self._note_network_requirements(filesystems, vpc)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=service_timeout,
        )
        # The handlers' permissions must exist before CloudFormation first calls them (the
        # functions depend on their roles, not on the policies attached to those roles), and
        # the sandbox must not start before its role may write artifacts and mount file systems.
        self.resource.node.add_dependency(execution_role.policy, *self._handler_policies)
        self.functions = (on_event, is_complete)
        self.provider = provider
        self._acknowledge_findings(custom_interpreters)

    def _note_network_requirements(
        self, filesystems: Sequence[FileSystemMount], vpc: VpcSettings | None
    ) -> None:
        """The security groups this stack does not own must let the sandbox reach NFS."""
        groups = ", ".join(vpc.security_group_ids) if vpc else "(none)"
        paths = ", ".join(mount.mount_path for mount in filesystems)
        Annotations.of(self).add_info(
            f"File systems mounted at {paths}: the mount targets' security groups must allow"
            f" TCP {NFS_PORT} (NFS) from the interpreter's security groups ({groups}), and the"
            " file systems need mount targets in the VPC of the interpreter's subnets, in their"
            " Availability Zones."
        )

    def _create_statement(
        self, network_mode: NetworkMode, vpc: VpcSettings | None
    ) -> iam.PolicyStatement:
        """Create interpreters only with this stack's tag, and in VPC mode only in its network.

        CreateCodeInterpreter has no resource type in the Service Authorization Reference, so
        only a statement on "*" can allow it; the action's condition keys narrow it instead.
        """
        conditions: dict[str, dict[str, object]] = {
            "StringEquals": {**stack_tag_condition(Stack.of(self).stack_name, on="RequestTag")},
            "ForAnyValue:StringEquals": {"aws:TagKeys": [STACK_TAG_KEY]},
        }
        if network_mode is NetworkMode.VPC and vpc is not None:
            conditions["ForAllValues:StringEquals"] = {
                "bedrock-agentcore:subnets": list(vpc.subnet_ids),
                "bedrock-agentcore:securityGroups": list(vpc.security_group_ids),
            }
        return iam.PolicyStatement(
            sid="CreateInterpretersMarkedForThisStack",
            actions=["bedrock-agentcore:CreateCodeInterpreter"],
            resources=["*"],
            conditions=conditions,
        )

    def _network_statements(self, network_mode: NetworkMode) -> list[iam.PolicyStatement]:
        """The first VPC-mode interpreter of an account makes AgentCore create its network
        service-linked role, with the caller's permission. The caller needs no ec2:* itself."""
        if network_mode is not NetworkMode.VPC:
            return []
        stack = Stack.of(self)
        return [
            iam.PolicyStatement(
                sid="CreateAgentCoreNetworkServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    network_service_linked_role_arn(
                        partition=stack.partition, account=stack.account
                    )
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": NETWORK_SERVICE_NAME}},
            )
        ]

    def _certificate_statements(
        self, secret_arns: Sequence[str], key_arns: Sequence[str]
    ) -> list[iam.PolicyStatement]:
        """AgentCore reads certificates from Secrets Manager with the caller's credentials."""
        if not secret_arns:
            return []
        statements = [
            iam.PolicyStatement(
                sid="ReadCertificateSecrets",
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret_resource_pattern(arn) for arn in secret_arns],
            )
        ]
        if key_arns:
            secrets_manager = f"secretsmanager.{Stack.of(self).region}.amazonaws.com"
            statements.append(
                iam.PolicyStatement(
                    sid="DecryptCertificateSecrets",
                    actions=["kms:Decrypt"],
                    resources=list(key_arns),
                    conditions={"StringEquals": {"kms:ViaService": secrets_manager}},
                )
            )
        return statements

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
        policy = iam.ManagedPolicy(
            self,
            f"{construct_id}Permissions",
            roles=[role],
            statements=[self._write_logs(log_group), *statements],
        )
        self._handler_policies.append(policy)
        self._log_groups.append(log_group)
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

    def _acknowledge_findings(self, custom_interpreters: str) -> None:
        """Findings that remain after hardening, each on its one resource, with the reason."""
        custom_interpreters_finding = wildcard_finding(self, custom_interpreters)
        any_custom_interpreter = (
            "Custom interpreter ids get a random suffix from the service at creation, so the"
            " narrowest ARN IAM allows is code-interpreter-custom/* of this account and region;"
            " an aws:ResourceTag condition limits it to interpreters carrying this stack's tag,"
            " and the built-in interpreter is outside it."
        )
        listing = (
            "ListCodeInterpreters has no resource type in the Service Authorization Reference,"
            " so only '*' can allow it; it reveals names and ids only, used to find the"
            " interpreter a rollback returns to and to tell a deleted interpreter from a denial."
        )
        on_event_policy, is_complete_policy = self._handler_policies
        acknowledge(
            resource_of(on_event_policy),
            {
                custom_interpreters_finding: any_custom_interpreter,
                wildcard_finding(self, "*"): (
                    "CreateCodeInterpreter has no resource type either, so only '*' can allow it;"
                    " condition keys narrow it to interpreters tagged for this stack (and in VPC"
                    " mode to its subnets and security groups). " + listing
                ),
            },
        )
        acknowledge(
            resource_of(is_complete_policy),
            {
                custom_interpreters_finding: any_custom_interpreter,
                wildcard_finding(self, "*"): listing,
            },
        )
        for log_group in self._log_groups:
            target = resource_of(log_group)
            acknowledge(
                target, {"NIST.800.53.R5-CloudWatchLogGroupEncrypted": _LOGS_HOLD_NO_SECRETS}
            )
            skip_checkov(target, {"CKV_AWS_158": _LOGS_HOLD_NO_SECRETS})

        for handler in self.functions:
            target = resource_of(handler)
            acknowledge(target, _FUNCTION_FINDINGS)
            skip_checkov(target, _FUNCTION_CHECKOV_SKIPS)
        # The Provider's own functions, by the construct ids aws-cdk-lib gives them.
        framework = {
            name: cast(lambda_.IFunction, self.provider.node.find_child(name))
            for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout")
        }
        for function in framework.values():
            target = resource_of(function)
            acknowledge(
                target,
                {
                    **_FUNCTION_FINDINGS,
                    "Serverless-LambdaDefaultMemorySize": (
                        "aws-cdk-lib's Provider framework function: it only relays events, 128 MB"
                        " is its tested size and the Provider offers no setting for it."
                    ),
                },
            )
            skip_checkov(
                target,
                {
                    **_FUNCTION_CHECKOV_SKIPS,
                    "CKV_AWS_173": (
                        "The framework's environment holds only function and state machine ARNs."
                    ),
                },
            )

        for role_id in ("FrameworkOnEventRole", "FrameworkWaiterRole"):
            default_policy = self.node.find_child(role_id).node.find_child("DefaultPolicy")
            acknowledge(
                resource_of(default_policy), _framework_grant_findings(self, self.functions)
            )
        waiter = self.provider.node.find_child("waiter-state-machine")
        waiter_functions = [framework["framework-isComplete"], framework["framework-onTimeout"]]
        waiter_policy = resource_of(waiter.node.find_child("Role").node.find_child("DefaultPolicy"))
        log_delivery = (
            "CloudWatch Logs delivery actions for Step Functions logging (CreateLogDelivery and"
            " friends) support no resource-level permissions."
        )
        acknowledge(
            waiter_policy,
            {
                **_framework_grant_findings(self, waiter_functions),
                wildcard_finding(self, "*"): log_delivery,
            },
        )
        skip_checkov(waiter_policy, {"CKV_AWS_111": log_delivery})
        not_configurable = (
            "The waiter only polls is_complete every 10 s; its ALL-level execution log shows every"
            " step, and X-Ray tracing is not configurable on the Provider framework."
        )
        acknowledge(
            resource_of(waiter),
            {
                "AwsSolutions-SF2": not_configurable,
                "Serverless-StepFunctionStateMachineXray": not_configurable,
            },
        )

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
