"""The server side of the Model Context Protocol's stdio transport, for a server of tools.

Messages are JSON-RPC 2.0 objects, one per line, UTF-8, read from stdin and written to stdout.
The lifecycle is the ``initialize`` handshake (revisions 2024-11-05 to 2025-11-25); then
``ping``, ``tools/list`` and ``tools/call``. This is a module of its own, not the ``mcp`` SDK's
server, because importing the SDK takes about a second on a 2-core machine (it builds pydantic
models for every protocol revision), which an MCP host waits for before its first message is
answered. The tests drive this server with the SDK's own client.

Tool calls run in worker threads, so ``ping`` and further calls are answered while the sandbox
works, and a call the client cancels gets no response (the work itself cannot be interrupted).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

logger = logging.getLogger(__name__)

# Revisions negotiated by the initialize handshake, oldest first. The 2026-07-28 revision drops
# the handshake for a per-request envelope that clients probe with ``server/discover``; that
# probe is answered "method not found", on which clients fall back to ``initialize``.
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
# Tool results carry ``structuredContent`` from this revision on.
STRUCTURED_CONTENT_SINCE = "2025-06-18"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

RequestId = str | int
ToolRunner = Callable[[Mapping[str, str | None]], "ToolResult"]


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

    def describe(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {parameter.name: parameter.schema() for parameter in self.parameters},
        }
        required = [parameter.name for parameter in self.parameters if parameter.required]
        if required:
            schema["required"] = required
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": schema,
            "annotations": {"readOnlyHint": self.read_only},
        }

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
        self._write_lock = threading.Lock()
        self._calls_lock = threading.Lock()
        self._running_calls: set[RequestId] = set()
        self._cancelled_calls: set[RequestId] = set()
        self._methods: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "initialize": self._initialize,
            "ping": lambda params: {},
            "tools/list": self._list_tools,
            "tools/call": self._call_tool,
        }

    def serve(self, reader: BinaryIO, writer: BinaryIO) -> None:
        """Answer the messages read from ``reader`` on ``writer`` until ``reader`` ends.

        Returns at end of input without waiting for tool calls still running: the client has
        gone and reads no more answers.
        """
        self._writer = writer
        for line in reader:
            if line.strip():
                self._receive(line)

    def respond(self, message: Any) -> dict[str, Any] | None:
        """The response to one message (``None`` for notifications), tool calls run inline."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            request_id = message.get("id") if isinstance(message, dict) else None
            return _error_response(
                request_id, INVALID_REQUEST, "Invalid request: not a JSON-RPC 2.0 object"
            )
        method = message.get("method")
        if not isinstance(method, str):
            if "result" in message or "error" in message:
                return None  # a response; this server sends no requests, so nothing awaits it
            return _error_response(message.get("id"), INVALID_REQUEST, "Invalid request: no method")
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
        return {"tools": [tool.describe() for tool in self.tools.values()]}

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
                if request_id in self._running_calls:
                    self._cancelled_calls.add(request_id)
        # notifications/initialized and any other notification need nothing from this server.

    def _receive(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError as error:  # bad JSON or bad UTF-8
            self._send(_error_response(None, PARSE_ERROR, f"Parse error: {error}"))
            return
        if message == []:
            self._send(_error_response(None, INVALID_REQUEST, "Invalid request: empty batch"))
        elif isinstance(message, list):
            # A JSON-RPC batch (revision 2025-03-26): answered together, once every part is done.
            self._in_worker(lambda: self._send_batch(message))
        elif _is_tool_call(message):
            request_id = message["id"]
            with self._calls_lock:
                self._running_calls.add(request_id)
            self._in_worker(lambda: self._finish_call(request_id, self.respond(message)))
        else:
            response = self.respond(message)
            if response is not None:
                self._send(response)

    def _finish_call(self, request_id: RequestId, response: dict[str, Any] | None) -> None:
        with self._calls_lock:
            self._running_calls.discard(request_id)
            cancelled = request_id in self._cancelled_calls
            self._cancelled_calls.discard(request_id)
        if cancelled:
            logger.debug("request %r was cancelled; its result is dropped", request_id)
        elif response is not None:
            self._send(response)

    def _send_batch(self, messages: Iterable[Any]) -> None:
        responses = [response for message in messages if (response := self.respond(message))]
        if responses:  # a batch of notifications only is answered with nothing
            self._send(responses)

    def _in_worker(self, work: Callable[[], None]) -> None:
        # Daemon threads: a call still running when the client goes must not hold the exit.
        threading.Thread(target=work, name="mcp-tool-call", daemon=True).start()

    def _send(self, message: dict[str, Any] | list[dict[str, Any]]) -> None:
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        with self._write_lock:
            if self._writer is None:
                raise RuntimeError("serve() was not called")
            try:
                self._writer.write(data)
                self._writer.flush()
            except (BrokenPipeError, ValueError):
                logger.debug("the client has gone; a response was not delivered")


def _is_tool_call(message: Any) -> bool:
    return isinstance(message, dict) and message.get("method") == "tools/call" and "id" in message


def _error_response(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _at_least(version: str, minimum: str) -> bool:
    return PROTOCOL_VERSIONS.index(version) >= PROTOCOL_VERSIONS.index(minimum)
