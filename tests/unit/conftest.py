"""Fixtures for the custom-resource handler tests: a fresh handler module and a fresh fake
control plane per test, wired through a real boto3 client that never reaches the network, and
authorizing every call under the IAM policies a synthesized stack gives the handler's roles."""

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
from control_plane_fake import ACCOUNT_ID, FAKE_CREDENTIALS, REGION, ControlPlaneFake
from iam_simulation import Authorizer, IamEvaluator, StackResources
from synthesis import CERTIFICATE_SECRETS, SynthesizedApp

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


# The variant environment with every option that adds permissions (see tests/synthesis.py).
HANDLER_ENVIRONMENT = "private"


@pytest.fixture(scope="session")
def handler_stack(variant_app: SynthesizedApp) -> StackResources:
    """The synthesized stack whose roles the handler runs under, in the fake's account."""
    config = variant_app.stacks[HANDLER_ENVIRONMENT].config
    assert (config.account, config.region) == (ACCOUNT_ID, REGION)
    return StackResources(
        variant_app.templates[HANDLER_ENVIRONMENT],
        stack_name=config.stack_name,
        account=ACCOUNT_ID,
        region=REGION,
    )


@pytest.fixture
def authorizer(iam_evaluator: IamEvaluator, handler_stack: StackResources) -> Authorizer:
    return Authorizer(iam_evaluator, handler_stack.resource_policy)


@pytest.fixture
def fake(
    index: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    fast_model_loading: None,
    authorizer: Authorizer,
    handler_stack: StackResources,
) -> ControlPlaneFake:
    """A fake control plane behind the handler's own client (vendored model, real botocore)."""
    control_plane = ControlPlaneFake(creating_polls=2, deleting_polls=1, authorizer=authorizer)
    control_plane.secrets = dict(CERTIFICATE_SECRETS)
    client = index.new_client(config=index.CLIENT_CONFIG.merge(SINGLE_ATTEMPT))
    control_plane.attach(client)
    monkeypatch.setattr(index, "control_plane", lambda: client)
    return control_plane


@pytest.fixture
def driver(
    index: ModuleType,
    fake: ControlPlaneFake,
    clock: Clock,
    sleeps: Sleeps,
    handler_stack: StackResources,
) -> CloudFormationDriver:
    return CloudFormationDriver(
        index,
        fake,
        clock,
        stack_name=handler_stack.stack_name,
        on_event_principal=handler_stack.role_principal(
            handler_stack.function_role("index.on_event"), "on_event handler"
        ),
        is_complete_principal=handler_stack.role_principal(
            handler_stack.function_role("index.is_complete"), "is_complete handler"
        ),
    )
