"""Post-deploy smoke check of an environment's code interpreter.

``python -m agent.smoke --env dev`` resolves the interpreter, starts a session of its own, runs
a Python snippet and a shell command, copies a file to the artifact bucket (which S3 HeadObject
confirms), reads the object back and compares its bytes, and stops the session. It prints one
line per step with its duration and exits non-zero naming the first step that failed, so a
deploy pipeline can gate on it: 2 when the interpreter cannot be resolved, 1 when a later step
fails (see ``agent.exit_codes``).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from agent.cli import (
    add_interpreter_arguments,
    add_session_arguments,
    configure_logging,
    load_config,
)
from agent.clients import AwsClients
from agent.errors import AgentError
from agent.exit_codes import ExitCode, exit_code_for
from agent.resolve import InterpreterConfig
from agent.results import Artifact
from agent.session import CodeInterpreterSession

STEPS = (
    "resolve",
    "start-session",
    "execute-python",
    "execute-command",
    "save-artifact",
    "verify-artifact",
    "stop-session",
)
SESSION_NAME_PREFIX = "smoke-check"
SMOKE_COMMAND = "echo agentcore-smoke-command && uname -s"
# The snippet writes the file that save-artifact uploads, so its size is known in advance.
SMOKE_CODE = """
payload = "agentcore smoke check {run_id}\\n"
with open({path!r}, "w", encoding="utf-8") as handle:
    handle.write(payload)
print("agentcore-smoke-python", 6 * 7, len(payload.encode("utf-8")))
"""


class StepFailedError(Exception):
    """A smoke step ran but its outcome was wrong."""


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str
    seconds: float | None
    detail: str

    def line(self) -> str:
        duration = f"{self.seconds:7.2f}s" if self.seconds is not None else "       -"
        return f"{self.status:<4} {self.name:<16} {duration}  {self.detail}"


@dataclass
class _RunState:
    config: InterpreterConfig | None = None
    clients: AwsClients | None = None
    session: CodeInterpreterSession | None = None
    artifact: Artifact | None = None


class SmokeCheck:
    """Runs the steps in order; after a failure only the session cleanup still runs."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        clients: AwsClients | None,
        out: TextIO,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._args = args
        self._state = _RunState(clients=clients)
        self._out = out
        self._clock = clock
        self._run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        self._sandbox_file = f"agentcore_smoke_{self._run_id}.txt"
        self._expected_content = f"agentcore smoke check {self._run_id}\n".encode()
        self.outcomes: list[StepOutcome] = []
        self._failure: BaseException | None = None

    def run(self) -> int:
        actions: dict[str, Callable[[], str]] = {
            "resolve": self._resolve,
            "start-session": self._start_session,
            "execute-python": self._execute_python,
            "execute-command": self._execute_command,
            "save-artifact": self._save_artifact,
            "verify-artifact": self._verify_artifact,
            "stop-session": self._stop_session,
        }
        failed_step: str | None = None
        for name in STEPS:
            cleanup = name == "stop-session" and self._state.session is not None
            if failed_step is not None and not cleanup:
                self._report(StepOutcome(name, "SKIP", None, f"not run: {failed_step} failed"))
                continue
            outcome = self._timed(name, actions[name])
            self._report(outcome)
            if outcome.status == "FAIL" and failed_step is None:
                failed_step = name
        total = sum(outcome.seconds or 0.0 for outcome in self.outcomes)
        if failed_step is not None:
            reason = next(o.detail for o in self.outcomes if o.name == failed_step)
            print(f"smoke check FAILED at step {failed_step}: {reason}", file=sys.stderr)
            return exit_code_for(self._failure) if self._failure else ExitCode.FAILED
        print(f"smoke check passed: {len(STEPS)} steps in {total:.2f}s", file=sys.stderr)
        return ExitCode.OK

    def _timed(self, name: str, action: Callable[[], str]) -> StepOutcome:
        started = self._clock()
        try:
            detail = action()
        except (StepFailedError, AgentError, ClientError, BotoCoreError, ValueError) as error:
            # The first failure decides the exit code: configuration (2) or the check (1).
            self._failure = self._failure or error
            return StepOutcome(name, "FAIL", self._clock() - started, _one_line(str(error)))
        return StepOutcome(name, "PASS", self._clock() - started, detail)

    def _report(self, outcome: StepOutcome) -> None:
        self.outcomes.append(outcome)
        print(outcome.line(), file=self._out, flush=True)

    # -- steps -------------------------------------------------------------------------------

    def _resolve(self) -> str:
        config, clients = load_config(self._args, self._state.clients)
        self._state.config, self._state.clients = config, clients
        config.require_artifact_bucket()
        return (
            f"{config.interpreter_id} in {config.region} (id from {config.sources.interpreter_id})"
        )

    def _start_session(self) -> str:
        config, clients = self._resolved()
        # A session of its own: the check must not disturb, or stop, an agent's session.
        session = CodeInterpreterSession(
            config,
            clients=clients,
            session_name=self._args.session_name,
            name_prefix=self._args.session_name_prefix,
            session_timeout_seconds=self._args.session_timeout,
            reuse_ready_session=False,
        )
        self._state.session = session
        return f"session {session.open()}"

    def _execute_python(self) -> str:
        code = SMOKE_CODE.format(run_id=self._run_id, path=self._sandbox_file)
        result = self._session().execute_code(code)
        expected = f"agentcore-smoke-python 42 {len(self._expected_content)}"
        if result.failed:
            raise StepFailedError(f"code failed: {result.error_message()}")
        if expected not in result.output:
            raise StepFailedError(f"expected {expected!r} in stdout, got {result.output!r}")
        return _timing_detail(result.execution_time_ms, "stdout ok")

    def _execute_command(self) -> str:
        result = self._session().execute_command(SMOKE_COMMAND)
        if result.failed:
            raise StepFailedError(f"command failed: {result.error_message()}")
        if "agentcore-smoke-command" not in result.output:
            raise StepFailedError(f"unexpected stdout {result.output!r}")
        return _timing_detail(result.execution_time_ms, "stdout ok")

    def _save_artifact(self) -> str:
        # save_artifact confirms the object with S3 HeadObject before it returns.
        artifact = self._session().save_artifact(
            self._sandbox_file, key=f"smoke/{self._run_id}.txt"
        )
        self._state.artifact = artifact
        return artifact.uri

    def _verify_artifact(self) -> str:
        _, clients = self._resolved()
        artifact = self._state.artifact
        if artifact is None:
            raise StepFailedError("no artifact was saved")
        # Read it back under the agent's own credentials: the bytes, not just the key, arrived.
        body = clients.s3.get_object(Bucket=artifact.bucket, Key=artifact.key)["Body"].read()
        if body != self._expected_content:
            raise StepFailedError(
                f"{artifact.uri} holds {len(body)} bytes that differ from the "
                f"{len(self._expected_content)} bytes the sandbox wrote"
            )
        return f"{artifact.uri} ({artifact.size} bytes, ETag {artifact.etag}, content matches)"

    def _stop_session(self) -> str:
        session = self._session()
        stopped = session.owned_session_ids
        session.close()
        return "stopped " + ", ".join(stopped) if stopped else "nothing to stop"

    # -- helpers -----------------------------------------------------------------------------

    def _resolved(self) -> tuple[InterpreterConfig, AwsClients]:
        if self._state.config is None or self._state.clients is None:
            raise StepFailedError("the interpreter was not resolved")
        return self._state.config, self._state.clients

    def _session(self) -> CodeInterpreterSession:
        if self._state.session is None:
            raise StepFailedError("no session was started")
        return self._state.session


def _timing_detail(execution_time_ms: float | None, text: str) -> str:
    if execution_time_ms is None:
        return text
    return f"{text}; sandbox time {execution_time_ms:.0f} ms"


def _one_line(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: AwsClients | None = None,
    out: TextIO | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.smoke", description=__doc__)
    add_interpreter_arguments(parser)
    # Short-lived: if stopping fails, the session should not linger for the default 15 minutes.
    add_session_arguments(parser, name_prefix=SESSION_NAME_PREFIX, default_timeout=300)
    parser.add_argument("--verbose", action="store_true", help="log session events to stderr")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    return SmokeCheck(args, clients=clients, out=out or sys.stdout).run()


if __name__ == "__main__":
    sys.exit(main())
