"""A stateful fake of the bedrock-agentcore-control code-interpreter API for offline tests.

It plugs into a real boto3 client through botocore's event system, so botocore still
serializes and signs every request, resolves the endpoint and parses every reply (including
errors into ClientError with the right code). On top of that it checks what the Stubber does
not: every request parameter against the model's patterns, enums and length/value bounds, and
the wire request itself (method, path, query, body, signing scope). A request the real service
would reject fails the test with an AssertionError instead of being answered.

State follows the service: interpreters by id with name, status, ARN, tags and failure reason;
names unique per account and region; clientToken idempotency; CREATING and DELETING last for a
configurable number of GetCodeInterpreter polls; faults can be queued per operation.

With an `Authorizer`, every call is first authorized as AWS documents it (see `iam_requests`):
the caller's identity policies from the synthesized template decide, and a denial is answered
with AccessDeniedException. What AWS states only in prose is enforced too: a code interpreter
refuses `vpcConfig.requireServiceS3Endpoint`; certificates are read from Secrets Manager with the
caller's credentials; the first VPC-mode interpreter of an account needs the caller to create
AgentCore's network service-linked role. Without an `Authorizer` the fake enforces no IAM at
all: only tests of the model's shapes and of the service's own behaviour build it so.
"""

from __future__ import annotations

import io
import json
import random
import re
import string
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.model import OperationModel, ServiceModel, Shape
from iam_simulation import Authorizer, IamRequest, Principal

from agentcore_api.constraints import (
    AGENT_RUNTIME_ONLY_VPC_MEMBERS,
    FILESYSTEM_KINDS,
    TAGS,
)
from agentcore_api.resources import (
    NETWORK_SERVICE_LINKED_ROLE_NAME,
    NETWORK_SERVICE_NAME,
    SERVICE_PRINCIPAL,
    custom_interpreter_arn,
    network_service_linked_role_arn,
)

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
BUILT_IN_ID = "aws.codeinterpreter.v1"
BUILT_IN_ARN = f"arn:aws:bedrock-agentcore:{REGION}:aws:code-interpreter/{BUILT_IN_ID}"
ENDPOINT_HOST = f"bedrock-agentcore-control.{REGION}.amazonaws.com"
SIGNING_SCOPE = f"/{REGION}/bedrock-agentcore/aws4_request"
ROLE_VALIDATION_MESSAGE = (
    "Role validation failed for {role}: the role could not be assumed by "
    "bedrock-agentcore.amazonaws.com. Check the trust policy or retry after IAM propagation."
)
# Distinctive fake credentials, so a test can prove none of them ever reaches a log line.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAHANDLERTESTKEY01",
    "AWS_SECRET_ACCESS_KEY": "handler/Test+Secret0Key1Never2Logged3xyz",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEHandlerTestSessionTokenNeverLogged",
}
GONE = "GONE"  # internal marker: the interpreter vanished on this poll

SUPPORTED_OPERATIONS = frozenset(
    {
        "CreateCodeInterpreter",
        "GetCodeInterpreter",
        "DeleteCodeInterpreter",
        "ListCodeInterpreters",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
    }
)


@dataclass(frozen=True)
class Call:
    """One request as the fake received it on the wire, and how it was answered."""

    operation: str
    params: dict[str, Any]
    outcome: str  # "ok" or the error code sent back


@dataclass(frozen=True)
class Fault:
    code: str
    message: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Interpreter:
    interpreter_id: str
    arn: str
    name: str
    config: dict[str, Any]  # the create body less clientToken and tags
    status: str
    tags: dict[str, str]
    polls_left: int
    failure_reason: str | None = None
    fail_with: str | None = None  # reason to end the current transition with a failure
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    seeded: bool = False


class _RawBody(io.BytesIO):
    """The raw stream botocore reads a response body from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


class ControlPlaneFake:
    def __init__(
        self,
        *,
        creating_polls: int = 1,
        deleting_polls: int = 1,
        seed: int = 7,
        authorizer: Authorizer | None = None,
    ) -> None:
        # How many GetCodeInterpreter calls an interpreter stays CREATING / DELETING for.
        self.creating_polls = creating_polls
        self.deleting_polls = deleting_polls
        # Report DELETED once before an interpreter vanishes, instead of going straight to 404.
        self.report_deleted_status = False
        # Largest page ListCodeInterpreters returns, whatever maxResults asks for.
        self.max_page_size = 100
        self.calls: list[Call] = []
        self._interpreters: dict[str, Interpreter] = {}
        self._tokens: dict[str, tuple[str, str]] = {}  # clientToken -> (fingerprint, id)
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._next_create_failure: deque[str] = deque()
        self._next_delete_failure: deque[str] = deque()
        self._random = random.Random(seed)  # noqa: S311 - reproducible ids, not secrets
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)
        self._model: ServiceModel | None = None
        # IAM: who is calling (set by the CloudFormation driver per entry point) and what the
        # account holds that authorization depends on.
        self.authorizer = authorizer
        self.caller: Principal | None = None
        self.service_linked_roles: set[str] = set()
        # Secrets Manager: full secret ARN -> ARN of the KMS key that encrypts it (None: AWS's).
        self.secrets: dict[str, str | None] = {}
        # What AWS answers for a tag-scoped call on an interpreter that does not exist is not
        # documented: IAM has no tags to match, so AccessDeniedException is as likely as
        # ResourceNotFoundException. The handler must cope with both; tests pick one.
        self.missing_interpreter_denied = True

    # ------------------------------------------------------------------ wiring

    def attach(self, client: Any) -> None:
        """Answer every request of this client; check every request's parameters first."""
        self._model = client.meta.service_model
        events = client.meta.events
        # Last, so that botocore has filled the idempotency token before the check.
        events.register_last("before-parameter-build.bedrock-agentcore-control", self._check_params)
        events.register("before-send.bedrock-agentcore-control", self._answer)

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, operation: str, code: str, *, times: int = 1, message: str = "") -> None:
        assert operation in SUPPORTED_OPERATIONS, operation
        for _ in range(times):
            self._faults[operation].append(Fault(code, message or f"Injected {code}"))

    def throttle(self, operation: str, *, times: int = 1) -> None:
        self.fail_next(operation, "ThrottlingException", times=times, message="Rate exceeded")

    def reject_role_until_propagated(self, *, times: int) -> None:
        """The next `times` creates fail as they do while a new role propagates through IAM."""
        for _ in range(times):
            self._faults["CreateCodeInterpreter"].append(
                Fault(
                    "ValidationException",
                    ROLE_VALIDATION_MESSAGE,
                    {"reason": "FieldValidationFailed"},
                )
            )

    def fail_next_creation(self, reason: str) -> None:
        """The next interpreter created ends in CREATE_FAILED with this failureReason."""
        self._next_create_failure.append(reason)

    def fail_next_deletion(self, reason: str) -> None:
        """The next interpreter whose deletion finishes ends in DELETE_FAILED instead."""
        self._next_delete_failure.append(reason)

    def seed_interpreter(
        self, name: str, *, status: str = "READY", tags: Mapping[str, str] | None = None
    ) -> str:
        """An interpreter someone else made in the same account, outside the stack."""
        interpreter = self._new_interpreter(name, {"name": name}, dict(tags or {}), status=status)
        interpreter.seeded = True
        return interpreter.interpreter_id

    def delete_outside_cloudformation(self, interpreter_id: str) -> None:
        """Someone removed the interpreter by hand; the stack does not know."""
        del self._interpreters[interpreter_id]

    # ------------------------------------------------------------------ inspection

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def calls_to(self, operation: str) -> list[Call]:
        return [call for call in self.calls if call.operation == operation]

    def interpreter(self, interpreter_id: str) -> Interpreter:
        return self._interpreters[interpreter_id]

    def exists(self, interpreter_id: str) -> bool:
        return interpreter_id in self._interpreters

    def live_ids(self) -> set[str]:
        """Interpreters the stack made that exist and are not on their way out."""
        return {
            interpreter_id
            for interpreter_id, interpreter in self._interpreters.items()
            if not interpreter.seeded and interpreter.status != "DELETING"
        }

    # ------------------------------------------------------------------ model checks

    def _check_params(self, params: Mapping[str, Any], model: OperationModel, **_: Any) -> None:
        assert model.name in SUPPORTED_OPERATIONS, f"the handler called {model.name}"
        assert model.input_shape is not None
        check_against_shape(model.input_shape, params, model.name)

    # ------------------------------------------------------------------ HTTP

    def _answer(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse:
        assert self._model is not None
        operation = event_name.rsplit(".", 1)[-1]
        operation_model = self._model.operation_model(operation)
        params = self._read_wire_request(request, operation_model)
        fault = self._faults[operation].popleft() if self._faults[operation] else None
        try:
            # IAM first, as AWS does: an injected fault answers only a call IAM allows.
            self._authorize(operation, params)
            if fault is not None:
                raise ServiceError(fault.code, fault.message, fault.extra)
            status, body = getattr(self, f"_op_{operation}")(params)
        except ServiceError as error:
            self.calls.append(Call(operation, params, error.code))
            return self._error(request, error.code, error.message, error.extra)
        self.calls.append(Call(operation, params, "ok"))
        return self._reply(request, status, body)

    def _read_wire_request(
        self, request: AWSPreparedRequest, operation_model: OperationModel
    ) -> dict[str, Any]:
        """Decode the serialized HTTP request back into parameters, checking its shape."""
        url = urlsplit(request.url)
        assert url.scheme == "https", request.url
        assert url.hostname == ENDPOINT_HOST, f"unexpected endpoint {url.hostname}"
        authorization = request.headers.get("Authorization", b"")
        authorization = (
            authorization.decode() if isinstance(authorization, bytes) else authorization
        )
        assert authorization.startswith("AWS4-HMAC-SHA256 "), "request is not SigV4-signed"
        assert SIGNING_SCOPE in authorization, f"wrong signing scope: {authorization}"

        http = operation_model.http
        assert request.method == http["method"], (request.method, http)
        template = http["requestUri"].split("?")[0]
        labels = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", template)
        match = re.fullmatch(labels, url.path)
        assert match, f"{url.path} does not match {template}"
        params: dict[str, Any] = {name: unquote(value) for name, value in match.groupdict().items()}

        query = parse_qs(url.query, keep_blank_values=True)
        assert operation_model.input_shape is not None
        for name, member in operation_model.input_shape.members.items():
            location_name = member.serialization.get("name", name)
            if member.serialization.get("location") != "querystring" or location_name not in query:
                continue
            values = query[location_name]
            if member.type_name == "list":
                params[name] = values
            elif member.type_name == "integer":
                params[name] = int(values[0])
            else:
                params[name] = values[0]

        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert isinstance(body, bytes | bytearray), f"unexpected streamed body {body!r}"
        if body:
            decoded = json.loads(body)
            assert isinstance(decoded, dict), decoded
            params.update(decoded)
        return params

    def _reply(self, request: AWSPreparedRequest, status: int, body: Any) -> AWSResponse:
        payload = json.dumps(body).encode() if body is not None else b""
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
            "x-amzn-RequestId": self._request_id(),
        }
        return AWSResponse(request.url, status, cast(Any, headers), _RawBody(payload))

    def _error(
        self, request: AWSPreparedRequest, code: str, message: str, extra: Mapping[str, Any]
    ) -> AWSResponse:
        assert self._model is not None
        shape = self._model.shape_for(code)
        status = shape.metadata["error"]["httpStatusCode"]
        payload = json.dumps({"message": message, **extra}).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
            "x-amzn-RequestId": self._request_id(),
            # The service names the error in this header, qualified as Coral services do.
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazonaws.bedrockagentcore/",
        }
        return AWSResponse(request.url, status, cast(Any, headers), _RawBody(payload))

    def _request_id(self) -> str:
        return "".join(self._random.choices(string.hexdigits.lower(), k=32))

    # ------------------------------------------------------------------ IAM

    def iam_requests(self, operation: str, params: Mapping[str, Any]) -> list[IamRequest]:
        """The requests IAM authorizes for one call, per the Service Authorization Reference.

        CreateCodeInterpreter has no resource type (resource "*") and takes the request's tags
        and, in VPC mode, its subnets and security groups as condition keys; passing an
        execution role is iam:PassRole on it. Calls on one interpreter are authorized on its
        ARN with its tags as aws:ResourceTag; tagging calls add aws:RequestTag / aws:TagKeys.
        """
        action = f"bedrock-agentcore:{operation}"
        if operation == "CreateCodeInterpreter":
            return self._create_requests(action, params)
        if operation == "ListCodeInterpreters":
            return [IamRequest(action, "*")]
        if "resourceArn" in params:
            arn = params["resourceArn"]
            interpreter = self._find_by_arn(arn)
        else:
            arn = _custom_arn(params["codeInterpreterId"])
            interpreter = self._interpreters.get(params["codeInterpreterId"])
        context: dict[str, str | tuple[str, ...]] = {}
        if interpreter is not None:
            context.update(
                {f"aws:ResourceTag/{key}": value for key, value in interpreter.tags.items()}
            )
        if operation == "TagResource":
            context.update({f"aws:RequestTag/{k}": v for k, v in params["tags"].items()})
            context["aws:TagKeys"] = tuple(params["tags"])
        if operation == "UntagResource":
            context["aws:TagKeys"] = tuple(params["tagKeys"])
        return [IamRequest(action, arn, context)]

    def _create_requests(self, action: str, params: Mapping[str, Any]) -> list[IamRequest]:
        tags = params.get("tags", {})
        context: dict[str, str | tuple[str, ...]] = {
            f"aws:RequestTag/{key}": value for key, value in tags.items()
        }
        if tags:
            context["aws:TagKeys"] = tuple(tags)
        vpc = params["networkConfiguration"].get("vpcConfig")
        if vpc is not None:
            context["bedrock-agentcore:subnets"] = tuple(vpc["subnets"])
            context["bedrock-agentcore:securityGroups"] = tuple(vpc["securityGroups"])
        requests = [IamRequest(action, "*", context)]
        if "executionRoleArn" in params:
            requests.append(
                IamRequest(
                    "iam:PassRole",
                    params["executionRoleArn"],
                    {"iam:PassedToService": SERVICE_PRINCIPAL},
                )
            )
        if vpc is not None and NETWORK_SERVICE_LINKED_ROLE_NAME not in self.service_linked_roles:
            requests.append(
                IamRequest(
                    "iam:CreateServiceLinkedRole",
                    network_service_linked_role_arn(partition="aws", account=ACCOUNT_ID),
                    {"iam:AWSServiceName": NETWORK_SERVICE_NAME},
                )
            )
        return requests

    def _certificate_requests(self, secret_arn: str) -> list[IamRequest]:
        """Reading a certificate with the caller's credentials: the secret, and its key."""
        full_arn = self._secret_full_arn(secret_arn)
        requests = [IamRequest("secretsmanager:GetSecretValue", full_arn)]
        key_arn = self.secrets[full_arn]
        if key_arn is not None:
            requests.append(
                IamRequest(
                    "kms:Decrypt",
                    key_arn,
                    {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"},
                )
            )
        return requests

    def _secret_full_arn(self, secret_arn: str) -> str:
        matches = [
            arn for arn in self.secrets if arn == secret_arn or arn[: -len("-AbCdEf")] == secret_arn
        ]
        if len(matches) != 1:
            raise ServiceError(
                "ValidationException",
                f"Certificate secret {secret_arn} was not found in Secrets Manager",
                {"reason": "FieldValidationFailed"},
            )
        return matches[0]

    def _authorize(self, operation: str, params: Mapping[str, Any]) -> None:
        if self.authorizer is None:
            return
        assert self.caller is not None, "the test did not say who calls the control plane"
        requests = self.iam_requests(operation, params)
        subject = requests[0]
        missing = subject.resource != "*" and self._find_by_arn(subject.resource) is None
        if missing and not self.missing_interpreter_denied:
            return  # the operation itself answers ResourceNotFoundException
        denial = self.authorizer.first_denial(self.caller, requests)
        if denial is not None:
            raise ServiceError("AccessDeniedException", denial.access_denied_message())
        if operation == "CreateCodeInterpreter":
            vpc = params["networkConfiguration"].get("vpcConfig")
            if vpc is not None:
                self.service_linked_roles.add(NETWORK_SERVICE_LINKED_ROLE_NAME)
            for certificate in params.get("certificates", []):
                secret_arn = certificate["location"]["secretsManager"]["secretArn"]
                denial = self.authorizer.first_denial(
                    self.caller, self._certificate_requests(secret_arn)
                )
                if denial is not None:
                    raise ServiceError(
                        "ValidationException",
                        f"Could not read certificate {secret_arn} with the caller's credentials:"
                        f" {denial.access_denied_message()}",
                        {"reason": "FieldValidationFailed"},
                    )

    # ------------------------------------------------------------------ operations

    def _op_CreateCodeInterpreter(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        token = params.get("clientToken")
        config = {key: value for key, value in params.items() if key != "clientToken"}
        fingerprint = json.dumps(config, sort_keys=True)
        if token in self._tokens:
            previous_fingerprint, interpreter_id = self._tokens[token]
            if previous_fingerprint != fingerprint:
                raise ServiceError(
                    "ValidationException",
                    "The client token was already used with different parameters",
                    {"reason": "IdempotentParameterMismatchException"},
                )
            previous = self._interpreters.get(interpreter_id)
            status = previous.status if previous else "DELETED"
            return 202, self._create_response(interpreter_id, status)
        vpc = params["networkConfiguration"].get("vpcConfig", {})
        for member in AGENT_RUNTIME_ONLY_VPC_MEMBERS:
            if member in vpc:
                # The model's documentation: "This field applies only to Agent Runtimes. It is
                # not applicable to Browsers or Code Interpreters."
                raise ServiceError(
                    "ValidationException",
                    f"{member} is not supported for code interpreters",
                    {"reason": "FieldValidationFailed"},
                )
        self._check_filesystems(params)
        name = params["name"]
        if any(other.name == name for other in self._interpreters.values()):
            raise ServiceError(
                "ConflictException", f"A code interpreter named {name} already exists"
            )
        tags = dict(params.get("tags", {}))
        config.pop("tags", None)
        interpreter = self._new_interpreter(name, config, tags, status="CREATING")
        if self._next_create_failure:
            interpreter.fail_with = self._next_create_failure.popleft()
        if token is not None:
            self._tokens[token] = (fingerprint, interpreter.interpreter_id)
        return 202, self._create_response(interpreter.interpreter_id, interpreter.status)

    @staticmethod
    def _check_filesystems(params: Mapping[str, Any]) -> None:
        """What the model's documentation says of file systems, beyond the shapes: VPC mode
        only, at most 2 of each kind, each mount path once."""
        mounts = params.get("filesystemConfigurations", [])
        if not mounts:
            return
        problems = []
        if params["networkConfiguration"]["networkMode"] != "VPC":
            problems.append("file systems can only be mounted in VPC network mode")
        for kind in FILESYSTEM_KINDS.values():
            member, limit = kind.member, kind.max_mounts
            if sum(member in mount for mount in mounts) > limit:
                problems.append(f"at most {limit} {member} entries are allowed")
        paths = [next(iter(mount.values()))["mountPath"].rstrip("/") for mount in mounts]
        if len(set(paths)) != len(paths):
            problems.append("each mount path must be unique")
        if problems:
            raise ServiceError(
                "ValidationException", "; ".join(problems), {"reason": "FieldValidationFailed"}
            )

    def _op_GetCodeInterpreter(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        interpreter = self._require(params["codeInterpreterId"])
        self._advance(interpreter)
        if interpreter.status == GONE:
            del self._interpreters[interpreter.interpreter_id]
            raise _not_found(interpreter.interpreter_id)
        body: dict[str, Any] = {
            "codeInterpreterId": interpreter.interpreter_id,
            "codeInterpreterArn": interpreter.arn,
            "name": interpreter.name,
            "networkConfiguration": interpreter.config.get(
                "networkConfiguration", {"networkMode": "SANDBOX"}
            ),
            "status": interpreter.status,
            "createdAt": _timestamp(interpreter.created_at),
            "lastUpdatedAt": _timestamp(self._tick()),
        }
        for key in ("description", "executionRoleArn", "certificates", "filesystemConfigurations"):
            if key in interpreter.config:
                body[key] = interpreter.config[key]
        if interpreter.failure_reason is not None:
            body["failureReason"] = interpreter.failure_reason
        if interpreter.status == "DELETED":
            del self._interpreters[interpreter.interpreter_id]
        return 200, body

    def _op_DeleteCodeInterpreter(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        interpreter_id = params["codeInterpreterId"]
        assert interpreter_id != BUILT_IN_ID, "the handler tried to delete the built-in interpreter"
        interpreter = self._require(interpreter_id)
        # Deleting is idempotent: a repeated delete of a DELETING interpreter is accepted.
        if interpreter.status != "DELETING":
            interpreter.status = "DELETING"
            interpreter.polls_left = self.deleting_polls
            interpreter.failure_reason = None
            interpreter.fail_with = (
                self._next_delete_failure.popleft() if self._next_delete_failure else None
            )
        return 202, {
            "codeInterpreterId": interpreter_id,
            "status": "DELETING",
            "lastUpdatedAt": _timestamp(self._tick()),
        }

    def _op_ListCodeInterpreters(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        summaries = []
        if params.get("type") in (None, "SYSTEM"):
            summaries.append(
                {
                    "codeInterpreterId": BUILT_IN_ID,
                    "codeInterpreterArn": BUILT_IN_ARN,
                    "status": "READY",
                    "createdAt": _timestamp(self._clock),
                }
            )
        if params.get("type") in (None, "CUSTOM"):
            summaries.extend(
                {
                    "codeInterpreterId": interpreter.interpreter_id,
                    "codeInterpreterArn": interpreter.arn,
                    "name": interpreter.name,
                    "status": interpreter.status,
                    "createdAt": _timestamp(interpreter.created_at),
                }
                for interpreter in self._interpreters.values()
            )
        start = int(params.get("nextToken", "0"))
        size = min(params.get("maxResults", 10), self.max_page_size)
        body: dict[str, Any] = {"codeInterpreterSummaries": summaries[start : start + size]}
        if start + size < len(summaries):
            body["nextToken"] = str(start + size)
        return 200, body

    def _op_TagResource(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        interpreter = self._by_arn(params["resourceArn"])
        merged = {**interpreter.tags, **params["tags"]}
        self._check_tags(merged)
        interpreter.tags = merged
        return 204, None

    def _op_UntagResource(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        interpreter = self._by_arn(params["resourceArn"])
        for key in params.get("tagKeys", []):
            interpreter.tags.pop(key, None)
        return 204, None

    def _op_ListTagsForResource(self, params: dict[str, Any]) -> tuple[int, Any]:  # noqa: N802
        return 200, {"tags": dict(self._by_arn(params["resourceArn"]).tags)}

    # ------------------------------------------------------------------ state helpers

    def _new_interpreter(
        self, name: str, config: dict[str, Any], tags: dict[str, str], *, status: str
    ) -> Interpreter:
        self._check_tags(tags)
        suffix = "".join(self._random.choices(string.ascii_letters + string.digits, k=10))
        interpreter_id = f"{name}-{suffix}"
        interpreter = Interpreter(
            interpreter_id=interpreter_id,
            arn=_custom_arn(interpreter_id),
            name=name,
            config=config,
            status=status,
            tags=tags,
            polls_left=self.creating_polls,
            created_at=self._tick(),
        )
        self._interpreters[interpreter_id] = interpreter
        return interpreter

    def _advance(self, interpreter: Interpreter) -> None:
        """Move a transitional status on by one GetCodeInterpreter poll."""
        if interpreter.status not in ("CREATING", "DELETING"):
            return
        if interpreter.polls_left > 0:
            interpreter.polls_left -= 1
            return
        if interpreter.status == "CREATING":
            interpreter.status = "CREATE_FAILED" if interpreter.fail_with else "READY"
        elif interpreter.fail_with:
            interpreter.status = "DELETE_FAILED"
        else:
            interpreter.status = "DELETED" if self.report_deleted_status else GONE
        interpreter.failure_reason = interpreter.fail_with
        interpreter.fail_with = None

    def _require(self, interpreter_id: str) -> Interpreter:
        interpreter = self._interpreters.get(interpreter_id)
        if interpreter is None:
            raise _not_found(interpreter_id)
        return interpreter

    def _by_arn(self, arn: str) -> Interpreter:
        interpreter = self._find_by_arn(arn)
        if interpreter is None:
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} not found")
        return interpreter

    def _find_by_arn(self, arn: str) -> Interpreter | None:
        return next((i for i in self._interpreters.values() if i.arn == arn), None)

    @staticmethod
    def _check_tags(tags: Mapping[str, str]) -> None:
        if not TAGS.allows(len(tags)):
            raise ServiceError(
                "ValidationException",
                f"A resource can have at most {TAGS.max_items} tags, got {len(tags)}",
                {"reason": "FieldValidationFailed"},
            )
        if any(key.lower().startswith("aws:") for key in tags):
            raise ServiceError(
                "ValidationException",
                "Tag keys starting with aws: are reserved",
                {"reason": "FieldValidationFailed"},
            )

    def _create_response(self, interpreter_id: str, status: str) -> dict[str, Any]:
        interpreter = self._interpreters.get(interpreter_id)
        arn = interpreter.arn if interpreter else _custom_arn(interpreter_id)
        return {
            "codeInterpreterId": interpreter_id,
            "codeInterpreterArn": arn,
            "createdAt": _timestamp(interpreter.created_at if interpreter else self._clock),
            "status": status,
        }

    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock


class ServiceError(Exception):
    def __init__(self, code: str, message: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.extra = dict(extra or {})


def _not_found(interpreter_id: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Code interpreter {interpreter_id} was not found"
    )


def _custom_arn(interpreter_id: str) -> str:
    return custom_interpreter_arn(
        partition="aws", region=REGION, account=ACCOUNT_ID, interpreter_id=interpreter_id
    )


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_against_shape(shape: Shape, value: Any, path: str) -> None:
    """Fail loudly if `value` breaks the model's pattern, enum, min/max or required members.

    Patterns are matched in full: the model's patterns carry no anchors, and the service
    validates whole values.
    """
    reject = f"{path}={value!r} would be rejected by the service"
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(value, Mapping), f"{reject}: expected a structure"
        members = shape.members  # type: ignore[attr-defined]
        unknown = set(value) - set(members)
        assert not unknown, f"{path}: unknown members {sorted(unknown)}"
        missing = [name for name in shape.required_members if name not in value]
        assert not missing, f"{path}: missing required members {missing}"
        if meta.get("union"):
            assert len(value) == 1, f"{reject}: a union takes exactly one member"
        for name, item in value.items():
            check_against_shape(members[name], item, f"{path}.{name}")
    elif kind == "list":
        assert isinstance(value, list | tuple), f"{reject}: expected a list"
        _check_bounds(len(value), meta, f"{reject}: length")
        for index, item in enumerate(value):
            check_against_shape(shape.member, item, f"{path}[{index}]")  # type: ignore[attr-defined]
    elif kind == "map":
        assert isinstance(value, Mapping), f"{reject}: expected a map"
        _check_bounds(len(value), meta, f"{reject}: entries")
        for key, item in value.items():
            check_against_shape(shape.key, key, f"{path}.<key {key!r}>")  # type: ignore[attr-defined]
            check_against_shape(shape.value, item, f"{path}[{key!r}]")  # type: ignore[attr-defined]
    elif kind == "string":
        assert isinstance(value, str), f"{reject}: expected a string"
        _check_bounds(len(value), meta, f"{reject}: length")
        enum = meta.get("enum")
        assert not enum or value in enum, f"{reject}: not one of {enum}"
        pattern = meta.get("pattern")
        # As agentcore_api.model reads the model's patterns: ASCII classes, no line breaks.
        assert pattern is None or re.fullmatch(pattern, value, re.ASCII), (
            f"{reject}: does not match {pattern}"
        )
    elif kind in ("integer", "long"):
        assert isinstance(value, int), f"{reject}: expected an integer"
        assert not isinstance(value, bool), f"{reject}: expected an integer"
        _check_bounds(value, meta, f"{reject}: value")
    elif kind == "boolean":
        assert isinstance(value, bool), f"{reject}: expected a boolean"


def _check_bounds(size: int, meta: Mapping[str, Any], what: str) -> None:
    if "min" in meta:
        assert size >= meta["min"], f"{what} {size} < min {meta['min']}"
    if "max" in meta:
        assert size <= meta["max"], f"{what} {size} > max {meta['max']}"
