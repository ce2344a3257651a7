"""Exceptions raised by the agent package.

Every error a caller is expected to handle derives from ``AgentError`` so that CLIs and tool
adapters can turn them into one readable message instead of a traceback.
"""

from __future__ import annotations


class AgentError(Exception):
    """Base class for errors raised by the agent package."""


class ResolutionError(AgentError):
    """The interpreter's id, ARN, bucket, prefix or region is missing or malformed."""


class SessionError(AgentError):
    """A code-interpreter session could not be started, used or stopped."""


class SessionExpiredError(SessionError):
    """The session expired, and so did the single replacement started for the same call."""


class ArtifactError(AgentError):
    """Copying a file from the sandbox to the artifact bucket failed."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class StrandsNotInstalledError(AgentError):
    """The optional strands-agents package is needed for this feature but is not installed."""
