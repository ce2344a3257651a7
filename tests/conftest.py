"""Fixtures shared by every test directory.

Synthesizing a CDK app starts a Node process through jsii and takes seconds, so each app is
synthesized once per test session and every template test reads from that one assembly.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import botocore.httpsession
import botocore.loaders
import pytest
from botocore.config import Config
from cfn_driver import Clock, Sleeps
from code_interpreter import index as handler_module
from control_plane_fake import FAKE_CREDENTIALS
from iam_simulation import PINNED_NODE, IamEvaluator
from synthesis import (
    FIXTURE_ENVIRONMENTS,
    VARIANT_ENVIRONMENTS,
    VARIANT_GITHUB,
    SynthesizedApp,
    synthesize,
)


def pytest_configure(config: pytest.Config) -> None:
    """jsii runs on the project's pinned Node, as under make, also when pytest is started
    directly (for --snapshot-update, say), not on whichever `node` comes first on PATH."""
    if PINNED_NODE.exists():
        os.environ.setdefault("JSII_NODE", str(PINNED_NODE))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked long_running go first: started last, one of them would keep one worker busy
    while the other has nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


def _offline_environment(patch: pytest.MonkeyPatch) -> None:
    """Fake credentials, a fixed region, no profile, config files or metadata endpoint, and no
    CODE_INTERPRETER_* variables: nothing the shell holds (a profile, keys, SSO) is used."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "CODE_INTERPRETER_")):
            patch.delenv(name)
    for key, value in {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }.items():
        patch.setenv(key, value)


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """The same for session fixtures (a synthesized app, the IAM evaluator)."""
    with pytest.MonkeyPatch.context() as patch:
        _offline_environment(patch)
        yield


@pytest.fixture(scope="session")
def fixture_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The three environments the project ships, from the fixture configuration."""
    return synthesize(FIXTURE_ENVIRONMENTS, tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="session")
def variant_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Settings the shipped cdk.json does not use: pinned account and region, VPC and PUBLIC
    modes, certificates with a customer-managed key, file systems, alarm settings and the
    GitHub roles of CI."""
    return synthesize(
        VARIANT_ENVIRONMENTS, tmp_path_factory.mktemp("variants"), github=VARIANT_GITHUB
    )


@pytest.fixture(scope="session")
def iam_evaluator() -> Iterator[IamEvaluator]:
    """One IAM evaluator (a Node process) for the whole session."""
    evaluator = IamEvaluator()
    yield evaluator
    evaluator.close()


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: the offline environment above, and no HTTP request at all.

    A request that no fake or stub answers fails the test instead of leaving the machine.
    """
    _offline_environment(monkeypatch)

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


# One attempt per call: each injected fault reaches the handler instead of being absorbed by
# botocore's own retries (test_production_client_retries_throttling covers those).
SINGLE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture
def handler_client(
    index: ModuleType, monkeypatch: pytest.MonkeyPatch, fast_model_loading: None
) -> Any:
    """The client the handler uses (its vendored model, real botocore), one attempt per call."""
    client = index.new_client(config=index.CLIENT_CONFIG.merge(SINGLE_ATTEMPT))
    monkeypatch.setattr(index, "control_plane", lambda: client)
    return client
