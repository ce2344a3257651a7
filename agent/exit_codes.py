"""One exit code per kind of failure, shared by every agent command.

``python -m agent.mcp_server``, ``agent.eda``, ``agent.smoke`` and ``agent.sessions`` (and
scripts/verify.py) exit with these, so a script or a pipeline can tell "fix the configuration"
from "the work itself failed" without reading text.
argparse already exits 2 for bad arguments; configuration and resolution errors join it.
"""

from __future__ import annotations

from enum import IntEnum

from agent.errors import ConfigurationError


class ExitCode(IntEnum):
    OK = 0
    # The check or the work itself failed: a smoke step, the analysis, a sandbox or AWS call.
    FAILED = 1
    # Nothing ran: bad arguments, an interpreter, bucket or region that cannot be found or is
    # malformed, a setting the API does not accept, a missing input file.
    CONFIGURATION = 2


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code for an error that ended a command."""
    if isinstance(error, ConfigurationError):
        return ExitCode.CONFIGURATION
    return ExitCode.FAILED
