"""Fixtures for the custom-resource handler tests: a fresh handler module and a fresh fake
control plane per test, wired through a real boto3 client that never reaches the network."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import botocore.httpsession
import botocore.loaders
import pytest
from botocore.config import Config
from cfn_driver import Clock, CloudFormationDriver, Sleeps
from code_interpreter import index as handler_module
from control_plane_fake import FAKE_CREDENTIALS, ControlPlaneFake

# One attempt per call: each injected fault reaches the handler instead of being absorbed by
# botocore's own retries (test_production_client_retries_throttling covers those).
SINGLE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    for key in ("AWS_PROFILE", "AWS_DATA_PATH", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(key, raising=False)

    def refuse_network(*_: Any, **__: Any) -> None:
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", refuse_network)


@pytest.fixture
def index() -> ModuleType:
    """The handler module, reloaded so that no cached client leaks between tests."""
    return importlib.reload(handler_module)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps(index: ModuleType, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    recorder = Sleeps(clock, [])
    monkeypatch.setattr(index, "sleep", recorder)
    return recorder


_PARSED_MODEL_FILES: dict[str, Any] = {}


@pytest.fixture
def fast_model_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each botocore data file once per test run instead of once per client.

    Every test builds its own client the way the handler does; parsing the ~1 MB endpoint and
    service models again each time would dominate the run. botocore already shares parsed
    models between the clients of one session, so sharing them between sessions is safe.
    """
    load_file = botocore.loaders.JSONFileLoader.load_file

    def load_file_once(self: botocore.loaders.JSONFileLoader, file_path: str) -> Any:
        if file_path not in _PARSED_MODEL_FILES:
            _PARSED_MODEL_FILES[file_path] = load_file(self, file_path)
        return _PARSED_MODEL_FILES[file_path]

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", load_file_once)


@pytest.fixture
def fake(
    index: ModuleType, monkeypatch: pytest.MonkeyPatch, fast_model_loading: None
) -> ControlPlaneFake:
    """A fake control plane behind the handler's own client (vendored model, real botocore)."""
    control_plane = ControlPlaneFake(creating_polls=2, deleting_polls=1)
    client = index.new_client(config=index.CLIENT_CONFIG.merge(SINGLE_ATTEMPT))
    control_plane.attach(client)
    monkeypatch.setattr(index, "control_plane", lambda: client)
    return control_plane


@pytest.fixture
def driver(
    index: ModuleType, fake: ControlPlaneFake, clock: Clock, sleeps: Sleeps
) -> CloudFormationDriver:
    return CloudFormationDriver(index, fake, clock)
