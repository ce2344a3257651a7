"""An in-process ``StdioServer`` on OS pipes, for the SDK's MCP client and for raw JSON-RPC.

The server reads and writes bytes exactly as it does on stdin and stdout; only the process
boundary is gone, so a test can give the server a session on the fakes. ``pipe_transport`` is a
``mcp`` client transport (also what Strands' ``MCPClient`` takes); ``RawConnection`` sends and
reads JSON-RPC lines for protocol tests the SDK's client would never produce.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

import anyio
import anyio.to_thread
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from agent.mcp_stdio import StdioServer

ANSWER_TIMEOUT_SECONDS = 10


def _serve_on_pipes(server: StdioServer) -> tuple[BinaryIO, BinaryIO, threading.Thread]:
    """Starts ``server`` on two pipes; returns the client's ends and the serving thread."""
    server_reads, client_writes = os.pipe()
    client_reads, server_writes = os.pipe()
    server_in, server_out = os.fdopen(server_reads, "rb"), os.fdopen(server_writes, "wb")

    def serve() -> None:
        try:
            server.serve(server_in, server_out)
        finally:
            # The end of the server's output is the client's end of input, as when it exits.
            server_in.close()
            server_out.close()

    thread = threading.Thread(target=serve, name="stdio-server", daemon=True)
    thread.start()
    return os.fdopen(client_writes, "wb"), os.fdopen(client_reads, "rb"), thread


@asynccontextmanager
async def pipe_transport(
    server: StdioServer,
) -> AsyncIterator[tuple[Any, Any]]:
    """The read and write streams of an MCP client transport connected to ``server``."""
    to_server, from_server, serving = _serve_on_pipes(server)
    incoming_writer, incoming = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    outgoing, outgoing_reader = anyio.create_memory_object_stream[SessionMessage](0)

    def write_line(line: str) -> None:
        to_server.write(line.encode() + b"\n")
        to_server.flush()

    async def forward_to_server() -> None:
        async with outgoing_reader:
            async for message in outgoing_reader:
                line = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await anyio.to_thread.run_sync(write_line, line)
        to_server.close()  # the server sees the end of its input, as on stdin

    async def forward_to_client() -> None:
        async with incoming_writer:
            while line := await anyio.to_thread.run_sync(
                from_server.readline, abandon_on_cancel=True
            ):
                message = jsonrpc_message_adapter.validate_json(line, by_name=False)
                await incoming_writer.send(SessionMessage(message))

    async with anyio.create_task_group() as group:
        group.start_soon(forward_to_server)
        group.start_soon(forward_to_client)
        try:
            yield incoming, outgoing
        finally:
            await outgoing.aclose()
            await anyio.to_thread.run_sync(serving.join, ANSWER_TIMEOUT_SECONDS)
            if serving.is_alive():
                group.cancel_scope.cancel()  # fail below instead of waiting for ever
    from_server.close()
    assert not serving.is_alive(), "serve() did not return at the end of its input"


def tool_call(request_id: Any, name: str, arguments: Any) -> dict[str, Any]:
    """A tools/call request, as JSON-RPC."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


class RawConnection:
    """JSON-RPC lines to and from an in-process server, one call at a time."""

    def __init__(self, server: StdioServer) -> None:
        self._to_server, self._from_server, self._serving = _serve_on_pipes(server)
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._remaining: list[Any] | None = None
        self._reader = threading.Thread(target=self._read, name="raw-client", daemon=True)
        self._reader.start()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send_line(self, line: bytes) -> None:
        self._to_server.write(line + b"\n")
        self._to_server.flush()

    def send(self, message: Any) -> None:
        self.send_line(json.dumps(message).encode())

    def receive(self) -> Any:
        """The next message from the server; fails the test if none comes in time."""
        line = self._lines.get(timeout=ANSWER_TIMEOUT_SECONDS)
        if not line:
            raise AssertionError("the server closed its output")
        return json.loads(line)

    def request(self, request_id: int, method: str, params: Any = None) -> Any:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.receive()

    def initialize(self, protocol_version: str = "2025-11-25") -> Any:
        answer = self.request(
            0,
            "initialize",
            {
                "protocolVersion": protocol_version,
                "capabilities": {},
                "clientInfo": {"name": "raw-test-client", "version": "1"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def close(self) -> list[Any]:
        """Ends the server's input; returns what it still wrote before closing its output."""
        if self._remaining is None:
            self._to_server.close()
            self._serving.join(ANSWER_TIMEOUT_SECONDS)
            assert not self._serving.is_alive(), "serve() did not return at the end of its input"
            self._remaining = []
            while (line := self._lines.get(timeout=ANSWER_TIMEOUT_SECONDS)) != b"":
                self._remaining.append(json.loads(line))
            self._reader.join(ANSWER_TIMEOUT_SECONDS)
            self._from_server.close()
        return self._remaining

    def _read(self) -> None:
        for line in self._from_server:
            self._lines.put(line)
        self._lines.put(b"")
