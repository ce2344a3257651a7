"""A code-interpreter session that belongs to one caller, survives expiry and cleans up.

An interpreter is shared by every agent of an environment, and every caller allowed to list its
sessions sees all of them: IAM grants session actions per interpreter, not per session, so
keeping sessions apart is this package's job. A session is only ever reused when it is the
caller's by configuration: same interpreter and the exact session name the caller configured.
Without a configured name each object gets a random one (``agent-3f9c...``), which nobody else
has, and starts its own session; naming a session (``session_name=``, ``--session-name`` or
``CODE_INTERPRETER_SESSION_NAME`` for the CLIs) is the explicit choice to pick it up again
after a restart. Sessions this object did not start are never stopped by it.

Sessions expire after ``sessionTimeoutSeconds`` whatever their activity, so a long-lived agent
(an MCP server, a chat loop) will meet a dead session sooner or later. Each call therefore
detects an expired session and retries once on a fresh one (with the same name).

InvokeCodeInterpreter is not idempotent, so its client never retries (see ``agent.clients``);
work that may take longer than the service's 15-minute limit for a synchronous request runs as
a task: ``start_command_execution``, then ``get_task`` / ``wait_for_task`` / ``stop_task``.
"""

from __future__ import annotations

import logging
import posixpath
import re
import secrets
import shlex
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
from urllib3.exceptions import ReadTimeoutError as StreamReadTimeoutError

from agent.clients import SERVICE_SYNCHRONOUS_LIMIT_SECONDS, AwsClients
from agent.errors import (
    ArtifactError,
    ConfigurationError,
    InvalidPathError,
    InvokeTimeoutError,
    SessionError,
    SessionExpiredError,
    error_code,
    error_text,
)
from agent.results import Artifact, ExecutionResult, aggregate_stream
from agent.shapes import shape_problems
from agentcore_api.constraints import data_plane
from agentcore_api.discovery import Mount

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore.literals import ToolNameType
    from mypy_boto3_bedrock_agentcore.type_defs import (
        CodeInterpreterSessionSummaryTypeDef,
        InputContentBlockTypeDef,
        ToolArgumentsTypeDef,
    )

    from agent.resolve import InterpreterConfig

logger = logging.getLogger(__name__)

DEFAULT_SESSION_NAME_PREFIX = "agent"
DEFAULT_SESSION_TIMEOUT_SECONDS = 900
Language = Literal["python", "javascript", "typescript"]
# 16 hex digits (64 random bits) after the prefix: unique per object without coordination.
_NAME_SUFFIX_BYTES = 8
# Listing stops after this many pages: 100 pages of 100 is ten times the account's quota of
# concurrent sessions, so more means the service keeps answering with a next page.
MAX_SESSION_LIST_PAGES = 100
# How long a shutdown waits for a session start already on its way, so it can stop that
# session too; an MCP host escalates to SIGKILL a few seconds after SIGTERM.
SHUTDOWN_START_WAIT_SECONDS = 5

_GONE_WORDS = re.compile(r"terminat|expired|not found|does not exist|no longer|stopped", re.I)
_UNSAFE_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_SANDBOX_PATH_RULE = (
    "use a path relative to the session's working directory, such as 'data.csv' or "
    "'out/chart.png': absolute paths and '..' segments are not allowed"
)


def unique_session_name(prefix: str = DEFAULT_SESSION_NAME_PREFIX) -> str:
    """``<prefix>-<16 random hex digits>``: readable, and no other caller's by accident."""
    return f"{prefix}-{secrets.token_hex(_NAME_SUFFIX_BYTES)}"


def sandbox_path(
    path: str, *, allow_current_directory: bool = False, mounts: Sequence[Mount] = ()
) -> str:
    """``path`` if the file tools accept it, else an InvalidPathError naming it.

    The service and AWS's SDK refuse absolute paths for writeFiles; this package applies the
    same rule, and refuses '..', for every path it sends, so a tool call cannot reach outside
    the session's working directory. The one exception is a path under a file system the
    interpreter mounts (``mounts``), which is where its shared data is: reading, listing and
    saving it take that absolute path.
    """
    if not isinstance(path, str) or not path or "\x00" in path:
        raise InvalidPathError(f"Invalid sandbox path {path!r}: {_SANDBOX_PATH_RULE}.")
    if ".." in path.split("/"):
        raise InvalidPathError(f"Sandbox path {path!r} has a '..' segment: {_SANDBOX_PATH_RULE}.")
    if any(_is_under(path, mount.path) for mount in mounts):
        return path
    if path.startswith("/"):
        mounted = ", ".join(mount.path for mount in mounts)
        hint = f" (or a path under a mounted file system: {mounted})" if mounted else ""
        raise InvalidPathError(
            f"Absolute sandbox path {path!r} refused: {_SANDBOX_PATH_RULE}{hint}."
        )
    if not allow_current_directory and posixpath.normpath(path) == ".":
        raise InvalidPathError(f"Sandbox path {path!r} names the directory, not a file.")
    return path


def _is_under(path: str, directory: str) -> bool:
    root = directory.rstrip("/")
    return path == root or path.startswith(f"{root}/")


class CodeInterpreterSession:
    """Run code, commands and file operations in one sandbox session of this caller's.

    The session is acquired on first use (or by ``open()``). With an explicit ``session_name``
    (and ``reuse_ready_session``), a READY session of the interpreter with exactly that name is
    picked up; otherwise a session is started under the name. Leaving the ``with`` block stops
    the sessions this object started, and only those. Calls are serialised, so one object can
    be shared by an MCP server's worker threads; give each user of a multi-user application an
    object (and so a session) of their own.
    """

    def __init__(
        self,
        config: InterpreterConfig,
        *,
        clients: AwsClients | None = None,
        session_name: str | None = None,
        name_prefix: str = DEFAULT_SESSION_NAME_PREFIX,
        session_timeout_seconds: int = DEFAULT_SESSION_TIMEOUT_SECONDS,
        reuse_ready_session: bool = True,
        certificates: Sequence[str | Mapping[str, Any]] | None = None,
        filesystem_configurations: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        rules = data_plane()
        self.name_is_explicit = session_name is not None
        self.session_name = (
            session_name if session_name is not None else (unique_session_name(name_prefix))
        )
        name_problem = rules.session_name.problem(self.session_name)
        if name_problem is not None:
            raise ConfigurationError(
                f"Session name {self.session_name!r}: must be {name_problem} "
                f"({rules.session_name.where})."
            )
        low, high = rules.session_timeout_seconds
        if not low <= session_timeout_seconds <= high:
            raise ConfigurationError(
                f"session_timeout_seconds is {session_timeout_seconds}; it must be between "
                f"{low} and {high}."
            )
        if clients is not None and clients.region != config.region:
            raise ConfigurationError(
                f"The interpreter is in {config.region} but the AWS clients are for "
                f"{clients.region}."
            )
        self.config = config
        self.session_timeout_seconds = session_timeout_seconds
        self.reuse_ready_session = reuse_ready_session
        self._clients = clients if clients is not None else AwsClients(config.region)
        self._start_options = self._checked_start_options(certificates, filesystem_configurations)
        self._lock = threading.RLock()
        self._session_id: str | None = None
        self._owned: list[str] = []
        self._task_sessions: dict[str, str] = {}
        self._restarts = 0
        # Guards _owned, _starts_in_flight and _shut_down, which a shutdown reads and changes
        # without self._lock (held by a running call).
        self._owned_changed = threading.Condition()
        self._starts_in_flight = 0
        self._shut_down = False

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

    @property
    def reuses_by_name(self) -> bool:
        """Whether a READY session carrying this object's explicit name may be picked up."""
        return self.name_is_explicit and self.reuse_ready_session

    def open(self) -> str:
        """Acquire a session now (instead of on first use) and return its id."""
        with self._lock:
            return self._ensure_session()

    def close(self, *, wait_for_calls: bool = True) -> None:
        """Stop every session this object started; raise SessionError if any stop failed.

        ``wait_for_calls=False`` is for a process shutting down: no call starts a session on
        this object any more, a start already on its way is waited for (at most
        ``SHUTDOWN_START_WAIT_SECONDS``), and the sessions are stopped while a call may still
        be running in them (it then fails).
        """
        if wait_for_calls:
            with self._lock:
                self._stop_owned_sessions()
            return
        with self._owned_changed:
            self._shut_down = True
            if not self._owned_changed.wait_for(
                lambda: self._starts_in_flight == 0, timeout=SHUTDOWN_START_WAIT_SECONDS
            ):
                logger.warning(
                    "a session start did not finish within %s s; that session is not stopped",
                    SHUTDOWN_START_WAIT_SECONDS,
                )
        self._stop_owned_sessions()

    def _stop_owned_sessions(self) -> None:
        # Called without self._lock at shutdown, while a call may run: the owned list is read
        # and changed under its own lock only.
        with self._owned_changed:
            owned = list(self._owned)
        failures = []
        for session_id in owned:
            try:
                stop_session(self._clients, self.config.interpreter_id, session_id)
            except ClientError as error:
                if not _says_session_is_gone(error):
                    failures.append(f"{session_id}: {error_text(error)}")
                    continue
            except BotoCoreError as error:  # no answer at all, e.g. no connection
                failures.append(f"{session_id}: {error}")
                continue
            logger.info("stopped code interpreter session %s", session_id)
            with self._owned_changed:
                if session_id in self._owned:
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
            sandbox_path(path)
            if isinstance(data, bytes):
                blocks.append({"path": path, "blob": data})
            else:
                blocks.append({"path": path, "text": data})
        return self.invoke("writeFiles", {"content": blocks})

    def read_files(self, paths: Sequence[str]) -> ExecutionResult:
        if not paths:
            raise ValueError("read_files needs at least one path")
        mounts = self.config.mounts
        checked = [sandbox_path(path, mounts=mounts) for path in paths]
        return self.invoke("readFiles", {"paths": checked})

    def list_files(self, path: str = ".") -> ExecutionResult:
        """List a sandbox directory; ``"."`` (the default) is the session's working directory."""
        directory = sandbox_path(path, allow_current_directory=True, mounts=self.config.mounts)
        return self.invoke("listFiles", {"directoryPath": directory})

    def remove_files(self, paths: Sequence[str]) -> ExecutionResult:
        if not paths:
            raise ValueError("remove_files needs at least one path")
        return self.invoke("removeFiles", {"paths": [sandbox_path(path) for path in paths]})

    def save_artifact(self, path: str, *, key: str | None = None) -> Artifact:
        """Copy a sandbox file to the artifact bucket and return the object S3 confirmed.

        The copy runs inside the sandbox (``aws s3 cp`` under the interpreter's execution
        role), so the file never passes through this process; its exit code alone proves
        nothing, so the object is then checked with S3 HeadObject under this process's own
        credentials. Without ``key`` the object is stored as ``<prefix><session id>/<file
        name>`` so that agents sharing a bucket do not overwrite each other; ``key`` is
        relative to the artifact prefix.
        """
        sandbox_path(path, mounts=self.config.mounts)
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
        artifact = self._confirm_artifact(path, bucket, object_key)
        logger.info("saved artifact %s (%d bytes)", artifact.uri, artifact.size)
        return artifact

    def start_command_execution(self, command: str) -> ExecutionResult:
        """Start ``command`` as a task and return at once with its ``task_id``.

        For work that may outlast a synchronous request (15 minutes); follow it with
        ``get_task`` or ``wait_for_task``, end it early with ``stop_task``. The task lives in
        this session: if the session ends, so does the task.
        """
        with self._lock:
            result = self.invoke("startCommandExecution", {"command": command})
            if result.task_id is None and not result.failed:
                raise SessionError(
                    "startCommandExecution answered without a taskId; the task cannot be followed"
                )
            if result.task_id is not None and self._session_id is not None:
                self._task_sessions[result.task_id] = self._session_id
            return result

    def get_task(self, task_id: str) -> ExecutionResult:
        """The task's status (``task_status``) and the output the service reports for it."""
        return self._task_call("getTask", task_id)

    def stop_task(self, task_id: str) -> ExecutionResult:
        """Ask the service to stop the task; its status becomes ``canceled``."""
        return self._task_call("stopTask", task_id)

    def wait_for_task(
        self,
        task_id: str,
        *,
        poll_seconds: float = 5.0,
        timeout_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ExecutionResult:
        """Poll ``get_task`` until the task is completed, canceled or failed.

        Other calls on this object may run between polls. Raises SessionError when
        ``timeout_seconds`` pass first; the task keeps running (stop it with ``stop_task``).
        """
        deadline = None if timeout_seconds is None else clock() + timeout_seconds
        while True:
            result = self.get_task(task_id)
            if result.task_finished or result.is_error:
                return result
            if result.task_status is None:
                raise SessionError(
                    f"getTask answered for task {task_id} without a taskStatus; "
                    "there is nothing to wait for."
                )
            if deadline is not None and clock() + poll_seconds > deadline:
                raise SessionError(
                    f"Task {task_id} is still {result.task_status} after {timeout_seconds} s; "
                    "it keeps running: call get_task later or stop_task."
                )
            sleep(poll_seconds)

    def invoke(self, operation: ToolNameType, arguments: ToolArgumentsTypeDef) -> ExecutionResult:
        """Run one InvokeCodeInterpreter call, replacing an expired session once."""
        return self._invoke(operation, arguments, replace_expired=True)

    # -- internals ---------------------------------------------------------------------------

    def _invoke(
        self, operation: ToolNameType, arguments: ToolArgumentsTypeDef, *, replace_expired: bool
    ) -> ExecutionResult:
        with self._lock:
            session_id = self._ensure_session()
            try:
                return self._invoke_on(session_id, operation, arguments)
            except ClientError as error:
                if not self._session_is_gone(session_id, error):
                    raise
                if not replace_expired:
                    raise SessionExpiredError(
                        f"Session {session_id} has ended ({error_text(error)}); "
                        f"{operation} needs that session, so it was not retried on a new one."
                    ) from error
                logger.warning(
                    "code interpreter session %s is no longer usable (%s); starting a new one. "
                    "Files and variables from the old session are gone.",
                    session_id,
                    error_text(error),
                )
            replacement = self._replace_session(session_id)
            try:
                return self._invoke_on(replacement, operation, arguments)
            except ClientError as error:
                if self._session_is_gone(replacement, error):
                    raise SessionExpiredError(
                        f"Session {replacement} ended right after it replaced expired session "
                        f"{session_id}; giving up ({error_text(error)})."
                    ) from error
                raise

    def _invoke_on(
        self, session_id: str, operation: ToolNameType, arguments: ToolArgumentsTypeDef
    ) -> ExecutionResult:
        client = self._clients.agentcore_invoke
        try:
            response = client.invoke_code_interpreter(
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
        # botocore raises its own ReadTimeoutError before the response; urllib3 raises its own
        # while the event stream is being read.
        except (ReadTimeoutError, StreamReadTimeoutError) as error:
            raise InvokeTimeoutError(
                f"{operation} in session {session_id} got no answer within "
                f"{getattr(client.meta.config, 'read_timeout', '?')} s and was not retried: "
                "InvokeCodeInterpreter "
                "is not idempotent, and the code may still be running. For work longer than "
                f"{SERVICE_SYNCHRONOUS_LIMIT_SECONDS // 60} minutes use start_command_execution "
                "and get_task."
            ) from error

    def _task_call(self, operation: ToolNameType, task_id: str) -> ExecutionResult:
        if not isinstance(task_id, str) or not task_id.strip():
            raise ValueError(f"Invalid task id {task_id!r}: pass the task_id that started it.")
        with self._lock:
            started_in = self._task_sessions.get(task_id)
            if started_in is not None and started_in != self._session_id:
                raise SessionExpiredError(
                    f"Task {task_id} ran in session {started_in}, which has ended; the task and "
                    "its output ended with it."
                )
            # A task belongs to its session: a fresh session would not know it.
            return self._invoke(operation, {"taskId": task_id}, replace_expired=False)

    def _ensure_session(self) -> str:
        self._refuse_after_shutdown()
        if self._session_id is None:
            reused = self._find_own_ready_session() if self.reuses_by_name else None
            self._session_id = reused if reused is not None else self._start_session()
        return self._session_id

    def _find_own_ready_session(self) -> str | None:
        """A READY session of this interpreter carrying exactly this object's name, if any."""
        mine = [
            item
            for item in self._ready_sessions()
            if item.get("name") == self.session_name
            and item.get("codeInterpreterIdentifier", self.config.interpreter_id)
            == self.config.interpreter_id
        ]
        if not mine:
            return None
        # Deterministic: the newest has the most time left; the id breaks a tie.
        chosen = max(mine, key=lambda item: (item["createdAt"], item["sessionId"]))
        session_id = _checked_session_id(chosen["sessionId"])
        if len(mine) > 1:
            logger.warning(
                "%d READY sessions of interpreter %s are named %r; using %s, the newest. "
                "The others are left alone.",
                len(mine),
                self.config.interpreter_id,
                self.session_name,
                session_id,
            )
        else:
            logger.info("reusing READY session %s named %r", session_id, self.session_name)
        return session_id

    def _ready_sessions(self) -> Iterator[CodeInterpreterSessionSummaryTypeDef]:
        return list_sessions(self._clients, self.config.interpreter_id, status="READY")

    def _start_session(self) -> str:
        with self._owned_changed:
            self._refuse_after_shutdown()
            self._starts_in_flight += 1
        try:
            # botocore's retries of this one call resend the same token, so a start that
            # reached the service before a timeout does not start a second session.
            response = self._clients.agentcore.start_code_interpreter_session(
                codeInterpreterIdentifier=self.config.interpreter_id,
                name=self.session_name,
                sessionTimeoutSeconds=self.session_timeout_seconds,
                clientToken=_client_token(),
                **self._start_options,
            )
            session_id = _checked_session_id(response["sessionId"])
            with self._owned_changed:
                self._owned.append(session_id)
        finally:
            with self._owned_changed:
                self._starts_in_flight -= 1
                self._owned_changed.notify_all()
        logger.info("started code interpreter session %s named %r", session_id, self.session_name)
        # A shutdown that came while this session was being started stops it.
        self._refuse_after_shutdown()
        return session_id

    def _refuse_after_shutdown(self) -> None:
        if self._shut_down:
            raise SessionError(
                "This CodeInterpreterSession was closed for shutdown; it starts no new session."
            )

    def _replace_session(self, expired: str) -> str:
        self._refuse_after_shutdown()
        with self._owned_changed:
            if expired in self._owned:
                self._owned.remove(expired)
        self._session_id = self._start_session()
        self._restarts += 1
        return self._session_id

    def _session_is_gone(self, session_id: str, error: ClientError) -> bool:
        if _says_session_is_gone(error):
            return True
        if error_code(error) != "ValidationException":
            return False
        # A ValidationException can also mean bad arguments; only the session's own status
        # tells the two apart.
        try:
            status = self._clients.agentcore.get_code_interpreter_session(
                codeInterpreterIdentifier=self.config.interpreter_id, sessionId=session_id
            ).get("status")
        except ClientError as lookup_error:
            return error_code(lookup_error) == "ResourceNotFoundException"
        return status == "TERMINATED"

    def _confirm_artifact(self, path: str, bucket: str, key: str) -> Artifact:
        uri = f"s3://{bucket}/{key}"
        try:
            head = self._clients.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = error_code(error)
            if status == 404 or code in {"404", "NoSuchKey", "NotFound"}:
                raise ArtifactError(
                    f"The sandbox reported copying {path} to {uri}, but S3 has no object with "
                    f"key {key!r} in bucket {bucket} (HeadObject: 404). Nothing was saved; check "
                    "that the interpreter's execution role may put objects under the prefix."
                ) from error
            if status == 403 or code in {"403", "AccessDenied", "Forbidden"}:
                raise ArtifactError(
                    f"Could not confirm key {key!r} in bucket {bucket}: HeadObject was denied "
                    "(403). The agent's role needs s3:GetObject under the artifact prefix (the "
                    "stack's AgentAccess policy grants it); without s3:ListBucket, S3 also "
                    "answers 403 for a missing object."
                ) from error
            raise ArtifactError(
                f"Could not confirm key {key!r} in bucket {bucket}: {error_text(error)}"
            ) from error
        except BotoCoreError as error:
            raise ArtifactError(
                f"Could not confirm key {key!r} in bucket {bucket}: {error}"
            ) from error
        return Artifact(
            uri=uri,
            bucket=bucket,
            key=key,
            size=int(head.get("ContentLength", 0)),
            etag=str(head.get("ETag", "")).strip('"'),
            version_id=head.get("VersionId"),
        )

    def _checked_start_options(
        self,
        certificates: Sequence[str | Mapping[str, Any]] | None,
        filesystem_configurations: Sequence[Mapping[str, Any]] | None,
    ) -> dict[str, Any]:
        """StartCodeInterpreterSession's optional members, checked against the model's shapes."""
        options: dict[str, Any] = {}
        if certificates is not None:
            options["certificates"] = [
                {"location": {"secretsManager": {"secretArn": item}}}
                if isinstance(item, str)
                else dict(item)
                for item in certificates
            ]
        if filesystem_configurations is not None:
            options["filesystemConfigurations"] = [dict(item) for item in filesystem_configurations]
        if not options:
            return options
        request_shape = self._clients.agentcore.meta.service_model.operation_model(
            "StartCodeInterpreterSession"
        ).input_shape
        if request_shape is None:  # pragma: no cover - the operation always has an input
            raise ConfigurationError("The service model has no StartCodeInterpreterSession input")
        problems = [
            problem
            for member, value in options.items()
            for problem in shape_problems(request_shape.members[member], value, member)
        ]
        problems.extend(_duplicate_mount_paths(options.get("filesystemConfigurations", [])))
        if problems:
            raise ConfigurationError(
                "Session options the API would refuse:\n"
                + "\n".join(f"  - {problem}" for problem in problems)
            )
        return options


def build_copy_command(source_path: str, destination_uri: str, region: str) -> str:
    """The shell command that copies a sandbox file to S3, every argument quoted."""
    # A path starting with '-' would be read as an option by the AWS CLI.
    source = f"./{source_path}" if source_path.startswith("-") else source_path
    return shlex.join(
        ["aws", "s3", "cp", source, destination_uri, "--only-show-errors", "--region", region]
    )


def _duplicate_mount_paths(configurations: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, configuration in enumerate(configurations):
        for mount in configuration.values():
            path = mount.get("mountPath") if isinstance(mount, Mapping) else None
            if isinstance(path, str) and path.rstrip("/") in seen:
                problems.append(
                    f"filesystemConfigurations[{index}]: mount path {path!r} is already used; "
                    "allowed: a different mount path for each file system"
                )
            elif isinstance(path, str):
                seen.add(path.rstrip("/"))
    return problems


def list_sessions(
    clients: AwsClients,
    interpreter_id: str,
    *,
    status: Literal["READY", "TERMINATED"] | None = None,
) -> Iterator[CodeInterpreterSessionSummaryTypeDef]:
    """Every session of the interpreter (with `status`, only those), following nextToken.

    Raises SessionError when the service keeps answering with a next page it gave before, or
    with more than MAX_SESSION_LIST_PAGES pages.
    """
    page_size = data_plane().list_sessions_page_size[1]
    next_token: str | None = None
    seen_tokens: set[str] = set()
    for _ in range(MAX_SESSION_LIST_PAGES):
        request: dict[str, Any] = {
            "codeInterpreterIdentifier": interpreter_id,
            "maxResults": page_size,
        }
        if status is not None:
            request["status"] = status
        if next_token is not None:
            request["nextToken"] = next_token
        response = clients.agentcore.list_code_interpreter_sessions(**request)
        yield from (
            item for item in response["items"] if status is None or item.get("status") == status
        )
        next_token = response.get("nextToken")
        if not next_token:
            return
        if next_token in seen_tokens:
            raise SessionError(
                "ListCodeInterpreterSessions returned a nextToken it had returned before; "
                "stopped listing to avoid a loop."
            )
        seen_tokens.add(next_token)
    raise SessionError(
        f"ListCodeInterpreterSessions still had more pages after {MAX_SESSION_LIST_PAGES}; "
        "stopped listing."
    )


def stop_session(clients: AwsClients, interpreter_id: str, session_id: str) -> None:
    """StopCodeInterpreterSession with a client token, so a retried stop is the same stop."""
    clients.agentcore.stop_code_interpreter_session(
        codeInterpreterIdentifier=interpreter_id, sessionId=session_id, clientToken=_client_token()
    )


def _client_token() -> str:
    # 36 characters, within the model's 33-256 and its pattern.
    return str(uuid.uuid4())


def _checked_session_id(session_id: str) -> str:
    # The id becomes a request header and an S3 key segment: it must be what the model says.
    problem = data_plane().session_id.problem(session_id)
    if problem is not None:
        raise SessionError(f"The service returned session id {session_id!r}, not {problem}.")
    return session_id


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


def _says_session_is_gone(error: ClientError) -> bool:
    code = error_code(error)
    if code == "ResourceNotFoundException":
        return True
    message = str(error.response.get("Error", {}).get("Message", ""))
    return code == "ValidationException" and bool(_GONE_WORDS.search(message))
