"""A fake bedrock-agentcore data plane behind real botocore.

The fake answers on the client's ``before-send`` event, so botocore still serialises every
request from the service model and parses every response itself, including the
``InvokeCodeInterpreter`` event stream, which is encoded here in AWS event-stream binary framing
(prelude, typed headers, CRCs) and decoded by botocore's own EventStream parser. Each request is
decoded back from the wire and validated against the model, including the enums, patterns and
maxima that botocore's client-side validation does not check.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
import shlex
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.model import OperationModel, Shape

INTERPRETER_ID = "codeinterpreter_dev_ab12cd34-AbCdEfGh12"
INTERPRETER_ARN = (
    f"arn:aws:bedrock-agentcore:us-east-1:123456789012:code-interpreter-custom/{INTERPRETER_ID}"
)
BUCKET = "agentcore-artifacts-dev-123456789012"
REGION = "us-east-1"
SSM_PREFIX = "/agentcore/dev/code-interpreter"
_STRING_HEADER = 7
_CHUNK = 11  # small on purpose: frames must be reassembled across reads


def publish_stack_parameters(ssm: Any, prefix: str = SSM_PREFIX, **overrides: str) -> None:
    """Write the SSM parameters the CDK stack publishes (into moto)."""
    values = {
        "id": INTERPRETER_ID,
        "arn": INTERPRETER_ARN,
        "artifact-bucket": BUCKET,
        "artifact-prefix": "output_artifacts/",
        "mounts": "[]",
        **overrides,
    }
    for suffix, value in values.items():
        ssm.put_parameter(Name=f"{prefix}/{suffix}", Value=value, Type="String")


# -- AWS event-stream framing ----------------------------------------------------------------


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude, prelude CRC, headers, payload, message CRC."""
    encoded_headers = b""
    for name, value in headers.items():
        name_bytes, value_bytes = name.encode(), value.encode()
        encoded_headers += struct.pack("!B", len(name_bytes)) + name_bytes
        encoded_headers += struct.pack("!BH", _STRING_HEADER, len(value_bytes)) + value_bytes
    total_length = 4 + 4 + 4 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack("!II", total_length, len(encoded_headers))
    prelude_crc = struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + prelude_crc + encoded_headers + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)


def result_frame(result: dict[str, Any]) -> bytes:
    """A ``result`` event carrying a CodeInterpreterResult as JSON."""
    return encode_message(
        {
            ":message-type": "event",
            ":event-type": "result",
            ":content-type": "application/json",
        },
        json.dumps(_json_ready(result)).encode(),
    )


def exception_frame(member: str, message: str) -> bytes:
    """An exception event such as ``resourceNotFoundException`` inside the stream."""
    return encode_message(
        {
            ":message-type": "exception",
            ":exception-type": member,
            ":content-type": "application/json",
        },
        json.dumps({"message": message}).encode(),
    )


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


class RawBody:
    """The ``raw`` of an AWSResponse: botocore reads it through ``stream()``."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.closed = False

    def stream(self, **_: Any) -> Iterator[bytes]:
        for start in range(0, len(self._data), _CHUNK):
            yield self._data[start : start + _CHUNK]

    def read(self, amt: int | None = None) -> bytes:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        self.closed = True


# -- model validation --------------------------------------------------------------------------


class ModelViolationError(AssertionError):
    """A request that the real service would reject as not matching its model."""


def decode_request(operation: OperationModel, request: AWSPreparedRequest) -> dict[str, Any]:
    """Rebuild the operation's input parameters from the HTTP request botocore produced."""
    url = urlsplit(request.url)
    template = operation.http["requestUri"].split("?")[0]
    path_pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    path_match = re.fullmatch(path_pattern, url.path)
    if path_match is None:
        raise ModelViolationError(f"{operation.name}: path {url.path} does not match {template}")
    if request.method != operation.http["method"]:
        raise ModelViolationError(f"{operation.name}: method {request.method}")
    query = parse_qs(url.query)
    raw_body = request.body or b"{}"
    body = json.loads(raw_body if isinstance(raw_body, (bytes, str)) else raw_body.read())
    params: dict[str, Any] = {}
    input_shape = operation.input_shape
    body_members = set()
    for name, member in input_shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            params[name] = unquote(path_match[wire_name])
        elif location == "header":
            if wire_name in request.headers:
                value = request.headers[wire_name]
                params[name] = value.decode() if isinstance(value, bytes) else value
        elif location == "querystring":
            if wire_name in query:
                params[name] = query[wire_name][0]
        else:
            body_members.add(wire_name)
            if wire_name in body:
                params[name] = body[wire_name]
    unknown = set(body) - body_members
    if unknown:
        raise ModelViolationError(f"{operation.name}: unknown body members {sorted(unknown)}")
    validate_shape(input_shape, params, operation.name)
    return params


def validate_shape(shape: Shape, value: Any, path: str) -> None:
    """Check ``value`` against ``shape`` the way the service does (enums, patterns, ranges)."""
    validators: dict[str, Callable[[Shape, Any, str], None]] = {
        "structure": _validate_structure,
        "list": _validate_list,
        "string": _validate_string,
        "integer": _validate_integer,
        "long": _validate_integer,
        "boolean": _validate_boolean,
        "blob": _validate_blob,
    }
    validators[shape.type_name](shape, value, path)


def _validate_structure(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ModelViolationError(f"{path}: expected an object")
    for required in shape.required_members:
        if required not in value:
            raise ModelViolationError(f"{path}.{required}: required")
    for name, item in value.items():
        if name not in shape.members:
            raise ModelViolationError(f"{path}.{name}: not in the model")
        validate_shape(shape.members[name], item, f"{path}.{name}")


def _validate_list(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise ModelViolationError(f"{path}: expected a list")
    _check_range(shape, len(value), path)
    for index, item in enumerate(value):
        validate_shape(shape.member, item, f"{path}[{index}]")


def _validate_string(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise ModelViolationError(f"{path}: expected a string")
    if shape.enum and value not in shape.enum:
        raise ModelViolationError(f"{path}: {value!r} not in {shape.enum}")
    pattern = shape.metadata.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        raise ModelViolationError(f"{path}: {value!r} does not match {pattern}")
    _check_range(shape, len(value), path)


def _validate_integer(shape: Shape, value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelViolationError(f"{path}: expected an integer")
    _check_range(shape, value, path)


def _validate_boolean(_shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise ModelViolationError(f"{path}: expected a boolean")


def _validate_blob(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise ModelViolationError(f"{path}: expected base64 text")
    _check_range(shape, len(base64.b64decode(value, validate=True)), path)


def _check_range(shape: Shape, size: int, path: str) -> None:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and size < minimum:
        raise ModelViolationError(f"{path}: {size} is below the minimum {minimum}")
    if maximum is not None and size > maximum:
        raise ModelViolationError(f"{path}: {size} is above the maximum {maximum}")


# -- the fake service ----------------------------------------------------------------------------


@dataclass
class SandboxRun:
    """What a scripted executeCode/executeCommand produces."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    is_error: bool = False
    images: list[bytes] = field(default_factory=list)


@dataclass
class ServiceError:
    """An HTTP error answer, e.g. ResourceNotFoundException with status 404."""

    code: str
    status: int
    message: str


@dataclass
class FakeTask:
    """A startCommandExecution task: "working" for ``polls_left`` getTask calls, then done."""

    command: str
    run: SandboxRun
    polls_left: int
    status: str = "working"


@dataclass
class FakeSession:
    session_id: str
    name: str
    timeout: int
    status: str = "READY"
    created_at: float = field(default_factory=time.time)
    files: dict[str, str | bytes] = field(default_factory=dict)
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    start_params: dict[str, Any] = field(default_factory=dict)
    # Mount path -> "read-write" or "read-only", as the sandbox's mounts came up.
    mounts: dict[str, str] = field(default_factory=dict)


class MountFailedError(Exception):
    """A file system of the interpreter could not be mounted into a new session."""


@dataclass
class RecordedRequest:
    operation: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str


InvokeScript = list[dict[str, Any]] | list[bytes] | ServiceError


class FakeCodeInterpreterService:
    """Sessions, a per-session sandbox file system and scripted code results."""

    def __init__(self, interpreter_id: str = INTERPRETER_ID) -> None:
        self.interpreter_id = interpreter_id
        self.sessions: dict[str, FakeSession] = {}
        self.requests: list[RecordedRequest] = []
        self.code_handler: Callable[[str], SandboxRun] = lambda _code: SandboxRun()
        self.command_handler: Callable[[str], SandboxRun] = lambda _command: SandboxRun()
        # How an invoke on a terminated session fails: "not_found" (HTTP 404),
        # "validation" (400 naming the terminated session), "opaque_validation" (400 without
        # saying why, so only GetCodeInterpreterSession tells), or "stream" (exception event).
        self.expired_session_error = "not_found"
        self.scripted_invokes: deque[InvokeScript] = deque()
        self.s3_client: Any = None
        self.drop_uploads = False
        # Called with each new session: mounts the interpreter's file systems (or raises
        # MountFailedError to fail the start, as a mount the service cannot make would).
        self.mount_file_systems: Callable[[FakeSession], None] | None = None
        self.stop_error: ServiceError | None = None
        # The service may return fewer items than maxResults; a limit forces small pages.
        self.list_page_limit: int | None = None
        # Errors answered (once each, in order) before an operation is handled normally, e.g.
        # a throttled StartCodeInterpreterSession that a retry then gets through.
        self.transient_errors: dict[str, deque[ServiceError]] = {}
        # How many InvokeCodeInterpreter requests time out on the client's side (botocore's
        # ReadTimeoutError, raised where the HTTP response would be read).
        self.invoke_read_timeouts = 0
        self.task_handler: Callable[[str], SandboxRun] = lambda _command: SandboxRun()
        self.task_polls_until_done = 1
        self._counter = 0
        self._task_counter = 0
        self._service_model: Any = None

    # -- test helpers ---------------------------------------------------------------------------

    def attach(self, client: Any) -> Any:
        self._service_model = client.meta.service_model
        client.meta.events.register_first("before-send.bedrock-agentcore", self._handle)
        return client

    def add_session(self, *, name: str = "someone-else", status: str = "READY") -> str:
        session = self._new_session(name, 900)
        session.status = status
        return session.session_id

    def fail_next(self, operation: str, *errors: ServiceError) -> None:
        self.transient_errors.setdefault(operation, deque()).extend(errors)

    def expire(self, session_id: str) -> None:
        self.sessions[session_id].status = "TERMINATED"

    def calls(self, operation: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.operation == operation]

    def invokes(self, tool_name: str | None = None) -> list[RecordedRequest]:
        return [
            request
            for request in self.calls("InvokeCodeInterpreter")
            if tool_name is None or request.params["name"] == tool_name
        ]

    # -- dispatch -------------------------------------------------------------------------------

    def _handle(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse:
        operation_name = event_name.rsplit(".", 1)[-1]
        operation = self._service_model.operation_model(operation_name)
        params = decode_request(operation, request)
        self.requests.append(
            RecordedRequest(
                operation_name,
                params,
                {
                    key: value.decode() if isinstance(value, bytes) else str(value)
                    for key, value in request.headers.items()
                    if key.lower() != "authorization"
                },
                urlsplit(request.url).path,
            )
        )
        if params.get("codeInterpreterIdentifier") != self.interpreter_id:
            return _error(
                request, ServiceError("ResourceNotFoundException", 404, "No such interpreter")
            )
        pending = self.transient_errors.get(operation_name)
        if pending:
            return _error(request, pending.popleft())
        if operation_name == "InvokeCodeInterpreter" and self.invoke_read_timeouts > 0:
            self.invoke_read_timeouts -= 1
            # botocore treats an exception from before-send like one from the HTTP layer: its
            # retry handler sees the same ReadTimeoutError a slow response would produce.
            raise ReadTimeoutError(endpoint_url=request.url)
        handlers = {
            "StartCodeInterpreterSession": self._start_session,
            "ListCodeInterpreterSessions": self._list_sessions,
            "GetCodeInterpreterSession": self._get_session,
            "StopCodeInterpreterSession": self._stop_session,
            "InvokeCodeInterpreter": self._invoke,
        }
        return handlers[operation_name](request, params)

    def _new_session(self, name: str, timeout: int) -> FakeSession:
        self._counter += 1
        session = FakeSession(f"01JSESSION{self._counter:016d}", name, timeout)
        session.created_at += self._counter  # later sessions are newer
        self.sessions[session.session_id] = session
        return session

    def _start_session(self, request: AWSPreparedRequest, params: dict[str, Any]) -> AWSResponse:
        session = self._new_session(
            params.get("name", ""), params.get("sessionTimeoutSeconds", 900)
        )
        session.start_params = params
        if self.mount_file_systems is not None:
            try:
                self.mount_file_systems(session)
            except MountFailedError as failure:
                session.status = "TERMINATED"
                return _error(request, ServiceError("ValidationException", 400, str(failure)))
        return _json(
            request,
            {
                "codeInterpreterIdentifier": self.interpreter_id,
                "sessionId": session.session_id,
                "createdAt": session.created_at,
            },
        )

    def _list_sessions(self, request: AWSPreparedRequest, params: dict[str, Any]) -> AWSResponse:
        wanted = params.get("status")
        start = int(params.get("nextToken", "0"))
        items = [
            {
                "codeInterpreterIdentifier": self.interpreter_id,
                "sessionId": session.session_id,
                "name": session.name,
                "status": session.status,
                "createdAt": session.created_at,
                "lastUpdatedAt": session.created_at,
            }
            for session in self.sessions.values()
            if wanted is None or session.status == wanted
        ]
        page_size = min(params.get("maxResults", 10), self.list_page_limit or 100)
        body: dict[str, Any] = {"items": items[start : start + page_size]}
        if start + page_size < len(items):
            body["nextToken"] = str(start + page_size)
        return _json(request, body)

    def _get_session(self, request: AWSPreparedRequest, params: dict[str, Any]) -> AWSResponse:
        session = self.sessions.get(params["sessionId"])
        if session is None:
            return _error(
                request, ServiceError("ResourceNotFoundException", 404, "No such session")
            )
        return _json(
            request,
            {
                "codeInterpreterIdentifier": self.interpreter_id,
                "sessionId": session.session_id,
                "name": session.name,
                "createdAt": session.created_at,
                "sessionTimeoutSeconds": session.timeout,
                "status": session.status,
            },
        )

    def _stop_session(self, request: AWSPreparedRequest, params: dict[str, Any]) -> AWSResponse:
        if self.stop_error is not None:
            return _error(request, self.stop_error)
        session = self.sessions.get(params["sessionId"])
        if session is None or session.status == "TERMINATED":
            return _error(
                request, ServiceError("ResourceNotFoundException", 404, "No such session")
            )
        session.status = "TERMINATED"
        return _json(
            request,
            {
                "codeInterpreterIdentifier": self.interpreter_id,
                "sessionId": session.session_id,
                "lastUpdatedAt": time.time(),
            },
        )

    def _invoke(self, request: AWSPreparedRequest, params: dict[str, Any]) -> AWSResponse:
        session = self.sessions.get(params.get("sessionId", ""))
        if session is None or session.status != "READY":
            return self._expired(request, params.get("sessionId", ""))
        if self.scripted_invokes:
            script = self.scripted_invokes.popleft()
            if isinstance(script, ServiceError):
                return _error(request, script)
            frames = [item if isinstance(item, bytes) else result_frame(item) for item in script]
            return _stream(request, session.session_id, frames)
        tool = params["name"]
        arguments = params.get("arguments", {})
        tools = {
            "executeCode": self._execute_code,
            "executeCommand": self._execute_command,
            "writeFiles": self._write_files,
            "readFiles": self._read_files,
            "listFiles": self._list_files,
            "removeFiles": self._remove_files,
            "startCommandExecution": self._start_task,
            "getTask": self._get_task,
            "stopTask": self._stop_task,
        }
        results = tools[tool](session, arguments)
        return _stream(request, session.session_id, [result_frame(result) for result in results])

    def _expired(self, request: AWSPreparedRequest, session_id: str) -> AWSResponse:
        style = self.expired_session_error
        if style == "validation":
            return _error(
                request,
                ServiceError("ValidationException", 400, f"Session {session_id} is terminated"),
            )
        if style == "opaque_validation":
            return _error(request, ServiceError("ValidationException", 400, "Invalid request"))
        if style == "stream":
            frame = exception_frame("resourceNotFoundException", f"Session {session_id} not found")
            return _stream(request, session_id, [frame])
        return _error(
            request,
            ServiceError("ResourceNotFoundException", 404, f"Session {session_id} not found"),
        )

    # -- sandbox tools --------------------------------------------------------------------------

    def _execute_code(
        self, _session: FakeSession, arguments: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [_run_result(self.code_handler(arguments["code"]))]

    def _execute_command(
        self, session: FakeSession, arguments: dict[str, Any]
    ) -> list[dict[str, Any]]:
        command = arguments["command"]
        words = shlex.split(command)
        if words[:3] == ["aws", "s3", "cp"]:
            return [_run_result(self._copy_to_s3(session, words[3], words[4]))]
        return [_run_result(self.command_handler(command))]

    def _copy_to_s3(self, session: FakeSession, source: str, destination: str) -> SandboxRun:
        source = source.removeprefix("./")
        if source not in session.files:
            return SandboxRun(
                stderr=f"The user-provided path {source} does not exist.\n", exit_code=1
            )
        bucket, _, key = destination.removeprefix("s3://").partition("/")
        if self.s3_client is not None and not self.drop_uploads:
            data = session.files[source]
            self.s3_client.put_object(
                Bucket=bucket, Key=key, Body=data if isinstance(data, bytes) else data.encode()
            )
        return SandboxRun()

    def _write_files(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        for block in arguments["content"]:
            if "blob" in block:
                session.files[block["path"]] = base64.b64decode(block["blob"])
            else:
                session.files[block["path"]] = block.get("text", "")
        count = len(arguments["content"])
        return [
            {
                "content": [{"type": "text", "text": f"Successfully wrote all {count} files"}],
                "isError": False,
            }
        ]

    def _read_files(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        blocks = []
        for path in arguments["paths"]:
            if path not in session.files:
                return [
                    {
                        "content": [{"type": "text", "text": f"File not found: {path}"}],
                        "isError": True,
                    }
                ]
            data = session.files[path]
            resource: dict[str, Any] = {
                "type": "text",
                "uri": f"file:///{path}",
                "mimeType": "text/plain",
            }
            if isinstance(data, bytes):
                resource.update(type="blob", blob=data, mimeType="application/octet-stream")
            else:
                resource["text"] = data
            blocks.append({"type": "resource", "resource": resource})
        return [{"content": blocks, "isError": False}]

    def _list_files(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        requested = arguments.get("directoryPath", arguments.get("path", ""))
        directory = posixpath.normpath(requested or ".").strip("/")
        directory = "" if directory == "." else directory
        prefix = f"{directory}/" if directory else ""
        blocks = [
            {
                "type": "resource_link",
                "uri": f"file:///{path}",
                "name": path.removeprefix(prefix),
                "description": "File",
                "size": len(data),
            }
            for path, data in session.files.items()
            if path.startswith(prefix)
        ]
        return [{"content": blocks, "isError": False}]

    def _start_task(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        self._task_counter += 1
        task_id = f"task-{self._task_counter:04d}"
        command = arguments["command"]
        task = FakeTask(command, self.task_handler(command), self.task_polls_until_done)
        session.tasks[task_id] = task
        return [_task_result(task_id, FakeTask(command, task.run, 0, status="submitted"))]

    def _get_task(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        task = session.tasks.get(arguments.get("taskId", ""))
        if task is None:
            return [_unknown_task(arguments.get("taskId", ""))]
        if task.status == "working":
            if task.polls_left > 0:
                task.polls_left -= 1
            else:
                task.status = "failed" if task.run.exit_code else "completed"
        return [_task_result(arguments["taskId"], task)]

    def _stop_task(self, session: FakeSession, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        task = session.tasks.get(arguments.get("taskId", ""))
        if task is None:
            return [_unknown_task(arguments.get("taskId", ""))]
        if task.status == "working":
            task.status = "canceled"
        return [_task_result(arguments["taskId"], task)]

    def _remove_files(
        self, session: FakeSession, arguments: dict[str, Any]
    ) -> list[dict[str, Any]]:
        for path in arguments["paths"]:
            session.files.pop(path, None)
        return [{"content": [{"type": "text", "text": "removed"}], "isError": False}]


def _task_result(task_id: str, task: FakeTask) -> dict[str, Any]:
    structured: dict[str, Any] = {"taskId": task_id, "taskStatus": task.status}
    if task.status == "completed":
        structured.update(
            stdout=task.run.stdout, stderr=task.run.stderr, exitCode=task.run.exit_code
        )
    return {
        "content": [{"type": "text", "text": f"Task {task_id}: {task.status}"}],
        "structuredContent": structured,
        "isError": False,
    }


def _run_result(run: SandboxRun) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if run.stdout:
        content.append({"type": "text", "text": run.stdout})
    content.extend(
        {"type": "image", "data": image, "mimeType": "image/png"} for image in run.images
    )
    return {
        "content": content,
        "structuredContent": {
            "stdout": run.stdout,
            "stderr": run.stderr,
            "exitCode": run.exit_code,
            "executionTime": 12.5,
        },
        "isError": run.is_error,
    }


def _unknown_task(task_id: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": f"Task {task_id} not found"}], "isError": True}


def _json(request: AWSPreparedRequest, body: dict[str, Any]) -> AWSResponse:
    return AWSResponse(
        request.url,
        200,
        {"content-type": "application/json", "x-amzn-requestid": "fake-request"},
        RawBody(json.dumps(body).encode()),
    )


def _error(request: AWSPreparedRequest, error: ServiceError) -> AWSResponse:
    body: dict[str, Any] = {"message": error.message}
    if error.code == "ValidationException":
        body["reason"] = "FieldValidationFailed"
    return AWSResponse(
        request.url,
        error.status,
        {"content-type": "application/json", "x-amzn-errortype": error.code},
        RawBody(json.dumps(body).encode()),
    )


def _stream(request: AWSPreparedRequest, session_id: str, frames: list[bytes]) -> AWSResponse:
    return AWSResponse(
        request.url,
        200,
        {
            "content-type": "application/vnd.amazon.eventstream",
            "x-amzn-code-interpreter-session-id": session_id,
            "x-amzn-requestid": "fake-request",
        },
        RawBody(b"".join(frames)),
    )


def script_smoke_check(fake_service: FakeCodeInterpreterService) -> FakeCodeInterpreterService:
    """Answer agent.smoke's snippet and command as a sandbox would, writing the file the
    snippet writes (the fake runs no Python)."""

    def run_code(code: str) -> SandboxRun:
        path = re.search(r"with open\('([^']+)'", code)
        payload = re.search(r'payload = "(.*)\\n"', code)
        if path is None or payload is None or "6 * 7" not in code:
            return SandboxRun(stderr="unexpected code\n", exit_code=1, is_error=True)
        content = payload.group(1) + "\n"
        for session in fake_service.sessions.values():
            if session.status == "READY":
                session.files[path.group(1)] = content
        return SandboxRun(stdout=f"agentcore-smoke-python 42 {len(content.encode())}\n")

    fake_service.code_handler = run_code
    fake_service.command_handler = lambda _command: SandboxRun(
        stdout="agentcore-smoke-command\nLinux\n"
    )
    return fake_service
