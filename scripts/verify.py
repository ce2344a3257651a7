"""Compare an environment's live code interpreter with what cdk.json would create; list orphans.

    make verify ENV=dev                                  # python scripts/verify.py dev
    make verify ENV=dev DELETE_ORPHANS=1 CONFIRM=dev     # ... --delete-orphans --confirm dev

The interpreter is found as agents find it (SSM parameters, then outputs/<env>.json); what it
should be comes from the same parsed configuration the stacks are built from (stacks/config.py)
and the stack output ExecutionRoleArn. One line per field: OK, or DRIFT with the live value
beside the expected one. Orphans are custom interpreters that carry this stack's tag, or whose
name derives from its base name, but are not its current interpreter. Only those with the tag
can be deleted (--delete-orphans); a name alone proves nothing, so those are reported only.

Exit codes (agent/exit_codes.py): 0 everything matches and no tagged orphan is left, 1 drift,
a tagged orphan or a failed AWS call, 2 nothing could be checked (configuration, lookup).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.clients import AwsClients, client_config
from agent.errors import ConfigurationError, error_code
from agent.exit_codes import ExitCode
from agent.resolve import REGION_ENVIRONMENT_VARIABLES, default_outputs_file, resolve
from agentcore_api.constraints import LIST_INTERPRETERS_PAGE_SIZE, is_custom_interpreter_id
from agentcore_api.naming import NAME_SUFFIX_LENGTH, derived_name_pattern, name_base
from agentcore_api.resources import BUILT_IN_INTERPRETER_ID, STACK_TAG_KEY
from stacks.config import ConfigError, EnvironmentConfig, load_environments

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore_control import BedrockAgentCoreControlClient
    from mypy_boto3_ssm import SSMClient

EXECUTION_ROLE_OUTPUT = "ExecutionRoleArn"
EXPECTED_STATUS = "READY"
# ListCodeInterpreters pages: 100 pages of 100 is a hundred times the account's quota.
MAX_LIST_PAGES = 100
# The largest page ListCodeInterpreters returns (the model's maxResults).
PAGE_SIZE = LIST_INTERPRETERS_PAGE_SIZE[1] or 1
ACCESS_DENIED = ("AccessDeniedException", "AccessDenied")
INTERPRETER_NOT_FOUND = "ResourceNotFoundException"


@dataclass(frozen=True)
class FieldCheck:
    """One field of the interpreter: what is live, what cdk.json would create."""

    name: str
    live: object
    expected: object
    # A pattern, not a value, decides this field (the interpreter's derived name).
    matches: bool | None = None

    @property
    def drifted(self) -> bool:
        return not self.matches if self.matches is not None else self.live != self.expected

    def line(self) -> str:
        if self.drifted:
            return f"DRIFT {self.name}: live {_show(self.live)}, expected {_show(self.expected)}"
        return f"OK    {self.name}: {_show(self.live)}"


@dataclass(frozen=True)
class Candidate:
    """A custom interpreter that is not the stack's current one but may be its orphan."""

    interpreter_id: str
    arn: str
    name: str
    status: str
    # This stack's tag on it: True, False (absent or another value), None (tags unreadable).
    marked: bool | None

    def line(self) -> str:
        what = f"{self.interpreter_id} (name {self.name}, {self.status})"
        if self.marked:
            return f"ORPHAN    {what}: carries {STACK_TAG_KEY} of this stack"
        reason = "tags unreadable" if self.marked is None else "without this stack's tag"
        return (
            f"NAME ONLY {what}: named like this stack's interpreters but {reason}; not this"
            " stack's to delete: find out who created it"
        )


@dataclass
class Report:
    checks: list[FieldCheck] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> list[FieldCheck]:
        return [check for check in self.checks if check.drifted]

    @property
    def orphans_left(self) -> list[Candidate]:
        return [
            c
            for c in self.candidates
            if c.marked and c.interpreter_id not in self.deleted and c.status != "DELETING"
        ]

    def exit_code(self) -> ExitCode:
        if self.drifted or self.orphans_left or self.failures:
            return ExitCode.FAILED
        return ExitCode.OK


# -- what cdk.json would create ---------------------------------------------------------------


def expected_fields(config: EnvironmentConfig, *, execution_role_arn: str) -> dict[str, object]:
    """The interpreter the stack's handler creates from `config`, field by field, in the API's
    terms (lists order-free, file systems as (file system, access point, mount path))."""
    vpc = config.vpc
    return {
        "status": EXPECTED_STATUS,
        "network_mode": config.network_mode.value,
        "subnets": sorted(vpc.subnet_ids) if vpc else [],
        "security_groups": sorted(vpc.security_group_ids) if vpc else [],
        "execution_role": execution_role_arn,
        "description": config.description,
        "certificates": sorted(config.certificate_secret_arns),
        "filesystems": sorted(
            (mount.file_system_arn, mount.access_point_arn, mount.mount_path.rstrip("/"))
            for mount in config.filesystems
        ),
        # The template's tags, and the stack's own tag that the handler adds.
        "tags": {**dict(config.tags), STACK_TAG_KEY: config.stack_name},
    }


def live_fields(interpreter: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, object]:
    """The same fields, read from GetCodeInterpreter and ListTagsForResource."""
    network = interpreter.get("networkConfiguration", {})
    vpc = network.get("vpcConfig", {})
    mounts = []
    for entry in interpreter.get("filesystemConfigurations", []):
        (mount,) = entry.values()
        mounts.append(
            (mount["fileSystemArn"], mount["accessPointArn"], mount["mountPath"].rstrip("/"))
        )
    certificates = [
        item["location"]["secretsManager"]["secretArn"]
        for item in interpreter.get("certificates", [])
    ]
    status = interpreter.get("status")
    if interpreter.get("failureReason"):
        status = f"{status} ({interpreter['failureReason']})"
    return {
        "status": status,
        "network_mode": network.get("networkMode"),
        "subnets": sorted(vpc.get("subnets", [])),
        "security_groups": sorted(vpc.get("securityGroups", [])),
        "execution_role": interpreter.get("executionRoleArn"),
        "description": interpreter.get("description"),
        "certificates": sorted(certificates),
        "filesystems": sorted(mounts),
        "tags": dict(tags),
    }


def compare(
    config: EnvironmentConfig,
    interpreter: Mapping[str, Any],
    tags: Mapping[str, str],
    *,
    execution_role_arn: str,
) -> list[FieldCheck]:
    expected = expected_fields(config, execution_role_arn=execution_role_arn)
    live = live_fields(interpreter, tags)
    name = str(interpreter.get("name", ""))
    checks = [
        FieldCheck(
            "name",
            name,
            f"{name_base(config.interpreter_name)}_<{NAME_SUFFIX_LENGTH} base32 characters>",
            matches=derived_name_pattern(config.interpreter_name).fullmatch(name) is not None,
        )
    ]
    checks.extend(FieldCheck(key, live[key], value) for key, value in expected.items())
    return checks


# -- the live side ----------------------------------------------------------------------------


@dataclass
class Clients:
    """The control-plane client, and SSM for the lookup (each created on first use)."""

    region: str
    make_control: Callable[[], BedrockAgentCoreControlClient]
    make_ssm: Callable[[], SSMClient]
    _control: BedrockAgentCoreControlClient | None = None

    @property
    def control(self) -> BedrockAgentCoreControlClient:
        if self._control is None:
            self._control = self.make_control()
        return self._control

    @classmethod
    def create(cls, region: str) -> Clients:
        """Clients in `region` from one boto3 session (the default credential chain)."""
        import boto3  # noqa: PLC0415 - only when AWS is asked

        session = boto3.Session()
        aws = AwsClients(region, session=session)

        def control() -> BedrockAgentCoreControlClient:
            return session.client(
                "bedrock-agentcore-control", region_name=region, config=client_config()
            )

        return cls(region, control, lambda: aws.ssm)


def custom_interpreters(client: BedrockAgentCoreControlClient) -> Iterator[Mapping[str, Any]]:
    """Every custom interpreter of the account and region, following nextToken."""
    next_token: str | None = None
    for _ in range(MAX_LIST_PAGES):
        request: dict[str, Any] = {"type": "CUSTOM", "maxResults": PAGE_SIZE}
        if next_token:
            request["nextToken"] = next_token
        response = client.list_code_interpreters(**request)
        yield from response.get("codeInterpreterSummaries", [])
        next_token = response.get("nextToken")
        if not next_token:
            return
    raise RuntimeError(f"ListCodeInterpreters still had more pages after {MAX_LIST_PAGES}")


def stack_tag_of(client: BedrockAgentCoreControlClient, arn: str) -> tuple[bool, str | None]:
    """Whether the interpreter's tags could be read, and the value of the stack tag on it.

    A principal limited to its own stack's interpreters (the CI verify role) is denied the tags
    of any other: a denial then means the tags are unreadable to this principal (so, for the CI
    role, the interpreter is not this stack's).
    """
    from botocore.exceptions import ClientError  # noqa: PLC0415 - with the client

    try:
        tags = client.list_tags_for_resource(resourceArn=arn).get("tags", {})
    except ClientError as error:
        if error_code(error) in ACCESS_DENIED:
            return False, None
        raise
    return True, tags.get(STACK_TAG_KEY)


def find_candidates(
    client: BedrockAgentCoreControlClient, config: EnvironmentConfig, current_id: str
) -> list[Candidate]:
    pattern = derived_name_pattern(config.interpreter_name)
    candidates = []
    for summary in custom_interpreters(client):
        interpreter_id = summary["codeInterpreterId"]
        # Never the current interpreter, never AWS's built-in one, never a malformed id.
        if (
            interpreter_id in (current_id, BUILT_IN_INTERPRETER_ID)
            or not is_custom_interpreter_id(interpreter_id)
            or summary.get("status") == "DELETED"
        ):
            continue
        name = summary.get("name") or interpreter_id.rsplit("-", 1)[0]
        readable, tag = stack_tag_of(client, summary["codeInterpreterArn"])
        marked = tag == config.stack_name if readable else None
        if marked or pattern.fullmatch(name) is not None:
            candidates.append(
                Candidate(
                    interpreter_id=interpreter_id,
                    arn=summary["codeInterpreterArn"],
                    name=name,
                    status=str(summary.get("status")),
                    marked=marked,
                )
            )
    return candidates


# -- the command ------------------------------------------------------------------------------


def verify(
    config: EnvironmentConfig,
    clients: Clients,
    *,
    interpreter_id: str,
    execution_role_arn: str,
    delete_orphans: bool,
    out: TextIO,
) -> Report:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    report = Report()
    control = clients.control
    try:
        interpreter: Mapping[str, Any] = control.get_code_interpreter(
            codeInterpreterId=interpreter_id
        )
    except ClientError as error:
        if error_code(error) != INTERPRETER_NOT_FOUND:
            raise
        report.checks.append(
            FieldCheck(
                "status",
                "not found (deleted outside CloudFormation?)",
                f"{EXPECTED_STATUS}; redeploy: make deploy ENV={config.name}",
            )
        )
        interpreter = {}
    if interpreter:
        tags = control.list_tags_for_resource(resourceArn=interpreter["codeInterpreterArn"])
        report.checks.extend(
            compare(
                config, interpreter, tags.get("tags", {}), execution_role_arn=execution_role_arn
            )
        )
    for check in report.checks:
        print(check.line(), file=out)

    report.candidates = find_candidates(control, config, interpreter_id)
    for candidate in report.candidates:
        print(candidate.line(), file=out)
    if delete_orphans:
        for candidate in report.orphans_left:
            try:
                control.delete_code_interpreter(codeInterpreterId=candidate.interpreter_id)
            except (ClientError, BotoCoreError) as error:
                report.failures.append(f"{candidate.interpreter_id}: {error}")
                print(f"FAILED    to delete {candidate.interpreter_id}: {error}", file=out)
                continue
            report.deleted.append(candidate.interpreter_id)
            print(f"DELETING  {candidate.interpreter_id}", file=out)
    return report


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: Clients | None = None,
    out: TextIO | None = None,
) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/verify.py", description=__doc__.split("\n\n", 1)[0]
    )
    parser.add_argument("environment", help="an environment of cdk.json, e.g. dev")
    parser.add_argument("--cdk-json", default="cdk.json", help="default: cdk.json")
    parser.add_argument("--outputs-file", help="default: outputs/<environment>.json")
    parser.add_argument("--region", help="default: the environment's region, else AWS_REGION")
    parser.add_argument(
        "--execution-role-arn", help=f"instead of the stack output {EXECUTION_ROLE_OUTPUT}"
    )
    parser.add_argument(
        "--delete-orphans",
        action="store_true",
        help="delete orphans that carry this stack's tag (needs --confirm <environment>)",
    )
    parser.add_argument("--confirm", default="", help="the environment's name, to delete")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    env: str = args.environment
    if args.delete_orphans and args.confirm != env:
        return _fail(
            f"refusing to delete orphans of '{env}' without confirmation: run make verify"
            f" ENV={env} DELETE_ORPHANS=1 CONFIRM={env}"
        )
    try:
        (config,) = load_environments(_environments(Path(args.cdk_json)), selected=env)
        outputs_file = Path(args.outputs_file or default_outputs_file(env))
        role_arn = args.execution_role_arn or _stack_output(outputs_file, config.stack_name)
        region = args.region or config.region
        made: dict[str, Clients] = {}

        def ssm_in(region: str) -> SSMClient:
            """One boto3 session per region, for the lookup and then for verify itself."""
            if clients is not None:
                return clients.make_ssm()
            if region not in made:
                made[region] = Clients.create(region)
            return made[region].make_ssm()

        found = resolve(
            env,
            region=region,
            ssm_prefix=config.ssm_prefix,
            outputs_file=outputs_file,
            ssm_client=ssm_in,
            # The stack's own interpreter: never one named by CODE_INTERPRETER_* variables.
            environ={k: v for k, v in os.environ.items() if k in REGION_ENVIRONMENT_VARIABLES},
        )
    except (ConfigError, ConfigurationError) as error:
        return _fail(str(error))
    if clients is not None and clients.region != found.region:
        return _fail(f"the interpreter is in {found.region}, the clients are for {clients.region}")
    print(
        f"Verifying {config.stack_name}: interpreter {found.interpreter_id} in {found.region}"
        f" (id from {found.sources.interpreter_id}) against {args.cdk_json}",
        file=out,
    )
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        report = verify(
            config,
            clients or made.get(found.region) or Clients.create(found.region),
            interpreter_id=found.interpreter_id,
            execution_role_arn=role_arn,
            delete_orphans=args.delete_orphans,
            out=out,
        )
    except (ClientError, BotoCoreError, RuntimeError) as error:
        print(f"verify FAILED: {error}", file=sys.stderr)
        return ExitCode.FAILED
    print(_summary(report, env, args.delete_orphans), file=sys.stderr)
    return report.exit_code()


def _summary(report: Report, env: str, deleting: bool) -> str:
    parts = []
    if report.drifted:
        fields = ", ".join(check.name for check in report.drifted)
        parts.append(
            f"{len(report.drifted)} field(s) drifted ({fields}): if cdk.json changed, make diff"
            f" ENV={env} then make deploy ENV={env}; a change made outside CloudFormation (tags"
            " edited by hand) stays until it is undone by hand or a deploy changes that property"
        )
    if report.orphans_left:
        hint = "" if deleting else f": make verify ENV={env} DELETE_ORPHANS=1 CONFIRM={env}"
        parts.append(f"{len(report.orphans_left)} orphan(s) left{hint}")
    if report.failures:
        parts.append(f"{len(report.failures)} deletion(s) failed")
    if not parts:
        return f"verify passed: {len(report.checks)} fields match, no orphans"
    return "verify FAILED: " + "; ".join(parts)


def _environments(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["context"].get("environments")
    except (OSError, ValueError, KeyError) as error:
        raise ConfigurationError(f"cannot read environments from {path}: {error}") from None


def _stack_output(path: Path, stack_name: str) -> str:
    where = (
        f"{path} (written by make deploy; or pass --execution-role-arn, e.g. from"
        f" aws cloudformation describe-stacks --stack-name {stack_name})"
    )
    try:
        outputs = json.loads(path.read_text(encoding="utf-8")).get(stack_name, {})
    except OSError:
        raise ConfigurationError(
            f"no stack output {EXECUTION_ROLE_OUTPUT}: {where} not found"
        ) from None
    except ValueError as error:
        raise ConfigurationError(f"{path} is not JSON: {error}") from None
    value = outputs.get(EXECUTION_ROLE_OUTPUT)
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{stack_name} has no output {EXECUTION_ROLE_OUTPUT} in {where}")
    return value


def _fail(message: str) -> int:
    print(f"verify: {message}", file=sys.stderr)
    return ExitCode.CONFIGURATION


def _show(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]" if value else "(none)"
    if isinstance(value, tuple):
        file_system, access_point, mount_path = value
        return f"{mount_path} <- {access_point} ({file_system})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "}"
    return "(none)" if value is None else repr(value) if isinstance(value, str) else str(value)


if __name__ == "__main__":
    sys.exit(main())
