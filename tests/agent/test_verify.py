"""`make verify`: the live interpreter against cdk.json, drift field by field, and orphans.

The control plane is the stateful fake behind real botocore; SSM is moto's. Drift is injected
into the fake's interpreter one field at a time. The last test deploys a stack through the real
handler and runs verification as the CI job does, under the stack's verify role, every call
authorized with the template's policies: reading is allowed, deleting is not.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cfn_driver import Sleeps
from control_plane_fake import ACCOUNT_ID, REGION, ControlPlaneFake, Interpreter
from deployment import Deployment, deploy, stack_in_account
from iam_simulation import IamEvaluator, IamGate, ssm_requests
from moto import mock_aws
from moto.core.models import botocore_stubber
from synthesis import FIXTURE_ENVIRONMENTS, VARIANT_ENVIRONMENTS, SynthesizedApp

from agent.clients import client_config
from agentcore_api.constraints import FILESYSTEM_KINDS
from agentcore_api.naming import derived_name
from agentcore_api.resources import BUILT_IN_INTERPRETER_ID, STACK_TAG_KEY
from scripts import verify
from stacks.config import EnvironmentConfig, load_environments

ENVIRONMENT = "private"  # VPC mode and certificates: every field verify compares has a value
ROLE_ARN = "arn:aws:iam::123456789012:role/CodeInterpreter-private-ExecutionRole-ABC123"


def control_client(fake: ControlPlaneFake, session: boto3.Session) -> Any:
    client = session.client("bedrock-agentcore-control", region_name=REGION, config=client_config())
    # moto (imported by the agent tests) answers every client; the fake answers this one.
    client.meta.events.unregister("before-send", botocore_stubber)
    fake.attach(client)
    return client


def create_as_configured(
    client: Any, config: Any, *, role_arn: str = ROLE_ARN, digest: bytes = b"\x01" * 32
) -> str:
    """An interpreter exactly as the stack's handler creates it from `config`."""
    network: dict[str, Any] = {"networkMode": config.network_mode.value}
    if config.vpc is not None:
        network["vpcConfig"] = {
            "subnets": list(config.vpc.subnet_ids),
            "securityGroups": list(config.vpc.security_group_ids),
        }
    request: dict[str, Any] = {
        "name": derived_name(config.interpreter_name, digest),
        "executionRoleArn": role_arn,
        "networkConfiguration": network,
        "tags": {**dict(config.tags), STACK_TAG_KEY: config.stack_name},
    }
    if config.description is not None:
        request["description"] = config.description
    if config.certificate_secret_arns:
        request["certificates"] = [
            {"location": {"secretsManager": {"secretArn": arn}}}
            for arn in config.certificate_secret_arns
        ]
    if config.filesystems:
        request["filesystemConfigurations"] = [
            {
                FILESYSTEM_KINDS[mount.kind.value].member: {
                    "fileSystemArn": mount.file_system_arn,
                    "accessPointArn": mount.access_point_arn,
                    "mountPath": mount.mount_path,
                }
            }
            for mount in config.filesystems
        ]
    return str(client.create_code_interpreter(**request)["codeInterpreterId"])


@dataclasses.dataclass
class World:
    """An account with one environment's interpreter, its SSM parameters and outputs file."""

    fake: ControlPlaneFake
    config: Any
    interpreter_id: str
    workdir: Path
    clients: verify.Clients

    @property
    def interpreter(self) -> Interpreter:
        return self.fake.interpreter(self.interpreter_id)

    def run(self, *arguments: str) -> tuple[int, list[str]]:
        out = io.StringIO()
        status = verify.main(
            [
                self.config.name,
                "--cdk-json",
                str(self.workdir / "cdk.json"),
                "--outputs-file",
                str(self.workdir / "outputs.json"),
                *arguments,
            ],
            clients=self.clients,
            out=out,
        )
        return status, out.getvalue().splitlines()


def publish(
    session: boto3.Session, workdir: Path, config: EnvironmentConfig, **values: str
) -> None:
    """What CloudFormation leaves behind: discovery parameters, and make deploy's outputs file."""
    ssm = session.client("ssm", region_name=REGION)
    for leaf, value in values.items():
        if leaf != "ExecutionRoleArn":
            ssm.put_parameter(Name=f"{config.ssm_prefix}/{leaf}", Value=value, Type="String")
    (workdir / "outputs.json").write_text(
        json.dumps({config.stack_name: {"ExecutionRoleArn": values["ExecutionRoleArn"]}})
    )


@pytest.fixture
def world(moto_aws: None, boto_session: boto3.Session, tmp_path: Path) -> World:
    environments = {**FIXTURE_ENVIRONMENTS, **VARIANT_ENVIRONMENTS}
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"environments": environments}}))
    (config,) = load_environments(environments, selected=ENVIRONMENT)
    fake = ControlPlaneFake(creating_polls=0)
    client = control_client(fake, boto_session)
    interpreter_id = create_as_configured(client, config)
    publish(
        boto_session,
        tmp_path,
        config,
        id=interpreter_id,
        arn=fake.interpreter(interpreter_id).arn,
        ExecutionRoleArn=ROLE_ARN,
    )
    ssm = boto_session.client("ssm", region_name=REGION, config=client_config())
    clients = verify.Clients(REGION, lambda: client, lambda: ssm)
    return World(fake, config, interpreter_id, tmp_path, clients)


def drift_lines(lines: list[str]) -> dict[str, str]:
    return {
        line.split(":", 1)[0].removeprefix("DRIFT "): line
        for line in lines
        if line.startswith("DRIFT ")
    }


def test_an_interpreter_as_configured_passes_every_check(world: World) -> None:
    status, lines = world.run()

    assert status == 0, lines
    assert lines[0].startswith(
        f"Verifying CodeInterpreter-private: interpreter {world.interpreter_id}"
    )
    assert "id from SSM parameter /agentcore/private/code-interpreter/id" in lines[0]
    checked = [line.split(":", 1)[0] for line in lines[1:]]
    assert checked == [
        f"OK    {field}"
        for field in (
            "name",
            "status",
            "network_mode",
            "subnets",
            "security_groups",
            "execution_role",
            "description",
            "certificates",
            "filesystems",
            "tags",
        )
    ]


def replace_network(interpreter: Interpreter, **changes: Any) -> None:
    network = interpreter.config["networkConfiguration"]
    vpc = {**network.get("vpcConfig", {}), **changes}
    interpreter.config["networkConfiguration"] = {**network, "vpcConfig": vpc}


def failed_creation(interpreter: Interpreter) -> None:
    interpreter.status = "CREATE_FAILED"
    interpreter.failure_reason = "No free IP addresses in subnet-0123456789abcdef0"


def renamed(interpreter: Interpreter) -> None:
    interpreter.name = "analytics_sandbox_abcdefghij"


OTHER_CA = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-ca-Zz9Yy8"
# (injected drift, the fields that must be reported, a fragment of the live value shown)
DRIFTS: dict[str, tuple[Callable[[Interpreter], None], set[str], str]] = {
    "status": (
        failed_creation,
        {"status"},
        "live 'CREATE_FAILED (No free IP addresses in subnet-0123456789abcdef0)', expected 'READY'",
    ),
    "network-mode": (
        lambda i: i.config.update(networkConfiguration={"networkMode": "PUBLIC"}),
        {"network_mode", "subnets", "security_groups"},
        "live 'PUBLIC', expected 'VPC'",
    ),
    "subnets": (
        lambda i: replace_network(
            i, subnets=["subnet-0123456789abcdef0", "subnet-0aaaaaaaaaaaaaaaa"]
        ),
        {"subnets"},
        "live ['subnet-0123456789abcdef0', 'subnet-0aaaaaaaaaaaaaaaa']",
    ),
    "security-groups": (
        lambda i: replace_network(
            i, securityGroups=["sg-0123456789abcdef0", "sg-0bbbbbbbbbbbbbbbb"]
        ),
        {"security_groups"},
        "expected ['sg-0123456789abcdef0']",
    ),
    "execution-role": (
        lambda i: i.config.update(executionRoleArn="arn:aws:iam::123456789012:role/hand-made"),
        {"execution_role"},
        f"live 'arn:aws:iam::123456789012:role/hand-made', expected '{ROLE_ARN}'",
    ),
    "description": (
        lambda i: i.config.update(description="edited by hand"),
        {"description"},
        "live 'edited by hand', expected (none)",
    ),
    "certificates": (
        lambda i: i.config.update(
            certificates=[{"location": {"secretsManager": {"secretArn": OTHER_CA}}}]
        ),
        {"certificates"},
        f"live ['{OTHER_CA}']",
    ),
    "tag-value": (
        lambda i: i.tags.update(Team="someone-else"),
        {"tags"},
        "Team=someone-else",
    ),
    "stack-tag-removed": (
        lambda i: i.tags.pop(STACK_TAG_KEY),
        {"tags"},
        f"expected {{{STACK_TAG_KEY}=CodeInterpreter-private}}",
    ),
    "name": (
        renamed,
        {"name"},
        "live 'analytics_sandbox_abcdefghij', expected 'codeinterpreter_private_<10 base32",
    ),
}


@pytest.mark.parametrize("case", DRIFTS)
def test_each_drifted_field_is_one_line_with_live_and_expected_values(
    world: World, case: str
) -> None:
    inject, fields, shown = DRIFTS[case]
    inject(world.interpreter)

    status, lines = world.run()

    assert status == 1
    drifted = drift_lines(lines)
    assert set(drifted) == fields, lines
    assert any(shown in line for line in drifted.values()), drifted
    assert all(", expected " in line and ": live " in line for line in drifted.values())


def test_a_deleted_interpreter_is_reported_not_crashed_on(world: World) -> None:
    world.fake.delete_outside_cloudformation(world.interpreter_id)

    status, lines = world.run()

    assert status == 1
    (line,) = drift_lines(lines).values()
    assert "not found (deleted outside CloudFormation?)" in line
    assert "make deploy ENV=private" in line


def test_file_systems_are_compared_when_the_configuration_has_them(world: World) -> None:
    client = world.clients.control
    live = client.get_code_interpreter(codeInterpreterId=world.interpreter_id)
    tags = world.fake.interpreter(world.interpreter_id).tags
    s3files, efs = world.config.filesystems

    checks = verify.compare(world.config, live, tags, execution_role_arn=ROLE_ARN)

    assert not [check for check in checks if check.drifted]
    (check,) = [check for check in checks if check.name == "filesystems"]
    # Sorted by file system; mount paths without their trailing slash.
    assert check.line() == (
        f"OK    filesystems: [/mnt/shared <- {efs.access_point_arn} ({efs.file_system_arn}),"
        f" /mnt/datasets <- {s3files.access_point_arn} ({s3files.file_system_arn})]"
    )

    # The same interpreter against a configuration that no longer mounts anything.
    without = verify.compare(
        dataclasses.replace(world.config, filesystems=()), live, tags, execution_role_arn=ROLE_ARN
    )
    (drifted,) = [check for check in without if check.drifted]
    assert drifted.line().startswith("DRIFT filesystems: live [/mnt/shared <- ")
    assert drifted.line().endswith(", expected (none)")


def seed_orphans(world: World) -> dict[str, str]:
    config, fake = world.config, world.fake
    mark = {STACK_TAG_KEY: config.stack_name}
    return {
        # A replacement whose cleanup failed: this stack's name and tag.
        "leaked": fake.seed_interpreter(
            derived_name(config.interpreter_name, b"\x09" * 32), tags=mark
        ),
        # From before interpreter_name changed: this stack's tag, another name.
        "renamed": fake.seed_interpreter("old_sandbox_abcdefghij", tags=mark),
        # Named like this stack's, made by someone else: no tag.
        "lookalike": fake.seed_interpreter(derived_name(config.interpreter_name, b"\x07" * 32)),
        # Another stack's interpreter, with its own tag.
        "other-stack": fake.seed_interpreter(
            derived_name("codeinterpreter_staging", b"\x05" * 32),
            tags={STACK_TAG_KEY: "CodeInterpreter-staging"},
        ),
    }


def test_orphans_are_listed_and_only_tagged_ones_deleted_with_confirmation(world: World) -> None:
    seeded = seed_orphans(world)
    # Small pages: every page of ListCodeInterpreters is read.
    world.fake.max_page_size = 2

    status, lines = world.run()

    assert status == 1
    orphans = sorted(line.split()[1] for line in lines if line.startswith("ORPHAN"))
    assert orphans == sorted([seeded["leaked"], seeded["renamed"]])
    (lookalike,) = [line for line in lines if line.startswith("NAME ONLY")]
    assert seeded["lookalike"] in lookalike
    assert "without this stack's tag" in lookalike
    assert not any(seeded["other-stack"] in line for line in lines)
    assert not any(BUILT_IN_INTERPRETER_ID in line for line in lines)

    status, lines = world.run("--delete-orphans", "--confirm", "private")

    assert status == 0, lines
    assert sorted(line.split()[1] for line in lines if line.startswith("DELETING")) == orphans
    statuses = {name: world.fake.interpreter(i).status for name, i in seeded.items()}
    assert statuses == {
        "leaked": "DELETING",
        "renamed": "DELETING",
        "lookalike": "READY",
        "other-stack": "READY",
    }
    assert world.interpreter.status == "READY"
    deleted = [
        call.params["codeInterpreterId"] for call in world.fake.calls_to("DeleteCodeInterpreter")
    ]
    assert sorted(deleted) == orphans
    # Five custom interpreters in pages of two: three pages a run, two runs.
    assert len(world.fake.calls_to("ListCodeInterpreters")) == 6


@pytest.mark.parametrize("confirm", [[], ["--confirm", "dev"], ["--confirm", "PRIVATE"]])
def test_deleting_needs_the_environments_name_and_asks_aws_nothing_without_it(
    world: World, confirm: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    seed_orphans(world)

    status, lines = world.run("--delete-orphans", *confirm)

    assert status == 2
    assert lines == []
    assert "make verify ENV=private DELETE_ORPHANS=1 CONFIRM=private" in capsys.readouterr().err
    assert world.fake.operations() == ["CreateCodeInterpreter"]  # the test's own, nothing since


def test_missing_execution_role_output_says_where_it_looked(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    (world.workdir / "outputs.json").unlink()

    status, _ = world.run()

    assert status == 2
    error = capsys.readouterr().err
    assert "no stack output ExecutionRoleArn" in error
    assert "--execution-role-arn" in error


def test_the_stacks_interpreter_is_never_taken_from_agent_variables(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODE_INTERPRETER_ID", "someone_elses_sandbox-0123456789")

    status, lines = world.run()

    assert status == 0, lines
    assert world.interpreter_id in lines[0]


# -- the CI job's principal, under the template's IAM --------------------------------------------


@pytest.fixture
def deployment(
    variant_app: SynthesizedApp,
    iam_evaluator: IamEvaluator,
    index: ModuleType,
    handler_client: Any,
    sleeps: Sleeps,
) -> Iterator[Deployment]:
    """The environment's stack, its interpreter created by the real handler; then moto's SSM."""
    created = deploy(
        stack_in_account(variant_app, ENVIRONMENT),
        evaluator=iam_evaluator,
        handler=index,
        handler_client=handler_client,
        sleeps=sleeps,
    )
    with mock_aws():
        yield created


def test_ci_verify_role_reads_everything_verify_needs_and_cannot_delete(
    deployment: Deployment, variant_app: SynthesizedApp, boto_session: boto3.Session, tmp_path: Path
) -> None:
    stack = deployment.stack
    config = variant_app.stacks[ENVIRONMENT].config
    ci = stack.role_principal(stack.output_resource("VerifyRoleArn"), "ci verify")
    # Exactly the VerifyAccess policy: nothing of an agent's, nothing that writes.
    assert (
        ci.policies
        == stack.principal_with_policies(
            "x", stack.output_resource("VerifyAccessPolicyArn")
        ).policies
    )
    control_plane = deployment.control_plane
    control_plane.caller = ci
    client = control_client(control_plane, boto_session)
    admin_ssm = boto_session.client("ssm", region_name=REGION)
    for logical_id in stack.logical_ids("AWS::SSM::Parameter"):
        properties = stack.resolve(stack.resources[logical_id]["Properties"])
        admin_ssm.put_parameter(Name=properties["Name"], Value=properties["Value"], Type="String")
    ssm = IamGate(
        deployment.authorizer, ci, ssm_requests(account=ACCOUNT_ID, region=REGION)
    ).attach(boto_session.client("ssm", region_name=REGION, config=client_config()))
    role_arn = stack.get_att(stack.only_role_trusting("bedrock-agentcore.amazonaws.com"), "Arn")
    (tmp_path / "outputs.json").write_text(
        json.dumps({config.stack_name: {"ExecutionRoleArn": role_arn}})
    )
    (tmp_path / "cdk.json").write_text(
        json.dumps({"context": {"environments": VARIANT_ENVIRONMENTS}})
    )
    world = World(
        control_plane,
        config,
        deployment.interpreter_id,
        tmp_path,
        verify.Clients(REGION, lambda: client, lambda: ssm),
    )
    log = deployment.authorizer.log

    status, lines = world.run()

    # The interpreter the real handler created is what cdk.json says, and CI may read it all.
    assert status == 0, lines
    assert [d.request.describe() for d in log.by("ci verify") if not d.allowed] == []
    assert set(log.actions("ci verify")) == {
        "ssm:GetParameters",
        "bedrock-agentcore:GetCodeInterpreter",
        "bedrock-agentcore:ListTagsForResource",
        "bedrock-agentcore:ListCodeInterpreters",
    }

    seeded = seed_orphans(world)
    checked = len(log.decisions)
    status, lines = world.run("--delete-orphans", "--confirm", ENVIRONMENT)

    assert status == 1
    assert sorted(line.split()[1] for line in lines if line.startswith("ORPHAN")) == sorted(
        [seeded["leaked"], seeded["renamed"]]
    )
    # Tags of interpreters without this stack's tag stay unreadable to CI: not this stack's.
    (lookalike,) = [line for line in lines if line.startswith("NAME ONLY")]
    assert seeded["lookalike"] in lookalike
    assert "tags unreadable" in lookalike
    denied = {
        (d.request.action, d.request.resource.rsplit("/", 1)[-1])
        for d in log.decisions[checked:]
        if not d.allowed
    }
    assert denied == {
        ("bedrock-agentcore:ListTagsForResource", seeded["lookalike"]),
        ("bedrock-agentcore:ListTagsForResource", seeded["other-stack"]),
        ("bedrock-agentcore:DeleteCodeInterpreter", seeded["leaked"]),
        ("bedrock-agentcore:DeleteCodeInterpreter", seeded["renamed"]),
    }
    assert sum(line.startswith("FAILED    to delete") for line in lines) == 2
    assert {control_plane.interpreter(i).status for i in seeded.values()} == {"READY"}
    assert control_plane.interpreter(deployment.interpreter_id).status == "READY"
