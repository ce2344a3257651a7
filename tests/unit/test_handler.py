"""The Custom::AgentCoreCodeInterpreter handler, driven through realistic CloudFormation event
sequences against a stateful fake of the control plane behind a real botocore client.

Every scenario ends with the same invariant: the interpreters that exist in the service are
exactly those CloudFormation believes in (none leaked, none lost).
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore
import botocore.loaders
import pytest
from cfn_driver import (
    CREATE_FAILED_MARKER,
    MISSING_PHYSICAL_ID_MARKER,
    RESOURCE_TYPE,
    Clock,
    CloudFormationDriver,
    Sleeps,
)
from control_plane_fake import (
    BUILT_IN_ID,
    FAKE_CREDENTIALS,
    ControlPlaneFake,
    check_against_shape,
)
from iam_simulation import AccessLog, Authorizer, StackResources
from synthesis import (
    CERTIFICATE_KEY_ARN,
    EFS_ACCESS_POINT_ARN,
    EFS_SYSTEM_ARN,
    S3FILES_ACCESS_POINT_ARN,
    S3FILES_SYSTEM_ARN,
    SynthesizedApp,
)

from agentcore_api import constraints
from agentcore_api.resources import NETWORK_SERVICE_NAME, STACK_TAG_KEY
from scripts import vendor_botocore_model

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_SUBDIR = Path("bedrock-agentcore-control") / "2023-06-05"
MODEL_FILES = ("service-2.json.gz", "endpoint-rule-set-1.json.gz")
BOTOCORE_MODEL_DIR = Path(botocore.__file__).resolve().parent / "data" / MODEL_SUBDIR
CUSTOM_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}")

# Properties for the tests that fail before any call (the role need not be the stack's).
SANDBOX: dict[str, Any] = {
    "Name": "analytics_sandbox",
    "Description": "Code interpreter for the analytics agents",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/CodeInterpreter-private-ExecutionRole",
    "NetworkMode": "SANDBOX",
    "Tags": [{"Key": "project", "Value": "analytics"}, {"Key": "env", "Value": "dev"}],
}
VPC: dict[str, Any] = {
    **SANDBOX,
    "NetworkMode": "VPC",
    "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "SecurityGroupIds": ["sg-0123456789abcdef0"],
}


def s3files(path: str) -> dict[str, Any]:
    return {
        "S3FilesConfiguration": {
            "AccessPointArn": S3FILES_ACCESS_POINT_ARN,
            "FileSystemArn": S3FILES_SYSTEM_ARN,
            "MountPath": path,
        }
    }


def efs(path: str) -> dict[str, Any]:
    return {
        "EfsConfiguration": {
            "AccessPointArn": EFS_ACCESS_POINT_ARN,
            "FileSystemArn": EFS_SYSTEM_ARN,
            "MountPath": path,
        }
    }


def changed(base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {**copy.deepcopy(base), **overrides}


@dataclass
class World:
    index: ModuleType
    fake: ControlPlaneFake
    driver: CloudFormationDriver
    clock: Clock
    sleeps: Sleeps
    access: AccessLog
    # Properties as the stack's template gives them: its execution role, its network.
    sandbox: dict[str, Any]
    vpc: dict[str, Any]
    role_arn: str
    certificate_arns: list[str]
    stack_tag: dict[str, str]


@pytest.fixture
def world(
    index: ModuleType,
    driver: CloudFormationDriver,
    sleeps: Sleeps,
    authorizer: Authorizer,
    handler_stack: StackResources,
) -> World:
    template_properties = handler_stack.resolve(
        handler_stack.resources[handler_stack.only(RESOURCE_TYPE)]["Properties"]
    )
    role_arn = template_properties["ExecutionRoleArn"]
    vpc = changed(
        VPC,
        ExecutionRoleArn=role_arn,
        SubnetIds=template_properties["SubnetIds"],
        SecurityGroupIds=template_properties["SecurityGroupIds"],
    )
    return World(
        index,
        driver.fake,
        driver,
        driver.clock,
        sleeps,
        authorizer.log,
        sandbox=changed(SANDBOX, ExecutionRoleArn=role_arn),
        vpc=vpc,
        role_arn=role_arn,
        certificate_arns=template_properties["Certificates"],
        stack_tag={STACK_TAG_KEY: handler_stack.stack_name},
    )


# --------------------------------------------------------------------------- scenarios

SCENARIOS: list[Callable[[World], None]] = []


def scenario(run: Callable[[World], None]) -> Callable[[World], None]:
    SCENARIOS.append(run)
    return run


@scenario
def create_ok(w: World) -> None:
    op = w.driver.create_stack(w.sandbox)

    outcome = op.first
    assert outcome.status == "SUCCESS"
    assert CUSTOM_ID.fullmatch(outcome.physical_id)
    assert outcome.physical_id.startswith("analytics_sandbox_")
    assert outcome.data == {
        "CodeInterpreterId": outcome.physical_id,
        "CodeInterpreterArn": w.fake.interpreter(outcome.physical_id).arn,
        "Status": "READY",
    }
    # CREATING for two polls, READY on the third.
    assert w.fake.operations() == ["CreateCodeInterpreter"] + ["GetCodeInterpreter"] * 3
    assert outcome.polls == 3
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    assert create.params["networkConfiguration"] == {"networkMode": "SANDBOX"}
    assert create.params["description"] == w.sandbox["Description"]
    assert create.params["executionRoleArn"] == w.role_arn
    # The template's tags, and the mark of the stack that the handler's policy requires.
    assert create.params["tags"] == {"project": "analytics", "env": "dev", **w.stack_tag}
    assert len(create.params["clientToken"]) == 64
    # Each call was authorized as AWS authorizes it, under the role of the function that made it.
    arn = outcome.data["CodeInterpreterArn"]
    assert [(d.principal, d.request.action, d.request.resource) for d in w.access.decisions] == [
        ("on_event handler", "bedrock-agentcore:CreateCodeInterpreter", "*"),
        ("on_event handler", "iam:PassRole", w.role_arn),
        *[("is_complete handler", "bedrock-agentcore:GetCodeInterpreter", arn)] * 3,
    ]
    assert all(decision.allowed for decision in w.access.decisions)
    assert w.fake.interpreter(outcome.physical_id).status == "READY"
    # CloudFormation's own ServiceTimeout property arrived and was accepted.
    assert outcome.events[0]["ResourceProperties"]["ServiceTimeout"] == "2100"


@scenario
def create_failed_with_reason(w: World) -> None:
    w.fake.fail_next_creation("Subnet subnet-0123 has no free IP addresses")

    op = w.driver.create_stack(w.sandbox)

    created, rollback = op.outcomes
    assert created.status == "FAILED"
    assert "CREATE_FAILED" in (created.reason or "")
    assert "Subnet subnet-0123 has no free IP addresses" in (created.reason or "")
    # is_complete failed after on_event returned, so the real id is reported and rolled back.
    assert CUSTOM_ID.fullmatch(created.physical_id)
    assert rollback.request_type == "Delete"
    assert rollback.status == "SUCCESS"
    assert not w.fake.exists(created.physical_id)
    # is_complete deleted the failed interpreter before it raised, within the Create request.
    assert [call.operation for call in created.calls] == [
        "CreateCodeInterpreter",
        "GetCodeInterpreter",
        "GetCodeInterpreter",
        "GetCodeInterpreter",
        "DeleteCodeInterpreter",
    ]


@scenario
def iam_propagation_then_ok(w: World) -> None:
    w.fake.reject_role_until_propagated(times=2)

    op = w.driver.create_stack(w.sandbox)

    assert op.first.status == "SUCCESS"
    assert w.sleeps.seconds == [2.0, 4.0]
    creates = w.fake.calls_to("CreateCodeInterpreter")
    assert [call.outcome for call in creates] == ["ValidationException"] * 2 + ["ok"]
    assert len({call.params["clientToken"] for call in creates}) == 1
    assert len({call.params["name"] for call in creates}) == 1


@scenario
def iam_never_propagates(w: World) -> None:
    w.fake.reject_role_until_propagated(times=100)

    op = w.driver.create_stack(w.sandbox)

    created, rollback = op.outcomes
    assert created.status == "FAILED"
    assert "Role validation failed" in (created.reason or "")
    assert created.physical_id == CREATE_FAILED_MARKER
    assert not rollback.handler_invoked
    assert w.sleeps.seconds == list(w.index.ROLE_PROPAGATION_DELAYS)
    assert len(w.fake.calls_to("CreateCodeInterpreter")) == len(w.sleeps.seconds) + 1


@scenario
def iam_retry_stops_before_lambda_timeout(w: World) -> None:
    w.driver.on_event_timeout = 60
    w.fake.reject_role_until_propagated(times=100)

    op = w.driver.create_stack(w.sandbox)

    assert op.first.status == "FAILED"
    # 2 + 4 + 8 s fit; another 15 s would leave less than the 45 s a final create needs.
    assert w.sleeps.seconds == [2.0, 4.0, 8.0]


@scenario
def throttled_polls(w: World) -> None:
    w.driver.create_stack(w.sandbox)
    w.fake.calls.clear()
    w.fake.throttle("GetCodeInterpreter", times=3)

    op = w.driver.update_stack(changed(w.sandbox, Description="Throttled while replacing"))

    updated, cleanup = op.outcomes
    assert updated.status == "SUCCESS"
    # Three throttled polls, then CREATING twice and READY.
    assert updated.polls == 6
    outcomes = [call.outcome for call in w.fake.calls_to("GetCodeInterpreter")][:6]
    assert outcomes == ["ThrottlingException"] * 3 + ["ok"] * 3
    assert cleanup.status == "SUCCESS"


@scenario
def internal_errors_while_polling(w: World) -> None:
    w.fake.fail_next("GetCodeInterpreter", "InternalServerException", times=2)

    op = w.driver.create_stack(w.sandbox)

    assert op.first.status == "SUCCESS"
    assert op.first.polls == 5


@scenario
def throttled_create_fails_cleanly(w: World) -> None:
    w.fake.throttle("CreateCodeInterpreter")

    op = w.driver.create_stack(w.sandbox)

    created, rollback = op.outcomes
    assert created.status == "FAILED"
    assert "ThrottlingException" in (created.reason or "")
    assert created.physical_id == CREATE_FAILED_MARKER
    assert not rollback.handler_invoked


@scenario
def duplicate_on_event(w: World) -> None:
    w.driver.on_event_invocations = 2

    op = w.driver.create_stack(w.sandbox)

    assert op.first.status == "SUCCESS"
    first, second = op.first.on_event_results
    assert first == second
    creates = w.fake.calls_to("CreateCodeInterpreter")
    assert len(creates) == 2
    assert creates[0].params == creates[1].params  # same name, same clientToken
    assert w.fake.live_ids() == {op.first.physical_id}


@scenario
def duplicate_on_event_for_replacement(w: World) -> None:
    w.driver.create_stack(w.sandbox)
    w.driver.on_event_invocations = 2

    op = w.driver.update_stack(changed(w.sandbox, Description="Replaced once"))

    assert op.first.status == "SUCCESS"
    assert len(w.fake.calls_to("CreateCodeInterpreter")) == 3
    assert len(w.fake.live_ids()) == 1


@scenario
def update_no_op(w: World) -> None:
    before = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.calls.clear()

    op = w.driver.update_stack(copy.deepcopy(w.sandbox))

    (updated,) = op.outcomes
    assert updated.status == "SUCCESS"
    assert updated.physical_id == before
    # on_event called nothing; is_complete read the status once to report it.
    assert w.fake.operations() == ["GetCodeInterpreter"]
    assert updated.data["Status"] == "READY"


@scenario
def update_reordered_lists_is_no_op(w: World) -> None:
    before = w.driver.create_stack(w.vpc).first.physical_id
    w.fake.calls.clear()
    reordered = changed(
        w.vpc, SubnetIds=list(reversed(w.vpc["SubnetIds"])), Tags=list(reversed(w.vpc["Tags"]))
    )

    op = w.driver.update_stack(reordered)

    assert op.first.physical_id == before
    assert w.fake.operations() == ["GetCodeInterpreter"]


@scenario
def update_tags_only(w: World) -> None:
    before = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.calls.clear()
    new_tags = [{"Key": "project", "Value": "ml"}, {"Key": "owner", "Value": "data-team"}]

    op = w.driver.update_stack(changed(w.sandbox, Tags=new_tags))

    (updated,) = op.outcomes
    assert updated.status == "SUCCESS"
    assert updated.physical_id == before
    assert w.fake.operations() == [
        "GetCodeInterpreter",
        "ListTagsForResource",
        "UntagResource",
        "TagResource",
        "GetCodeInterpreter",
    ]
    assert w.fake.calls_to("UntagResource")[0].params["tagKeys"] == ["env"]
    assert w.fake.calls_to("TagResource")[0].params["tags"] == {
        "project": "ml",
        "owner": "data-team",
    }
    # The stack's own tag stays: the handler's policy would not let it go.
    assert w.fake.interpreter(before).tags == {
        "project": "ml",
        "owner": "data-team",
        **w.stack_tag,
    }


@scenario
def update_description_replaces(w: World) -> None:
    old = w.driver.create_stack(w.sandbox).first.physical_id

    op = w.driver.update_stack(changed(w.sandbox, Description="A new purpose"))

    updated, cleanup = op.outcomes
    assert updated.status == "SUCCESS"
    assert updated.physical_id != old
    assert cleanup.request_type == "Delete"
    assert cleanup.events[0]["PhysicalResourceId"] == old
    assert cleanup.status == "SUCCESS"
    assert not w.fake.exists(old)
    new_name = w.fake.interpreter(updated.physical_id).name
    assert new_name.startswith("analytics_sandbox_")
    assert new_name != old.rsplit("-", 1)[0]


@scenario
def update_network_mode_replaces(w: World) -> None:
    old = w.driver.create_stack(w.sandbox).first.physical_id

    op = w.driver.update_stack(w.vpc)

    assert op.first.status == "SUCCESS"
    assert op.first.physical_id != old
    assert not w.fake.exists(old)
    create = w.fake.calls_to("CreateCodeInterpreter")[-1]
    assert create.params["networkConfiguration"] == {
        "networkMode": "VPC",
        "vpcConfig": {
            "subnets": sorted(w.vpc["SubnetIds"]),
            "securityGroups": w.vpc["SecurityGroupIds"],
        },
    }
    # The account's first VPC-mode interpreter: the handler may create AgentCore's network
    # service-linked role, and did.
    (linked_role,) = [
        d for d in w.access.decisions if d.request.action == "iam:CreateServiceLinkedRole"
    ]
    assert linked_role.allowed
    assert linked_role.request.context == {"iam:AWSServiceName": NETWORK_SERVICE_NAME}


@scenario
def failed_stack_update_rolls_back_to_original(w: World) -> None:
    for number in range(5):  # listed before ours: finding the original takes several pages
        w.fake.seed_interpreter(f"someone_else_{number}")
    w.fake.max_page_size = 2
    original = w.driver.create_stack(w.sandbox).first.physical_id

    op = w.driver.update_stack(changed(w.sandbox, Description="Doomed"), stack_fails_later=True)

    updated, rollback, cleanup = op.outcomes
    replacement = updated.physical_id
    assert updated.status == "SUCCESS"
    assert replacement != original
    assert rollback.request_type == "Update"
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == original
    assert cleanup.request_type == "Delete"
    assert cleanup.events[0]["PhysicalResourceId"] == replacement
    assert w.fake.interpreter(original).status == "READY"
    assert not w.fake.exists(replacement)
    assert len(w.fake.calls_to("ListCodeInterpreters")) >= 2


@scenario
def failed_replacement_rolls_back_to_original(w: World) -> None:
    original = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.fail_next_creation("Service-linked role missing")

    op = w.driver.update_stack(changed(w.sandbox, Description="Will fail"))

    updated, rollback = op.outcomes
    assert updated.status == "FAILED"
    assert "Service-linked role missing" in (updated.reason or "")
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == original
    assert w.fake.interpreter(original).status == "READY"


@scenario
def invalid_update_rolls_back_without_changes(w: World) -> None:
    original = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.calls.clear()

    op = w.driver.update_stack(changed(w.sandbox, NetworkMode="MESH"))

    updated, rollback = op.outcomes
    assert updated.status == "FAILED"
    assert "NetworkMode='MESH'" in (updated.reason or "")
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == original
    # Nothing was created: the rollback found the original under its derived name.
    assert all(c.outcome != "ok" for c in w.fake.calls_to("CreateCodeInterpreter"))


@scenario
def delete_ok(w: World) -> None:
    interpreter_id = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.calls.clear()

    op = w.driver.delete_stack()

    (deleted,) = op.outcomes
    assert deleted.status == "SUCCESS"
    assert [(c.operation, c.outcome) for c in w.fake.calls] == [
        ("DeleteCodeInterpreter", "ok"),
        ("GetCodeInterpreter", "ok"),  # DELETING
        ("GetCodeInterpreter", "ResourceNotFoundException"),
    ]
    assert deleted.polls == 2
    assert not w.fake.exists(interpreter_id)


@scenario
def delete_ok_reported_as_deleted(w: World) -> None:
    w.fake.report_deleted_status = True
    interpreter_id = w.driver.create_stack(w.sandbox).first.physical_id

    op = w.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    assert not w.fake.exists(interpreter_id)


@scenario
def delete_throttled_then_retried_by_is_complete(w: World) -> None:
    interpreter_id = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.throttle("DeleteCodeInterpreter")

    op = w.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    deletes = [call.outcome for call in w.fake.calls_to("DeleteCodeInterpreter")]
    assert deletes == ["ThrottlingException", "ok"]
    assert not w.fake.exists(interpreter_id)


@scenario
def delete_failed(w: World) -> None:
    interpreter_id = w.driver.create_stack(w.sandbox).first.physical_id
    w.fake.fail_next_deletion("Interpreter still has 3 active sessions")

    op = w.driver.delete_stack()

    assert op.first.status == "FAILED"
    assert "DELETE_FAILED" in (op.first.reason or "")
    assert "Interpreter still has 3 active sessions" in (op.first.reason or "")
    # CloudFormation keeps the resource (DELETE_FAILED) and so does the service.
    assert w.driver.believed_ids() == {interpreter_id}
    assert w.fake.interpreter(interpreter_id).status == "DELETE_FAILED"

    retried = w.driver.delete_stack()

    assert retried.first.status == "SUCCESS"


@scenario
def create_timeout(w: World) -> None:
    w.fake.creating_polls = 10**6
    w.driver.total_timeout = 60

    op = w.driver.create_stack(w.sandbox)

    created, rollback = op.outcomes
    assert created.status == "FAILED"
    assert created.reason == "Operation timed out"
    assert created.polls == 13  # at once, then every 5 s for 60 s
    # The framework reports the id on_event returned, so the rollback deletes it.
    assert rollback.events[0]["PhysicalResourceId"] == created.physical_id
    assert rollback.status == "SUCCESS"
    assert not w.fake.exists(created.physical_id)


@scenario
def long_failure_reason_truncated(w: World) -> None:
    reason = "Sandbox image pull failed: " + "é" * 3000 + " <end of reason>"
    w.fake.fail_next_creation(reason)

    op = w.driver.create_stack(w.sandbox)

    created = op.first
    assert created.status == "FAILED"
    message = (created.reason or "").split("\n\nLogs:")[0]
    assert "Sandbox image pull failed: éé" in message
    assert "<end of reason>" not in message
    assert "[truncated]" in message
    assert len(message.encode()) <= w.index.MAX_MESSAGE_BYTES
    assert len(created.response_body.encode()) < 4096


@scenario
def empty_optional_properties_are_absent(w: World) -> None:
    props = changed(
        w.sandbox, Description="", Tags=[], SubnetIds=[], SecurityGroupIds=[], Certificates=[]
    )

    op = w.driver.create_stack(props)

    assert op.first.status == "SUCCESS"
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    assert set(create.params) == {
        "name",
        "executionRoleArn",
        "networkConfiguration",
        "clientToken",
        "tags",
    }
    assert create.params["tags"] == w.stack_tag


@scenario
def certificates_are_read_with_the_callers_credentials(w: World) -> None:
    op = w.driver.create_stack(changed(w.sandbox, Certificates=w.certificate_arns))

    assert op.first.status == "SUCCESS"
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    assert create.params["certificates"] == [
        {"location": {"secretsManager": {"secretArn": arn}}} for arn in sorted(w.certificate_arns)
    ]
    # AgentCore read each secret as the handler: a full ARN and one without the random suffix,
    # whose key the stack's policy may use through Secrets Manager only.
    reads = [
        (d.request.action, d.request.resource, d.allowed)
        for d in w.access.decisions
        if d.request.action in ("secretsmanager:GetSecretValue", "kms:Decrypt")
    ]
    assert reads == [
        (
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/proxy-ca-Gh1jK2",
            True,
        ),
        ("kms:Decrypt", CERTIFICATE_KEY_ARN, True),
        (
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf",
            True,
        ),
    ]


@scenario
def certificate_the_stack_was_not_told_about_fails_the_create(w: World) -> None:
    foreign = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/ca-Zz9Yy8"
    w.fake.secrets[foreign] = None

    op = w.driver.create_stack(changed(w.sandbox, Certificates=[foreign]))

    created = op.first
    assert created.status == "FAILED"
    assert foreign in (created.reason or "")
    assert "not authorized to perform: secretsmanager:GetSecretValue" in (created.reason or "")
    assert created.physical_id == CREATE_FAILED_MARKER


@scenario
def second_vpc_interpreter_needs_no_service_linked_role(w: World) -> None:
    w.driver.create_stack(w.vpc)
    w.driver.update_stack(changed(w.vpc, Description="Replaced in the same network"))

    linked_roles = [
        d for d in w.access.decisions if d.request.action == "iam:CreateServiceLinkedRole"
    ]
    assert len(linked_roles) == 1
    assert len(w.fake.calls_to("CreateCodeInterpreter")) == 2


@scenario
def vpc_interpreter_outside_the_configured_network_is_denied(w: World) -> None:
    op = w.driver.create_stack(changed(w.vpc, SubnetIds=["subnet-0aaaaaaaaaaaaaaa1"]))

    created = op.first
    assert created.status == "FAILED"
    assert "AccessDeniedException" in (created.reason or "")
    assert "bedrock-agentcore:CreateCodeInterpreter" in (created.reason or "")
    assert w.fake.live_ids() == set()


@scenario
def execution_role_of_another_stack_is_not_passed(w: World) -> None:
    other_role = "arn:aws:iam::123456789012:role/CodeInterpreter-other-ExecutionRole"

    op = w.driver.create_stack(changed(w.sandbox, ExecutionRoleArn=other_role))

    assert op.first.status == "FAILED"
    assert f"iam:PassRole on resource: {other_role}" in (op.first.reason or "")
    assert w.fake.live_ids() == set()


@scenario
def another_stacks_interpreter_is_never_touched(w: World) -> None:
    other = w.fake.seed_interpreter(
        "analytics_sandbox_elsewhere", tags={STACK_TAG_KEY: "CodeInterpreter-other"}
    )

    # A (mistaken) Delete naming the other stack's interpreter is refused by IAM.
    props = w.driver._resource_properties(w.sandbox)
    outcome = w.driver.send("Delete", props, physical_id=other)

    assert outcome.status == "FAILED"
    assert "AccessDeniedException" in (outcome.reason or "")
    assert w.fake.interpreter(other).status == "READY"


def test_name_held_by_an_interpreter_of_another_stack_is_not_adopted(world: World) -> None:
    w = world
    created = w.driver.create_stack(w.sandbox).first.physical_id
    name = w.fake.interpreter(created).name
    # Someone moved the stack's mark off the interpreter outside CloudFormation.
    w.fake.interpreter(created).tags[STACK_TAG_KEY] = "CodeInterpreter-other"

    op = w.driver.update_stack(changed(w.sandbox, Description="Doomed"), stack_fails_later=True)

    rollback = op.outcomes[1]
    assert rollback.status == "FAILED"
    assert f"name {name} is held by {created}, which does not carry this stack's tag" in (
        rollback.reason or ""
    )


@pytest.mark.parametrize("vanished_denied", [True, False], ids=["gone-denied", "gone-not-found"])
def test_an_interpreter_that_lost_its_tags_is_out_of_the_handlers_reach(
    world: World, vanished_denied: bool
) -> None:
    # However AWS answers for interpreters that are gone, this one exists: IAM decides.
    world.fake.missing_interpreter_denied = vanished_denied
    interpreter_id = world.driver.create_stack(world.sandbox).first.physical_id
    # Every tag, the mark among them, removed outside CloudFormation: IAM no longer lets this
    # stack's handler touch it (a request without aws:ResourceTag keys is still IAM's to decide).
    world.fake.interpreter(interpreter_id).tags.clear()

    op = world.driver.delete_stack()

    assert op.first.status == "FAILED"
    assert [call.outcome for call in world.fake.calls_to("DeleteCodeInterpreter")] == [
        "AccessDeniedException"
    ]
    assert world.fake.exists(interpreter_id)


@pytest.mark.parametrize("denied", [True, False], ids=["access-denied", "not-found"])
def test_delete_of_a_vanished_interpreter_succeeds_whatever_aws_answers(
    world: World, denied: bool
) -> None:
    interpreter_id = world.driver.create_stack(world.sandbox).first.physical_id
    world.fake.delete_outside_cloudformation(interpreter_id)
    world.fake.missing_interpreter_denied = denied

    op = world.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    expected = "AccessDeniedException" if denied else "ResourceNotFoundException"
    assert [call.outcome for call in world.fake.calls_to("DeleteCodeInterpreter")] == [expected]
    world.driver.assert_consistent()


@scenario
def create_with_both_kinds_of_file_systems(w: World) -> None:
    mounts = [efs("/mnt/shared"), s3files("/mnt/data")]

    op = w.driver.create_stack(changed(w.vpc, FilesystemConfigurations=mounts))

    assert op.first.status == "SUCCESS"
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    # The API's union members, in mount-path order (order carries no meaning).
    assert create.params["filesystemConfigurations"] == [
        {
            "s3FilesConfiguration": {
                "accessPointArn": S3FILES_ACCESS_POINT_ARN,
                "fileSystemArn": S3FILES_SYSTEM_ARN,
                "mountPath": "/mnt/data",
            }
        },
        {
            "efsConfiguration": {
                "accessPointArn": EFS_ACCESS_POINT_ARN,
                "fileSystemArn": EFS_SYSTEM_ARN,
                "mountPath": "/mnt/shared",
            }
        },
    ]
    assert set(op.first.data) == {"CodeInterpreterId", "CodeInterpreterArn", "Status"}


@scenario
def reordered_file_systems_are_no_change(w: World) -> None:
    mounts = [s3files("/mnt/data"), efs("/mnt/shared")]
    before = w.driver.create_stack(changed(w.vpc, FilesystemConfigurations=mounts)).first
    w.fake.calls.clear()

    op = w.driver.update_stack(changed(w.vpc, FilesystemConfigurations=mounts[::-1]))

    assert op.first.physical_id == before.physical_id
    assert w.fake.operations() == ["GetCodeInterpreter"]


@scenario
def a_changed_file_system_replaces_the_interpreter(w: World) -> None:
    old = w.driver.create_stack(
        changed(w.vpc, FilesystemConfigurations=[s3files("/mnt/data")])
    ).first.physical_id

    op = w.driver.update_stack(changed(w.vpc, FilesystemConfigurations=[s3files("/mnt/lake")]))

    updated, cleanup = op.outcomes
    assert updated.status == "SUCCESS"
    assert updated.physical_id != old
    assert cleanup.events[0]["PhysicalResourceId"] == old
    assert not w.fake.exists(old)


@pytest.mark.parametrize("run", SCENARIOS, ids=lambda run: run.__name__.replace("_", "-"))
def test_scenario(run: Callable[[World], None], world: World) -> None:
    run(world)
    world.driver.assert_consistent()


# --------------------------------------------------------------------------- tables


INVALID_PROPERTIES = [
    pytest.param(
        changed(SANDBOX, Name="my-interpreter"), ["Name='my-interpreter'"], id="name-with-hyphen"
    ),
    pytest.param(
        changed(SANDBOX, Name="1st"), ["Name='1st'", "[a-zA-Z]"], id="name-starts-with-digit"
    ),
    pytest.param(
        changed(SANDBOX, Name="a" * 49),
        ["Name=", "[a-zA-Z][a-zA-Z0-9_]{0,47}"],
        id="name-too-long",
    ),
    pytest.param(
        {k: v for k, v in SANDBOX.items() if k != "Name"}, ["Name is required"], id="name-missing"
    ),
    pytest.param(
        changed(SANDBOX, NetworkMode="MESH"), ["NetworkMode='MESH'"], id="unknown-network-mode"
    ),
    pytest.param(
        changed(SANDBOX, NetworkMode="sandbox"),
        ["PUBLIC, SANDBOX, VPC"],
        id="lower-case-network-mode",
    ),
    pytest.param(
        changed(SANDBOX, Memory="2048"), ["unknown properties Memory"], id="unknown-property"
    ),
    pytest.param(
        changed(SANDBOX, Description="d" * 4097), ["4097", "4096"], id="description-too-long"
    ),
    pytest.param(
        changed(SANDBOX, ExecutionRoleArn="arn:aws:iam::123:user/x"),
        ["ExecutionRoleArn="],
        id="bad-role-arn",
    ),
    pytest.param(changed(VPC, SubnetIds=[]), ["SubnetIds needs 1-16"], id="vpc-without-subnets"),
    pytest.param(
        changed(VPC, SubnetIds=["subnet-1"]), ["SubnetIds[0]='subnet-1'"], id="vpc-bad-subnet"
    ),
    pytest.param(
        changed(VPC, SecurityGroupIds=["default"]),
        ["SecurityGroupIds[0]='default'"],
        id="vpc-bad-security-group",
    ),
    pytest.param(
        changed(VPC, SubnetIds=[f"subnet-{n:017d}" for n in range(17)]),
        ["got 17"],
        id="vpc-too-many-subnets",
    ),
    pytest.param(
        changed(VPC, SubnetIds=["subnet-0123456789abcdef0"] * 2),
        ["more than once"],
        id="vpc-duplicate-subnet",
    ),
    pytest.param(
        changed(SANDBOX, SubnetIds=["subnet-0123456789abcdef0"]),
        ["only allowed with NetworkMode=VPC"],
        id="subnets-outside-vpc",
    ),
    pytest.param(
        changed(SANDBOX, FilesystemConfigurations=[s3files("/mnt/data")]),
        ["FilesystemConfigurations is only allowed with NetworkMode=VPC"],
        id="mounts-outside-vpc",
    ),
    pytest.param(
        changed(VPC, FilesystemConfigurations=[efs(f"/mnt/e{n}") for n in range(3)]),
        ["3 efsConfiguration entries; at most 2"],
        id="three-efs-mounts",
    ),
    pytest.param(
        changed(VPC, FilesystemConfigurations=[s3files("/mnt/data"), efs("/mnt/data/")]),
        ["mounts /mnt/data more than once"],
        id="duplicate-mount-path",
    ),
    pytest.param(
        changed(VPC, FilesystemConfigurations=[s3files("/data")]),
        ["MountPath='/data' is not allowed", "/mnt/"],
        id="mount-path-outside-mnt",
    ),
    pytest.param(
        changed(VPC, FilesystemConfigurations=[{**s3files("/mnt/a"), **efs("/mnt/b")}]),
        ["must have exactly one of EfsConfiguration, S3FilesConfiguration"],
        id="two-kinds-in-one-entry",
    ),
    pytest.param(
        changed(
            VPC,
            FilesystemConfigurations=[
                {"EfsConfiguration": {"FileSystemArn": EFS_SYSTEM_ARN, "MountPath": "/mnt/a"}}
            ],
        ),
        ["EfsConfiguration must have string AccessPointArn, FileSystemArn, MountPath"],
        id="mount-missing-access-point",
    ),
    pytest.param(
        changed(
            VPC,
            FilesystemConfigurations=[
                {
                    "EfsConfiguration": {
                        "AccessPointArn": S3FILES_ACCESS_POINT_ARN,
                        "FileSystemArn": EFS_SYSTEM_ARN,
                        "MountPath": "/mnt/a",
                    }
                }
            ],
        ),
        ["AccessPointArn='arn:aws:s3files"],
        id="s3files-access-point-for-efs",
    ),
    pytest.param(
        changed(VPC, RequireServiceS3Endpoint="false"),
        ["RequireServiceS3Endpoint is not accepted", "applies to Agent Runtimes only"],
        id="agent-runtime-only-s3-endpoint",
    ),
    pytest.param(
        changed(VPC, SubnetIds="subnet-0123456789abcdef0"),
        ["SubnetIds must be a list"],
        id="subnets-not-a-list",
    ),
    pytest.param(
        changed(SANDBOX, Certificates=["arn:aws:s3:::bucket/ca.pem"]),
        ["Certificates[0]='arn:aws:s3:::bucket/ca.pem'", ":secretsmanager:"],
        id="bad-certificate-arn",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)]),
        ["50 keys", "at most 49", STACK_TAG_KEY],
        id="too-many-tags",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": STACK_TAG_KEY, "Value": "CodeInterpreter-other"}]),
        [f"Tags[0].Key='{STACK_TAG_KEY}' is reserved"],
        id="stack-tag-key",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": "team", "Value": "caf\u00e9"}]),
        ["Tags[0].Value='caf\u00e9'"],
        id="non-ascii-tag-value",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": "aws:owner", "Value": "x"}]),
        ["aws: prefix is reserved"],
        id="reserved-tag-key",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": "team", "Value": "a&b"}]),
        ["Tags[0].Value='a&b'"],
        id="bad-tag-character",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]),
        ["appears more than once"],
        id="duplicate-tag-key",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"key": "a", "value": "1"}]),
        ["{Key: string, Value: string}"],
        id="tag-not-key-value",
    ),
]


@pytest.mark.parametrize(("properties", "fragments"), INVALID_PROPERTIES)
def test_invalid_properties_fail_before_any_call(
    world: World, properties: dict[str, Any], fragments: list[str]
) -> None:
    op = world.driver.create_stack(properties)

    created = op.first
    assert created.status == "FAILED"
    assert created.physical_id == CREATE_FAILED_MARKER
    assert (created.reason or "").startswith("Invalid resource properties: ")
    for fragment in fragments:
        assert fragment in (created.reason or "")
    assert world.fake.calls == []
    world.driver.assert_consistent()


def test_every_problem_is_reported_at_once(index: ModuleType) -> None:
    raw = changed(SANDBOX, Name="bad-name", NetworkMode="MESH", Extra="x")
    with pytest.raises(index.InvalidPropertiesError) as caught:
        index.parse_properties(raw)
    message = str(caught.value)
    assert "Name='bad-name'" in message
    assert "NetworkMode='MESH'" in message
    assert "unknown properties Extra" in message


NOT_OURS_TO_DELETE = [
    ("create-failed-marker", CREATE_FAILED_MARKER),
    ("missing-id-marker", MISSING_PHYSICAL_ID_MARKER),
    ("built-in-interpreter", BUILT_IN_ID),
    ("made-up-by-cloudformation", "CodeInterpreter-dev-CodeInterpreter-1XYZ2ABC3DEF4"),
    ("request-id-default", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
]


@pytest.mark.parametrize(
    "physical_id",
    [physical_id for _, physical_id in NOT_OURS_TO_DELETE],
    ids=[name for name, _ in NOT_OURS_TO_DELETE],
)
def test_delete_of_ids_that_are_not_ours_calls_nothing(world: World, physical_id: str) -> None:
    props = world.driver._resource_properties(SANDBOX)

    outcome = world.driver.send(
        "Delete", props, physical_id=physical_id, framework_skips_marker=False
    )

    assert outcome.handler_invoked
    assert outcome.status == "SUCCESS"
    assert outcome.physical_id == physical_id
    assert world.fake.calls == []


# --------------------------------------------------------------------------- model and client


def test_handler_client_loads_the_vendored_model(
    index: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []
    original = botocore.loaders.JSONFileLoader.load_file

    def recording_load_file(self: Any, file_path: str) -> Any:
        data = original(self, file_path)
        if data is not None:
            loaded.append(file_path)
        return data

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", recording_load_file)

    client = index.new_client()

    models_dir = str(index.MODELS_DIR)
    for model in ("service-2", "endpoint-rule-set-1"):
        (path,) = [p for p in loaded if p.endswith(f"{MODEL_SUBDIR}/{model}")]
        assert path.startswith(models_dir), f"{model} came from {path}"
    assert client.meta.service_model.api_version == "2023-06-05"
    with gzip.open(index.MODELS_DIR / MODEL_SUBDIR / "service-2.json.gz") as shipped:
        assert client.meta.service_model._service_description == json.load(shipped)


def test_vendored_model_wins_over_botocore_bundled_model(index: ModuleType, tmp_path: Path) -> None:
    # Same API version as the bundled model, so only the search order can pick the copy.
    target = tmp_path / "models" / MODEL_SUBDIR
    shutil.copytree(index.MODELS_DIR / MODEL_SUBDIR, target)
    with gzip.open(target / "service-2.json.gz") as shipped:
        model = json.load(shipped)
    model["metadata"]["x-vendored-copy"] = "marker"
    with gzip.open(target / "service-2.json.gz", "wt") as marked:
        json.dump(model, marked)

    client = index.new_client(models_dir=tmp_path / "models")

    assert client.meta.service_model.metadata["x-vendored-copy"] == "marker"


def test_missing_vendored_model_fails_loudly(index: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(index.CustomResourceError, match="API model missing"):
        index.new_client(models_dir=tmp_path)


def test_vendored_model_is_the_pinned_botocore_copy(index: ModuleType) -> None:
    for name in ("service-2.json.gz", "endpoint-rule-set-1.json.gz"):
        shipped = (index.MODELS_DIR / MODEL_SUBDIR / name).read_bytes()
        assert shipped == (BOTOCORE_MODEL_DIR / name).read_bytes(), name
    assert vendor_botocore_model.main(["--check"]) == 0


def test_largest_request_the_handler_can_send_is_valid_for_the_model(index: ModuleType) -> None:
    model = index.new_client().meta.service_model
    create_input = model.operation_model("CreateCodeInterpreter").input_shape
    spec = index.parse_properties(
        changed(
            VPC,
            Certificates=[
                f"arn:aws:secretsmanager:us-east-1:123456789012:secret:ca{n}-AbCdEf"
                for n in range(constraints.CERTIFICATES.max_items or 0)
            ],
            Name="n" * constraints.MAX_INTERPRETER_NAME_LENGTH,
            Description="x" * (constraints.DESCRIPTION.max_length or 0),
            Tags=[
                {"Key": f"key{n}", "Value": "v" * 256} for n in range(constraints.MAX_TEMPLATE_TAGS)
            ],
            # The documented maximum of each kind, with the longest mount paths.
            FilesystemConfigurations=[
                make(f"/mnt/{kind}{n}".ljust(constraints.MOUNT_PATH.max_length or 0, "x"))
                for kind, make in (("s3files", s3files), ("efs", efs))
                for n in range(constraints.FILESYSTEM_KINDS[kind].max_mounts)
            ],
        )
    )
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/CodeInterpreter-dev/guid"
    request = index.Request("Create", stack, "request", "Logical", None, {}, {})
    params = index.create_request(
        spec, index.interpreter_name(spec, request), "a" * 64, index.owned_tags(spec, request)
    )

    check_against_shape(create_input, params, "CreateCodeInterpreter")
    assert len(params["tags"]) == constraints.TAGS.max_items
    assert len(params["filesystemConfigurations"]) == sum(
        kind.max_mounts for kind in constraints.FILESYSTEM_KINDS.values()
    )
    assert "requireServiceS3Endpoint" not in params["networkConfiguration"]["vpcConfig"]


def test_production_client_config_is_bounded(index: ModuleType) -> None:
    config = index.CLIENT_CONFIG
    assert config.retries["mode"] == "standard"
    attempts = config.retries["max_attempts"]
    # Standard-mode backoff between attempts is at most 1 s, then 2 s, ...
    worst_case = attempts * (config.connect_timeout + config.read_timeout) + 2**attempts
    is_complete_timeout_seconds = 60
    assert worst_case < is_complete_timeout_seconds


def test_production_client_retries_throttling(
    index: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ControlPlaneFake()
    client = index.new_client()
    fake.attach(client)
    botocore_sleeps: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", botocore_sleeps.append)
    interpreter_id = fake.seed_interpreter("seeded")
    fake.throttle("GetCodeInterpreter", times=2)

    status = client.get_code_interpreter(codeInterpreterId=interpreter_id)["status"]

    assert status == "READY"
    assert [call.outcome for call in fake.calls] == ["ThrottlingException"] * 2 + ["ok"]
    assert len(botocore_sleeps) == 2


def test_client_is_created_once_per_container(
    index: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[object] = []

    def counting_new_client() -> object:
        created.append(object())
        return created[-1]

    monkeypatch.setattr(index, "new_client", counting_new_client)

    assert index.control_plane() is index.control_plane()
    assert len(created) == 1


# --------------------------------------------------------------------------- names and tokens


def test_names_and_tokens_are_deterministic_per_request(index: ModuleType) -> None:
    spec = index.parse_properties(changed(SANDBOX, Name="n" * 48))
    stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/CodeInterpreter-dev/guid"
    first = index.Request("Create", stack, "request-1", "Interpreter", None, {}, {})
    again = index.Request("Create", stack, "request-1", "Interpreter", None, {}, {})
    later = index.Request("Update", stack, "request-2", "Interpreter", "x", {}, {})

    name = index.interpreter_name(spec, first)
    assert name == index.interpreter_name(spec, again)
    assert len(name) == 48
    assert constraints.INTERPRETER_NAME.accepts(name)
    assert index.client_token(first) == index.client_token(again)
    assert index.client_token(first) != index.client_token(later)
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}", index.client_token(first))
    # A different create-only property is a different interpreter; a different tag is not.
    other = index.parse_properties(changed(SANDBOX, Name="n" * 48, Description="other"))
    retagged = index.parse_properties(changed(SANDBOX, Name="n" * 48, Tags=[]))
    assert index.interpreter_name(other, first) != name
    assert index.interpreter_name(retagged, first) == name
    elsewhere = index.Request("Create", stack, "request-1", "Other", None, {}, {})
    assert index.interpreter_name(spec, elsewhere) != name


# --------------------------------------------------------------------------- logs and package


def test_logs_never_contain_response_url_or_credentials(
    world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    world.fake.reject_role_until_propagated(times=1)
    world.driver.create_stack(world.sandbox)
    world.driver.update_stack(changed(world.sandbox, Tags=[]))
    world.fake.fail_next_creation("Quota exceeded")
    world.driver.update_stack(changed(world.sandbox, Description="fails"))
    world.driver.update_stack(changed(world.sandbox, Name="bad-name"))
    world.driver.delete_stack()

    captured = capsys.readouterr()
    reasons = "\n".join(outcome.reason or "" for outcome in world.driver.history)
    everything = "\n".join([captured.out, captured.err, caplog.text, reasons])
    forbidden = [
        *world.driver.response_urls,
        *FAKE_CREDENTIALS.values(),
        "X-Amz-Signature",
        "X-Amz-Credential",
        "ResponseURL",
        "ResourceProperties",
    ]
    for secret in forbidden:
        assert secret not in everything
    lines = captured.out.splitlines()
    assert lines, "the handler logged nothing"
    for line in lines:
        record = json.loads(line)
        assert isinstance(record["step"], str)
        assert record["request_type"]
    steps = {json.loads(line)["step"] for line in lines}
    assert {"create.role_not_ready", "update.retag", "ready.poll", "delete.poll"} <= steps


def test_deployed_asset_is_the_handler_with_its_shared_package_and_small(
    variant_app: SynthesizedApp, handler_stack: StackResources
) -> None:
    """The asset CloudFormation deploys, as synthesized: handler, shared package, API model."""
    (asset_hash,) = {
        r["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        for r in handler_stack.resources.values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"].startswith("index.")
    }
    asset_dir = variant_app.outdir / f"asset.{asset_hash}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset_dir.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset_dir))
    names = set(zipfile.ZipFile(buffer).namelist())

    assert buffer.tell() <= 1024 * 1024
    assert {"index.py", "agentcore_api/constraints.py", "agentcore_api/resources.py"} <= names
    assert {f"agentcore_api/models/{MODEL_SUBDIR}/{name}" for name in MODEL_FILES} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
