"""The agent package and the CI smoke check under the IAM a deployed stack grants them.

The stack's interpreter is created by the real handler (tests/deployment.py); then the agent
package runs against the fake data plane, moto's S3 and SSM, every call authorized as AWS would
authorize it: the agent's calls under a role holding only the stack's AgentAccess policy (or, for
the smoke check, the stack's smoke-check role), and the sandbox's `aws s3 cp` under the
interpreter's execution role.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from agentcore_fake import (
    FakeCodeInterpreterService,
    FakeSession,
    MountFailedError,
    SandboxRun,
    script_smoke_check,
)
from botocore.exceptions import ClientError
from cfn_driver import Sleeps
from control_plane_fake import ACCOUNT_ID, REGION
from deployment import Deployment, deploy, stack_in_account
from iam_simulation import (
    IamEvaluator,
    IamGate,
    Principal,
    data_plane_requests,
    mount_requests,
    s3_requests,
    ssm_requests,
)
from moto import mock_aws
from moto.core.models import botocore_stubber
from synthesis import VARIANT_GITHUB, SynthesizedApp

from agent import sessions, smoke
from agent.clients import AwsClients, client_config, invoke_client_config
from agent.resolve import resolve
from agent.session import CodeInterpreterSession

# A SANDBOX environment as shipped, and the variant with everything on (VPC, certificates, a
# KMS-encrypted artifact bucket, and a `github` entry that gives it a smoke-check role).
ENVIRONMENTS = [("fixture", "dev"), ("variant", "private")]


@dataclass
class AgentWorld:
    deployment: Deployment
    data_plane: FakeCodeInterpreterService
    session: boto3.Session
    ssm_prefix: str
    environment: str

    def clients(self, principal: Principal) -> AwsClients:
        """The agent package's four clients, each call authorized as `principal`."""
        gate = IamGate(
            self.deployment.authorizer,
            principal,
            data_plane_requests(account=ACCOUNT_ID, region=REGION, tags_of=self._tags),
        )

        def agentcore(config: Any) -> Any:
            client = self.session.client("bedrock-agentcore", region_name=REGION, config=config)
            client.meta.events.unregister("before-send", botocore_stubber)
            return self.data_plane.attach(gate.attach(client))

        return AwsClients(
            REGION,
            agentcore=agentcore(client_config()),
            agentcore_invoke=agentcore(invoke_client_config()),
            ssm=self.gated("ssm", principal),
            s3=self.gated("s3", principal),
        )

    def gated(self, service: str, principal: Principal) -> Any:
        client = self.session.client(service, region_name=REGION, config=client_config())
        describe = (
            s3_requests(bucket_keys=self.deployment.stack.bucket_keys(), region=REGION)
            if service == "s3"
            else ssm_requests(account=ACCOUNT_ID, region=REGION)
        )
        error = "AccessDenied" if service == "s3" else "AccessDeniedException"
        return IamGate(self.deployment.authorizer, principal, describe, error).attach(client)

    def _tags(self, interpreter_id: str) -> dict[str, str]:
        control_plane = self.deployment.control_plane
        if not control_plane.exists(interpreter_id):
            return {}
        return dict(control_plane.interpreter(interpreter_id).tags)

    def allowed(self, principal: str) -> list[str]:
        return [d.request.action for d in self.deployment.authorizer.log.by(principal) if d.allowed]

    def mount_file_systems(self, session: FakeSession) -> None:
        """What the sandbox does at session start: mount each file system under the execution
        role; no ClientWrite means a read-only mount, no ClientMount no session."""
        sandbox = self.deployment.sandbox()
        config = self.deployment.control_plane.interpreter(self.deployment.interpreter_id).config
        for entry in config.get("filesystemConfigurations", []):
            ((member, fields),) = entry.items()
            mount, write = mount_requests(member, fields)
            if not self.deployment.authorizer.check(sandbox, mount).allowed:
                raise MountFailedError(f"could not mount {fields['mountPath']}")
            writable = self.deployment.authorizer.check(sandbox, write).allowed
            session.mounts[fields["mountPath"]] = "read-write" if writable else "read-only"

    def denied(self) -> list[str]:
        # A denied ClientWrite is how a mount comes up read-only, not a failed call.
        return [
            f"{d.principal}: {d.request.describe()}"
            for d in self.deployment.authorizer.log.denied()
            if not d.request.action.endswith(":ClientWrite")
        ]


@pytest.fixture(params=ENVIRONMENTS, ids=lambda case: case[1])
def world(
    request: pytest.FixtureRequest,
    iam_evaluator: IamEvaluator,
    handler_client: Any,
    sleeps: Sleeps,
    boto_session: boto3.Session,
) -> Iterator[AgentWorld]:
    source, environment = request.param
    stack = stack_in_account(request.getfixturevalue(f"{source}_app"), environment)
    deployment = deploy(
        stack,
        evaluator=iam_evaluator,
        handler=request.getfixturevalue("index"),
        handler_client=handler_client,
        sleeps=sleeps,
    )
    with mock_aws():
        # What CloudFormation created: the artifact bucket and the discovery parameters.
        admin_s3 = boto_session.client("s3", region_name=REGION)
        admin_s3.create_bucket(Bucket=stack.parameter_value("artifact-bucket"))
        admin_ssm = boto_session.client("ssm", region_name=REGION)
        names = []
        for logical_id in stack.logical_ids("AWS::SSM::Parameter"):
            properties = stack.resolve(stack.resources[logical_id]["Properties"])
            admin_ssm.put_parameter(
                Name=properties["Name"], Value=properties["Value"], Type="String"
            )
            names.append(properties["Name"])
        data_plane = FakeCodeInterpreterService(deployment.interpreter_id)
        world = AgentWorld(
            deployment,
            data_plane,
            boto_session,
            ssm_prefix=names[0].rsplit("/", 1)[0],
            environment=environment,
        )
        # The sandbox's own `aws s3 cp` and its mounts run under the interpreter's execution role.
        data_plane.s3_client = world.gated("s3", deployment.sandbox())
        data_plane.mount_file_systems = world.mount_file_systems
        yield world


def test_an_agent_with_the_stacks_access_policy_can_use_everything_the_package_offers(
    world: AgentWorld,
) -> None:
    clients = world.clients(world.deployment.agent())
    config = resolve(world.environment, ssm_prefix=world.ssm_prefix, ssm_client=clients.ssm)
    world.data_plane.code_handler = lambda _code: SandboxRun(stdout="42\n")

    with CodeInterpreterSession(config, clients=clients) as session:
        assert session.execute_code("print(6 * 7)").stdout == "42\n"
        session.write_files({"report.csv": "a,b\n1,2\n"})
        assert session.read_files(["report.csv"]).resources
        session.list_files()
        session.execute_command("ls -l")
        artifact = session.save_artifact("report.csv")
        task = session.start_command_execution("sleep 1")
        assert task.task_id is not None
        session.get_task(task.task_id)
    body = clients.s3.get_object(Bucket=artifact.bucket, Key=artifact.key)["Body"].read()
    # Housekeeping (python -m agent.sessions) with the same access: a forgotten session stopped.
    forgotten = world.data_plane.add_session(name="forgotten")
    world.data_plane.sessions[forgotten].created_at -= 3 * 3600
    out = io.StringIO()
    housekeeping = sessions.main(
        [
            "--env",
            world.environment,
            "--ssm-prefix",
            world.ssm_prefix,
            "--stop-older-than",
            "2h",
            "--yes",
        ],
        clients=clients,
        out=out,
    )

    assert body == b"a,b\n1,2\n"
    assert housekeeping == 0, out.getvalue()
    assert f"stopped {forgotten} (forgotten" in out.getvalue()
    assert world.data_plane.sessions[forgotten].status == "TERMINATED"
    assert world.denied() == []
    agent_actions = set(world.allowed("agent"))
    assert {
        "ssm:GetParameters",
        "bedrock-agentcore:StartCodeInterpreterSession",
        "bedrock-agentcore:InvokeCodeInterpreter",
        "bedrock-agentcore:StopCodeInterpreterSession",
        "bedrock-agentcore:ListCodeInterpreterSessions",
        "bedrock-agentcore:GetCodeInterpreterSession",
        "s3:GetObject",
    } <= agent_actions
    assert "s3:PutObject" in world.allowed("sandbox")
    # "private" encrypts artifacts with a key of its own: both sides need it, through S3.
    artifact_key = world.deployment.stack.bucket_keys()[artifact.bucket]
    assert (artifact_key is not None) == (world.environment == "private")
    if artifact_key is not None:
        assert "kms:GenerateDataKey" in world.allowed("sandbox")
        assert "kms:Decrypt" in agent_actions


def test_only_environments_that_ci_deploys_get_a_smoke_check_role(
    fixture_app: SynthesizedApp, variant_app: SynthesizedApp
) -> None:
    assert VARIANT_GITHUB["environments"] == ["private"]
    with_role = {
        name
        for app in (fixture_app, variant_app)
        for name, template in app.templates.items()
        if "SmokeCheckRoleArn" in template["Outputs"]
    }
    assert with_role == {"private"}


@pytest.mark.parametrize("world", [("variant", "private")], indirect=True, ids=["private"])
def test_the_ci_smoke_check_passes_with_exactly_an_agents_access(world: AgentWorld) -> None:
    stack = world.deployment.stack
    smoke_role = stack.role_principal(stack.output_resource("SmokeCheckRoleArn"), "ci smoke check")
    assert smoke_role.policies == world.deployment.agent().policies
    out = io.StringIO()
    script_smoke_check(world.data_plane)

    status = smoke.main(
        ["--env", "private", "--ssm-prefix", world.ssm_prefix],
        clients=world.clients(smoke_role),
        out=out,
    )

    assert status == 0, out.getvalue()
    assert world.denied() == []
    assert "s3:GetObject" in world.allowed("ci smoke check")
    assert "bedrock-agentcore:StopCodeInterpreterSession" in world.allowed("ci smoke check")


@pytest.mark.parametrize(
    ("call", "what"),
    [
        ("another_interpreter", "a session of another interpreter"),
        ("built_in", "a session of the shared built-in interpreter"),
        ("write_artifacts", "objects written directly, not by the sandbox"),
        ("other_parameters", "parameters outside the stack's prefix"),
    ],
)
def test_an_agent_cannot_reach_beyond_its_interpreter(
    world: AgentWorld, call: str, what: str
) -> None:
    clients = world.clients(world.deployment.agent())
    bucket = world.deployment.stack.parameter_value("artifact-bucket")
    attempts = {
        "another_interpreter": lambda: clients.agentcore.start_code_interpreter_session(
            codeInterpreterIdentifier="other_interpreter-0123456789"
        ),
        "built_in": lambda: clients.agentcore.start_code_interpreter_session(
            codeInterpreterIdentifier="aws.codeinterpreter.v1"
        ),
        "write_artifacts": lambda: clients.s3.put_object(
            Bucket=bucket, Key="output_artifacts/planted.txt", Body=b"x"
        ),
        "other_parameters": lambda: clients.ssm.get_parameter(Name="/agentcore/other/secret"),
    }

    with pytest.raises(ClientError) as raised:
        attempts[call]()

    assert raised.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), what
    assert "is not authorized to perform" in raised.value.response["Error"]["Message"]


def test_code_in_the_sandbox_cannot_start_sessions_with_the_execution_role(
    world: AgentWorld,
) -> None:
    clients = world.clients(world.deployment.sandbox())

    with pytest.raises(ClientError) as raised:
        clients.agentcore.start_code_interpreter_session(
            codeInterpreterIdentifier=world.deployment.interpreter_id
        )

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert world.data_plane.sessions == {}


@pytest.mark.parametrize("world", [("variant", "private")], indirect=True, ids=["private"])
def test_the_sandbox_mounts_each_file_system_as_its_configuration_allows(
    world: AgentWorld,
) -> None:
    clients = world.clients(world.deployment.agent())
    config = resolve(world.environment, ssm_prefix=world.ssm_prefix, ssm_client=clients.ssm)

    with CodeInterpreterSession(config, clients=clients) as session:
        session.open()
        (sandbox_session,) = world.data_plane.sessions.values()

    # The S3 Files mount is configured read-only: the role may mount it but not write to it.
    assert sandbox_session.mounts == {"/mnt/datasets": "read-only", "/mnt/shared/": "read-write"}
    mounts = [
        (d.request.action, d.allowed)
        for d in world.deployment.authorizer.log.by("sandbox")
        if d.request.action.split(":")[1].startswith("Client")
    ]
    assert mounts == [
        ("s3files:ClientMount", True),
        ("s3files:ClientWrite", False),
        ("elasticfilesystem:ClientMount", True),
        ("elasticfilesystem:ClientWrite", True),
    ]
    # The agent learns where the data is from the stack's discovery parameters.
    assert [mount.path for mount in config.mounts] == ["/mnt/datasets", "/mnt/shared/"]
