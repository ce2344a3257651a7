"""Fixtures shared by every test directory.

Synthesizing a CDK app starts a Node process through jsii and takes seconds, so each app is
synthesized once per test session and every template test reads from that one assembly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from iam_simulation import IamEvaluator
from synthesis import VARIANT_ENVIRONMENTS, SynthesizedApp, cdk_context, synthesize


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """No test may reach AWS: fake credentials, a fixed region, and no metadata endpoint."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(key, raising=False)
        yield


@pytest.fixture(scope="session")
def shipped_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The app exactly as `make synth` builds it from cdk.json."""
    return synthesize(cdk_context()["environments"], tmp_path_factory.mktemp("shipped"))


@pytest.fixture(scope="session")
def variant_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Settings the shipped cdk.json does not use: pinned env, VPC and PUBLIC modes."""
    return synthesize(VARIANT_ENVIRONMENTS, tmp_path_factory.mktemp("variants"))


@pytest.fixture(scope="session")
def iam_evaluator() -> Iterator[IamEvaluator]:
    """One IAM evaluator (a Node process) for the whole session."""
    evaluator = IamEvaluator()
    yield evaluator
    evaluator.close()
