"""Use the CDK-deployed AgentCore Code Interpreter from agent code.

Entry points: ``resolve`` finds the interpreter of an environment, ``CodeInterpreterSession``
runs code in it; ``python -m agent.mcp_server``, ``agent.eda``, ``agent.smoke`` and
``agent.sessions`` (housekeeping) are the CLIs, and ``agent.strands_tool`` adapts the session
for Strands agents.

The session machinery (and with it botocore) is imported on first access (PEP 562), so
``python -m agent.mcp_server`` answers its MCP host before it loads what the first tool call
needs. Everything else here is light and imported at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.clients import AwsClients
from agent.errors import (
    AgentError,
    ArtifactError,
    ConfigurationError,
    InvalidPathError,
    InvokeTimeoutError,
    ResolutionError,
    SessionError,
    SessionExpiredError,
    StrandsNotInstalledError,
)
from agent.exit_codes import ExitCode
from agent.resolve import BUILTIN_INTERPRETER_ID, InterpreterConfig, ValueSources, resolve
from agent.results import Artifact, ContentItem, ExecutionResult

if TYPE_CHECKING:
    from agent.session import CodeInterpreterSession, unique_session_name

_FROM_SESSION = ("CodeInterpreterSession", "unique_session_name")

__all__ = [
    "BUILTIN_INTERPRETER_ID",
    "AgentError",
    "Artifact",
    "ArtifactError",
    "AwsClients",
    "CodeInterpreterSession",
    "ConfigurationError",
    "ContentItem",
    "ExecutionResult",
    "ExitCode",
    "InterpreterConfig",
    "InvalidPathError",
    "InvokeTimeoutError",
    "ResolutionError",
    "SessionError",
    "SessionExpiredError",
    "StrandsNotInstalledError",
    "ValueSources",
    "resolve",
    "unique_session_name",
]


def __getattr__(name: str) -> Any:
    if name in _FROM_SESSION:
        from agent import session  # noqa: PLC0415 - deferred on purpose, see the module doc

        return getattr(session, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
