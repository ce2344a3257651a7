"""The server side of the Model Context Protocol's stdio transport, for a server of tools.

Messages are JSON-RPC 2.0 objects, one per line, UTF-8, read from stdin and written to stdout.
The lifecycle is the ``initialize`` handshake (revisions 2024-11-05 to 2025-11-25); then
``ping``, ``tools/list`` and ``tools/call``. This is a module of its own, not the ``mcp`` SDK's
server, because importing the SDK takes about a second on a 2-core machine (it builds pydantic
models for every protocol revision), which an MCP host waits for before its first message is
answered. The tests drive this server with the SDK's own client.

Tool calls run one at a time, in the order they came, in a worker thread (the sandbox session
takes one call at a time anyway), so ``ping`` is answered while the sandbox works. A call the
client cancels before it starts never runs; one cancelled while it runs is not answered (the
work itself cannot be interrupted).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

logger = logging.getLogger(__name__)

# Revisions negotiated by the initialize handshake, oldest first. The 2026-07-28 revision drops
# the handshake for a per-request envelope that clients probe with ``server/discover``; that
# probe is answered "method not found", on which clients fall back to ``initialize``.
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
# Tool results carry ``structuredContent`` from this revision on, tools ``annotations`` from
# the one before; JSON-RPC batches exist in 2025-03-26 only.
STRUCTURED_CONTENT_SINCE = "2025-06-18"
ANNOTATIONS_SINCE = "2025-03-26"
BATCH_VERSIONS = ("2025-03-26",)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

RequestId = str | int
# A tool's arguments, checked: every parameter, with its default (or None) when left out.
Arguments = Mapping[str, str | None]
ToolRunner = Callable[[Arguments], "ToolResult"]


class ProtocolError(Exception):
    """A request the server answers with a JSON-RPC error instead of a result."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """A string argument of a tool (every tool here takes strings)."""

    name: str
    description: str
    required: bool = True
    # The value the tool uses when the argument is left out; advertised in the input schema.
    default: str | None = None

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "description": self.description}
        if self.default is not None:
            schema["default"] = self.default
        return schema


@dataclass(frozen=True, kw_only=True)
class ToolResult:
    """The result of one tool call: content blocks for the model, structured data for code."""

    content: tuple[dict[str, Any], ...]
    structured_content: Mapping[str, Any] | None = None
    is_error: bool = False

    def to_json(self, protocol_version: str) -> dict[str, Any]:
        result: dict[str, Any] = {"content": list(self.content), "isError": self.is_error}
        if self.structured_content is not None and _at_least(
            protocol_version, STRUCTURED_CONTENT_SINCE
        ):
            result["structuredContent"] = dict(self.structured_content)
        return result


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def image_block(base64_data: str, mime_type: str) -> dict[str, Any]:
    return {"type": "image", "data": base64_data, "mimeType": mime_type}


def error_result(message: str, structured_content: Mapping[str, Any] | None = None) -> ToolResult:
    return ToolResult(
        content=(text_block(message),), structured_content=structured_content, is_error=True
    )


@dataclass(frozen=True, kw_only=True)
class Tool:
    """A tool: its name and description for the model, its arguments and what runs it.

    ``run`` blocks (it runs in a worker thread) and receives every parameter, with the default
    (or ``None``) for those left out.
    """

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    run: ToolRunner
    read_only: bool = False

    def describe(self, protocol_version: str) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {parameter.name: parameter.schema() for parameter in self.parameters},
        }
        required = [parameter.name for parameter in self.parameters if parameter.required]
        if required:
            schema["required"] = required
        described = {"name": self.name, "description": self.description, "inputSchema": schema}
        if _at_least(protocol_version, ANNOTATIONS_SINCE):
            described["annotations"] = {"readOnlyHint": self.read_only}
        return described

    def arguments_from(self, arguments: Mapping[str, Any]) -> dict[str, str | None]:
        """The call's arguments, checked against the parameters; ValueError says what is wrong.

        The message is written for the model that made the call, so it can correct itself.
        """
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(arguments) - set(known))
        if unknown:
            raise ValueError(
                f"{self.name} has no argument {', '.join(map(repr, unknown))}; its arguments"
                f" are {', '.join(map(repr, known))}"
            )
        checked: dict[str, str | None] = {}
        for parameter in self.parameters:
            value = arguments.get(parameter.name)
            if value is None and parameter.required:
                raise ValueError(
                    f"{self.name} needs the argument {parameter.name!r}: {parameter.description}"
                )
            if value is not None and not isinstance(value, str):
                raise ValueError(
                    f"{self.name}'s argument {parameter.name!r} must be a string, not"
                    f" {type(value).__name__} {value!r}: {parameter.description}"
                )
            checked[parameter.name] = parameter.default if value is None else value
        return checked


class ToolSet:
    """Tools collected by the ``tool`` decorator, in the order they are defined."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []

    def tool(
        self, description: str, *parameters: Parameter, read_only: bool = False
    ) -> Callable[[ToolRunner], ToolRunner]:
        """Adds the decorated function as a tool named after it."""

        def add(run: ToolRunner) -> ToolRunner:
            name = getattr(run, "__name__", "")
            self.tools.append(
                Tool(
                    name=name,
                    description=description,
                    parameters=parameters,
                    run=run,
                    read_only=read_only,
                )
            )
            return run

        return add


class StdioServer:
    """An MCP server of tools on a pair of byte streams (stdin and stdout, or pipes in tests)."""

    def __init__(
        self, *, name: str, version: str, instructions: str, tools: Sequence[Tool]
    ) -> None:
        self.name = name
        self.version = version
        self.instructions = instructions
        self.tools = {tool.name: tool for tool in tools}
        self.protocol_version: str | None = None
        self._writer: BinaryIO | None = None
        # Set at the end of input: nothing is written or run after it.
        self._closed = False
        self._write_lock = threading.Lock()
        # Tool calls (and batches) wait here and run one at a time, in the order they came.
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._calls_lock = threading.Lock()
        self._pending_calls: set[RequestId] = set()
        self._cancelled_calls: set[RequestId] = set()
        self._methods: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "initialize": self._initialize,
            "ping": lambda params: {},
            "tools/list": self._list_tools,
            "tools/call": self._call_tool,
        }

    def serve(self, reader: BinaryIO, writer: BinaryIO) -> None:
        """Answer the messages read from ``reader`` on ``writer`` until ``reader`` ends.

        At the end of input the client has gone (or is shutting the server down): calls still
        queued are dropped, and a call still running is neither waited for nor answered.
        """
        self._writer = writer
        worker = threading.Thread(target=self._work, name="mcp-tool-calls", daemon=True)
        worker.start()
        try:
            for line in reader:
                if line.strip():
                    self._receive(line)
        finally:
            # Not under the write lock: a worker may hold it, blocked writing to a host that
            # no longer reads, and the end of input must not wait for that.
            self._closed = True
            self._queue.put(None)

    def respond(self, message: Any, *, in_batch: bool = False) -> dict[str, Any] | None:
        """The response to one message (``None`` for notifications); a tool call runs inline."""
        problem = _envelope_problem(message)
        if problem is not None:
            return _invalid_request(message, problem)
        method = message.get("method")
        if not isinstance(method, str):
            return None  # a response; this server sends no requests, so nothing awaits it
        params = message.get("params")
        if "id" not in message:
            self._notified(method, params if isinstance(params, dict) else {})
            return None
        request_id = message["id"]
        try:
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise ProtocolError(INVALID_PARAMS, f"Invalid params for {method}: not an object")
            if in_batch and method == "initialize":
                raise ProtocolError(INVALID_REQUEST, "initialize must not be part of a batch")
            return {"jsonrpc": "2.0", "id": request_id, "result": self._dispatch(method, params)}
        except ProtocolError as error:
            return _error_response(request_id, error.code, error.message)

    def _dispatch(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        handler = self._methods.get(method)
        if handler is None:
            raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {method}")
        if self.protocol_version is None and method not in {"initialize", "ping"}:
            raise ProtocolError(
                INVALID_REQUEST, f"{method} before initialize: send initialize first"
            )
        return handler(params)

    def _initialize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self.protocol_version is not None:
            raise ProtocolError(INVALID_REQUEST, "initialize was already done on this connection")
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise ProtocolError(INVALID_PARAMS, "initialize needs protocolVersion (a string)")
        # The client's revision if this server speaks it, else the newest this server speaks
        # (the client then decides whether it can go on).
        self.protocol_version = (
            requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[-1]
        )
        logger.debug("initialize from %s: protocol %s", params.get("clientInfo"), requested)
        return {
            "protocolVersion": self.protocol_version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": self.name, "version": self.version},
            "instructions": self.instructions,
        }

    def _list_tools(self, params: Mapping[str, Any]) -> dict[str, Any]:
        # One page holds every tool, so a cursor is never handed out nor needed.
        return {"tools": [tool.describe(self._negotiated()) for tool in self.tools.values()]}

    def _call_tool(self, params: Mapping[str, Any]) -> dict[str, Any]:
        name = params.get("name")
        tool = self.tools.get(name) if isinstance(name, str) else None
        if tool is None:
            raise ProtocolError(
                INVALID_PARAMS, f"Unknown tool: {name!r}; the tools are {', '.join(self.tools)}"
            )
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ProtocolError(INVALID_PARAMS, f"Invalid arguments for {name}: not an object")
        try:
            checked = tool.arguments_from(arguments)
        except ValueError as problem:
            # An error result, not a JSON-RPC error, so the model sees it and can correct itself.
            return error_result(f"Invalid arguments: {problem}").to_json(self._negotiated())
        try:
            result = tool.run(checked)
        except Exception as error:
            # Expected failures are error results already; this is a bug, reported to both.
            logger.exception("tool %s failed", name)
            result = error_result(f"Internal error in {name}: {type(error).__name__}: {error}")
        return result.to_json(self._negotiated())

    def _negotiated(self) -> str:
        return self.protocol_version or PROTOCOL_VERSIONS[-1]

    def _notified(self, method: str, params: Mapping[str, Any]) -> None:
        if method == "notifications/cancelled":
            request_id = params.get("requestId")
            with self._calls_lock:
                if _is_request_id(request_id) and request_id in self._pending_calls:
                    self._cancelled_calls.add(request_id)
        # notifications/initialized and any other notification need nothing from this server.

    def _receive(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError as error:  # bad JSON or bad UTF-8
            self._send(_error_response(None, PARSE_ERROR, f"Parse error: {error}"))
            return
        try:
            if isinstance(message, list):
                self._receive_batch(message)
            elif _is_tool_call(message):
                request_id = message["id"]
                with self._calls_lock:
                    self._pending_calls.add(request_id)
                self._queue.put(lambda: self._run_call(request_id, message))
            else:
                self._send(self.respond(message))
        except Exception:
            # A message this server cannot take must not end the connection for the others.
            logger.exception("could not handle a message")
            self._send(_error_response(_id_of(message), INTERNAL_ERROR, "Internal error"))

    def _receive_batch(self, messages: list[Any]) -> None:
        if self.protocol_version not in BATCH_VERSIONS:
            revision = self.protocol_version or "none agreed yet (send initialize first)"
            self._send(
                _error_response(
                    None,
                    INVALID_REQUEST,
                    f"Invalid request: batches are part of revision {BATCH_VERSIONS[0]} only;"
                    f" this connection's is {revision}",
                )
            )
        elif not messages:
            self._send(_error_response(None, INVALID_REQUEST, "Invalid request: empty batch"))
        else:
            self._queue.put(lambda: self._run_batch(messages))

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._closed:
                continue  # the client has gone: what it asked for is no longer run
            try:
                job()
            except Exception:
                # The worker must outlive one failed job, or every later call goes unanswered.
                logger.exception("a tool call could not be completed")

    def _run_call(self, request_id: RequestId, message: dict[str, Any]) -> None:
        with self._calls_lock:
            cancelled = request_id in self._cancelled_calls
        # A call cancelled while it waited never runs; one cancelled while it ran is not answered.
        response = None if cancelled else self._respond_safely(message)
        with self._calls_lock:
            self._pending_calls.discard(request_id)
            cancelled = request_id in self._cancelled_calls
            self._cancelled_calls.discard(request_id)
        if cancelled:
            logger.debug("request %r was cancelled", request_id)
        else:
            self._send(response)

    def _run_batch(self, messages: list[Any]) -> None:
        responses = [self._respond_safely(message, in_batch=True) for message in messages]
        answered = [response for response in responses if response is not None]
        if answered:  # a batch of notifications only is answered with nothing
            self._send(answered)

    def _respond_safely(self, message: Any, *, in_batch: bool = False) -> dict[str, Any] | None:
        try:
            return self.respond(message, in_batch=in_batch)
        except Exception:
            logger.exception("could not answer a message")
            return _error_response(_id_of(message), INTERNAL_ERROR, "Internal error")

    def _send(self, message: dict[str, Any] | list[dict[str, Any]] | None) -> None:
        if message is None:
            return
        try:
            # ASCII only: every character is escaped, so no text (not even a lone surrogate)
            # can fail to encode or be taken for a line break.
            data = json.dumps(message, separators=(",", ":")).encode("ascii") + b"\n"
        except (TypeError, ValueError) as error:
            logger.exception("could not encode an answer")
            request_id = message.get("id") if isinstance(message, dict) else None
            data = (
                json.dumps(
                    _error_response(request_id, INTERNAL_ERROR, f"Internal error: {error}")
                ).encode("ascii")
                + b"\n"
            )
        with self._write_lock:
            if self._writer is None:
                raise RuntimeError("serve() was not called")
            if self._closed:
                logger.debug("the client has gone; an answer was not written")
                return
            try:
                # An unbuffered writer (stdout in the server) may take part of it per write.
                unwritten = memoryview(data)
                while unwritten:
                    written = self._writer.write(unwritten)
                    if written is None:  # a non-blocking stream that is full: never spin
                        raise BlockingIOError("the protocol stream is non-blocking and full")
                    unwritten = unwritten[written:]
                self._writer.flush()
            except (BrokenPipeError, ValueError):
                logger.debug("the client has gone; an answer was not delivered")


def _envelope_problem(message: Any) -> str | None:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return "not a JSON-RPC 2.0 object"
    if "id" in message and not _is_request_id(message["id"]):
        return "an id must be a string or an integer"
    if not isinstance(message.get("method"), str) and not (
        "result" in message or "error" in message
    ):
        return "no method"
    return None


def _is_request_id(value: Any) -> bool:
    # MCP: "Requests MUST include a string or integer ID", never null; JSON true is no integer.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _id_of(message: Any) -> RequestId | None:
    request_id = message.get("id") if isinstance(message, dict) else None
    return request_id if _is_request_id(request_id) else None


def _is_tool_call(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("jsonrpc") == "2.0"
        and message.get("method") == "tools/call"
        and _is_request_id(message.get("id"))
    )


def _invalid_request(message: Any, problem: str) -> dict[str, Any]:
    return _error_response(_id_of(message), INVALID_REQUEST, f"Invalid request: {problem}")


def _error_response(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _at_least(version: str, minimum: str) -> bool:
    return PROTOCOL_VERSIONS.index(version) >= PROTOCOL_VERSIONS.index(minimum)
