"""Fixtures for the agent package's tests: fake credentials, no network, fake services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import pytest
from agentcore_fake import (
    BUCKET,
    INTERPRETER_ARN,
    INTERPRETER_ID,
    REGION,
    FakeCodeInterpreterService,
    publish_stack_parameters,
)
from moto import mock_aws
from moto.core.models import botocore_stubber

from agent.clients import AwsClients, client_config, invoke_client_config
from agent.resolve import InterpreterConfig, resolve

FAKE_CREDENTIAL = "testing"


@pytest.fixture(autouse=True)
def isolated_aws_environment(
    _offline_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On top of the suite's offline AWS (tests/conftest.py): only AWS_DEFAULT_REGION names a
    region, so resolve's tests set AWS_REGION themselves; and a working directory of its own,
    so default outputs/<env>.json lookups never find a developer's real deploy outputs."""
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One session for every test client, so service models are parsed once, not per test.

    Its credentials are fake; each client names its region.
    """
    return boto3.Session(
        aws_access_key_id=FAKE_CREDENTIAL,
        aws_secret_access_key=FAKE_CREDENTIAL,
        aws_session_token=FAKE_CREDENTIAL,
    )


@pytest.fixture
def fake_service() -> FakeCodeInterpreterService:
    return FakeCodeInterpreterService(INTERPRETER_ID)


def fake_agentcore_client(
    fake_service: FakeCodeInterpreterService, boto_session: boto3.Session, config: Any
) -> Any:
    """A real bedrock-agentcore client whose requests the fake answers."""
    client = boto_session.client("bedrock-agentcore", region_name=REGION, config=config)
    # botocore emits before-send to every handler; moto's (added to all clients once moto is
    # imported) would raise NotImplementedError for the code-interpreter operations it lacks.
    client.meta.events.unregister("before-send", botocore_stubber)
    return fake_service.attach(client)


@pytest.fixture
def agentcore_client(fake_service: FakeCodeInterpreterService, boto_session: boto3.Session) -> Any:
    """Session operations (start, list, get, stop), configured as the package configures them."""
    return fake_agentcore_client(fake_service, boto_session, client_config())


@pytest.fixture
def invoke_client(fake_service: FakeCodeInterpreterService, boto_session: boto3.Session) -> Any:
    """InvokeCodeInterpreter, configured as the package configures it (no retries)."""
    return fake_agentcore_client(fake_service, boto_session, invoke_client_config())


@pytest.fixture
def clients(agentcore_client: Any, invoke_client: Any) -> AwsClients:
    """The data plane behind the fake; SSM and S3 are absent (any use hits the network guard)."""
    return AwsClients(REGION, agentcore=agentcore_client, agentcore_invoke=invoke_client)


@pytest.fixture
def config() -> InterpreterConfig:
    return resolve(
        "dev",
        interpreter_id=INTERPRETER_ID,
        interpreter_arn=INTERPRETER_ARN,
        artifact_bucket=BUCKET,
        artifact_prefix="output_artifacts/",
        region=REGION,
        use_ssm=False,
    )


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry backoff without the waiting; returns the delays it asked for."""
    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", delays.append)
    return delays


@pytest.fixture
def moto_aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def deployed_clients(
    moto_aws: None,
    fake_service: FakeCodeInterpreterService,
    agentcore_client: Any,
    invoke_client: Any,
    boto_session: boto3.Session,
) -> AwsClients:
    """Clients for a deployed dev stack: SSM parameters and bucket in moto, fake data plane."""
    ssm = boto_session.client("ssm", region_name=REGION, config=client_config())
    s3 = boto_session.client("s3", region_name=REGION, config=client_config())
    publish_stack_parameters(ssm)
    s3.create_bucket(Bucket=BUCKET)
    fake_service.s3_client = s3
    return AwsClients(
        REGION, agentcore=agentcore_client, agentcore_invoke=invoke_client, ssm=ssm, s3=s3
    )
