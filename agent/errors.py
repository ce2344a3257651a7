"""Exceptions raised by the agent package.

Every error a caller is expected to handle derives from ``AgentError`` so that CLIs and tool
adapters can turn them into one readable message instead of a traceback. ``ConfigurationError``
marks the errors a caller fixes by changing what it passed (an argument, an environment
variable, a deployment), which the CLIs report with their own exit code.
"""

from __future__ import annotations

from typing import Any


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError (empty for anything else).

    Errors inside an event stream carry the stream member's name ("resourceNotFoundException"),
    HTTP errors the shape's ("ResourceNotFoundException"): both come back as the shape's.
    """
    response: Any = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code[:1].upper() + code[1:]


def error_text(error: BaseException) -> str:
    """ "<Code>: <Message>" of a botocore ClientError, for messages."""
    response: Any = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")


class AgentError(Exception):
    """Base class for errors raised by the agent package."""


class ConfigurationError(AgentError, ValueError):
    """A setting is missing or not accepted: fix the argument, variable or deployment."""


class ResolutionError(ConfigurationError):
    """The interpreter's id, ARN, bucket, prefix or region is missing or malformed."""


class InvalidPathError(AgentError, ValueError):
    """A sandbox path that the tools refuse (absolute, or with a '..' segment)."""


class SessionError(AgentError):
    """A code-interpreter session could not be started, used or stopped."""


class SessionExpiredError(SessionError):
    """The session expired, and so did the single replacement started for the same call."""


class InvokeTimeoutError(SessionError):
    """An InvokeCodeInterpreter call got no answer in time; it was not retried."""


class ArtifactError(AgentError):
    """Copying a file from the sandbox to the artifact bucket failed or could not be confirmed."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class StrandsNotInstalledError(AgentError):
    """The optional strands-agents package is needed for this feature but is not installed."""
