"""The MCP stdio protocol layer: handshake, errors, concurrency, cancellation, batches.

Raw JSON-RPC lines over pipes, to cover what the SDK's client never sends (bad JSON, requests
before ``initialize``, batches). ``test_agent_mcp_server`` drives the real tools with the SDK's
client and with Strands' ``MCPClient``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from mcp_pipes import RawConnection, tool_call

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
    with RawConnection(make_server()) as connection:
        missing = connection.request(1, "initialize", {"capabilities": {}})
        then_listing = connection.request(2, "tools/list")

    assert future["result"]["protocolVersion"] == "2025-11-25"
    assert missing["error"]["code"] == -32602
    assert "protocolVersion" in missing["error"]["message"]
    assert then_listing["error"]["code"] == -32600  # a failed initialize initializes nothing


def test_only_ping_is_answered_before_initialize() -> None:
    with RawConnection(make_server()) as connection:
        listing = connection.request(1, "tools/list")
        connection.send(tool_call(2, "echo", {"text": "hi"}))
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
            connection.send(tool_call(1, "echo", {"text": "x"}))
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


class SlowTools:
    """A tool that runs until released, and an echo; both note what they ran."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.finished = threading.Event()
        self.ran: list[str] = []

    def slow(self, arguments: Mapping[str, str | None]) -> ToolResult:
        self.ran.append("slow")
        self.started.set()
        self.release.wait(10)
        self.finished.set()
        return ToolResult(content=(text_block("slow done"),))

    def echo(self, arguments: Mapping[str, str | None]) -> ToolResult:
        self.ran.append(f"echo {arguments['text']}")
        return echo(arguments)

    def server(self) -> StdioServer:
        return make_server(
            Tool(name="slow", description="Waits.", parameters=(), run=self.slow),
            Tool(name="echo", description="Echo.", parameters=(ECHO,), run=self.echo),
        )


def test_calls_run_one_at_a_time_in_order_while_ping_is_answered() -> None:
    tools = SlowTools()
    with RawConnection(tools.server()) as connection:
        connection.initialize()
        connection.send(tool_call(1, "slow", {}))
        connection.send(tool_call(2, "echo", {"text": "second"}))
        assert tools.started.wait(10)
        pinged = connection.request(3, "ping")
        ran_while_slow = list(tools.ran)
        tools.release.set()
        answers = [connection.receive(), connection.receive()]

    assert pinged == {"jsonrpc": "2.0", "id": 3, "result": {}}
    assert ran_while_slow == ["slow"]
    assert [answer["id"] for answer in answers] == [1, 2]
    assert answers[1]["result"]["content"][0]["text"] == "echo: second"


def test_after_the_end_of_input_nothing_more_runs_or_is_answered() -> None:
    tools = SlowTools()
    connection = RawConnection(tools.server())
    connection.initialize()
    connection.send(tool_call(1, "slow", {}))
    connection.send(tool_call(2, "echo", {"text": "queued"}))
    assert tools.started.wait(10)

    remaining = connection.close()  # the host closed the server's stdin
    tools.release.set()
    assert tools.finished.wait(10)
    # The worker takes the queued call right after the slow one; give it the chance to run it.
    time.sleep(0.2)

    assert remaining == []
    assert tools.ran == ["slow"]


def test_a_cancelled_call_is_never_answered_and_never_runs_if_it_had_not_started() -> None:
    tools = SlowTools()
    with RawConnection(tools.server()) as connection:
        connection.initialize()
        connection.send(tool_call(1, "slow", {}))
        assert tools.started.wait(10)
        connection.send(tool_call(2, "echo", {"text": "cancelled while waiting"}))
        for request_id in (2, 1):
            connection.send(
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": request_id, "reason": "the user gave up"},
                }
            )
        # The server reads one line after the other: once this ping is answered, both
        # cancellations have been taken in.
        connection.request(3, "ping")
        connection.send(tool_call(4, "echo", {"text": "after"}))
        tools.release.set()
        after = connection.receive()
        remaining = connection.close()

    assert after["id"] == 4
    assert remaining == []  # neither 1 nor 2 is ever answered
    assert tools.ran == ["slow", "echo after"]


@pytest.mark.parametrize("bad_id", [None, 1.5, True, [1], {"n": 1}])
def test_a_request_id_must_be_a_string_or_an_integer(bad_id: Any) -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        connection.send(tool_call(0, "echo", {"text": "x"}) | {"id": bad_id})
        refused = connection.receive()
        connection.send(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": bad_id}}
        )
        still_serving = connection.request(1, "ping")

    assert refused == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32600,
            "message": "Invalid request: an id must be a string or an integer",
        },
    }
    assert still_serving["result"] == {}


def test_text_that_cannot_be_encoded_as_utf_8_is_escaped_not_fatal() -> None:
    lone_surrogate = "\ud800"
    with RawConnection(make_server()) as connection:
        connection.initialize()
        connection.send({"jsonrpc": "2.0", "id": lone_surrogate, "method": "ping"})
        ping = connection.receive()
        connection.send({"jsonrpc": "2.0", "id": 1, "method": lone_surrogate})
        unknown = connection.receive()
        connection.send(tool_call(2, "echo", {"text": f"a{lone_surrogate}b"}))
        echoed = connection.receive()

    assert ping == {"jsonrpc": "2.0", "id": lone_surrogate, "result": {}}
    assert unknown["error"]["code"] == -32601
    assert echoed["result"]["content"][0]["text"] == f"echo: a{lone_surrogate}b"


def test_a_result_that_cannot_be_encoded_is_an_internal_error_for_that_call() -> None:
    def odd(arguments: Mapping[str, str | None]) -> ToolResult:
        return ToolResult(content=(text_block("fine"),), structured_content={"at": object()})

    server = make_server(Tool(name="odd", description="Odd.", parameters=(), run=odd))
    with RawConnection(server) as connection:
        connection.initialize()
        connection.send(tool_call(1, "odd", {}))
        failed = connection.receive()
        still_serving = connection.request(2, "ping")

    assert failed["id"] == 1
    assert failed["error"]["code"] == -32603
    assert "not JSON serializable" in failed["error"]["message"]
    assert still_serving["result"] == {}


def test_initialize_is_done_once() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize("2025-11-25")
        again = connection.request(1, "initialize", {"protocolVersion": "2024-11-05"})
        connection.send(tool_call(2, "echo", {"text": "x"}))
        result = connection.receive()["result"]

    assert again["error"] == {
        "code": -32600,
        "message": "initialize was already done on this connection",
    }
    assert "structuredContent" in result  # still 2025-11-25, not 2024-11-05


def test_tool_annotations_are_sent_to_clients_whose_revision_has_them() -> None:
    listings = {}
    for version in ("2024-11-05", "2025-03-26"):
        with RawConnection(make_server()) as connection:
            connection.initialize(version)
            listings[version] = connection.request(1, "tools/list")["result"]["tools"][0]

    assert "annotations" not in listings["2024-11-05"]
    assert listings["2025-03-26"]["annotations"] == {"readOnlyHint": False}


def test_batches_are_taken_only_in_the_revision_that_has_them() -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        tool_call(2, "echo", {"text": "in a batch"}),
        {"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {"protocolVersion": "x"}},
    ]
    with RawConnection(make_server()) as connection:
        connection.send(batch)
        before_initialize = connection.receive()
        connection.initialize("2025-03-26")
        connection.send(batch)
        answered = connection.receive()
        connection.send([])
        empty = connection.receive()
    with RawConnection(make_server()) as connection:
        connection.initialize("2025-06-18")
        connection.send(batch)
        newer_revision = connection.receive()

    assert before_initialize["error"]["code"] == -32600
    assert [answer["id"] for answer in answered] == [1, 2, 3]
    assert answered[1]["result"]["content"][0]["text"] == "echo: in a batch"
    assert answered[2]["error"] == {
        "code": -32600,
        "message": "initialize must not be part of a batch",
    }
    assert empty["error"]["code"] == -32600
    assert newer_revision["error"]["code"] == -32600
    assert "batches are part of revision 2025-03-26 only" in newer_revision["error"]["message"]


def test_responses_from_the_client_are_not_answered() -> None:
    with RawConnection(make_server()) as connection:
        connection.initialize()
        connection.send({"jsonrpc": "2.0", "id": 7, "result": {}})
        remaining = connection.close()

    assert remaining == []


def test_the_revisions_it_speaks_are_those_the_sdk_client_reaches_by_handshake() -> None:
    """When the SDK is upgraded and gains a handshake revision, this says so."""
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

    assert PROTOCOL_VERSIONS == HANDSHAKE_PROTOCOL_VERSIONS
