"""Use the CDK-deployed AgentCore Code Interpreter from agent code.

Entry points: ``resolve`` finds the interpreter of an environment, ``CodeInterpreterSession``
runs code in it; ``python -m agent.mcp_server``, ``agent.eda`` and ``agent.smoke`` are the CLIs,
and ``agent.strands_tool`` adapts the session for Strands agents.
"""

from agent.clients import AwsClients
from agent.errors import (
    AgentError,
    ArtifactError,
    ResolutionError,
    SessionError,
    SessionExpiredError,
    StrandsNotInstalledError,
)
from agent.resolve import BUILTIN_INTERPRETER_ID, InterpreterConfig, ValueSources, resolve
from agent.results import ContentItem, ExecutionResult
from agent.session import CodeInterpreterSession

__all__ = [
    "BUILTIN_INTERPRETER_ID",
    "AgentError",
    "ArtifactError",
    "AwsClients",
    "CodeInterpreterSession",
    "ContentItem",
    "ExecutionResult",
    "InterpreterConfig",
    "ResolutionError",
    "SessionError",
    "SessionExpiredError",
    "StrandsNotInstalledError",
    "ValueSources",
    "resolve",
]
