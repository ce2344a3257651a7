"""Fixtures for the custom-resource handler tests: a fresh handler module and a fresh fake
control plane per test, wired through a real boto3 client that never reaches the network, and
authorizing every call under the IAM policies a synthesized stack gives the handler's roles."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from cfn_driver import Clock, CloudFormationDriver, Sleeps
from control_plane_fake import ACCOUNT_ID, REGION, ControlPlaneFake
from iam_simulation import Authorizer, IamEvaluator, StackResources
from synthesis import CERTIFICATE_SECRETS, SynthesizedApp

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
def fake(handler_client: Any, authorizer: Authorizer) -> ControlPlaneFake:
    """A fake control plane behind the handler's own client (vendored model, real botocore)."""
    control_plane = ControlPlaneFake(creating_polls=2, deleting_polls=1, authorizer=authorizer)
    control_plane.secrets = dict(CERTIFICATE_SECRETS)
    control_plane.attach(handler_client)
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
