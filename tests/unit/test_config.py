"""Parsing and validating the `environments` context into frozen per-environment configs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from synthesis import (
    EFS_ACCESS_POINT_ARN,
    EFS_SYSTEM_ARN,
    S3FILES_ACCESS_POINT_ARN,
    S3FILES_SYSTEM_ARN,
)

from agentcore_api.resources import STACK_TAG_KEY
from stacks.config import (
    ConfigError,
    EnvironmentConfig,
    FileSystemMount,
    MountKind,
    NetworkMode,
    RemovalChoice,
    VpcSettings,
    load_environments,
    parse_flag,
)

VPC = {
    "subnet_ids": ["subnet-0123456789abcdef0"],
    "security_group_ids": ["sg-0123456789abcdef0"],
}
CERTIFICATE_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def load_one(settings: Any, name: str = "dev") -> EnvironmentConfig:
    (config,) = load_environments({name: settings})
    return config


def test_defaults_fill_everything_left_out() -> None:
    assert load_one({}) == EnvironmentConfig(
        name="dev",
        account=None,
        region=None,
        network_mode=NetworkMode.SANDBOX,
        vpc=None,
        interpreter_name="codeinterpreter_dev",
        description=None,
        artifact_prefix="output_artifacts/",
        artifact_retention_days=30,
        removal_policy=RemovalChoice.RETAIN,
        termination_protection=False,
        tags=(),
        ssm_prefix="/agentcore/dev/code-interpreter",
    )


def test_default_names_follow_the_environment_name() -> None:
    config = load_one({}, name="eu-team-2")
    assert config.interpreter_name == "codeinterpreter_eu_team_2"
    assert config.ssm_prefix == "/agentcore/eu-team-2/code-interpreter"
    assert config.stack_name == "CodeInterpreter-eu-team-2"


def test_every_key_overrides_its_default() -> None:
    config = load_one(
        {
            "account": "123456789012",
            "region": "ap-northeast-2",
            "network_mode": "VPC",
            "vpc": VPC,
            "interpreter_name": "Team_Sandbox_1",
            "description": "Analytics sandbox",
            "artifact_prefix": "runs/out/",
            "artifact_retention_days": 365,
            "removal_policy": "destroy",
            "termination_protection": True,
            "tags": {"CostCenter": "1234", "Owner": "data@example.com"},
            "ssm_prefix": "/teams/data/interpreter",
            "artifact_kms": True,
            "force_destroy": True,
            "agent_role_arns": ["arn:aws:iam::123456789012:role/agents/analyst"],
            "certificate_secret_arns": [CERTIFICATE_ARN],
            "certificate_kms_key_arns": [KEY_ARN],
        }
    )
    assert config.account == "123456789012"
    assert config.region == "ap-northeast-2"
    assert config.network_mode is NetworkMode.VPC
    assert config.vpc == VpcSettings(
        subnet_ids=("subnet-0123456789abcdef0",),
        security_group_ids=("sg-0123456789abcdef0",),
    )
    assert config.interpreter_name == "Team_Sandbox_1"
    assert config.description == "Analytics sandbox"
    assert config.artifact_prefix == "runs/out/"
    assert config.artifact_retention_days == 365
    assert config.removal_policy is RemovalChoice.DESTROY
    assert config.termination_protection is True
    assert config.tags == (("CostCenter", "1234"), ("Owner", "data@example.com"))
    assert config.ssm_prefix == "/teams/data/interpreter"
    assert config.artifact_kms is True
    assert config.force_destroy is True
    assert config.agent_role_arns == ("arn:aws:iam::123456789012:role/agents/analyst",)
    assert config.certificate_secret_arns == (CERTIFICATE_ARN,)
    assert config.certificate_kms_key_arns == (KEY_ARN,)
    # Nothing else kept its default but what has tests of its own (test_monitoring_config.py,
    # the file-system tests below): a new key cannot be missed here.
    defaults = load_one({})
    unchanged = {
        field.name
        for field in dataclasses.fields(config)
        if getattr(config, field.name) == getattr(defaults, field.name)
    }
    assert unchanged == {"name", "monitoring", "filesystems"}


def test_configs_are_frozen() -> None:
    config = load_one({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.network_mode = NetworkMode.PUBLIC  # type: ignore[misc]


def test_agent_runtime_only_s3_endpoint_flag_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError) as raised:
        load_one({"network_mode": "VPC", "vpc": {**VPC, "require_service_s3_endpoint": False}})
    (problem,) = raised.value.problems
    assert problem.startswith("environment 'dev': field 'vpc.require_service_s3_endpoint'")
    assert "applies to Agent Runtimes only" in problem
    assert "remove vpc.require_service_s3_endpoint" in problem


def test_selecting_one_environment_returns_only_it() -> None:
    configs = load_environments({"dev": {}, "prod": {}}, selected="prod")
    assert [c.name for c in configs] == ["prod"]


def test_selection_is_validated_even_when_other_environments_are_broken() -> None:
    configs = load_environments({"dev": {}, "prod": {"network_mode": "bad"}}, selected="dev")
    assert [c.name for c in configs] == ["dev"]


def s3files_mount(path: str = "/mnt/data", **overrides: Any) -> dict[str, Any]:
    return {
        "type": "s3files",
        "file_system_arn": S3FILES_SYSTEM_ARN,
        "access_point_arn": S3FILES_ACCESS_POINT_ARN,
        "mount_path": path,
        **overrides,
    }


def efs_mount(path: str = "/mnt/shared", **overrides: Any) -> dict[str, Any]:
    return {
        "type": "efs",
        "file_system_arn": EFS_SYSTEM_ARN,
        "access_point_arn": EFS_ACCESS_POINT_ARN,
        "mount_path": path,
        **overrides,
    }


def with_mounts(*mounts: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"network_mode": "VPC", "vpc": VPC, "filesystems": list(mounts), **settings}


def test_file_systems_of_both_kinds_are_parsed() -> None:
    config = load_one(with_mounts(s3files_mount(read_only=True), efs_mount()))
    assert config.filesystems == (
        FileSystemMount(
            kind=MountKind.S3FILES,
            file_system_arn=S3FILES_SYSTEM_ARN,
            access_point_arn=S3FILES_ACCESS_POINT_ARN,
            mount_path="/mnt/data",
            read_only=True,
        ),
        FileSystemMount(
            kind=MountKind.EFS,
            file_system_arn=EFS_SYSTEM_ARN,
            access_point_arn=EFS_ACCESS_POINT_ARN,
            mount_path="/mnt/shared",
            read_only=False,
        ),
    )


# (case id, settings, fragments that the single error message must contain)
INVALID: list[tuple[str, Any, tuple[str, ...]]] = [
    ("typo-key", {"netwrok_mode": "SANDBOX"}, ("'netwrok_mode'", "did you mean 'network_mode'")),
    ("lowercase-mode", {"network_mode": "sandbox"}, ("'network_mode'", "'sandbox'", "VPC")),
    ("unknown-mode", {"network_mode": "PRIVATE"}, ("'network_mode'", "'PRIVATE'", "SANDBOX")),
    ("vpc-without-settings", {"network_mode": "VPC"}, ("'vpc'", "None", "required")),
    (
        "vpc-without-subnets",
        {"network_mode": "VPC", "vpc": {"security_group_ids": VPC["security_group_ids"]}},
        ("'vpc.subnet_ids'", "required in VPC mode"),
    ),
    (
        "vpc-without-security-groups",
        {"network_mode": "VPC", "vpc": {"subnet_ids": VPC["subnet_ids"]}},
        ("'vpc.security_group_ids'", "required in VPC mode"),
    ),
    ("vpc-in-sandbox-mode", {"vpc": VPC}, ("'vpc'", "unless network_mode is VPC")),
    (
        "too-many-subnets",
        {
            "network_mode": "VPC",
            "vpc": {**VPC, "subnet_ids": [f"subnet-{i:017d}" for i in range(17)]},
        },
        ("'vpc.subnet_ids'", "1-16"),
    ),
    (
        "malformed-subnet",
        {"network_mode": "VPC", "vpc": {**VPC, "subnet_ids": ["subnet-xyz"]}},
        ("'vpc.subnet_ids[0]'", "subnet-xyz", "subnet-0123456789abcdef0"),
    ),
    (
        "non-hex-subnet",
        {"network_mode": "VPC", "vpc": {**VPC, "subnet_ids": ["subnet-0f1e2d3c4b5a6978g"]}},
        ("'vpc.subnet_ids[0]'", "'subnet-0f1e2d3c4b5a6978g'", "8 or 17 lowercase hexadecimal"),
    ),
    (
        "subnet-missing-a-digit",
        {"network_mode": "VPC", "vpc": {**VPC, "subnet_ids": ["subnet-0f1e2d3c4b5a6978"]}},
        ("'vpc.subnet_ids[0]'", "'subnet-0f1e2d3c4b5a6978'", "8 or 17"),
    ),
    (
        "second-subnet-bad",
        {
            "network_mode": "VPC",
            "vpc": {**VPC, "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0ABC4567"]},
        },
        ("'vpc.subnet_ids[1]'", "got 'subnet-0ABC4567'", "lowercase"),
    ),
    (
        "duplicate-subnet",
        {
            "network_mode": "VPC",
            "vpc": {**VPC, "subnet_ids": ["subnet-0123abcd", "subnet-0123abcd"]},
        },
        ("'vpc.subnet_ids[1]'", "repeats vpc.subnet_ids[0]"),
    ),
    (
        "malformed-security-group",
        {"network_mode": "VPC", "vpc": {**VPC, "security_group_ids": ["default"]}},
        ("'vpc.security_group_ids[0]'", "'default'", "sg-"),
    ),
    (
        "lowercase-vpc-mode-with-its-block",
        {"network_mode": "vpc", "vpc": VPC},
        ("'network_mode'", "'vpc'", "upper case"),
    ),
    (
        "lowercase-vpc-mode-with-its-block-and-mounts",
        {"network_mode": "vpc", "vpc": VPC, "filesystems": [s3files_mount()]},
        ("'network_mode'", "'vpc'", "upper case"),
    ),
    (
        "retired-s3-endpoint-flag",
        {"network_mode": "VPC", "vpc": {**VPC, "require_service_s3_endpoint": True}},
        ("'vpc.require_service_s3_endpoint'", "Agent Runtimes only"),
    ),
    ("name-with-hyphen", {"interpreter_name": "my-sandbox"}, ("'interpreter_name'", "no hyphens")),
    ("name-leading-digit", {"interpreter_name": "1sandbox"}, ("'1sandbox'", "a letter")),
    ("name-49-chars", {"interpreter_name": "a" * 49}, ("'interpreter_name'", "1-48")),
    ("name-non-ascii", {"interpreter_name": "sändbox"}, ("'sändbox'", "letters, digits")),
    ("empty-description", {"description": ""}, ("'description'", "''", "1-4096")),
    ("description-4097", {"description": "x" * 4097}, ("'description'", "4097 characters")),
    ("bad-account", {"account": "12345"}, ("'account'", "'12345'", "12-digit")),
    ("account-as-number", {"account": 123456789012}, ("'account'", "12-digit")),
    ("bad-region", {"region": "Europe"}, ("'region'", "'Europe'", "us-east-1")),
    ("zero-retention", {"artifact_retention_days": 0}, ("'artifact_retention_days'", "1 to")),
    ("negative-retention", {"artifact_retention_days": -5}, ("-5", "whole number")),
    ("retention-as-string", {"artifact_retention_days": "30"}, ("got '30'", "whole number")),
    ("retention-as-bool", {"artifact_retention_days": True}, ("True", "whole number")),
    ("removal-policy", {"removal_policy": "snapshot"}, ("'snapshot'", "'retain' or 'destroy'")),
    ("protection-as-string", {"termination_protection": "yes"}, ("'yes'", "true or false")),
    ("prefix-leading-slash", {"artifact_prefix": "/out/"}, ("'artifact_prefix'", "ending in '/'")),
    ("prefix-no-trailing-slash", {"artifact_prefix": "out"}, ("'out'", "ending in '/'")),
    ("ssm-relative", {"ssm_prefix": "agentcore/dev"}, ("'ssm_prefix'", "starting with '/'")),
    ("ssm-reserved", {"ssm_prefix": "/aws/reserved"}, ("'/aws/reserved'", "/aws or /ssm")),
    ("tags-as-list", {"tags": ["a", "b"]}, ("'tags'", "a map")),
    (
        "too-many-tags",
        {"tags": {f"k{i}": "v" for i in range(50)}},
        ("50 tags", "at most 49", STACK_TAG_KEY),
    ),
    (
        "stack-tag-key",
        {"tags": {STACK_TAG_KEY: "mine"}},
        (f"'{STACK_TAG_KEY}'", "rename the tag"),
    ),
    ("tag-value-non-ascii", {"tags": {"team": "données"}}, ("'tags.team'", "'données'")),
    ("tag-value-tab", {"tags": {"team": "a\tb"}}, ("'tags.team'", "spaces")),
    ("tag-key-too-long", {"tags": {"k" * 129: "v"}}, ("'tags'", "1-128")),
    ("tag-value-too-long", {"tags": {"k": "v" * 257}}, ("'tags.k'", "0-256")),
    ("tag-reserved-prefix", {"tags": {"aws:owner": "me"}}, ("'aws:owner'", "not starting")),
    ("settings-not-a-map", ["SANDBOX"], ("environment 'dev'", "a map of settings")),
    (
        "protected-destroy",
        {"termination_protection": True, "removal_policy": "destroy"},
        ("'removal_policy'", "'destroy'", "force_destroy: true"),
    ),
    ("kms-as-string", {"artifact_kms": "yes"}, ("'artifact_kms'", "true or false")),
    (
        "certificate-not-a-secret",
        {"certificate_secret_arns": ["arn:aws:s3:::bucket/ca.pem"]},
        ("'certificate_secret_arns[0]'", "Secrets Manager secret"),
    ),
    (
        "certificate-keys-without-certificates",
        {"certificate_kms_key_arns": [KEY_ARN]},
        ("'certificate_kms_key_arns'", "only together with certificate_secret_arns"),
    ),
    (
        "certificate-key-alias",
        {
            "certificate_secret_arns": [CERTIFICATE_ARN],
            "certificate_kms_key_arns": ["arn:aws:kms:us-east-1:123456789012:alias/certs"],
        },
        ("'certificate_kms_key_arns[0]'", "not an alias"),
    ),
    (
        "agent-role-not-an-arn",
        {"agent_role_arns": ["analytics-agent"]},
        ("'agent_role_arns[0]'", "IAM role ARN"),
    ),
    (
        "mounts-outside-vpc-mode",
        {"filesystems": [s3files_mount()]},
        ("'filesystems'", "only in VPC mode", "set network_mode to VPC"),
    ),
    (
        "three-efs-mounts",
        with_mounts(efs_mount("/mnt/a"), efs_mount("/mnt/b"), efs_mount("/mnt/c")),
        ("'filesystems'", "3 mounts of type efs", "at most 2 of type efs"),
    ),
    (
        "duplicate-mount-paths",
        with_mounts(s3files_mount("/mnt/data"), efs_mount("/mnt/data/")),
        ("'filesystems[1].mount_path'", "'/mnt/data/'", "filesystems[0] mounts there already"),
    ),
    (
        "mount-path-outside-mnt",
        with_mounts(s3files_mount("/data")),
        ("'filesystems[0].mount_path'", "'/data'", "under /mnt/"),
    ),
    (
        "access-point-of-another-file-system",
        with_mounts(
            s3files_mount(
                access_point_arn=S3FILES_ACCESS_POINT_ARN.replace(
                    "fs-0123456789abcdef0", "fs-0fff0fff0fff0fff0"
                )
            )
        ),
        ("'filesystems[0].access_point_arn'", f"an access point of {S3FILES_SYSTEM_ARN}"),
    ),
    (
        "file-system-in-another-region",
        with_mounts(
            efs_mount(file_system_arn=EFS_SYSTEM_ARN.replace("us-east-1", "eu-west-1")),
            region="us-east-1",
        ),
        ("'filesystems[0].file_system_arn'", "the environment's region us-east-1"),
    ),
    (
        "access-point-in-another-account",
        with_mounts(
            efs_mount(
                access_point_arn=EFS_ACCESS_POINT_ARN.replace("123456789012", "210987654321")
            ),
            account="123456789012",
        ),
        ("'filesystems[0].access_point_arn'", "the environment's account 123456789012"),
    ),
    (
        "unknown-mount-type",
        with_mounts(s3files_mount(type="fsx")),
        ("'filesystems[0].type'", "'fsx'", "'s3files' or 'efs'"),
    ),
    (
        "efs-arn-for-s3files",
        with_mounts(s3files_mount(file_system_arn=EFS_SYSTEM_ARN)),
        ("'filesystems[0].file_system_arn'", "the ARN of a s3files file system"),
    ),
    (
        "mount-key-typo",
        with_mounts(s3files_mount(readonly=True)),
        ("'filesystems[0].readonly'", "did you mean 'read_only'"),
    ),
    (
        "read-only-as-string",
        with_mounts(s3files_mount(read_only="yes")),
        ("'filesystems[0].read_only'", "true or false"),
    ),
    (
        "vpc-as-list",
        {"network_mode": "VPC", "vpc": ["subnet-0123456789abcdef0"]},
        ("'vpc'", "a map"),
    ),
]


@pytest.mark.parametrize(
    ("settings", "fragments"),
    [pytest.param(settings, fragments, id=case) for case, settings, fragments in INVALID],
)
def test_invalid_settings_are_rejected_with_a_precise_message(
    settings: Any, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments({"dev": settings})
    (problem,) = raised.value.problems
    assert problem.startswith("environment 'dev'")
    assert "got " in problem
    assert "allowed: " in problem
    for fragment in fragments:
        assert fragment in problem


def test_prod_keeps_its_data_unless_destroy_is_forced() -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments({"prod": {"removal_policy": "destroy"}})
    (problem,) = raised.value.problems
    assert problem.startswith("environment 'prod': field 'removal_policy': got 'destroy'")
    assert "force_destroy" in problem
    forced = load_one({"removal_policy": "destroy", "force_destroy": True}, name="prod")
    assert forced.removal_policy is RemovalChoice.DESTROY


def test_every_problem_in_every_environment_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments(
            {
                "dev": {"network_mode": "sandbox", "artifact_retention_days": 0},
                "prod": {"removal_policy": "keep"},
            }
        )
    problems = raised.value.problems
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        "environment 'dev'",
        "environment 'dev'",
        "environment 'prod'",
    ]
    assert str(raised.value).count("\n  - ") == 3


@pytest.mark.parametrize(
    ("environments", "selected", "fragments"),
    [
        pytest.param({"dev": {}}, "qa", ("context 'env'", "'qa'", "one of dev"), id="unknown-env"),
        pytest.param({}, None, ("context 'environments'", "non-empty map"), id="no-environments"),
        pytest.param(None, None, ("context 'environments'", "None"), id="missing-context"),
        pytest.param({"Dev_1": {}}, None, ("'Dev_1'", "lowercase letters"), id="bad-env-name"),
    ],
)
def test_invalid_environment_selection_is_rejected(
    environments: Any, selected: Any, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments(environments, selected=selected)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message


def test_very_long_bad_values_are_shortened_in_messages() -> None:
    with pytest.raises(ConfigError) as raised:
        load_environments({"dev": {"description": "x" * 5000}})
    (problem,) = raised.value.problems
    assert len(problem) < 300
    assert "5000 characters" in problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), (True, True), (False, False), ("true", True), ("false", False)],
)
def test_on_off_context_values_as_cdk_json_or_the_cli_give_them(
    value: object, expected: bool
) -> None:
    assert parse_flag("agentcore:nag", value) is expected


@pytest.mark.parametrize("value", ["yes", "True", "", 1, 0, ["true"]])
def test_other_on_off_values_are_refused_naming_key_value_and_what_is_allowed(
    value: object,
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_flag("agentcore:nag", value)
    assert raised.value.problems == (
        f"context 'agentcore:nag': got {value!r}; allowed: true or false",
    )
