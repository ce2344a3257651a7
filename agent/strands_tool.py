"""An ``execute_python`` tool for Strands agents, backed by a CodeInterpreterSession.

strands-agents is optional: ``run_execute_python`` holds the tool's logic and needs only the
session, while ``create_execute_python_tool`` wraps it with ``strands.tool`` when strands is
installed. The result is a Strands ToolResult, so a failing script reaches the model with
status "error" and its stderr instead of looking like a successful run.
"""

from __future__ import annotations

import importlib
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agent.errors import AgentError, StrandsNotInstalledError
from agent.results import ExecutionResult
from agent.session import CodeInterpreterSession

STRANDS_INSTALL_HINT = "pip install -r requirements-agent-strands.txt"
# Bedrock's Converse API accepts only these image formats in tool results.
_STRANDS_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
TOOL_DESCRIPTION = """Execute Python code in an isolated AgentCore Code Interpreter sandbox.

Use it for calculations, data analysis (pandas, numpy, matplotlib are available) and file
work. Variables and files persist between calls in the same session. Print what you need to
see: only stdout and stderr come back.

Args:
    code: Python source to run.
    description: Optional one-line purpose of the code, added as a comment.
"""


def run_execute_python(
    session: CodeInterpreterSession, code: str, description: str = ""
) -> dict[str, Any]:
    """Run ``code`` and return a Strands ToolResult dict (``status`` and ``content``)."""
    source = f"# {description}\n{code}" if description else code
    try:
        result = session.execute_code(source)
    except (AgentError, ClientError, BotoCoreError) as error:
        return {
            "status": "error",
            "content": [{"text": f"The sandbox call failed: {type(error).__name__}: {error}"}],
        }
    return tool_result(result)


def tool_result(result: ExecutionResult) -> dict[str, Any]:
    """Convert an ExecutionResult into Strands ToolResult content."""
    content: list[dict[str, Any]] = [{"text": result.summary_text()}]
    for image in result.images:
        image_format = _STRANDS_IMAGE_FORMATS.get(image.mime_type or "")
        if image.data is not None and image_format is not None:
            content.append({"image": {"format": image_format, "source": {"bytes": image.data}}})
    return {"status": "error" if result.failed else "success", "content": content}


def strands_available() -> bool:
    try:
        importlib.import_module("strands")
    except ImportError:
        return False
    return True


def create_execute_python_tool(session: CodeInterpreterSession) -> Any:
    """A Strands tool named ``execute_python`` that runs code in ``session``.

    Raises StrandsNotInstalledError (with the install command) when strands is absent.
    """
    try:
        strands = importlib.import_module("strands")
    except ImportError as error:
        raise StrandsNotInstalledError(
            f"The Strands tool needs strands-agents: {STRANDS_INSTALL_HINT}"
        ) from error

    def execute_python(code: str, description: str = "") -> dict[str, Any]:
        return run_execute_python(session, code, description)

    execute_python.__doc__ = TOOL_DESCRIPTION
    return strands.tool(execute_python)
