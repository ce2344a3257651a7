"""An MCP server (stdio) exposing the environment's code interpreter as tools.

Run it as ``python -m agent.mcp_server --env dev``. Failures of the code, of the command or of
AWS come back as tool results with ``isError`` set and the sandbox's stderr in the text, so the
calling model can read them and correct itself; the server process keeps running.

The server runs in a session of its own (named ``mcp-server-<random>``) unless
``--session-name`` or ``CODE_INTERPRETER_SESSION_NAME`` names one to pick up again; it never
attaches to another caller's session. boto3 and the session machinery load on the first tool
call, so the MCP host gets its ``initialize`` answer quickly.
"""

from __future__ import annotations

import argparse
import base64
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent
from pydantic import Field

from agent.cli import (
    add_interpreter_arguments,
    add_session_arguments,
    configure_logging,
    load_config,
)
from agent.errors import AgentError, ArtifactError, SessionError
from agent.exit_codes import ExitCode, exit_code_for
from agentcore_api.discovery import Mount

if TYPE_CHECKING:
    from agent.clients import AwsClients
    from agent.resolve import InterpreterConfig
    from agent.results import Artifact, ExecutionResult
    from agent.session import CodeInterpreterSession

logger = logging.getLogger(__name__)

SERVER_NAME = "agentcore-code-interpreter"
SESSION_NAME_PREFIX = "mcp-server"
_INSTRUCTIONS = (
    "Runs Python and shell commands in an isolated Amazon Bedrock AgentCore Code Interpreter "
    "sandbox. Files and variables persist between calls while the session lives; if the session "
    "expires a new one is started and earlier files are gone. A call may run up to 15 minutes; "
    "start longer work with start_command_execution and follow it with get_task. Use "
    "save_artifact to keep a file in S3. File paths are relative to the working directory (reading"
    " and listing also accept absolute paths under a mounted file system)."
)
TaskId = Annotated[str, Field(description="the task_id that start_command_execution returned")]
SandboxPath = Annotated[
    str,
    Field(
        description="path relative to the sandbox's working directory, e.g. data.csv (reading"
        " and saving also take an absolute path under a mounted file system)"
    ),
]


class SessionOnFirstUse:
    """Creates the server's session when the first tool needs it (thread-safe).

    Creating it loads boto3, botocore's models and the session machinery; deferring that lets
    the server answer ``initialize`` first.
    """

    def __init__(self, create: Callable[[], CodeInterpreterSession]) -> None:
        self._create = create
        self._session: CodeInterpreterSession | None = None
        self._lock = threading.Lock()

    def __call__(self) -> CodeInterpreterSession:
        with self._lock:
            if self._session is None:
                self._session = self._create()
            return self._session

    def close(self) -> None:
        """Stop the sessions it started, if a tool ever ran."""
        if self._session is not None:
            self._session.close()


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
) -> MCPServer:
    """An MCP server whose tools run in ``session`` (or the one a function returns on first use).

    The caller owns the session's lifetime. ``mounts`` (the interpreter's file systems) are
    named in the server's instructions.
    """
    server: MCPServer = MCPServer(SERVER_NAME, instructions=instructions(mounts))
    current: Callable[[], CodeInterpreterSession] = (
        session if callable(session) else lambda: session
    )

    @server.tool()
    async def execute_python(
        code: Annotated[str, Field(description="Python source to run in the sandbox")],
        description: Annotated[
            str, Field(description="optional one-line purpose, added as a comment")
        ] = "",
    ) -> CallToolResult:
        """Execute Python code in the sandbox and return stdout, stderr and the exit code.

        State (variables, imports, files) persists between calls in the same session.
        """
        source = f"# {description}\n{code}" if description else code
        return await _run(lambda: _result(current().execute_code(source)))

    @server.tool()
    async def execute_command(
        command: Annotated[str, Field(description="shell command line to run in the sandbox")],
    ) -> CallToolResult:
        """Run a shell command in the sandbox and return stdout, stderr and the exit code."""
        return await _run(lambda: _result(current().execute_command(command)))

    @server.tool()
    async def start_command_execution(
        command: Annotated[str, Field(description="shell command line to run as a task")],
    ) -> CallToolResult:
        """Start a long-running shell command as a task and return its task_id at once.

        For work that may take longer than 15 minutes. Poll it with get_task; stop it with
        stop_task. The task ends with the session.
        """
        return await _run(lambda: _result(current().start_command_execution(command)))

    @server.tool()
    async def get_task(task_id: TaskId) -> CallToolResult:
        """Return a task's status (submitted, working, completed, canceled, failed) and output."""
        return await _run(lambda: _result(current().get_task(task_id)))

    @server.tool()
    async def stop_task(task_id: TaskId) -> CallToolResult:
        """Stop a running task."""
        return await _run(lambda: _result(current().stop_task(task_id)))

    @server.tool()
    async def list_files(
        path: Annotated[
            str,
            Field(
                description="sandbox directory, relative ('.' is the working directory) or an"
                " absolute path under a mounted file system"
            ),
        ] = ".",
    ) -> CallToolResult:
        """List the files in a sandbox directory."""
        return await _run(lambda: _result(current().list_files(path)))

    @server.tool()
    async def read_file(path: SandboxPath) -> CallToolResult:
        """Read one file from the sandbox and return its content."""
        return await _run(lambda: _file_result(path, current().read_files([path])))

    @server.tool()
    async def save_artifact(
        path: SandboxPath,
        key: Annotated[
            str | None,
            Field(description="optional object key below the artifact prefix"),
        ] = None,
    ) -> CallToolResult:
        """Copy a sandbox file to the artifact S3 bucket; return its s3:// URI, size and ETag.

        The object is confirmed with S3 before the URI is returned.
        """
        return await _run(lambda: _artifact_result(current().save_artifact(path, key=key)))

    return server


async def _run(call: Callable[[], CallToolResult]) -> CallToolResult:
    # boto3 blocks; a worker thread keeps the event loop answering while the sandbox works.
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - first tool call

    try:
        return await anyio.to_thread.run_sync(call)
    except ArtifactError as error:
        return _error(str(error), {"stderr": error.stderr})
    except (AgentError, ClientError, BotoCoreError, ValueError) as error:
        # Expected failures become tool errors; anything else is a bug and surfaces as one.
        return _error(f"{type(error).__name__}: {error}", {})


def _result(result: ExecutionResult) -> CallToolResult:
    content: list[ContentBlock] = [TextContent(text=result.summary_text())]
    for image in result.images:
        if image.data is not None:
            content.append(
                ImageContent(
                    data=base64.b64encode(image.data).decode("ascii"),
                    mime_type=image.mime_type or "image/png",
                )
            )
    return CallToolResult(
        content=content, structured_content=result.to_dict(), is_error=result.failed
    )


def _file_result(path: str, result: ExecutionResult) -> CallToolResult:
    if result.failed:
        return _result(result)
    for item in result.resources:
        if item.text is not None:
            return CallToolResult(
                content=[TextContent(text=item.text)],
                structured_content={"path": path, "uri": item.uri, "text": item.text},
            )
        if item.data is not None:
            encoded = base64.b64encode(item.data).decode("ascii")
            return CallToolResult(
                content=[
                    TextContent(
                        text=f"{path} is binary ({len(item.data)} bytes, base64):\n{encoded}"
                    )
                ],
                structured_content={"path": path, "uri": item.uri, "base64": encoded},
            )
    if result.text:
        return _result(result)
    return _error(f"The sandbox returned no content for {path}", {"path": path})


def _artifact_result(artifact: Artifact) -> CallToolResult:
    text = f"{artifact.uri} ({artifact.size} bytes, ETag {artifact.etag})"
    return CallToolResult(content=[TextContent(text=text)], structured_content=artifact.to_dict())


def _error(message: str, details: dict[str, Any]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(text=message)],
        structured_content={"error": message, **details},
        is_error=True,
    )


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
    try:
        build_server(session, mounts=config.mounts).run("stdio")
    except BaseException:
        # The server's own failure matters more than a failed cleanup; log, don't replace it.
        try:
            session.close()
        except SessionError as cleanup_error:
            logger.warning("%s", cleanup_error)
        raise
    try:
        session.close()
    except SessionError as error:
        # Stopping our session failed on the way out; say so instead of a traceback.
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
