"""A code-interpreter session that survives expiry and cleans up after itself.

Sessions expire after ``sessionTimeoutSeconds`` whatever their activity, so a long-lived agent
(an MCP server, a chat loop) will meet a dead session sooner or later. Each call therefore
detects an expired session and retries once on a fresh one. Sessions this object did not start
(reused READY sessions) may belong to another agent and are never stopped by it.
"""

from __future__ import annotations

import logging
import posixpath
import re
import shlex
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from agent.clients import create_agentcore_client
from agent.errors import ArtifactError, SessionError, SessionExpiredError
from agent.results import ExecutionResult, aggregate_stream

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_bedrock_agentcore.literals import ToolNameType
    from mypy_boto3_bedrock_agentcore.type_defs import (
        CodeInterpreterSessionSummaryTypeDef,
        InputContentBlockTypeDef,
        ToolArgumentsTypeDef,
    )

    from agent.resolve import InterpreterConfig

logger = logging.getLogger(__name__)

DEFAULT_SESSION_NAME = "agent-session"
DEFAULT_SESSION_TIMEOUT_SECONDS = 900
MAX_SESSION_TIMEOUT_SECONDS = 28_800
Language = Literal["python", "javascript", "typescript"]

_GONE_WORDS = re.compile(r"terminat|expired|not found|does not exist|no longer|stopped", re.I)
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class CodeInterpreterSession:
    """Run code, commands and file operations in one sandbox session.

    The session is acquired on first use (or by ``open()``): a READY session of the
    interpreter is reused when ``reuse_ready_session`` is true, otherwise one is started.
    Leaving the ``with`` block stops the sessions this object started, and only those.
    Calls are serialised, so one object can be shared by an MCP server's worker threads.
    """

    def __init__(
        self,
        config: InterpreterConfig,
        *,
        client: BedrockAgentCoreClient | None = None,
        session_name: str = DEFAULT_SESSION_NAME,
        session_timeout_seconds: int = DEFAULT_SESSION_TIMEOUT_SECONDS,
        reuse_ready_session: bool = True,
    ) -> None:
        if not 1 <= len(session_name) <= 100:
            raise ValueError("session_name must have 1 to 100 characters")
        if not 1 <= session_timeout_seconds <= MAX_SESSION_TIMEOUT_SECONDS:
            raise ValueError(
                f"session_timeout_seconds must be between 1 and {MAX_SESSION_TIMEOUT_SECONDS}"
            )
        self.config = config
        self.session_name = session_name
        self.session_timeout_seconds = session_timeout_seconds
        self.reuse_ready_session = reuse_ready_session
        self._client = client or create_agentcore_client(config.region)
        self._lock = threading.RLock()
        self._session_id: str | None = None
        self._owned: list[str] = []
        self._restarts = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> CodeInterpreterSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
            return
        # The original exception matters more than a failed cleanup; report, don't replace it.
        try:
            self.close()
        except SessionError as cleanup_error:
            logger.warning("%s", cleanup_error)

    @property
    def session_id(self) -> str | None:
        """The session in use, or None before the first call."""
        return self._session_id

    @property
    def owned_session_ids(self) -> tuple[str, ...]:
        """Sessions started by this object and not yet stopped."""
        return tuple(self._owned)

    @property
    def restarts(self) -> int:
        """How many times an expired session was replaced."""
        return self._restarts

    def open(self) -> str:
        """Acquire a session now (instead of on first use) and return its id."""
        with self._lock:
            return self._ensure_session()

    def close(self) -> None:
        """Stop every session this object started; raise SessionError if any stop failed."""
        with self._lock:
            failures = []
            for session_id in list(self._owned):
                try:
                    self._client.stop_code_interpreter_session(
                        codeInterpreterIdentifier=self.config.interpreter_id, sessionId=session_id
                    )
                except ClientError as error:
                    if not _says_session_is_gone(error):
                        failures.append(f"{session_id}: {_client_error_text(error)}")
                        continue
                logger.info("stopped code interpreter session %s", session_id)
                self._owned.remove(session_id)
            self._session_id = None
            if failures:
                raise SessionError("Could not stop session(s) " + "; ".join(failures))

    # -- operations --------------------------------------------------------------------------

    def execute_code(
        self, code: str, language: Language = "python", *, clear_context: bool = False
    ) -> ExecutionResult:
        arguments: ToolArgumentsTypeDef = {"code": code, "language": language}
        if clear_context:
            arguments["clearContext"] = True
        return self.invoke("executeCode", arguments)

    def execute_command(self, command: str) -> ExecutionResult:
        return self.invoke("executeCommand", {"command": command})

    def write_files(self, files: Mapping[str, str | bytes]) -> ExecutionResult:
        """Write files into the sandbox; text is sent as text, bytes as a blob."""
        if not files:
            raise ValueError("write_files needs at least one file")
        blocks: list[InputContentBlockTypeDef] = []
        for path, data in files.items():
            _require_path(path)
            if isinstance(data, bytes):
                blocks.append({"path": path, "blob": data})
            else:
                blocks.append({"path": path, "text": data})
        return self.invoke("writeFiles", {"content": blocks})

    def read_files(self, paths: Sequence[str]) -> ExecutionResult:
        if not paths:
            raise ValueError("read_files needs at least one path")
        for path in paths:
            _require_path(path)
        return self.invoke("readFiles", {"paths": list(paths)})

    def list_files(self, path: str = "") -> ExecutionResult:
        """List a sandbox directory; ``""`` is the session's working directory."""
        return self.invoke("listFiles", {"directoryPath": path})

    def remove_files(self, paths: Sequence[str]) -> ExecutionResult:
        if not paths:
            raise ValueError("remove_files needs at least one path")
        return self.invoke("removeFiles", {"paths": list(paths)})

    def save_artifact(self, path: str, *, key: str | None = None) -> str:
        """Copy a sandbox file to the artifact bucket and return its ``s3://`` URI.

        The copy runs inside the sandbox (``aws s3 cp`` under the interpreter's execution
        role), so the file never passes through this process. Without ``key`` the object is
        stored as ``<prefix><session id>/<file name>`` so that agents sharing a bucket do not
        overwrite each other; ``key`` is relative to the artifact prefix.
        """
        _require_path(path)
        bucket = self.config.require_artifact_bucket()
        with self._lock:
            session_id = self._ensure_session()
            object_key = self.config.artifact_prefix + (
                _checked_key(key) if key is not None else _default_key(session_id, path)
            )
            uri = f"s3://{bucket}/{object_key}"
            result = self.execute_command(build_copy_command(path, uri, self.config.region))
        if result.failed:
            raise ArtifactError(
                f"Could not copy {path} to {uri}: {result.error_message()}", stderr=result.stderr
            )
        logger.info("saved artifact %s", uri)
        return uri

    def invoke(self, operation: ToolNameType, arguments: ToolArgumentsTypeDef) -> ExecutionResult:
        """Run one InvokeCodeInterpreter call, replacing an expired session once."""
        with self._lock:
            session_id = self._ensure_session()
            try:
                return self._invoke_on(session_id, operation, arguments)
            except ClientError as error:
                if not self._session_is_gone(session_id, error):
                    raise
                logger.warning(
                    "code interpreter session %s is no longer usable (%s); starting a new one. "
                    "Files and variables from the old session are gone.",
                    session_id,
                    _client_error_text(error),
                )
            replacement = self._replace_session(session_id)
            try:
                return self._invoke_on(replacement, operation, arguments)
            except ClientError as error:
                if self._session_is_gone(replacement, error):
                    raise SessionExpiredError(
                        f"Session {replacement} ended right after it replaced expired session "
                        f"{session_id}; giving up ({_client_error_text(error)})."
                    ) from error
                raise

    # -- internals ---------------------------------------------------------------------------

    def _invoke_on(
        self, session_id: str, operation: ToolNameType, arguments: ToolArgumentsTypeDef
    ) -> ExecutionResult:
        response = self._client.invoke_code_interpreter(
            codeInterpreterIdentifier=self.config.interpreter_id,
            sessionId=session_id,
            name=operation,
            arguments=arguments,
        )
        stream = response["stream"]
        try:
            return aggregate_stream(operation, stream)
        finally:
            stream.close()

    def _ensure_session(self) -> str:
        if self._session_id is None:
            reused = self._find_ready_session() if self.reuse_ready_session else None
            if reused is not None:
                logger.info("reusing READY code interpreter session %s", reused)
                self._session_id = reused
            else:
                self._session_id = self._start_session()
        return self._session_id

    def _find_ready_session(self) -> str | None:
        response = self._client.list_code_interpreter_sessions(
            codeInterpreterIdentifier=self.config.interpreter_id, status="READY", maxResults=100
        )
        ready = [item for item in response.get("items", []) if item.get("status") == "READY"]
        if not ready:
            return None

        # Prefer our own name (likely our earlier run), then the newest (most time left).
        def preference(item: CodeInterpreterSessionSummaryTypeDef) -> tuple[bool, float]:
            return item.get("name") == self.session_name, item["createdAt"].timestamp()

        return max(ready, key=preference)["sessionId"]

    def _start_session(self) -> str:
        response = self._client.start_code_interpreter_session(
            codeInterpreterIdentifier=self.config.interpreter_id,
            name=self.session_name,
            sessionTimeoutSeconds=self.session_timeout_seconds,
        )
        session_id = response["sessionId"]
        self._owned.append(session_id)
        logger.info("started code interpreter session %s", session_id)
        return session_id

    def _replace_session(self, expired: str) -> str:
        if expired in self._owned:
            self._owned.remove(expired)
        self._session_id = self._start_session()
        self._restarts += 1
        return self._session_id

    def _session_is_gone(self, session_id: str, error: ClientError) -> bool:
        code = _error_code(error)
        if code == "ResourceNotFoundException":
            return True
        if code != "ValidationException":
            return False
        if _says_session_is_gone(error):
            return True
        # A ValidationException can also mean bad arguments; only the session's own status
        # tells the two apart.
        try:
            status = self._client.get_code_interpreter_session(
                codeInterpreterIdentifier=self.config.interpreter_id, sessionId=session_id
            ).get("status")
        except ClientError as lookup_error:
            return _error_code(lookup_error) == "ResourceNotFoundException"
        return status == "TERMINATED"


def build_copy_command(source_path: str, destination_uri: str, region: str) -> str:
    """The shell command that copies a sandbox file to S3, every argument quoted."""
    # A path starting with '-' would be read as an option by the AWS CLI.
    source = f"./{source_path}" if source_path.startswith("-") else source_path
    return shlex.join(
        ["aws", "s3", "cp", source, destination_uri, "--only-show-errors", "--region", region]
    )


def _default_key(session_id: str, path: str) -> str:
    name = _UNSAFE_KEY_CHARS.sub("_", posixpath.basename(path.rstrip("/"))).strip("._")
    return f"{session_id}/{name or 'artifact'}"


def _checked_key(key: str) -> str:
    segments = key.split("/")
    if (
        not key
        or key.startswith("/")
        or any(segment in {"", ".", ".."} for segment in segments)
        or any(_UNSAFE_KEY_CHARS.search(segment) for segment in segments)
    ):
        raise ValueError(
            f"Invalid artifact key {key!r}: use a relative path of letters, digits, '.', '_' "
            "and '-' segments, without '..'"
        )
    return key


def _require_path(path: str) -> None:
    if not path or "\x00" in path:
        raise ValueError(f"Invalid sandbox path {path!r}")


def _error_code(error: ClientError) -> str:
    # Errors inside the event stream carry the stream member name ("resourceNotFoundException");
    # HTTP errors carry the shape name ("ResourceNotFoundException").
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code[:1].upper() + code[1:]


def _client_error_text(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")


def _says_session_is_gone(error: ClientError) -> bool:
    code = _error_code(error)
    if code == "ResourceNotFoundException":
        return True
    message = str(error.response.get("Error", {}).get("Message", ""))
    return code == "ValidationException" and bool(_GONE_WORDS.search(message))
