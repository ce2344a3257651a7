"""The MCP stdio protocol layer: handshake, errors, concurrency, cancellation, batches.

Raw JSON-RPC lines over pipes, to cover what the SDK's client never sends (bad JSON, requests
before ``initialize``, batches). ``test_agent_mcp_server`` drives the real tools with the SDK's
client and with Strands' ``MCPClient``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest
from mcp_pipes import RawConnection

from agent.mcp_stdio import (
    PROTOCOL_VERSIONS,
    Parameter,
    StdioServer,
    Tool,
    ToolResult,
    text_block,
)

ECHO = Parameter(name="text", description="what to echo")


def echo(arguments: Mapping[str, str | None]) -> ToolResult:
    return ToolResult(
        content=(text_block(f"echo: {arguments['text']}"),),
        structured_content={"echoed": arguments["text"]},
    )


def make_server(*tools: Tool) -> StdioServer:
    return StdioServer(
        name="test-server",
        version="9.9",
        instructions="for tests",
        tools=tools or (Tool(name="echo", description="Echo.", parameters=(ECHO,), run=echo),),
    )


def call_tool(request_id: int, name: str, arguments: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


@pytest.mark.parametrize("version", PROTOCOL_VERSIONS)
def test_a_protocol_revision_it_speaks_is_agreed_as_asked(version: str) -> None:
    with RawConnection(make_server()) as connection:
        answer = connection.initialize(version)

    assert answer["result"]["protocolVersion"] == version
    assert answer["result"]["serverInfo"] == {"name": "test-server", "version": "9.9"}
    assert answer["result"]["capabilities"] == {"tools": {"listChanged": False}}
    assert answer["result"]["instructions"] == "for tests"


def test_an_unknown_revision_gets_the_newest_it_speaks_and_a_missing_one_an_error() -> None:
    with RawConnection(make_server()) as connection:
        future = connection.initialize("2099-01-01")
        missing = connection.request(1, "initialize", {"capabilities": {}})

    assert future["result"]["protocolVersion"] == "2025-11-25"
    assert missing["error"]["code"] == -32602
    assert "protocolVersion" in missing["error"]["message"]


def test_only_ping_is_answered_before_initialize() -> None:
    with RawConnection(make_server()) as connection:
        listing = connection.request(1, "tools/list")
        connection.send(call_tool(2, "echo", {"text": "hi"}))
        called = connection.receive()
        ping = connection.request(3, "ping")

    assert listing == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32600, "message": "tools/list before initialize: send initialize first"},
    }
    assert called["id"] == 2
    assert called["error"]["code"] == -32600
    assert ping == {"jsonrpc": "2.0", "id": 3, "result": {}}


def test_malformed_lines_are_answered_with_errors_and_the_server_goes_on() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        connection.send_line(b'{"jsonrpc": "2.0", "id": 1, "method": ')
        not_json = connection.receive()
        connection.send_line(b"\xff\xfe not utf-8")
        not_utf8 = connection.receive()
        connection.send({"id": 2, "method": "ping"})
        not_jsonrpc = connection.receive()
        still_serving = connection.request(3, "ping")

    assert not_json["id"] is None
    assert not_json["error"]["code"] == -32700
    assert not_utf8["error"]["code"] == -32700
    assert not_jsonrpc["id"] == 2
    assert not_jsonrpc["error"]["code"] == -32600
    assert still_serving["result"] == {}


def test_methods_it_does_not_offer_are_not_found() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        discover = connection.request(1, "server/discover", {})
        resources = connection.request(2, "resources/list")

    # "Method not found" is what makes a client probing for the 2026-07-28 revision fall back
    # to the initialize handshake.
    assert discover["error"] == {"code": -32601, "message": "Method not found: server/discover"}
    assert resources["error"]["code"] == -32601


def test_unknown_tools_are_protocol_errors_bad_arguments_are_tool_errors() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        unknown_tool = connection.request(1, "tools/call", {"name": "rm", "arguments": {}})
        not_an_object = connection.request(2, "tools/call", {"name": "echo", "arguments": [1]})
        missing = connection.request(3, "tools/call", {"name": "echo"})
        wrong_type = connection.request(4, "tools/call", {"name": "echo", "arguments": {"text": 1}})
        extra = connection.request(
            5, "tools/call", {"name": "echo", "arguments": {"text": "a", "txt": "b"}}
        )

    assert unknown_tool["error"] == {
        "code": -32602,
        "message": "Unknown tool: 'rm'; the tools are echo",
    }
    assert not_an_object["error"]["code"] == -32602
    # Argument mistakes go to the model, which can correct itself (MCP 2025-11-25, SEP-1303).
    messages = {
        name: (answer["result"]["isError"], answer["result"]["content"][0]["text"])
        for name, answer in {"missing": missing, "wrong": wrong_type, "extra": extra}.items()
    }
    assert messages == {
        "missing": (True, "Invalid arguments: echo needs the argument 'text': what to echo"),
        "wrong": (
            True,
            "Invalid arguments: echo's argument 'text' must be a string, not int 1: what to echo",
        ),
        "extra": (True, "Invalid arguments: echo has no argument 'txt'; its arguments are 'text'"),
    }


def test_structured_content_is_sent_only_to_clients_whose_revision_has_it() -> None:
    results = {}
    for version in ("2025-03-26", "2025-06-18"):
        with RawConnection(make_server()) as connection:
            connection.initialize(version)
            connection.send(call_tool(1, "echo", {"text": "x"}))
            results[version] = connection.receive()["result"]

    assert results["2025-03-26"] == {
        "content": [{"type": "text", "text": "echo: x"}],
        "isError": False,
    }
    assert results["2025-06-18"]["structuredContent"] == {"echoed": "x"}


def test_a_failing_tool_is_an_error_result_and_the_server_goes_on() -> None:
    def broken(arguments: Mapping[str, str | None]) -> ToolResult:
        raise RuntimeError("a bug")

    server = make_server(Tool(name="broken", description="Fails.", parameters=(), run=broken))
    with RawConnection(server) as connection:
        connection.initialize()
        failed = connection.request(1, "tools/call", {"name": "broken", "arguments": {}})
        still_serving = connection.request(2, "ping")

    assert failed["result"]["isError"] is True
    assert failed["result"]["content"][0]["text"] == "Internal error in broken: RuntimeError: a bug"
    assert still_serving["result"] == {}


def test_a_running_call_does_not_hold_up_others_and_a_cancelled_one_is_never_answered() -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(arguments: Mapping[str, str | None]) -> ToolResult:
        started.set()
        release.wait(10)
        return ToolResult(content=(text_block("slow done"),))

    server = make_server(
        Tool(name="slow", description="Waits.", parameters=(), run=slow),
        Tool(name="echo", description="Echo.", parameters=(ECHO,), run=echo),
    )
    with RawConnection(server) as connection:
        connection.initialize()
        connection.send(call_tool(1, "slow", {}))
        assert started.wait(10)
        pinged = connection.request(2, "ping")
        connection.send(call_tool(3, "echo", {"text": "meanwhile"}))
        echoed = connection.receive()
        connection.send(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
        )
        # The server reads one line after the other: once this ping is answered, the
        # cancellation has been taken in.
        connection.request(5, "ping")
        connection.send(call_tool(4, "slow", {}))
        release.set()
        after_release = connection.receive()
        remaining = connection.close()

    assert pinged == {"jsonrpc": "2.0", "id": 2, "result": {}}
    assert echoed["result"]["content"][0]["text"] == "echo: meanwhile"
    assert after_release["id"] == 4
    assert after_release["result"]["content"][0]["text"] == "slow done"
    assert remaining == []  # request 1 was cancelled: no answer, ever


def test_a_batch_is_answered_with_one_array_and_an_empty_one_is_invalid() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize("2025-03-26")
        connection.send(
            [
                {"jsonrpc": "2.0", "id": 1, "method": "ping"},
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                call_tool(2, "echo", {"text": "in a batch"}),
            ]
        )
        batch = connection.receive()
        connection.send([])
        empty = connection.receive()

    assert [answer["id"] for answer in batch] == [1, 2]
    assert batch[1]["result"]["content"][0]["text"] == "echo: in a batch"
    assert empty["error"]["code"] == -32600


def test_responses_from_the_client_are_not_answered() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        connection.send({"jsonrpc": "2.0", "id": 7, "result": {}})
        remaining = connection.close()

    assert remaining == []
