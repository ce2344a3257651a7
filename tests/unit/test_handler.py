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

from scripts import vendor_botocore_model

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSET_DIR = REPO_ROOT / "lambda" / "code_interpreter"
MODEL_SUBDIR = Path("bedrock-agentcore-control") / "2023-06-05"
MODEL_FILES = ("service-2.json.gz", "endpoint-rule-set-1.json.gz")
BOTOCORE_MODEL_DIR = Path(botocore.__file__).resolve().parent / "data" / MODEL_SUBDIR
ROLE_ARN = "arn:aws:iam::123456789012:role/CodeInterpreter-dev-ExecutionRole-1A2B3C4D"
CA_BUNDLE_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf"
CUSTOM_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}")

SANDBOX: dict[str, Any] = {
    "Name": "analytics_sandbox",
    "Description": "Code interpreter for the analytics agents",
    "ExecutionRoleArn": ROLE_ARN,
    "NetworkMode": "SANDBOX",
    "Tags": [{"Key": "project", "Value": "analytics"}, {"Key": "env", "Value": "dev"}],
}
VPC: dict[str, Any] = {
    **SANDBOX,
    "NetworkMode": "VPC",
    "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "SecurityGroupIds": ["sg-0123456789abcdef0"],
    "RequireServiceS3Endpoint": True,
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


@pytest.fixture
def world(
    index: ModuleType,
    fake: ControlPlaneFake,
    driver: CloudFormationDriver,
    clock: Clock,
    sleeps: Sleeps,
) -> World:
    return World(index, fake, driver, clock, sleeps)


# --------------------------------------------------------------------------- scenarios

SCENARIOS: list[Callable[[World], None]] = []


def scenario(run: Callable[[World], None]) -> Callable[[World], None]:
    SCENARIOS.append(run)
    return run


@scenario
def create_ok(w: World) -> None:
    op = w.driver.create_stack(SANDBOX)

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
    assert create.params["description"] == SANDBOX["Description"]
    assert create.params["executionRoleArn"] == ROLE_ARN
    assert create.params["tags"] == {"project": "analytics", "env": "dev"}
    assert len(create.params["clientToken"]) == 64
    assert w.fake.interpreter(outcome.physical_id).status == "READY"
    # CloudFormation's own ServiceTimeout property arrived and was accepted.
    assert outcome.events[0]["ResourceProperties"]["ServiceTimeout"] == "2100"


@scenario
def create_failed_with_reason(w: World) -> None:
    w.fake.fail_next_creation("Subnet subnet-0123 has no free IP addresses")

    op = w.driver.create_stack(SANDBOX)

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

    op = w.driver.create_stack(SANDBOX)

    assert op.first.status == "SUCCESS"
    assert w.sleeps.seconds == [2.0, 4.0]
    creates = w.fake.calls_to("CreateCodeInterpreter")
    assert [call.outcome for call in creates] == ["ValidationException"] * 2 + ["ok"]
    assert len({call.params["clientToken"] for call in creates}) == 1
    assert len({call.params["name"] for call in creates}) == 1


@scenario
def iam_never_propagates(w: World) -> None:
    w.fake.reject_role_until_propagated(times=100)

    op = w.driver.create_stack(SANDBOX)

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

    op = w.driver.create_stack(SANDBOX)

    assert op.first.status == "FAILED"
    # 2 + 4 + 8 s fit; another 15 s would leave less than the 45 s a final create needs.
    assert w.sleeps.seconds == [2.0, 4.0, 8.0]


@scenario
def throttled_polls(w: World) -> None:
    w.driver.create_stack(SANDBOX)
    w.fake.calls.clear()
    w.fake.throttle("GetCodeInterpreter", times=3)

    op = w.driver.update_stack(changed(SANDBOX, Description="Throttled while replacing"))

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

    op = w.driver.create_stack(SANDBOX)

    assert op.first.status == "SUCCESS"
    assert op.first.polls == 5


@scenario
def throttled_create_fails_cleanly(w: World) -> None:
    w.fake.throttle("CreateCodeInterpreter")

    op = w.driver.create_stack(SANDBOX)

    created, rollback = op.outcomes
    assert created.status == "FAILED"
    assert "ThrottlingException" in (created.reason or "")
    assert created.physical_id == CREATE_FAILED_MARKER
    assert not rollback.handler_invoked


@scenario
def duplicate_on_event(w: World) -> None:
    w.driver.on_event_invocations = 2

    op = w.driver.create_stack(SANDBOX)

    assert op.first.status == "SUCCESS"
    first, second = op.first.on_event_results
    assert first == second
    creates = w.fake.calls_to("CreateCodeInterpreter")
    assert len(creates) == 2
    assert creates[0].params == creates[1].params  # same name, same clientToken
    assert w.fake.live_ids() == {op.first.physical_id}


@scenario
def duplicate_on_event_for_replacement(w: World) -> None:
    w.driver.create_stack(SANDBOX)
    w.driver.on_event_invocations = 2

    op = w.driver.update_stack(changed(SANDBOX, Description="Replaced once"))

    assert op.first.status == "SUCCESS"
    assert len(w.fake.calls_to("CreateCodeInterpreter")) == 3
    assert len(w.fake.live_ids()) == 1


@scenario
def update_no_op(w: World) -> None:
    before = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.calls.clear()

    op = w.driver.update_stack(copy.deepcopy(SANDBOX))

    (updated,) = op.outcomes
    assert updated.status == "SUCCESS"
    assert updated.physical_id == before
    # on_event called nothing; is_complete read the status once to report it.
    assert w.fake.operations() == ["GetCodeInterpreter"]
    assert updated.data["Status"] == "READY"


@scenario
def update_reordered_lists_is_no_op(w: World) -> None:
    before = w.driver.create_stack(VPC).first.physical_id
    w.fake.calls.clear()
    reordered = changed(
        VPC, SubnetIds=list(reversed(VPC["SubnetIds"])), Tags=list(reversed(VPC["Tags"]))
    )

    op = w.driver.update_stack(reordered)

    assert op.first.physical_id == before
    assert w.fake.operations() == ["GetCodeInterpreter"]


@scenario
def update_tags_only(w: World) -> None:
    before = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.calls.clear()
    new_tags = [{"Key": "project", "Value": "ml"}, {"Key": "owner", "Value": "data-team"}]

    op = w.driver.update_stack(changed(SANDBOX, Tags=new_tags))

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
    assert w.fake.interpreter(before).tags == {"project": "ml", "owner": "data-team"}


@scenario
def update_description_replaces(w: World) -> None:
    old = w.driver.create_stack(SANDBOX).first.physical_id

    op = w.driver.update_stack(changed(SANDBOX, Description="A new purpose"))

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
    old = w.driver.create_stack(SANDBOX).first.physical_id

    op = w.driver.update_stack(VPC)

    assert op.first.status == "SUCCESS"
    assert op.first.physical_id != old
    assert not w.fake.exists(old)
    create = w.fake.calls_to("CreateCodeInterpreter")[-1]
    assert create.params["networkConfiguration"] == {
        "networkMode": "VPC",
        "vpcConfig": {
            "subnets": sorted(VPC["SubnetIds"]),
            "securityGroups": VPC["SecurityGroupIds"],
            "requireServiceS3Endpoint": True,
        },
    }


@scenario
def failed_stack_update_rolls_back_to_original(w: World) -> None:
    for number in range(5):  # listed before ours: finding the original takes several pages
        w.fake.seed_interpreter(f"someone_else_{number}")
    w.fake.max_page_size = 2
    original = w.driver.create_stack(SANDBOX).first.physical_id

    op = w.driver.update_stack(changed(SANDBOX, Description="Doomed"), stack_fails_later=True)

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
    original = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.fail_next_creation("Service-linked role missing")

    op = w.driver.update_stack(changed(SANDBOX, Description="Will fail"))

    updated, rollback = op.outcomes
    assert updated.status == "FAILED"
    assert "Service-linked role missing" in (updated.reason or "")
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == original
    assert w.fake.interpreter(original).status == "READY"


@scenario
def invalid_update_rolls_back_without_changes(w: World) -> None:
    original = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.calls.clear()

    op = w.driver.update_stack(changed(SANDBOX, NetworkMode="MESH"))

    updated, rollback = op.outcomes
    assert updated.status == "FAILED"
    assert "NetworkMode='MESH'" in (updated.reason or "")
    assert rollback.status == "SUCCESS"
    assert rollback.physical_id == original
    # Nothing was created: the rollback found the original under its derived name.
    assert all(c.outcome != "ok" for c in w.fake.calls_to("CreateCodeInterpreter"))


@scenario
def delete_ok(w: World) -> None:
    interpreter_id = w.driver.create_stack(SANDBOX).first.physical_id
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
    interpreter_id = w.driver.create_stack(SANDBOX).first.physical_id

    op = w.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    assert not w.fake.exists(interpreter_id)


@scenario
def delete_not_found(w: World) -> None:
    interpreter_id = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.delete_outside_cloudformation(interpreter_id)
    w.fake.calls.clear()

    op = w.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    assert [call.outcome for call in w.fake.calls] == ["ResourceNotFoundException"] * 2


@scenario
def delete_throttled_then_retried_by_is_complete(w: World) -> None:
    interpreter_id = w.driver.create_stack(SANDBOX).first.physical_id
    w.fake.throttle("DeleteCodeInterpreter")

    op = w.driver.delete_stack()

    assert op.first.status == "SUCCESS"
    deletes = [call.outcome for call in w.fake.calls_to("DeleteCodeInterpreter")]
    assert deletes == ["ThrottlingException", "ok"]
    assert not w.fake.exists(interpreter_id)


@scenario
def delete_failed(w: World) -> None:
    interpreter_id = w.driver.create_stack(SANDBOX).first.physical_id
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

    op = w.driver.create_stack(SANDBOX)

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

    op = w.driver.create_stack(SANDBOX)

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
        SANDBOX, Description="", Tags=[], SubnetIds=[], SecurityGroupIds=[], Certificates=[]
    )
    props["RequireServiceS3Endpoint"] = ""

    op = w.driver.create_stack(props)

    assert op.first.status == "SUCCESS"
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    assert set(create.params) == {
        "name",
        "executionRoleArn",
        "networkConfiguration",
        "clientToken",
    }


@scenario
def certificates_are_sent_as_secrets_manager_locations(w: World) -> None:
    op = w.driver.create_stack(changed(SANDBOX, Certificates=[CA_BUNDLE_ARN]))

    assert op.first.status == "SUCCESS"
    (create,) = w.fake.calls_to("CreateCodeInterpreter")
    assert create.params["certificates"] == [
        {"location": {"secretsManager": {"secretArn": CA_BUNDLE_ARN}}}
    ]


@pytest.mark.parametrize("run", SCENARIOS, ids=lambda run: run.__name__.replace("_", "-"))
def test_scenario(run: Callable[[World], None], world: World) -> None:
    run(world)
    world.driver.assert_consistent()


# --------------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("cloudformation_value", "sent"),
    [("true", True), ("false", False), ("TRUE", True)],
    ids=["true", "false", "upper-case"],
)
def test_string_booleans(world: World, cloudformation_value: str, sent: bool) -> None:
    world.driver.create_stack(changed(VPC, RequireServiceS3Endpoint=cloudformation_value))

    (create,) = world.fake.calls_to("CreateCodeInterpreter")
    assert create.params["networkConfiguration"]["vpcConfig"]["requireServiceS3Endpoint"] is sent
    world.driver.assert_consistent()


def test_require_s3_endpoint_false_outside_vpc_is_ignored(world: World) -> None:
    op = world.driver.create_stack(changed(SANDBOX, RequireServiceS3Endpoint="false"))

    assert op.first.status == "SUCCESS"
    (create,) = world.fake.calls_to("CreateCodeInterpreter")
    assert create.params["networkConfiguration"] == {"networkMode": "SANDBOX"}


INVALID_PROPERTIES = [
    pytest.param(
        changed(SANDBOX, Name="my-interpreter"), ["Name='my-interpreter'"], id="name-with-hyphen"
    ),
    pytest.param(
        changed(SANDBOX, Name="1st"), ["Name='1st'", "[a-zA-Z]"], id="name-starts-with-digit"
    ),
    pytest.param(
        changed(SANDBOX, Name="a" * 49), ["Name=", "49 characters", "1-48"], id="name-too-long"
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
        changed(SANDBOX, RequireServiceS3Endpoint="true"),
        ["RequireServiceS3Endpoint=true"],
        id="s3-endpoint-outside-vpc",
    ),
    pytest.param(
        changed(VPC, RequireServiceS3Endpoint="yes"),
        ["RequireServiceS3Endpoint='yes'"],
        id="s3-endpoint-not-boolean",
    ),
    pytest.param(
        changed(VPC, SubnetIds="subnet-0123456789abcdef0"),
        ["SubnetIds must be a list"],
        id="subnets-not-a-list",
    ),
    pytest.param(
        changed(SANDBOX, Certificates=["arn:aws:s3:::bucket/ca.pem"]),
        ["Secrets Manager secret ARN"],
        id="bad-certificate-arn",
    ),
    pytest.param(
        changed(SANDBOX, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)]),
        ["51 keys", "at most 50"],
        id="too-many-tags",
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


def test_model_has_every_member_the_handler_sends(index: ModuleType) -> None:
    model = index.new_client().meta.service_model
    create_input = model.operation_model("CreateCodeInterpreter").input_shape
    spec = index.parse_properties(
        changed(
            VPC,
            Certificates=[CA_BUNDLE_ARN],
            Name="n" * 48,
            Description="x" * 4096,
            Tags=[{"Key": f"key{n}", "Value": "v" * 256} for n in range(50)],
        )
    )
    request = index.Request("Create", "stack", "request", "Logical", None, {}, {})
    params = index.create_request(spec, index.interpreter_name(spec, request), "a" * 64)

    check_against_shape(create_input, params, "CreateCodeInterpreter")

    # The handler's own limits are the model's, so a model refresh cannot drift from them.
    shapes = {name: model.shape_for(name).metadata for name in model.shape_names}
    assert shapes["SandboxName"]["pattern"] == index.NAME_PATTERN
    assert shapes["RoleArn"]["pattern"] == index.ROLE_ARN_PATTERN
    assert shapes["RoleArn"]["max"] == index.MAX_ROLE_ARN_LENGTH
    assert shapes["SubnetId"]["pattern"] == index.SUBNET_ID_PATTERN
    assert shapes["SecurityGroupId"]["pattern"] == index.SECURITY_GROUP_ID_PATTERN
    assert shapes["Subnets"]["max"] == shapes["SecurityGroups"]["max"] == index.MAX_VPC_IDS
    assert shapes["ToolSecretArn"]["pattern"] == index.CERTIFICATE_ARN_PATTERN
    assert shapes["Certificates"]["max"] == index.MAX_CERTIFICATES
    assert shapes["TagKey"]["pattern"] == shapes["TagValue"]["pattern"] == index.TAG_PATTERN
    assert shapes["TagKey"]["max"] == index.MAX_TAG_KEY_LENGTH
    assert shapes["TagValue"]["max"] == index.MAX_TAG_VALUE_LENGTH
    assert shapes["TagsMap"]["max"] == index.MAX_TAGS
    assert shapes["Description"]["max"] == index.MAX_DESCRIPTION_LENGTH
    assert tuple(shapes["CodeInterpreterNetworkMode"]["enum"]) == index.NETWORK_MODES
    assert shapes["CodeInterpreterId"]["pattern"] == (
        rf"(aws\.codeinterpreter\.v1|{index.CUSTOM_INTERPRETER_ID_PATTERN})"
    )
    assert {"CREATING", "READY", "CREATE_FAILED", "DELETING", "DELETE_FAILED", "DELETED"} == set(
        shapes["CodeInterpreterStatus"]["enum"]
    )


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
    assert re.fullmatch(index.NAME_PATTERN, name)
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
    world.driver.create_stack(SANDBOX)
    world.driver.update_stack(changed(SANDBOX, Tags=[]))
    world.fake.fail_next_creation("Quota exceeded")
    world.driver.update_stack(changed(SANDBOX, Description="fails"))
    world.driver.update_stack(changed(SANDBOX, Name="bad-name"))
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


def test_zipped_asset_is_at_most_one_mib() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(ASSET_DIR.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ASSET_DIR))
    names = set(zipfile.ZipFile(buffer).namelist())

    assert buffer.tell() <= 1024 * 1024
    assert "index.py" in names
    assert {f"models/{MODEL_SUBDIR}/{name}" for name in MODEL_FILES} <= names
