"""One environment's stack "deployed" into the simulated account: its interpreter created by the
real handler through the fake control plane, every call authorized under the template's IAM.

Shared by the IAM contract tests (tests/infrastructure) and the agent's IAM tests (tests/agent).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from cfn_driver import RESOURCE_TYPE, CloudFormationDriver, Sleeps
from control_plane_fake import ACCOUNT_ID, REGION, ControlPlaneFake
from iam_simulation import Authorizer, IamEvaluator, Principal, StackResources
from synthesis import CERTIFICATE_SECRETS, SynthesizedApp

from agentcore_api.resources import SERVICE_PRINCIPAL, custom_interpreter_arn


@dataclass
class Deployment:
    """A stack in the simulated account, with the interpreter its handler created."""

    stack: StackResources
    authorizer: Authorizer
    control_plane: ControlPlaneFake
    driver: CloudFormationDriver
    properties: dict[str, Any]
    interpreter_id: str

    @property
    def interpreter_arn(self) -> str:
        return custom_interpreter_arn(
            partition="aws", region=REGION, account=ACCOUNT_ID, interpreter_id=self.interpreter_id
        )

    def handler(self, entry_point: str) -> Principal:
        """The role of the function whose handler is `index.<entry_point>`."""
        return self.stack.role_principal(
            self.stack.function_role(f"index.{entry_point}"), f"{entry_point} handler"
        )

    def sandbox(self) -> Principal:
        """Code in the sandbox: the interpreter's execution role."""
        return self.stack.role_principal(
            self.stack.only_role_trusting(SERVICE_PRINCIPAL), "sandbox"
        )

    def agent(self) -> Principal:
        """An agent's role with nothing but the stack's AgentAccess policy."""
        policy = self.stack.output_resource("AgentAccessPolicyArn")
        return self.stack.principal_with_policies("agent", policy)


def stack_in_account(app: SynthesizedApp, environment: str) -> StackResources:
    config = app.stacks[environment].config
    # Environment-agnostic stacks deploy wherever they are sent: here, the fake's account.
    assert config.account in (None, ACCOUNT_ID)
    assert config.region in (None, REGION)
    return StackResources(
        app.templates[environment], stack_name=config.stack_name, account=ACCOUNT_ID, region=REGION
    )


def deploy(
    stack: StackResources,
    *,
    evaluator: IamEvaluator,
    handler: ModuleType,
    handler_client: Any,
    sleeps: Sleeps,
) -> Deployment:
    """Create the stack's interpreter through the handler, as CloudFormation would."""
    authorizer = Authorizer(evaluator, stack.resource_policy)
    control_plane = ControlPlaneFake(authorizer=authorizer)
    control_plane.secrets = dict(CERTIFICATE_SECRETS)
    control_plane.attach(handler_client)
    logical_id = stack.only(RESOURCE_TYPE)
    driver = CloudFormationDriver(
        handler,
        control_plane,
        sleeps.clock,
        stack_name=stack.stack_name,
        logical_id=logical_id,
        on_event_principal=stack.role_principal(
            stack.function_role("index.on_event"), "on_event handler"
        ),
        is_complete_principal=stack.role_principal(
            stack.function_role("index.is_complete"), "is_complete handler"
        ),
    )
    properties = {
        key: value
        for key, value in stack.resolve(stack.resources[logical_id]["Properties"]).items()
        if key not in ("ServiceToken", "ServiceTimeout")
    }
    created = driver.create_stack(properties).first
    assert created.status == "SUCCESS", created.reason
    stack.set_custom(logical_id, created.physical_id, created.data)
    return Deployment(stack, authorizer, control_plane, driver, properties, created.physical_id)
