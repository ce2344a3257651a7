"""An MCP server (stdio) exposing the environment's code interpreter as tools.

Run it as ``python -m agent.mcp_server --env dev``. Failures of the code, of the command or of
AWS come back as tool results with ``isError`` set and the sandbox's stderr in the text, so the
calling model can read them and correct itself; the server process keeps running.
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Callable, Sequence
from typing import Annotated

import anyio.to_thread
from botocore.exceptions import BotoCoreError, ClientError
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent
from pydantic import Field

from agent.cli import (
    add_interpreter_arguments,
    add_session_arguments,
    configure_logging,
    load_config,
)
from agent.clients import AwsClients
from agent.errors import AgentError, ArtifactError
from agent.results import ExecutionResult
from agent.session import CodeInterpreterSession

SERVER_NAME = "agentcore-code-interpreter"
_INSTRUCTIONS = (
    "Runs Python and shell commands in an isolated Amazon Bedrock AgentCore Code Interpreter "
    "sandbox. Files and variables persist between calls while the session lives; if the session "
    "expires a new one is started and earlier files are gone. Use save_artifact to keep a file "
    "in S3."
)

# Expected failures become tool errors; anything else is a bug and should surface as one.
_TOOL_FAILURES = (AgentError, ClientError, BotoCoreError, ValueError)


def build_server(session: CodeInterpreterSession) -> MCPServer:
    """An MCP server whose tools run in ``session``; the caller owns the session's lifetime."""
    server: MCPServer = MCPServer(SERVER_NAME, instructions=_INSTRUCTIONS)

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
        return await _run(lambda: _result(session.execute_code(source)))

    @server.tool()
    async def execute_command(
        command: Annotated[str, Field(description="shell command line to run in the sandbox")],
    ) -> CallToolResult:
        """Run a shell command in the sandbox and return stdout, stderr and the exit code."""
        return await _run(lambda: _result(session.execute_command(command)))

    @server.tool()
    async def list_files(
        path: Annotated[
            str, Field(description="sandbox directory; empty for the working directory")
        ] = "",
    ) -> CallToolResult:
        """List the files in a sandbox directory."""
        return await _run(lambda: _result(session.list_files(path)))

    @server.tool()
    async def read_file(
        path: Annotated[str, Field(description="path of the file in the sandbox")],
    ) -> CallToolResult:
        """Read one file from the sandbox and return its content."""
        return await _run(lambda: _file_result(path, session.read_files([path])))

    @server.tool()
    async def save_artifact(
        path: Annotated[str, Field(description="path of the file in the sandbox")],
        key: Annotated[
            str | None,
            Field(description="optional object key below the artifact prefix"),
        ] = None,
    ) -> CallToolResult:
        """Copy a sandbox file to the artifact S3 bucket and return its s3:// URI."""
        return await _run(lambda: _artifact_result(session.save_artifact(path, key=key)))

    return server


async def _run(call: Callable[[], CallToolResult]) -> CallToolResult:
    # boto3 blocks; a worker thread keeps the event loop answering while the sandbox works.
    try:
        return await anyio.to_thread.run_sync(call)
    except ArtifactError as error:
        return _error(str(error), {"stderr": error.stderr})
    except _TOOL_FAILURES as error:
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


def _artifact_result(uri: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(text=uri)], structured_content={"uri": uri})


def _error(message: str, details: dict[str, str]) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(text=message)],
        structured_content={"error": message, **details},
        is_error=True,
    )


def main(argv: Sequence[str] | None = None, *, clients: AwsClients | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.mcp_server", description=__doc__)
    add_interpreter_arguments(parser)
    add_session_arguments(parser, default_name="mcp-server-session")
    parser.add_argument("--verbose", action="store_true", help="log session events to stderr")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        config, clients = load_config(args, clients)
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    session = CodeInterpreterSession(
        config,
        client=clients.agentcore,
        session_name=args.session_name,
        session_timeout_seconds=args.session_timeout,
    )
    with session:
        build_server(session).run("stdio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
