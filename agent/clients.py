"""AWS clients shared by every entry point.

Each CLI creates one ``AwsClients`` and hands it to the resolver and the session, so a process
opens one connection pool per service; tests inject clients wired to fakes instead. Clients are
created on first use, and boto3 is imported only then, so a command that fails early or an MCP
server that has not run a tool yet pays nothing for them.

Two clients talk to the data plane, because its operations differ in what a retry means:

- session operations (start, get, list, stop) are idempotent (start and stop carry a
  ``clientToken``), so they use standard retries and short timeouts;
- InvokeCodeInterpreter is not idempotent: a retried executeCode runs the code again. Its client
  never retries and waits longer than the service lets a synchronous request run, so a slow
  call is not cut off (and then repeated) by the client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient

# Standard mode retries throttling and transient errors with jittered backoff under a retry
# quota; botocore's default, legacy mode, recognises fewer throttling errors.
TOTAL_MAX_ATTEMPTS = 4
CONNECT_TIMEOUT_SECONDS = 10
CONTROL_READ_TIMEOUT_SECONDS = 30
# AgentCore lets a synchronous request (executeCode, executeCommand, ...) run up to 15 minutes.
SERVICE_SYNCHRONOUS_LIMIT_SECONDS = 900
# A minute above the service's limit: the service ends the call first and says why.
INVOKE_READ_TIMEOUT_SECONDS = SERVICE_SYNCHRONOUS_LIMIT_SECONDS + 60
USER_AGENT_EXTRA = "agentcore-code-interpreter-agent"


def client_config() -> Config:
    """Configuration of clients whose operations are safe to retry."""
    from botocore.config import Config  # noqa: PLC0415 - botocore is imported on first use

    return Config(
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=CONTROL_READ_TIMEOUT_SECONDS,
        user_agent_extra=USER_AGENT_EXTRA,
    )


def invoke_client_config() -> Config:
    """Configuration of the InvokeCodeInterpreter client: one attempt, a long read timeout.

    botocore's standard mode retries a read timeout; for an operation that runs code, that
    would run it again while the first run may still be going.
    """
    from botocore.config import Config  # noqa: PLC0415 - botocore is imported on first use

    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=INVOKE_READ_TIMEOUT_SECONDS,
        user_agent_extra=USER_AGENT_EXTRA,
    )


def create_agentcore_client(
    region: str, *, session: boto3.Session | None = None
) -> BedrockAgentCoreClient:
    """A ``bedrock-agentcore`` client for session operations (start, get, list, stop)."""
    return _boto_session(session).client(
        "bedrock-agentcore", region_name=region, config=client_config()
    )


def create_invoke_client(
    region: str, *, session: boto3.Session | None = None
) -> BedrockAgentCoreClient:
    """A ``bedrock-agentcore`` client for InvokeCodeInterpreter only: never retries."""
    return _boto_session(session).client(
        "bedrock-agentcore", region_name=region, config=invoke_client_config()
    )


def create_ssm_client(region: str, *, session: boto3.Session | None = None) -> SSMClient:
    """An SSM client for ``region``."""
    return _boto_session(session).client("ssm", region_name=region, config=client_config())


def create_s3_client(region: str, *, session: boto3.Session | None = None) -> S3Client:
    """An S3 client for ``region`` (HeadObject on saved artifacts)."""
    return _boto_session(session).client("s3", region_name=region, config=client_config())


class AwsClients:
    """The clients the agent package talks to, all in one region, each created on first use.

    Pass ready clients (tests wire them to fakes) or let them be created from ``session``
    (default: a new boto3 session with the default credential chain).
    """

    def __init__(
        self,
        region: str,
        *,
        session: boto3.Session | None = None,
        agentcore: BedrockAgentCoreClient | None = None,
        agentcore_invoke: BedrockAgentCoreClient | None = None,
        ssm: SSMClient | None = None,
        s3: S3Client | None = None,
    ) -> None:
        self.region = region
        self._session = session
        self._lock = threading.Lock()
        given: dict[str, Any] = {
            "agentcore": agentcore,
            "agentcore_invoke": agentcore_invoke,
            "ssm": ssm,
            "s3": s3,
        }
        self._clients = {name: client for name, client in given.items() if client is not None}

    @classmethod
    def create(cls, region: str, *, session: boto3.Session | None = None) -> AwsClients:
        """Clients for ``region``, created when first used."""
        return cls(region, session=session)

    @property
    def agentcore(self) -> BedrockAgentCoreClient:
        """Data-plane session operations, with standard retries."""
        return cast("BedrockAgentCoreClient", self._client("agentcore", create_agentcore_client))

    @property
    def agentcore_invoke(self) -> BedrockAgentCoreClient:
        """InvokeCodeInterpreter only: no retries, a read timeout above the service's limit."""
        return cast(
            "BedrockAgentCoreClient", self._client("agentcore_invoke", create_invoke_client)
        )

    @property
    def ssm(self) -> SSMClient:
        return cast("SSMClient", self._client("ssm", create_ssm_client))

    @property
    def s3(self) -> S3Client:
        return cast("S3Client", self._client("s3", create_s3_client))

    def _client(self, name: str, create: Callable[..., Any]) -> Any:
        """The client called `name`, given or created once (threads may share these clients)."""
        with self._lock:
            if name not in self._clients:
                self._clients[name] = create(self.region, session=self._shared_session())
            return self._clients[name]

    def _shared_session(self) -> boto3.Session:
        # One boto3 session for all four clients: credentials and models are loaded once.
        if self._session is None:
            self._session = _boto_session(None)
        return self._session


def _boto_session(session: boto3.Session | None) -> boto3.Session:
    if session is not None:
        return session
    import boto3  # noqa: PLC0415 - boto3 takes a fifth of a second to import; only on first use

    return boto3.Session()
