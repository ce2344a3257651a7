"""An MCP server (stdio) exposing the environment's code interpreter as tools.

Run it as ``python -m agent.mcp_server --env dev``. Failures of the code, of the command or of
AWS come back as tool results with ``isError`` set and the sandbox's stderr in the text, so the
calling model can read them and correct itself; the server process keeps running.

The server runs in a session of its own (named ``mcp-server-<random>``) unless
``--session-name`` or ``CODE_INTERPRETER_SESSION_NAME`` names one to pick up again; it never
attaches to another caller's session. The protocol is ``agent.mcp_stdio`` (standard library
only); boto3 and the session machinery load on the first tool call, so the MCP host gets its
``initialize`` answer quickly.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agent.cli import (
    add_interpreter_arguments,
    add_session_arguments,
    configure_logging,
    load_config,
)
from agent.errors import AgentError, ArtifactError, SessionError
from agent.exit_codes import ExitCode, exit_code_for
from agent.mcp_stdio import (
    Arguments,
    Parameter,
    StdioServer,
    ToolResult,
    ToolSet,
    error_result,
    image_block,
    text_block,
)
from agentcore_api.discovery import Mount

if TYPE_CHECKING:
    from agent.clients import AwsClients
    from agent.resolve import InterpreterConfig
    from agent.results import Artifact, ExecutionResult
    from agent.session import CodeInterpreterSession

logger = logging.getLogger(__name__)

SERVER_NAME = "agentcore-code-interpreter"
# The project's version (pyproject.toml), reported to MCP hosts.
SERVER_VERSION = "0.1.0"
SESSION_NAME_PREFIX = "mcp-server"
_INSTRUCTIONS = (
    "Runs Python and shell commands in an isolated Amazon Bedrock AgentCore Code Interpreter "
    "sandbox. Files and variables persist between calls while the session lives; if the session "
    "expires a new one is started and earlier files are gone. A call may run up to 15 minutes; "
    "start longer work with start_command_execution and follow it with get_task. Use "
    "save_artifact to keep a file in S3. File paths are relative to the working directory (reading"
    " and listing also accept absolute paths under a mounted file system)."
)
_TASK_ID = Parameter(
    name="task_id", description="the task_id that start_command_execution returned"
)
_SANDBOX_PATH = Parameter(
    name="path",
    description="path relative to the sandbox's working directory, e.g. data.csv (reading"
    " and saving also take an absolute path under a mounted file system)",
)


class SessionOnFirstUse:
    """Creates the server's session when the first tool needs it (thread-safe).

    Creating it loads boto3, botocore's models and the session machinery; deferring that lets
    the server answer ``initialize`` first.
    """

    def __init__(self, create: Callable[[], CodeInterpreterSession]) -> None:
        self._create = create
        self._session: CodeInterpreterSession | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __call__(self) -> CodeInterpreterSession:
        with self._lock:
            if self._closed:
                raise SessionError("The MCP server is shutting down; it starts no session.")
            if self._session is None:
                self._session = self._create()
            return self._session

    def close(self, *, wait_for_calls: bool = True) -> None:
        """Stop the sessions it started, if a tool ever ran (see CodeInterpreterSession.close);
        from then on no tool gets a session."""
        with self._lock:
            self._closed = True
            session = self._session
        if session is not None:
            session.close(wait_for_calls=wait_for_calls)


def instructions(mounts: Sequence[Mount] = ()) -> str:
    """What the model is told about the sandbox; mounted data first, so it looks there."""
    if not mounts:
        return _INSTRUCTIONS
    listed = "; ".join(mount.describe() for mount in mounts)
    return (
        f"Shared data is already mounted in every session: {listed}. Look there first (list_files"
        " and read_file take those absolute paths; Python and shell commands can read them"
        " directly) before asking for files to be uploaded. " + _INSTRUCTIONS
    )


def build_server(
    session: CodeInterpreterSession | Callable[[], CodeInterpreterSession],
    *,
    mounts: Sequence[Mount] = (),
) -> StdioServer:
    """An MCP server whose tools run in ``session`` (or the one a function returns on first use).

    The caller owns the session's lifetime. ``mounts`` (the interpreter's file systems) are
    named in the server's instructions.
    """
    current: Callable[[], CodeInterpreterSession] = (
        session if callable(session) else lambda: session
    )
    tools = ToolSet()

    @tools.tool(
        "Execute Python code in the sandbox and return stdout, stderr and the exit code.\n\n"
        "State (variables, imports, files) persists between calls in the same session.",
        Parameter(name="code", description="Python source to run in the sandbox"),
        Parameter(
            name="description",
            description="optional one-line purpose, added as a comment",
            required=False,
            default="",
        ),
    )
    def execute_python(arguments: Arguments) -> ToolResult:
        code, description = _text(arguments, "code"), arguments["description"]
        source = f"# {description}\n{code}" if description else code
        return _guarded(lambda: _result(current().execute_code(source)))

    @tools.tool(
        "Run a shell command in the sandbox and return stdout, stderr and the exit code.",
        Parameter(name="command", description="shell command line to run in the sandbox"),
    )
    def execute_command(arguments: Arguments) -> ToolResult:
        return _guarded(lambda: _result(current().execute_command(_text(arguments, "command"))))

    @tools.tool(
        "Start a long-running shell command as a task and return its task_id at once.\n\n"
        "For work that may take longer than 15 minutes. Poll it with get_task; stop it with"
        " stop_task. The task ends with the session.",
        Parameter(name="command", description="shell command line to run as a task"),
    )
    def start_command_execution(arguments: Arguments) -> ToolResult:
        command = _text(arguments, "command")
        return _guarded(lambda: _result(current().start_command_execution(command)))

    @tools.tool(
        "Return a task's status (submitted, working, completed, canceled, failed) and output.",
        _TASK_ID,
        read_only=True,
    )
    def get_task(arguments: Arguments) -> ToolResult:
        return _guarded(lambda: _result(current().get_task(_text(arguments, "task_id"))))

    @tools.tool("Stop a running task.", _TASK_ID)
    def stop_task(arguments: Arguments) -> ToolResult:
        return _guarded(lambda: _result(current().stop_task(_text(arguments, "task_id"))))

    @tools.tool(
        "List the files in a sandbox directory.",
        Parameter(
            name="path",
            description="sandbox directory, relative ('.' is the working directory) or an"
            " absolute path under a mounted file system",
            required=False,
            default=".",
        ),
        read_only=True,
    )
    def list_files(arguments: Arguments) -> ToolResult:
        return _guarded(lambda: _result(current().list_files(_text(arguments, "path"))))

    @tools.tool(
        "Read one file from the sandbox and return its content.", _SANDBOX_PATH, read_only=True
    )
    def read_file(arguments: Arguments) -> ToolResult:
        path = _text(arguments, "path")
        return _guarded(lambda: _file_result(path, current().read_files([path])))

    @tools.tool(
        "Copy a sandbox file to the artifact S3 bucket; return its s3:// URI, size and ETag.\n\n"
        "The object is confirmed with S3 before the URI is returned.",
        _SANDBOX_PATH,
        Parameter(
            name="key", description="optional object key below the artifact prefix", required=False
        ),
    )
    def save_artifact(arguments: Arguments) -> ToolResult:
        path, key = _text(arguments, "path"), arguments["key"]
        return _guarded(lambda: _artifact_result(current().save_artifact(path, key=key)))

    return StdioServer(
        name=SERVER_NAME,
        version=SERVER_VERSION,
        instructions=instructions(mounts),
        tools=tools.tools,
    )


def _text(arguments: Arguments, name: str) -> str:
    # Required parameters and those with a default are never None (Tool.arguments_from).
    value = arguments[name]
    if value is None:
        raise ValueError(f"{name} is required")
    return value


def _guarded(call: Callable[[], ToolResult]) -> ToolResult:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - first tool call

    try:
        return call()
    except ArtifactError as error:
        return error_result(str(error), {"stderr": error.stderr})
    except (AgentError, ClientError, BotoCoreError, ValueError) as error:
        # Expected failures become tool errors; anything else is a bug (mcp_stdio reports it).
        return error_result(f"{type(error).__name__}: {error}", {})


def _result(result: ExecutionResult) -> ToolResult:
    content = [text_block(result.summary_text())]
    for image in result.images:
        if image.data is not None:
            encoded = base64.b64encode(image.data).decode("ascii")
            content.append(image_block(encoded, image.mime_type or "image/png"))
    # Some hosts (Claude Code among them) give the model the structured content instead of the
    # blocks when both are present, and the images are lost (anthropics/claude-code#54737); a
    # result with images is sent as blocks only, so the model sees the plot.
    structured = None if len(content) > 1 else result.to_dict()
    return ToolResult(content=tuple(content), structured_content=structured, is_error=result.failed)


def _file_result(path: str, result: ExecutionResult) -> ToolResult:
    if result.failed:
        return _result(result)
    for item in result.resources:
        if item.text is not None:
            return ToolResult(
                content=(text_block(item.text),),
                structured_content={"path": path, "uri": item.uri, "text": item.text},
            )
        if item.data is not None:
            encoded = base64.b64encode(item.data).decode("ascii")
            return ToolResult(
                content=(
                    text_block(f"{path} is binary ({len(item.data)} bytes, base64):\n{encoded}"),
                ),
                structured_content={"path": path, "uri": item.uri, "base64": encoded},
            )
    if result.text:
        return _result(result)
    return error_result(f"The sandbox returned no content for {path}", {"path": path})


def _artifact_result(artifact: Artifact) -> ToolResult:
    text = f"{artifact.uri} ({artifact.size} bytes, ETag {artifact.etag})"
    return ToolResult(content=(text_block(text),), structured_content=artifact.to_dict())


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m agent.mcp_server", description=__doc__)
    add_interpreter_arguments(parser)
    add_session_arguments(parser, name_prefix=SESSION_NAME_PREFIX, default_timeout=900)
    parser.add_argument("--verbose", action="store_true", help="log session events to stderr")
    return parser.parse_args(argv)


def create_session(
    args: argparse.Namespace, clients: AwsClients | None = None
) -> CodeInterpreterSession:
    """The server's session: its own random name unless the arguments name one."""
    config, clients = load_config(args, clients)
    return _session_for(config, clients, args)


def _session_for(
    config: InterpreterConfig, clients: AwsClients, args: argparse.Namespace
) -> CodeInterpreterSession:
    from agent.session import CodeInterpreterSession  # noqa: PLC0415 - see the module doc

    return CodeInterpreterSession(
        config,
        clients=clients,
        session_name=args.session_name,
        name_prefix=args.session_name_prefix,
        session_timeout_seconds=args.session_timeout,
    )


def main(argv: Sequence[str] | None = None, *, clients: AwsClients | None = None) -> int:
    args = parse_arguments(argv)
    configure_logging(args.verbose)
    try:
        # Resolved before serving, so a missing or malformed interpreter exits 2 at once.
        config, resolved_clients = load_config(args, clients)
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    session = SessionOnFirstUse(lambda: _session_for(config, resolved_clients, args))
    server = build_server(session, mounts=config.mounts)
    try:
        with _on_sigterm(_exit_now):
            serve_on_stdio(server)
    except BaseException:
        # The server's own failure matters more than a failed cleanup; log, don't replace it.
        try:
            with _on_sigterm(signal.SIG_IGN):  # already on the way out
                session.close(wait_for_calls=False)
        except SessionError as cleanup_error:
            logger.warning("%s", cleanup_error)
        raise
    try:
        # The host closed stdin: it is shutting the server down and reads no more answers, so a
        # call still running is not waited for (the host kills a server that lingers).
        with _on_sigterm(signal.SIG_IGN):  # a second request to stop changes nothing now
            session.close(wait_for_calls=False)
    except SessionError as error:
        # Stopping our session failed on the way out; say so instead of a traceback.
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    return ExitCode.OK


def _exit_now(signal_number: int, frame: object) -> None:
    """SIGTERM (what a host sends a server that has not exited) ends serving like an error
    would, so the session is stopped on the way out."""
    raise SystemExit(128 + signal_number)


SignalHandler = Callable[[int, Any], None] | int | None


@contextmanager
def _on_sigterm(handler: SignalHandler) -> Iterator[None]:
    """``handler`` answers SIGTERM inside the block (main thread only: signals go there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_on_stdio(server: StdioServer) -> None:
    """Serve on this process's stdin and stdout until stdin ends.

    The protocol gets its own descriptor; file descriptor 1 and ``sys.stdout`` point to stderr
    while serving, so nothing printed (by Python code, C code or a child process) can corrupt it.
    """
    stdout_fd = sys.stdout.fileno()
    sys.stdout.flush()
    # Unbuffered: closing it never waits on a write blocked on a host that stopped reading.
    protocol = os.fdopen(os.dup(stdout_fd), "wb", buffering=0)
    saved_stdout_fd = os.dup(stdout_fd)
    os.dup2(sys.stderr.fileno(), stdout_fd)
    console, sys.stdout = sys.stdout, sys.stderr
    try:
        with protocol:
            server.serve(sys.stdin.buffer, protocol)
    finally:
        sys.stdout = console
        os.dup2(saved_stdout_fd, stdout_fd)
        os.close(saved_stdout_fd)


if __name__ == "__main__":
    sys.exit(main())
