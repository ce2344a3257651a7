"""AWS clients shared by every entry point.

Each CLI creates one ``AwsClients`` and hands it to the resolver and the session, so a process
opens one connection pool per service; tests inject clients wired to fakes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore import BedrockAgentCoreClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient

# Standard mode retries throttling and transient errors with jittered backoff under a retry
# quota; botocore's default, legacy mode, recognises fewer throttling errors.
TOTAL_MAX_ATTEMPTS = 4
CONNECT_TIMEOUT_SECONDS = 10
CONTROL_READ_TIMEOUT_SECONDS = 30
# executeCode blocks until the sandbox finishes, so a long analysis legitimately keeps the
# response open for minutes.
DEFAULT_INVOKE_READ_TIMEOUT_SECONDS = 300


def client_config(*, read_timeout: int = CONTROL_READ_TIMEOUT_SECONDS) -> Config:
    """The botocore configuration every client of this package uses."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read_timeout,
        user_agent_extra="agentcore-code-interpreter-agent",
    )


def create_agentcore_client(
    region: str,
    *,
    session: boto3.Session | None = None,
    read_timeout: int = DEFAULT_INVOKE_READ_TIMEOUT_SECONDS,
) -> BedrockAgentCoreClient:
    """A ``bedrock-agentcore`` (data plane) client for ``region``."""
    return (session or boto3.Session()).client(
        "bedrock-agentcore", region_name=region, config=client_config(read_timeout=read_timeout)
    )


def create_ssm_client(region: str, *, session: boto3.Session | None = None) -> SSMClient:
    """An SSM client for ``region``."""
    return (session or boto3.Session()).client("ssm", region_name=region, config=client_config())


@dataclass(frozen=True)
class AwsClients:
    """The three clients the agent package talks to, all in one region."""

    region: str
    agentcore: BedrockAgentCoreClient
    ssm: SSMClient
    s3: S3Client

    @classmethod
    def create(
        cls,
        region: str,
        *,
        session: boto3.Session | None = None,
        invoke_read_timeout: int = DEFAULT_INVOKE_READ_TIMEOUT_SECONDS,
    ) -> AwsClients:
        boto_session = session or boto3.Session()
        return cls(
            region=region,
            agentcore=create_agentcore_client(
                region, session=boto_session, read_timeout=invoke_read_timeout
            ),
            ssm=create_ssm_client(region, session=boto_session),
            s3=boto_session.client("s3", region_name=region, config=client_config()),
        )
