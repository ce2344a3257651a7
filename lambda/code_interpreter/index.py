"""Custom::AgentCoreCodeInterpreter: a Bedrock AgentCore custom code interpreter as a
CloudFormation custom resource, run by aws-cdk-lib's ``custom_resources.Provider``.

``on_event`` starts a change and returns at once; the framework then polls ``is_complete`` until
the interpreter has settled. The API has no update operation and only tags can change in place,
so any other change creates a new interpreter (a new physical id) and CloudFormation deletes the
old one after the whole stack update has succeeded.

Interpreter names are derived from the stack, the logical id and the create-only properties. A
replacement therefore never collides with the interpreter it replaces, a repeated invocation for
the same request asks for the same name, and a rollback that asks for the previous properties
again finds the previous interpreter (the service answers ConflictException for its name) and
adopts it instead of leaking it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NotRequired, TypedDict, cast

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from agentcore_api import constraints
from agentcore_api.constraints import is_custom_interpreter_id
from agentcore_api.model import SizeRule, StringRule
from agentcore_api.model_files import (
    CONTROL_PLANE_API_VERSION,
    CONTROL_PLANE_MODEL,
    CONTROL_PLANE_SERVICE,
    MODELS_DIR,
)
from agentcore_api.naming import derived_name
from agentcore_api.resources import STACK_TAG_KEY, stack_name_of

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore_control import BedrockAgentCoreControlClient
    from mypy_boto3_bedrock_agentcore_control.type_defs import (
        CodeInterpreterNetworkConfigurationTypeDef,
        CodeInterpreterSummaryTypeDef,
        CreateCodeInterpreterRequestTypeDef,
        CreateCodeInterpreterResponseTypeDef,
        ToolsFileSystemConfigurationTypeDef,
        VpcConfigTypeDef,
    )

# Worst case for one call: 3 attempts x (3 s connect + 10 s read) + standard-mode backoff
# (< 3 s) = 42 s, which stays inside the 1-minute is_complete timeout even when the network hangs.
CLIENT_CONFIG: Final = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
    user_agent_extra="cdk-custom-resource/AgentCoreCodeInterpreter",
)

# Properties are checked against CreateCodeInterpreter's rules (agentcore_api.constraints, read
# from the API model this client is built from) before any call, so that a bad template fails
# with a message naming the property rather than with a ValidationException halfway through.

# CloudFormation itself sets these keys; everything else must be ours.
FRAMEWORK_PROPERTIES: Final = frozenset({"ServiceToken", "ServiceTimeout"})
KNOWN_PROPERTIES: Final = frozenset(
    {
        "Name",
        "Description",
        "ExecutionRoleArn",
        "NetworkMode",
        "SubnetIds",
        "SecurityGroupIds",
        "Tags",
        "Certificates",
        "FilesystemConfigurations",
    }
)
# Properties an earlier version accepted, with why they are refused now.
RETIRED_PROPERTIES: Final = {
    "RequireServiceS3Endpoint": f"vpcConfig.{constraints.AGENT_RUNTIME_ONLY_REASON}",
}

# A failure reason is echoed into CloudFormation's response, which must stay under 4096 bytes
# together with the framework's log pointer and stack trace, ids and Data.
MAX_REASON_BYTES: Final = 1000
MAX_MESSAGE_BYTES: Final = 1500

# Right after the execution role is created IAM may not have propagated it yet, and the service
# rejects the role; about a minute of backoff covers the usual propagation delay.
ROLE_PROPAGATION_DELAYS: Final = (2.0, 4.0, 8.0, 15.0, 15.0, 15.0)
# Leave room for the create call itself (with botocore's retries) after the last sleep.
MIN_REMAINING_MS_AFTER_SLEEP: Final = 45_000

TRANSIENT_ERROR_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "InternalServerException",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

RequestType = Literal["Create", "Update", "Delete"]
NetworkMode = Literal["PUBLIC", "SANDBOX", "VPC"]

# Swapped out by tests; the only place the handler waits on its own.
sleep: Callable[[float], None] = time.sleep


class OnEventResult(TypedDict):
    PhysicalResourceId: str
    Data: dict[str, str]


class IsCompleteResult(TypedDict):
    IsComplete: bool
    Data: NotRequired[dict[str, str]]


class CustomResourceError(Exception):
    """A failure reported to CloudFormation; its message is kept small enough for the response."""

    def __init__(self, message: str) -> None:
        super().__init__(truncate_utf8(message, MAX_MESSAGE_BYTES))


class InvalidPropertiesError(CustomResourceError):
    """The resource properties would be rejected by the service; nothing was called."""


@dataclass(frozen=True)
class Request:
    """The parts of a CloudFormation custom resource event this handler relies on."""

    request_type: RequestType
    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str | None
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]


@dataclass(frozen=True)
class InterpreterSpec:
    """Validated resource properties, normalised so that equal intent compares equal."""

    base_name: str
    network_mode: NetworkMode
    description: str | None = None
    execution_role_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    certificate_secret_arns: tuple[str, ...] = ()
    # (API union member, access point ARN, file system ARN, mount path), sorted by mount path.
    filesystems: tuple[tuple[str, str, str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def without_tags(self) -> InterpreterSpec:
        return dataclasses.replace(self, tags=())

    def identity(self) -> str:
        """Canonical text of the create-only properties (tags can change in place).

        Absent optional properties are left out, so adding a new optional property to this
        class does not change the names derived for existing interpreters.
        """
        fields = dataclasses.asdict(self.without_tags())
        return json.dumps(
            {key: value for key, value in fields.items() if value not in (None, (), [])},
            sort_keys=True,
        )


@dataclass(frozen=True)
class InterpreterRef:
    interpreter_id: str
    arn: str

    def data(self) -> dict[str, str]:
        return {"CodeInterpreterId": self.interpreter_id, "CodeInterpreterArn": self.arn}


# --------------------------------------------------------------------------- entry points


def on_event(event: Mapping[str, Any], context: object) -> OnEventResult:
    request = parse_request(event)
    log_step("on_event.start", request)
    with failures_reported("on_event", request):
        client = control_plane()
        if request.request_type == "Create":
            result = on_create(client, request, context)
        elif request.request_type == "Update":
            result = on_update(client, request, context)
        else:
            result = on_delete(client, request)
    log_step("on_event.done", request, interpreter_id=result["PhysicalResourceId"])
    return result


def is_complete(event: Mapping[str, Any], context: object) -> IsCompleteResult:
    # The framework merged on_event's result into this event, so PhysicalResourceId is the
    # interpreter on_event created or kept.
    request = parse_request(event)
    with failures_reported("is_complete", request):
        client = control_plane()
        if request.request_type == "Create":
            return is_create_complete(client, request)
        if request.request_type == "Update":
            return is_update_complete(client, request)
        return is_delete_complete(client, request)


@contextlib.contextmanager
def failures_reported(stage: str, request: Request) -> Iterator[None]:
    """Log a failure once, and turn an AWS error into a short message naming the request."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        log_step(f"{stage}.failed", request, error=describe_aws_error(error))
        raise CustomResourceError(
            f"{request.request_type} of {request.logical_id} failed: {describe_aws_error(error)}"
        ) from error
    except CustomResourceError as error:
        log_step(f"{stage}.failed", request, error=str(error))
        raise


@functools.cache
def control_plane() -> BedrockAgentCoreControlClient:
    """One client per Lambda container: model loading and endpoint resolution cost ~100 ms."""
    return new_client()


def new_client(
    models_dir: Path = MODELS_DIR, config: Config = CLIENT_CONFIG
) -> BedrockAgentCoreControlClient:
    """A client built from the API model shipped in agentcore_api/models/ (inside this asset).

    The runtime's bundled botocore lags behind and rejects newer members (vpcConfig, tags,
    certificates) with a ParamValidationError. botocore takes a model from the first data path
    that holds it, so putting our folder first makes our copy win for this API version, while
    an AWS_DATA_PATH set on the function still applies after it. The version is pinned so that a
    newer API version bundled with the runtime cannot take precedence either.
    """
    model_file = models_dir / CONTROL_PLANE_MODEL.relative_to(MODELS_DIR)
    if not model_file.is_file():
        # Falling back silently to the runtime's model would fail later and more obscurely.
        raise CustomResourceError(f"API model missing from the function package: {model_file}")
    session = botocore.session.get_session()
    inherited = session.get_config_variable("data_path")
    search_path = [str(models_dir), *([inherited] if inherited else [])]
    session.set_config_variable("data_path", os.pathsep.join(search_path))
    return boto3.session.Session(botocore_session=session).client(
        CONTROL_PLANE_SERVICE, api_version=CONTROL_PLANE_API_VERSION, config=config
    )


# --------------------------------------------------------------------------- on_event


def on_create(
    client: BedrockAgentCoreControlClient, request: Request, context: object
) -> OnEventResult:
    spec = parse_properties(request.properties)
    ref = provision(client, request, spec, context)
    return {"PhysicalResourceId": ref.interpreter_id, "Data": ref.data()}


def on_update(
    client: BedrockAgentCoreControlClient, request: Request, context: object
) -> OnEventResult:
    spec = parse_properties(request.properties)
    current_id = request.physical_id or ""
    previous = parse_previous_properties(request.old_properties)
    if previous is not None and is_custom_interpreter_id(current_id):
        if previous == spec:
            log_step("update.unchanged", request, interpreter_id=current_id)
            return {"PhysicalResourceId": current_id, "Data": {"CodeInterpreterId": current_id}}
        if previous.without_tags() == spec.without_tags():
            ref = retag(client, request, current_id, spec)
            return {"PhysicalResourceId": ref.interpreter_id, "Data": ref.data()}
    # Everything but tags is create-only: a new interpreter under a new name and physical id.
    # CloudFormation deletes the current one in its cleanup phase, or keeps it on rollback.
    log_step("update.replace", request, interpreter_id=current_id)
    ref = provision(client, request, spec, context)
    return {"PhysicalResourceId": ref.interpreter_id, "Data": ref.data()}


def on_delete(client: BedrockAgentCoreControlClient, request: Request) -> OnEventResult:
    physical_id = request.physical_id or ""
    if not is_custom_interpreter_id(physical_id):
        # The CREATE_FAILED marker, an id CloudFormation made up for a rolled back create, or
        # the built-in interpreter: nothing of ours to delete.
        log_step("delete.skipped", request)
    else:
        request_deletion(client, request, physical_id)
    return {"PhysicalResourceId": physical_id, "Data": {}}


# --------------------------------------------------------------------------- is_complete


def is_create_complete(client: BedrockAgentCoreControlClient, request: Request) -> IsCompleteResult:
    return readiness(client, request)


def is_update_complete(client: BedrockAgentCoreControlClient, request: Request) -> IsCompleteResult:
    return readiness(client, request)


def is_delete_complete(client: BedrockAgentCoreControlClient, request: Request) -> IsCompleteResult:
    interpreter_id = request.physical_id or ""
    if not is_custom_interpreter_id(interpreter_id):
        return {"IsComplete": True}
    try:
        current = client.get_code_interpreter(codeInterpreterId=interpreter_id)
    except (ClientError, BotoCoreError) as error:
        if is_gone(client, error, interpreter_id):
            log_step("delete.gone", request, interpreter_id=interpreter_id)
            return {"IsComplete": True}
        if is_transient(error):
            log_step("delete.poll_retry", request, error=describe_aws_error(error))
            return {"IsComplete": False}
        raise
    status = current["status"]
    log_step("delete.poll", request, interpreter_id=interpreter_id, status=status)
    if status == "DELETED":
        return {"IsComplete": True}
    if status == "DELETING":
        return {"IsComplete": False}
    if status == "DELETE_FAILED":
        raise CustomResourceError(
            f"Code interpreter {interpreter_id} could not be deleted (DELETE_FAILED): "
            f"{failure_reason(current.get('failureReason'))}"
        )
    # Still there and not deleting: on_event's request was throttled or refused while the
    # interpreter was busy, so ask again.
    request_deletion(client, request, interpreter_id)
    return {"IsComplete": False}


def readiness(client: BedrockAgentCoreControlClient, request: Request) -> IsCompleteResult:
    interpreter_id = request.physical_id or ""
    if not is_custom_interpreter_id(interpreter_id):
        raise CustomResourceError(
            f"is_complete got PhysicalResourceId {show(interpreter_id)}, which is not a custom "
            "code interpreter id; on_event did not finish for this request"
        )
    try:
        current = client.get_code_interpreter(codeInterpreterId=interpreter_id)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error):
            log_step("ready.poll_retry", request, error=describe_aws_error(error))
            return {"IsComplete": False}
        if is_gone(client, error, interpreter_id):
            raise CustomResourceError(
                f"Code interpreter {interpreter_id} no longer exists while waiting for READY "
                "(was it deleted outside CloudFormation?)"
            ) from error
        raise
    status = current["status"]
    log_step("ready.poll", request, interpreter_id=interpreter_id, status=status)
    if status == "READY":
        return {
            "IsComplete": True,
            "Data": {
                "CodeInterpreterId": interpreter_id,
                "CodeInterpreterArn": current["codeInterpreterArn"],
                "Status": status,
            },
        }
    if status == "CREATING":
        return {"IsComplete": False}
    reason = failure_reason(current.get("failureReason"))
    if status == "CREATE_FAILED":
        # A failed interpreter cannot serve sessions but still holds its name and quota.
        discard_failed_interpreter(client, request, interpreter_id)
        raise CustomResourceError(
            f"Code interpreter {interpreter_id} failed to create (CREATE_FAILED): {reason}"
        )
    raise CustomResourceError(
        f"Code interpreter {interpreter_id} is {status} instead of becoming READY: {reason}"
    )


# --------------------------------------------------------------------------- service calls


def provision(
    client: BedrockAgentCoreControlClient,
    request: Request,
    spec: InterpreterSpec,
    context: object,
) -> InterpreterRef:
    name = interpreter_name(spec, request)
    params = create_request(spec, name, client_token(request), owned_tags(spec, request))
    try:
        created = create_allowing_role_propagation(client, request, params, context)
    except ClientError as error:
        if error_code(error) == "ConflictException":
            return adopt_existing(client, request, spec, name, error)
        raise
    ref = InterpreterRef(created["codeInterpreterId"], created["codeInterpreterArn"])
    log_step(
        "create.requested", request, interpreter_id=ref.interpreter_id, status=created["status"]
    )
    if created["status"] == "CREATE_FAILED":
        discard_failed_interpreter(client, request, ref.interpreter_id)
        raise CustomResourceError(f"Code interpreter {name} failed to create (CREATE_FAILED)")
    return ref


def create_allowing_role_propagation(
    client: BedrockAgentCoreControlClient,
    request: Request,
    params: CreateCodeInterpreterRequestTypeDef,
    context: object,
) -> CreateCodeInterpreterResponseTypeDef:
    attempt = 0
    while True:
        attempt += 1
        try:
            return client.create_code_interpreter(**params)
        except ClientError as error:
            delay = role_propagation_delay(error, attempt, remaining_ms(context))
            if delay is None:
                raise
            log_step(
                "create.role_not_ready",
                request,
                attempt=attempt,
                retry_in_seconds=delay,
                error=describe_aws_error(error),
            )
            sleep(delay)


def role_propagation_delay(
    error: ClientError, attempt: int, remaining_time_ms: int | None
) -> float | None:
    """Seconds to wait before retrying a create the service refused, or None to give up."""
    if not is_role_propagation_error(error) or attempt > len(ROLE_PROPAGATION_DELAYS):
        return None
    delay = ROLE_PROPAGATION_DELAYS[attempt - 1]
    if remaining_time_ms is not None and remaining_time_ms - delay * 1000 < (
        MIN_REMAINING_MS_AFTER_SLEEP
    ):
        return None
    return delay


def adopt_existing(
    client: BedrockAgentCoreControlClient,
    request: Request,
    spec: InterpreterSpec,
    name: str,
    conflict: ClientError,
) -> InterpreterRef:
    """Take over the interpreter that already carries the name derived for these properties.

    Only this stack's resource with exactly these create-only properties derives this name, so
    the holder is the interpreter a rollback returns to (or one an earlier invocation of this
    request created after its idempotency token expired).
    """
    existing = find_interpreter_by_name(client, name)
    if existing is None:
        raise CustomResourceError(
            f"CreateCodeInterpreter refused {name}: {describe_aws_error(conflict)}"
        )
    interpreter_id = existing["codeInterpreterId"]
    status = existing["status"]
    if status not in ("READY", "CREATING"):
        raise CustomResourceError(
            f"Code interpreter name {name} is held by {interpreter_id} in status {status}; "
            "delete it or change the resource properties"
        )
    ref = InterpreterRef(interpreter_id, existing["codeInterpreterArn"])
    try:
        reconcile_tags(client, ref.arn, owned_tags(spec, request))
    except ClientError as error:
        if error_code(error) != "AccessDeniedException":
            raise
        # Only interpreters carrying this stack's tag are this handler's to touch (its IAM
        # policy says so); the name is held by one that does not.
        raise CustomResourceError(
            f"Code interpreter name {name} is held by {interpreter_id}, which does not carry "
            f"this stack's tag {STACK_TAG_KEY}={stack_name_of(request.stack_id)}; delete it or "
            "change the resource properties"
        ) from error
    log_step("create.adopted", request, interpreter_id=interpreter_id, status=status)
    return ref


def find_interpreter_by_name(
    client: BedrockAgentCoreControlClient, name: str
) -> CodeInterpreterSummaryTypeDef | None:
    return next((item for item in custom_interpreters(client) if item.get("name") == name), None)


def custom_interpreters(
    client: BedrockAgentCoreControlClient,
) -> Iterator[CodeInterpreterSummaryTypeDef]:
    next_token: str | None = None
    while True:
        page = (
            client.list_code_interpreters(type="CUSTOM", maxResults=100, nextToken=next_token)
            if next_token
            else client.list_code_interpreters(type="CUSTOM", maxResults=100)
        )
        yield from page["codeInterpreterSummaries"]
        next_token = page.get("nextToken")
        if not next_token:
            return


def retag(
    client: BedrockAgentCoreControlClient,
    request: Request,
    interpreter_id: str,
    spec: InterpreterSpec,
) -> InterpreterRef:
    current = client.get_code_interpreter(codeInterpreterId=interpreter_id)
    ref = InterpreterRef(interpreter_id, current["codeInterpreterArn"])
    log_step("update.retag", request, interpreter_id=interpreter_id, status=current["status"])
    reconcile_tags(client, ref.arn, owned_tags(spec, request))
    return ref


def reconcile_tags(
    client: BedrockAgentCoreControlClient, arn: str, desired: Mapping[str, str]
) -> None:
    current = client.list_tags_for_resource(resourceArn=arn).get("tags", {})
    # aws: tags belong to AWS and cannot be removed by callers.
    stale = sorted(key for key in current if key not in desired and not key.startswith("aws:"))
    changed = {key: value for key, value in desired.items() if current.get(key) != value}
    # Untag first so that swapping keys never pushes the resource over the 50-tag limit.
    if stale:
        client.untag_resource(resourceArn=arn, tagKeys=stale)
    if changed:
        client.tag_resource(resourceArn=arn, tags=changed)


def request_deletion(
    client: BedrockAgentCoreControlClient, request: Request, interpreter_id: str
) -> None:
    try:
        client.delete_code_interpreter(codeInterpreterId=interpreter_id)
    except (ClientError, BotoCoreError) as error:
        if is_gone(client, error, interpreter_id):
            log_step("delete.already_gone", request, interpreter_id=interpreter_id)
            return
        if is_transient(error) or error_code(error) == "ConflictException":
            # is_complete sees the interpreter still there and asks again on its next poll.
            log_step("delete.deferred", request, error=describe_aws_error(error))
            return
        raise
    log_step("delete.requested", request, interpreter_id=interpreter_id)


def discard_failed_interpreter(
    client: BedrockAgentCoreControlClient, request: Request, interpreter_id: str
) -> None:
    # Best effort: the original failure is what CloudFormation must report, and the Delete that
    # CloudFormation sends next retries the deletion anyway.
    try:
        request_deletion(client, request, interpreter_id)
    except (ClientError, BotoCoreError) as error:
        log_step("delete.cleanup_failed", request, error=describe_aws_error(error))


# --------------------------------------------------------------------------- pure helpers


def parse_request(event: Mapping[str, Any]) -> Request:
    request_type = event.get("RequestType")
    if request_type not in ("Create", "Update", "Delete"):
        raise CustomResourceError(f"Unsupported RequestType {show(request_type)}")
    missing = [
        key
        for key in ("StackId", "RequestId", "LogicalResourceId")
        if not isinstance(event.get(key), str) or not event.get(key)
    ]
    if request_type != "Create" and not event.get("PhysicalResourceId"):
        missing.append("PhysicalResourceId")
    if missing:
        raise CustomResourceError(f"Malformed {request_type} event: missing {', '.join(missing)}")
    physical_id = event.get("PhysicalResourceId")
    return Request(
        request_type=cast(RequestType, request_type),
        stack_id=event["StackId"],
        request_id=event["RequestId"],
        logical_id=event["LogicalResourceId"],
        physical_id=physical_id if isinstance(physical_id, str) else None,
        properties=mapping_or_empty(event.get("ResourceProperties")),
        old_properties=mapping_or_empty(event.get("OldResourceProperties")),
    )


def parse_properties(raw: Mapping[str, Any]) -> InterpreterSpec:
    """Validate ResourceProperties as CloudFormation sends them (every scalar a string)."""
    problems: list[str] = []
    for key, reason in RETIRED_PROPERTIES.items():
        if key in raw:
            problems.append(f"{key} is not accepted: {reason}; remove it")
    unknown = sorted(set(raw) - KNOWN_PROPERTIES - FRAMEWORK_PROPERTIES - set(RETIRED_PROPERTIES))
    if unknown:
        allowed = ", ".join(sorted(KNOWN_PROPERTIES))
        problems.append(f"unknown properties {', '.join(unknown)}; allowed: {allowed}")

    base_name = optional_string(raw, "Name", problems)
    if base_name is None:
        problems.append(
            f"Name is required: 1-{constraints.MAX_INTERPRETER_NAME_LENGTH} letters, digits or"
            " underscores, starting with a letter"
        )
    else:
        check_string(problems, "Name", base_name, constraints.INTERPRETER_NAME)

    description = optional_string(raw, "Description", problems)
    if description is not None:
        check_string(problems, "Description", description, constraints.DESCRIPTION)

    role_arn = optional_string(raw, "ExecutionRoleArn", problems)
    if role_arn is not None:
        check_string(problems, "ExecutionRoleArn", role_arn, constraints.EXECUTION_ROLE_ARN)

    network_mode, subnet_ids, security_group_ids = parse_network(raw, problems)
    certificates = parse_certificates(raw, problems)
    filesystems = parse_filesystems(raw.get("FilesystemConfigurations"), network_mode, problems)
    tags = parse_tags(raw.get("Tags"), problems)

    if problems:
        raise InvalidPropertiesError("Invalid resource properties: " + "; ".join(problems))
    return InterpreterSpec(
        base_name=cast(str, base_name),
        network_mode=cast(NetworkMode, network_mode),
        description=description,
        execution_role_arn=role_arn,
        # Order carries no meaning for the service; sorting keeps a reordered template a no-op.
        subnet_ids=tuple(sorted(subnet_ids)),
        security_group_ids=tuple(sorted(security_group_ids)),
        certificate_secret_arns=tuple(sorted(certificates)),
        # Order carries no meaning either: a reordered list is no change.
        filesystems=tuple(sorted(filesystems, key=lambda mount: mount[3])),
        tags=tuple(sorted(tags.items())),
    )


def parse_network(
    raw: Mapping[str, Any], problems: list[str]
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    network_mode = optional_string(raw, "NetworkMode", problems)
    if network_mode is None or not constraints.NETWORK_MODE.accepts(network_mode):
        problems.append(
            f"NetworkMode={show(network_mode)} must be one of "
            + ", ".join(constraints.NETWORK_MODE.enum)
        )
    subnet_ids = string_list(raw, "SubnetIds", problems)
    security_group_ids = string_list(raw, "SecurityGroupIds", problems)
    if network_mode == "VPC":
        check_list(problems, "SubnetIds", subnet_ids, constraints.SUBNETS, constraints.SUBNET_ID)
        check_list(
            problems,
            "SecurityGroupIds",
            security_group_ids,
            constraints.SECURITY_GROUPS,
            constraints.SECURITY_GROUP_ID,
        )
        return network_mode, subnet_ids, security_group_ids
    for key, values in (("SubnetIds", subnet_ids), ("SecurityGroupIds", security_group_ids)):
        if values:
            problems.append(f"{key} is only allowed with NetworkMode=VPC, not {show(network_mode)}")
    return network_mode, (), ()


def parse_certificates(raw: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    certificates = string_list(raw, "Certificates", problems)
    if certificates:
        check_list(
            problems,
            "Certificates",
            certificates,
            constraints.CERTIFICATES,
            constraints.CERTIFICATE_SECRET_ARN,
        )
    return certificates


# Each kind of file system by the CloudFormation property of its union member.
FILESYSTEM_PROPERTIES: Final = {
    kind.cfn_property: kind for kind in constraints.FILESYSTEM_KINDS.values()
}
MOUNT_KEYS: Final = frozenset({"AccessPointArn", "FileSystemArn", "MountPath"})


def parse_filesystems(
    value: Any, network_mode: str | None, problems: list[str]
) -> list[tuple[str, str, str, str]]:
    """FilesystemConfigurations: what the model and its documentation allow (VPC mode only, a
    documented maximum of mounts per kind, distinct mount paths)."""
    if is_empty(value):
        return []
    key = "FilesystemConfigurations"
    if not isinstance(value, list):
        problems.append(f"{key} must be a list, not {show(value)}")
        return []
    if network_mode != "VPC":
        problems.append(f"{key} is only allowed with NetworkMode=VPC, not {show(network_mode)}")
    if not constraints.FILESYSTEMS.allows(len(value)):
        problems.append(f"{key} has {len(value)} entries; {constraints.FILESYSTEMS.text()}")
    mounts = [
        mount
        for index, entry in enumerate(value)
        if (mount := parse_mount(f"{key}[{index}]", entry, problems)) is not None
    ]
    for kind in constraints.FILESYSTEM_KINDS.values():
        count = sum(mount[0] == kind.member for mount in mounts)
        if count > kind.max_mounts:
            problems.append(f"{key} has {count} {kind.member} entries; at most {kind.max_mounts}")
    paths = [mount[3].rstrip("/") for mount in mounts]
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        problems.append(f"{key} mounts {', '.join(repeated)} more than once")
    return mounts


def parse_mount(where: str, entry: Any, problems: list[str]) -> tuple[str, str, str, str] | None:
    """One entry: exactly one union member, with exactly its three string fields."""
    if (
        not isinstance(entry, Mapping)
        or len(entry) != 1
        or next(iter(entry)) not in FILESYSTEM_PROPERTIES
    ):
        allowed = ", ".join(sorted(FILESYSTEM_PROPERTIES))
        problems.append(f"{where}={show(entry)} must have exactly one of {allowed}")
        return None
    ((name, fields),) = entry.items()
    if (
        not isinstance(fields, Mapping)
        or set(fields) != MOUNT_KEYS
        or not all(isinstance(item, str) for item in fields.values())
    ):
        problems.append(f"{where}.{name} must have string {', '.join(sorted(MOUNT_KEYS))}")
        return None
    kind = FILESYSTEM_PROPERTIES[name]
    rules = {
        "AccessPointArn": kind.access_point_arn,
        "FileSystemArn": kind.file_system_arn,
        "MountPath": constraints.MOUNT_PATH,
    }
    for field, rule in rules.items():
        check_string(problems, f"{where}.{name}.{field}", fields[field], rule)
    return kind.member, fields["AccessPointArn"], fields["FileSystemArn"], fields["MountPath"]


def parse_previous_properties(raw: Mapping[str, Any]) -> InterpreterSpec | None:
    """The properties before this update, or None if they never were valid."""
    try:
        return parse_properties(raw)
    except InvalidPropertiesError:
        return None


def parse_tags(value: Any, problems: list[str]) -> dict[str, str]:
    if is_empty(value):
        return {}
    if not isinstance(value, list):
        problems.append(f"Tags must be a list of {{Key, Value}} objects, not {show(value)}")
        return {}
    tags: dict[str, str] = {}
    for index, item in enumerate(value):
        if (
            not isinstance(item, Mapping)
            or set(item) != {"Key", "Value"}
            or not all(isinstance(part, str) for part in item.values())
        ):
            problems.append(f"Tags[{index}]={show(item)} must be {{Key: string, Value: string}}")
            continue
        key, tag_value = item["Key"], item["Value"]
        check_string(problems, f"Tags[{index}].Key", key, constraints.TAG_KEY)
        check_string(problems, f"Tags[{index}].Value", tag_value, constraints.TAG_VALUE)
        if key.lower().startswith("aws:"):
            problems.append(f"Tags[{index}].Key={show(key)}: the aws: prefix is reserved")
        if key == STACK_TAG_KEY:
            problems.append(
                f"Tags[{index}].Key={show(key)} is reserved: the handler sets it to the stack name"
            )
        if key in tags:
            problems.append(f"Tags[{index}].Key={show(key)} appears more than once")
        tags[key] = tag_value
    if len(tags) > constraints.MAX_TEMPLATE_TAGS:
        problems.append(
            f"Tags has {len(tags)} keys; at most {constraints.MAX_TEMPLATE_TAGS}"
            f" (the stack's own {STACK_TAG_KEY} tag takes one of the {constraints.TAGS.max_items})"
        )
    return tags


def check_list(
    problems: list[str], key: str, values: tuple[str, ...], size: SizeRule, item: StringRule
) -> None:
    if not size.allows(len(values)):
        problems.append(f"{key} needs {size.text()} entries, got {len(values)}")
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        problems.append(f"{key} lists {', '.join(map(show, duplicates))} more than once")
    for index, value in enumerate(values):
        check_string(problems, f"{key}[{index}]", value, item)


def check_string(problems: list[str], key: str, value: str, rule: StringRule) -> None:
    problem = rule.problem(value)
    if problem is not None:
        problems.append(f"{key}={show(value)} is not allowed; expected {problem}")


def optional_string(raw: Mapping[str, Any], key: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if is_empty(value):
        return None
    if not isinstance(value, str):
        problems.append(f"{key} must be a string, not {show(value)}")
        return None
    return value


def string_list(raw: Mapping[str, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key)
    if is_empty(value):
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        problems.append(f"{key} must be a list of non-empty strings, not {show(value)}")
        return ()
    return tuple(value)


def is_empty(value: Any) -> bool:
    # CloudFormation and CDK may render an absent optional property as "" or [].
    return value is None or value in ("", [])


def owned_tags(spec: InterpreterSpec, request: Request) -> dict[str, str]:
    """The tags an interpreter of this resource carries: the template's, and the stack's mark.

    The mark is what the handler's IAM policy requires on create and checks on every later
    call; it comes from the event's StackId, so a template cannot claim another stack's mark.
    """
    return {**dict(spec.tags), STACK_TAG_KEY: stack_name_of(request.stack_id)}


def create_request(
    spec: InterpreterSpec, name: str, token: str, tags: Mapping[str, str]
) -> CreateCodeInterpreterRequestTypeDef:
    network: CodeInterpreterNetworkConfigurationTypeDef = {"networkMode": spec.network_mode}
    if spec.network_mode == "VPC":
        # Only subnets and security groups: see constraints.AGENT_RUNTIME_ONLY_REASON.
        vpc: VpcConfigTypeDef = {
            "subnets": list(spec.subnet_ids),
            "securityGroups": list(spec.security_group_ids),
        }
        network["vpcConfig"] = vpc
    params: CreateCodeInterpreterRequestTypeDef = {
        "name": name,
        "networkConfiguration": network,
        "clientToken": token,
        "tags": dict(tags),
    }
    # The service rejects empty strings and lists: leave absent members out altogether.
    if spec.description is not None:
        params["description"] = spec.description
    if spec.execution_role_arn is not None:
        params["executionRoleArn"] = spec.execution_role_arn
    if spec.certificate_secret_arns:
        params["certificates"] = [
            {"location": {"secretsManager": {"secretArn": arn}}}
            for arn in spec.certificate_secret_arns
        ]
    if spec.filesystems:
        params["filesystemConfigurations"] = [
            cast(
                "ToolsFileSystemConfigurationTypeDef",
                {member: {"accessPointArn": ap, "fileSystemArn": fs, "mountPath": path}},
            )
            for member, ap, fs, path in spec.filesystems
        ]
    return params


def interpreter_name(spec: InterpreterSpec, request: Request) -> str:
    """Base name plus a suffix that tells apart interpreters of different create-only properties.

    Deterministic, so a repeated invocation asks for the same name; tags are left out, so a
    tag-only change never calls for a new name.
    """
    return derived_name(
        spec.base_name, sha256(request.stack_id, request.logical_id, spec.identity())
    )


def client_token(request: Request) -> str:
    # Unique per CloudFormation request: a repeated invocation gets the interpreter it already
    # created, while a later request with the same properties really creates a new one.
    return sha256(request.stack_id, request.logical_id, request.request_id).hex()


def sha256(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def remaining_ms(context: object) -> int | None:
    get_remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(get_remaining()) if callable(get_remaining) else None


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return type(error).__name__


def is_not_found(error: Exception) -> bool:
    return error_code(error) == "ResourceNotFoundException"


def is_gone(client: BedrockAgentCoreControlClient, error: Exception, interpreter_id: str) -> bool:
    """Whether a failed call on the interpreter means it no longer exists.

    The handlers may only act on interpreters that carry their stack's tag. For an interpreter
    that is gone IAM has no tags to match, so the service may answer AccessDeniedException
    rather than ResourceNotFoundException (AWS does not document which). Listing, which is not
    tag-scoped, tells a deleted interpreter from a real denial.
    """
    if is_not_found(error):
        return True
    if error_code(error) != "AccessDeniedException":
        return False
    return all(item["codeInterpreterId"] != interpreter_id for item in custom_interpreters(client))


def is_transient(error: Exception) -> bool:
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return True
    if not isinstance(error, ClientError):
        return False
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return error_code(error) in TRANSIENT_ERROR_CODES or status == 429 or status >= 500


def is_role_propagation_error(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "ValidationException" and (
        re.search(r"role\b.*\b(validat|assum|trust|propagat)", message, re.IGNORECASE) is not None
    )


def describe_aws_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        message = str(error.response.get("Error", {}).get("Message", "")) or "no message"
        text = f"{error.operation_name}: {error_code(error)}: {message}"
    else:
        text = f"{type(error).__name__}: {error}"
    return truncate_utf8(text, MAX_REASON_BYTES)


def failure_reason(reason: object) -> str:
    text = reason if isinstance(reason, str) and reason else "the service gave no reason"
    return truncate_utf8(text, MAX_REASON_BYTES)


def truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    marker = " ...[truncated]"
    # errors="ignore" drops a multi-byte character cut in half at the boundary.
    return encoded[: max_bytes - len(marker)].decode("utf-8", errors="ignore") + marker


def mapping_or_empty(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def show(value: Any) -> str:
    return truncate_utf8(repr(value), 120)


def log_step(step: str, request: Request, **details: str | int | float | None) -> None:
    """One JSON line per step. Never the event: it holds the presigned ResponseURL."""
    record: dict[str, str | int | float | None] = {
        "step": step,
        "request_type": request.request_type,
        "logical_id": request.logical_id,
        "physical_id": request.physical_id,
        **details,
    }
    print(json.dumps({k: v for k, v in record.items() if v is not None}, sort_keys=True))
