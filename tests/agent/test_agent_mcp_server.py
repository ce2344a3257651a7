"""The MCP server's tools, exercised by the ``mcp`` SDK's client (over pipes, and over stdio)."""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import anyio
import pytest
from agentcore_fake import (
    BUCKET,
    INTERPRETER_ARN,
    INTERPRETER_ID,
    FakeCodeInterpreterService,
    SandboxRun,
)
from control_plane_fake import FAKE_CREDENTIALS
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, ImageContent, TextContent
from mcp_pipes import pipe_transport, tool_call

from agent.clients import AwsClients
from agent.mcp_server import (
    SERVER_VERSION,
    SessionOnFirstUse,
    build_server,
    create_session,
    main,
    parse_arguments,
)
from agent.resolve import InterpreterConfig
from agent.session import CodeInterpreterSession
from agentcore_api.discovery import Mount

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = [
    "execute_command",
    "execute_python",
    "get_task",
    "list_files",
    "read_file",
    "save_artifact",
    "start_command_execution",
    "stop_task",
]
# The interpreter as a deployed MCP host would name it: no AWS call is needed to resolve it.
INTERPRETER_VARIABLES = {
    "AWS_REGION": "us-east-1",
    "CODE_INTERPRETER_ID": INTERPRETER_ID,
    "CODE_INTERPRETER_ARN": INTERPRETER_ARN,
    "CODE_INTERPRETER_ARTIFACT_BUCKET": BUCKET,
    "CODE_INTERPRETER_ARTIFACT_PREFIX": "output_artifacts/",
}
# How long a test waits for any one answer before it fails (instead of hanging).
ANSWER_SECONDS = 30
INITIALIZE_REQUEST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t"}},
}
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "<stdin>", line 1, in <module>\n'
    "ZeroDivisionError: division by zero\n"
)


def run_with_client(
    session: CodeInterpreterSession, scenario: Callable[[Client], Awaitable[Any]]
) -> Any:
    """Connect the SDK's MCP client to the server over pipes and run a scenario."""

    async def connect() -> Any:
        # "legacy": the initialize handshake, as MCP hosts use it over stdio.
        async with Client(
            pipe_transport(build_server(session)),
            mode="legacy",
            read_timeout_seconds=ANSWER_SECONDS,
        ) as client:
            return await scenario(client)

    return anyio.run(connect)


def call(session: CodeInterpreterSession, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async def scenario(client: Client) -> CallToolResult:
        return await client.call_tool(tool, arguments)

    result: CallToolResult = run_with_client(session, scenario)
    return result


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


@pytest.fixture
def session(config: InterpreterConfig, clients: AwsClients) -> CodeInterpreterSession:
    return CodeInterpreterSession(config, clients=clients)


def test_lists_the_tools_with_their_input_schemas(session: CodeInterpreterSession) -> None:
    async def scenario(client: Client) -> Any:
        return await client.list_tools()

    tools = {tool.name: tool for tool in run_with_client(session, scenario).tools}

    assert sorted(tools) == TOOLS
    python = tools["execute_python"].input_schema
    assert python["required"] == ["code"]
    assert python["properties"]["code"]["type"] == "string"
    assert python["properties"]["description"]["default"] == ""
    assert tools["execute_command"].input_schema["required"] == ["command"]
    assert tools["read_file"].input_schema["required"] == ["path"]
    assert "required" not in tools["list_files"].input_schema
    assert tools["list_files"].input_schema["properties"]["path"]["default"] == "."
    assert tools["start_command_execution"].input_schema["required"] == ["command"]
    assert tools["get_task"].input_schema["required"] == ["task_id"]
    assert tools["stop_task"].input_schema["required"] == ["task_id"]
    save = tools["save_artifact"].input_schema
    assert save["required"] == ["path"]
    assert "key" in save["properties"]
    assert tools["execute_python"].description
    assert "sandbox" in tools["execute_python"].description


def test_execute_python_returns_stdout_and_structured_content(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(stdout="4\n")

    result = call(session, "execute_python", {"code": "print(2 + 2)", "description": "add"})

    assert result.is_error is False
    assert text_of(result) == "4"
    assert result.structured_content is not None
    assert result.structured_content["stdout"] == "4\n"
    assert result.structured_content["exit_code"] == 0
    sent = fake_service.invokes("executeCode")[0].params["arguments"]["code"]
    assert sent == "# add\nprint(2 + 2)"


def test_a_plot_comes_back_as_an_image_block_without_structured_content(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    """Hosts that prefer structured content to the blocks would otherwise drop the image."""
    fake_service.code_handler = lambda code: SandboxRun(stdout="plotted\n", images=[b"PNGDATA"])

    result = call(session, "execute_python", {"code": "plt.show()"})

    assert text_of(result) == "plotted"
    images = [block for block in result.content if isinstance(block, ImageContent)]
    assert [(image.data, image.mime_type) for image in images] == [("UE5HREFUQQ==", "image/png")]
    assert result.structured_content is None


def test_code_that_raises_is_an_error_result_carrying_stderr(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(
        stderr=TRACEBACK, exit_code=1, is_error=True
    )

    result = call(session, "execute_python", {"code": "1 / 0"})

    assert result.is_error is True
    assert "ZeroDivisionError: division by zero" in text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["stderr"] == TRACEBACK


def test_failing_command_is_an_error_result(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.command_handler = lambda command: SandboxRun(stderr="no such file\n", exit_code=2)

    result = call(session, "execute_command", {"command": "cat missing"})

    assert result.is_error is True
    assert "no such file" in text_of(result)
    assert "[exit code 2]" in text_of(result)


def test_aws_failure_is_an_error_result_not_a_crash(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.interpreter_id = "somebody_else-AbCdEfGh12"

    result = call(session, "execute_command", {"command": "true"})

    assert result.is_error is True
    assert "ResourceNotFoundException" in text_of(result)


def test_read_and_list_files(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    session.write_files({"report.md": "# Findings\n"})

    async def scenario(client: Client) -> tuple[CallToolResult, CallToolResult, CallToolResult]:
        read = await client.call_tool("read_file", {"path": "report.md"})
        missing = await client.call_tool("read_file", {"path": "nope.md"})
        listing = await client.call_tool("list_files", {})
        return read, missing, listing

    read, missing, listing = run_with_client(session, scenario)

    assert read.is_error is False
    assert text_of(read) == "# Findings\n"
    assert missing.is_error is True
    assert "File not found: nope.md" in text_of(missing)
    assert "file:///report.md" in text_of(listing)


def test_save_artifact_returns_the_confirmed_object_and_errors_carry_stderr(
    config: InterpreterConfig, deployed_clients: AwsClients
) -> None:
    session = CodeInterpreterSession(config, clients=deployed_clients)
    session.write_files({"chart.png": "png"})

    async def scenario(client: Client) -> tuple[CallToolResult, CallToolResult, CallToolResult]:
        saved = await client.call_tool("save_artifact", {"path": "chart.png", "key": "c.png"})
        missing = await client.call_tool("save_artifact", {"path": "ghost.png"})
        invalid = await client.call_tool("save_artifact", {"path": "chart.png", "key": "../x"})
        return saved, missing, invalid

    saved, missing, invalid = run_with_client(session, scenario)

    assert saved.is_error is False
    head = deployed_clients.s3.head_object(Bucket=BUCKET, Key="output_artifacts/c.png")
    etag = head["ETag"].strip('"')
    assert text_of(saved) == f"s3://{BUCKET}/output_artifacts/c.png (3 bytes, ETag {etag})"
    assert saved.structured_content == {
        "uri": f"s3://{BUCKET}/output_artifacts/c.png",
        "bucket": BUCKET,
        "key": "output_artifacts/c.png",
        "size": 3,
        "etag": etag,
        "version_id": head.get("VersionId"),
    }
    assert missing.is_error is True
    assert "ghost.png does not exist" in text_of(missing)
    assert missing.structured_content is not None
    assert "ghost.png does not exist" in missing.structured_content["stderr"]
    assert invalid.is_error is True
    assert "Invalid artifact key" in text_of(invalid)


def test_main_reports_an_unresolvable_interpreter_and_exits_2(
    moto_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(["--env", "dev", "--outputs-file", "missing.json"], clients=None)

    assert exit_code == 2
    error = capsys.readouterr().err
    assert "No code interpreter id found for environment 'dev'" in error
    assert "outputs file missing.json (no such file)" in error


def test_module_runs_as_a_stdio_server(tmp_path: Path) -> None:
    """``python -m agent.mcp_server`` answers over stdio; listing tools makes no AWS call."""
    outputs = tmp_path / "outputs" / "dev.json"
    outputs.parent.mkdir()
    outputs.write_text(
        json.dumps(
            {
                "CodeInterpreter-dev": {
                    "CodeInterpreterId": INTERPRETER_ID,
                    "CodeInterpreterArn": INTERPRETER_ARN,
                    "ArtifactBucketName": BUCKET,
                    "ArtifactPrefix": "output_artifacts/",
                }
            }
        ),
        encoding="utf-8",
    )
    # No region is configured, so SSM is skipped and every value (the region from the ARN)
    # comes from the outputs file: the server never needs to reach AWS here.
    environment = {
        key: value
        for key, value in os.environ.items()
        if (key.startswith("AWS_") and "REGION" not in key) or key in {"PATH", "HOME", "LANG"}
    }
    environment["PYTHONPATH"] = str(REPO_ROOT)
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agent.mcp_server", "--env", "dev", "--outputs-file", str(outputs)],
        env=environment,
        cwd=str(tmp_path),
    )

    async def list_over_stdio() -> list[str]:
        async with Client(parameters, mode="legacy", read_timeout_seconds=ANSWER_SECONDS) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    assert sorted(anyio.run(list_over_stdio)) == TOOLS


def test_the_server_runs_code_in_its_own_session_never_in_a_foreign_one(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService
) -> None:
    """Another agent's READY session is visible to the server; it must not be touched."""
    foreign = fake_service.add_session(name="another-users-agent")
    fake_service.code_handler = lambda code: SandboxRun(stdout="ran\n")
    session = create_session(parse_arguments(["--env", "dev"]), deployed_clients)

    with session:
        result = call(session, "execute_python", {"code": "print('ran')"})
        own = session.session_id

    assert result.is_error is False
    assert own is not None
    assert own != foreign
    assert fake_service.sessions[own].name.startswith("mcp-server-")
    assert {call.params["sessionId"] for call in fake_service.invokes()} == {own}
    stopped = [
        call.params["sessionId"] for call in fake_service.calls("StopCodeInterpreterSession")
    ]
    assert stopped == [own]
    assert fake_service.sessions[foreign].status == "READY"


def test_a_named_server_session_is_picked_up_again_but_only_by_its_name(
    deployed_clients: AwsClients,
    fake_service: FakeCodeInterpreterService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    foreign = fake_service.add_session(name="another-users-agent")
    earlier = fake_service.add_session(name="analyst-42")
    monkeypatch.setenv("CODE_INTERPRETER_SESSION_NAME", "analyst-42")
    session = create_session(parse_arguments(["--env", "dev"]), deployed_clients)

    with session:
        call(session, "execute_command", {"command": "ls"})

    assert {call.params["sessionId"] for call in fake_service.invokes()} == {earlier}
    assert fake_service.calls("StopCodeInterpreterSession") == []  # not ours to stop
    assert fake_service.sessions[foreign].status == "READY"


def test_long_work_runs_as_a_task_through_the_tools(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.task_polls_until_done = 1
    fake_service.task_handler = lambda command: SandboxRun(stdout="trained\n")

    async def scenario(client: Client) -> list[CallToolResult]:
        started = await client.call_tool("start_command_execution", {"command": "python train.py"})
        assert started.structured_content is not None
        task_id = started.structured_content["task_id"]
        working = await client.call_tool("get_task", {"task_id": task_id})
        done = await client.call_tool("get_task", {"task_id": task_id})
        stopped = await client.call_tool("stop_task", {"task_id": task_id})
        return [started, working, done, stopped]

    started, working, done, stopped = run_with_client(session, scenario)

    statuses = [
        result.structured_content["task_status"] if result.structured_content else None
        for result in (started, working, done, stopped)
    ]
    assert statuses == ["submitted", "working", "completed", "completed"]
    assert "trained" in text_of(done)
    assert "[task task-0001: completed]" in text_of(done)
    assert not any(result.is_error for result in (started, working, done, stopped))


def test_paths_outside_the_working_directory_are_tool_errors(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    result = call(session, "read_file", {"path": "/etc/passwd"})

    assert result.is_error is True
    assert "Absolute sandbox path '/etc/passwd' refused" in text_of(result)
    assert fake_service.requests == []


def test_the_session_is_created_by_the_first_tool_call_not_by_the_handshake(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    created: list[CodeInterpreterSession] = []

    def create() -> CodeInterpreterSession:
        created.append(session)
        return session

    on_first_use = SessionOnFirstUse(create)

    async def scenario(client: Client) -> list[int]:
        counts = [len(created)]
        await client.list_tools()
        counts.append(len(created))
        await client.call_tool("execute_command", {"command": "true"})
        await client.call_tool("execute_command", {"command": "true"})
        counts.append(len(created))
        return counts

    async def connect() -> list[int]:
        async with Client(
            pipe_transport(build_server(on_first_use)),
            mode="legacy",
            read_timeout_seconds=ANSWER_SECONDS,
        ) as client:
            return await scenario(client)

    assert anyio.run(connect) == [0, 0, 1]
    on_first_use.close()
    assert [call.operation for call in fake_service.requests][-1] == "StopCodeInterpreterSession"


def test_the_model_is_told_where_mounted_data_is_and_may_read_it_there(
    config: InterpreterConfig, clients: AwsClients, fake_service: FakeCodeInterpreterService
) -> None:
    mounted = dataclasses.replace(config, mounts=(Mount("/mnt/datasets", "s3files", True),))
    session = CodeInterpreterSession(mounted, clients=clients)

    async def scenario(
        client: Client,
    ) -> tuple[str | None, CallToolResult, CallToolResult, CallToolResult]:
        listing = await client.call_tool("list_files", {"path": "/mnt/datasets"})
        reading = await client.call_tool("read_file", {"path": "/mnt/datasets/orders.csv"})
        outside = await client.call_tool("read_file", {"path": "/mnt/other/x.csv"})
        return client.instructions, listing, reading, outside

    async def connect() -> Any:
        async with Client(
            pipe_transport(build_server(session, mounts=mounted.mounts)),
            mode="legacy",
            read_timeout_seconds=ANSWER_SECONDS,
        ) as client:
            return await scenario(client)

    instructions, listing, reading, outside = anyio.run(connect)

    assert instructions is not None
    assert instructions.startswith(
        "Shared data is already mounted in every session: /mnt/datasets (S3 Files, read-only)."
        " Look there first"
    )
    assert listing.is_error is False
    assert fake_service.invokes("listFiles")[0].params["arguments"] == {
        "directoryPath": "/mnt/datasets"
    }
    # Passed to the sandbox as it is (where this fake has no such file), not refused.
    (read,) = fake_service.invokes("readFiles")
    assert read.params["arguments"] == {"paths": ["/mnt/datasets/orders.csv"]}
    assert "File not found: /mnt/datasets/orders.csv" in text_of(reading)
    assert outside.is_error is True
    assert "or a path under a mounted file system: /mnt/datasets" in text_of(outside)


def test_the_sdk_client_connects_whether_it_probes_for_a_newer_revision_or_not(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    """The SDK's default mode ("auto") probes for the 2026-07-28 revision, then falls back."""
    fake_service.code_handler = lambda code: SandboxRun(stdout="6\n")

    async def connect(mode: str) -> tuple[str | None, str]:
        async with Client(
            pipe_transport(build_server(session)), mode=mode, read_timeout_seconds=ANSWER_SECONDS
        ) as client:
            result = await client.call_tool("execute_python", {"code": "print(1 + 5)"})
            return client.session.protocol_version, text_of(result)

    assert anyio.run(connect, "auto") == ("2025-11-25", "6")
    assert anyio.run(connect, "legacy") == ("2025-11-25", "6")


def test_strands_mcp_client_runs_code_in_our_interpreter(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    from strands.tools.mcp import MCPClient

    fake_service.code_handler = lambda code: SandboxRun(stdout="42\n")

    with MCPClient(lambda: pipe_transport(build_server(session))) as client:
        names = sorted(tool.tool_name for tool in client.list_tools_sync())
        result = client.call_tool_sync(
            tool_use_id="t-1", name="execute_python", arguments={"code": "print(6 * 7)"}
        )

    assert names == TOOLS
    assert result["status"] == "success"
    assert result["content"][0] == {"text": "42"}
    (invoke,) = fake_service.invokes("executeCode")
    assert invoke.params["codeInterpreterIdentifier"] == INTERPRETER_ID


def test_what_a_tool_prints_or_writes_to_stdout_never_reaches_the_protocol() -> None:
    script = """
import os, sys
from agent.mcp_server import serve_on_stdio
from agent.mcp_stdio import StdioServer, Tool, ToolResult, text_block

def chatty(arguments):
    print("a stray print")
    os.write(1, b"a raw write to descriptor 1\\n")
    return ToolResult(content=(text_block("quiet"),))

tools = (Tool(name="chatty", description="Prints.", parameters=(), run=chatty),)
serve_on_stdio(StdioServer(name="t", version="1", instructions="", tools=tools))
print("printed after serving")
"""
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environment(),
    )
    assert server.stdin is not None
    assert server.stdout is not None
    answers = []
    try:
        for request in (INITIALIZE_REQUEST, tool_call(2, "chatty", {})):
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
            answers.append(json.loads(read_line(server.stdout)))
        stdout_after, stderr = server.communicate(timeout=ANSWER_SECONDS)
    finally:
        server.kill()

    assert answers[1]["result"]["content"] == [{"type": "text", "text": "quiet"}]
    assert stdout_after == b"printed after serving\n"  # stdout is the console again
    assert b"a stray print" in stderr
    assert b"a raw write to descriptor 1" in stderr


def read_line(stream: IO[bytes]) -> bytes:
    """The next line from a child's pipe; fails the test (instead of hanging) if none comes."""
    return within_answer_time(stream.readline)


def within_answer_time(read: Callable[[], bytes]) -> bytes:
    answer: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: answer.put(read()), daemon=True).start()
    return answer.get(timeout=ANSWER_SECONDS)


def child_environment(**variables: str) -> dict[str, str]:
    """A child Python's environment: the repository importable, PATH, and ``variables``."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT), **variables}


class ServerOnFake:
    """``main()`` in a child process on the data-plane fake (tests/agent/mcp_server_on_fake.py)."""

    def __init__(self, workdir: Path) -> None:
        self.release = workdir / "release"
        self.report = workdir / "report.json"
        environment = child_environment(
            **INTERPRETER_VARIABLES,
            PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(Path(__file__).parent)]),
            **FAKE_CREDENTIALS,
            AWS_EC2_METADATA_DISABLED="true",
            RELEASE_FILE=str(self.release),
            REPORT_FILE=str(self.report),
        )
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "mcp_server_on_fake.py"), "--env", "dev"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=workdir,
        )

    def start_a_call_that_keeps_running(self) -> None:
        stdin, stdout, stderr = self.process.stdin, self.process.stdout, self.process.stderr
        assert stdin is not None
        assert stdout is not None
        assert stderr is not None
        stdin.write(json.dumps(INITIALIZE_REQUEST).encode() + b"\n")
        stdin.write(json.dumps(tool_call(2, "execute_python", {"code": "train()"})).encode())
        stdin.write(b"\n")
        stdin.flush()
        assert b'"protocolVersion"' in read_line(stdout)
        while (line := read_line(stderr)) != b"started\n":
            assert line, "the server ended before the code started"

    def finish(self) -> None:
        self.release.touch()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def server_on_fake(tmp_path: Path) -> Iterator[ServerOnFake]:
    server = ServerOnFake(tmp_path)
    yield server
    server.finish()


def test_stdin_closing_during_a_call_stops_the_session_without_waiting_for_the_call(
    server_on_fake: ServerOnFake,
) -> None:
    """What an MCP host does to stop a server: close stdin, wait a little, then SIGTERM."""
    server_on_fake.start_a_call_that_keeps_running()
    process = server_on_fake.process
    assert process.stdin is not None
    assert process.stdout is not None

    process.stdin.close()
    # The call never ends on its own (its release file is not there): only not waiting exits.
    exit_code = process.wait(timeout=ANSWER_SECONDS)

    assert exit_code == 0
    report = json.loads(server_on_fake.report.read_text())
    assert len(report["started"]) == 1
    assert report["stopped"] == report["started"]


def test_the_server_exits_even_while_an_answer_waits_for_a_host_that_stopped_reading() -> None:
    """A host that is shutting down reads no more; a 1 MB answer then fills the pipe."""
    script = """
from agent.mcp_server import serve_on_stdio
from agent.mcp_stdio import StdioServer, Tool, ToolResult, text_block

def big(arguments):
    return ToolResult(content=(text_block("x" * 1_000_000),))

tools = (Tool(name="big", description="Big.", parameters=(), run=big),)
serve_on_stdio(StdioServer(name="t", version="1", instructions="", tools=tools))
"""
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_environment(),
    )
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        server.stdin.write(json.dumps(INITIALIZE_REQUEST).encode() + b"\n")
        server.stdin.flush()
        read_line(server.stdout)
        server.stdin.write(json.dumps(tool_call(2, "big", {})).encode() + b"\n")
        server.stdin.flush()
        # The answer has begun, and stalls: nobody reads the rest.
        assert within_answer_time(lambda: server.stdout.read(24)) == b'{"jsonrpc":"2.0","id":2,'

        server.stdin.close()
        exit_code = server.wait(timeout=ANSWER_SECONDS)
    finally:
        server.kill()

    assert exit_code == 0


def test_sigterm_during_a_call_stops_the_session_and_exits(
    server_on_fake: ServerOnFake,
) -> None:
    server_on_fake.start_a_call_that_keeps_running()
    process = server_on_fake.process

    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(timeout=ANSWER_SECONDS)

    assert exit_code == 128 + signal.SIGTERM
    report = json.loads(server_on_fake.report.read_text())
    assert len(report["started"]) == 1
    assert report["stopped"] == report["started"]


def test_the_reported_server_version_is_the_project_version() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert pyproject["project"]["version"] == SERVER_VERSION


def test_answering_initialize_loads_neither_the_mcp_sdk_nor_boto3(tmp_path: Path) -> None:
    """What keeps the server's start quick: the heavy packages wait for the first tool call."""
    script = (
        "import sys\n"
        "from agent import mcp_server\n"
        "code = mcp_server.main(['--env', 'dev'])\n"
        "heavy = {'mcp', 'mcp_types', 'pydantic', 'anyio', 'boto3', 'botocore', 'strands'}\n"
        "loaded = sorted(heavy & {name.split('.')[0] for name in sys.modules})\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(INITIALIZE_REQUEST) + "\n",
        env=child_environment(**INTERPRETER_VARIABLES),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert json.loads(finished.stdout)["result"]["protocolVersion"] == "2025-11-25"
    assert finished.stderr.strip().splitlines()[-1] == "0 []", finished.stderr
