"""agentcore_api.constraints: the API's rules come from AWS's models, and no copy is looser.

The stacks' configuration, the handler and the agent package all check values against these
rules; each is read from the shipped model, which must equal the installed botocore's, and the
few limits AWS gives only in prose are held against the sentence that states them.
"""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest

from agentcore_api import constraints, model_files
from agentcore_api.discovery import MOUNT_KINDS
from agentcore_api.model import LIST_ITEM, ModelError, StringRule
from stacks.config import ConfigError, MountKind, load_environments


@pytest.fixture(scope="module")
def botocore_control_plane() -> Any:
    """The installed botocore's copy of the model, parsed by botocore itself."""
    return botocore.session.get_session().get_service_model(
        model_files.CONTROL_PLANE_SERVICE, model_files.CONTROL_PLANE_API_VERSION
    )


def member_shape(model: Any, operation: str, *path: str) -> Any:
    shape = model.operation_model(operation).input_shape
    for step in path:
        shape = shape.member if step == LIST_ITEM else shape.members[step]
    return shape


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (constraints.INTERPRETER_NAME, ("name",)),
        (constraints.DESCRIPTION, ("description",)),
        (constraints.EXECUTION_ROLE_ARN, ("executionRoleArn",)),
        (constraints.NETWORK_MODE, ("networkConfiguration", "networkMode")),
        (
            constraints.SUBNET_ID,
            ("networkConfiguration", "vpcConfig", "subnets", LIST_ITEM),
        ),
        (
            constraints.SECURITY_GROUP_ID,
            ("networkConfiguration", "vpcConfig", "securityGroups", LIST_ITEM),
        ),
        (
            constraints.CERTIFICATE_SECRET_ARN,
            ("certificates", LIST_ITEM, "location", "secretsManager", "secretArn"),
        ),
        (
            constraints.MOUNT_PATH,
            ("filesystemConfigurations", LIST_ITEM, "s3FilesConfiguration", "mountPath"),
        ),
        # One mount-path rule serves both kinds: it must be both members' rule.
        (
            constraints.MOUNT_PATH,
            ("filesystemConfigurations", LIST_ITEM, "efsConfiguration", "mountPath"),
        ),
    ],
    ids=lambda value: value.where.rsplit(".", 1)[-1] if isinstance(value, StringRule) else "",
)
def test_string_rules_are_the_models(
    botocore_control_plane: Any, rule: StringRule, path: tuple[str, ...]
) -> None:
    shape = member_shape(botocore_control_plane, "CreateCodeInterpreter", *path)
    assert (rule.pattern.pattern if rule.pattern else None) == shape.metadata.get("pattern")
    assert rule.min_length == shape.metadata.get("min")
    assert rule.max_length == shape.metadata.get("max")
    assert list(rule.enum) == (shape.enum or [])


def test_list_limits_are_the_models(botocore_control_plane: Any) -> None:
    def maximum(*path: str) -> int:
        shape = member_shape(botocore_control_plane, "CreateCodeInterpreter", *path)
        return int(shape.metadata["max"])

    assert constraints.SUBNETS.max_items == maximum("networkConfiguration", "vpcConfig", "subnets")
    assert constraints.SECURITY_GROUPS.max_items == maximum(
        "networkConfiguration", "vpcConfig", "securityGroups"
    )
    assert constraints.CERTIFICATES.max_items == maximum("certificates")
    assert constraints.TAGS.max_items == maximum("tags")
    assert constraints.FILESYSTEMS.max_items == maximum("filesystemConfigurations")


def test_the_name_length_is_the_one_its_pattern_allows() -> None:
    longest = "a" * constraints.MAX_INTERPRETER_NAME_LENGTH
    assert constraints.INTERPRETER_NAME.accepts(longest)
    assert not constraints.INTERPRETER_NAME.accepts(longest + "a")


def test_limits_stated_only_in_prose_are_held_against_their_sentence() -> None:
    model = constraints.control_plane
    endpoint = model.documentation(
        "CreateCodeInterpreter", "networkConfiguration", "vpcConfig", "requireServiceS3Endpoint"
    )
    assert "not applicable to Browsers or Code Interpreters" in endpoint
    assert constraints.AGENT_RUNTIME_ONLY_VPC_MEMBERS == ("requireServiceS3Endpoint",)
    mounts = re.sub(
        r"\s+", " ", str(model.input_shape("CreateCodeInterpreter", "filesystemConfigurations"))
    )
    assert (
        f"The maximum is {constraints.MAX_S3FILES_MOUNTS} Amazon Simple Storage Service (Amazon"
        f" S3) Files access points and {constraints.MAX_EFS_MOUNTS} Amazon Elastic File System"
        " (Amazon EFS) access points" in mounts
    )


@pytest.mark.parametrize(
    "value",
    ["café", "team\u00a0a", "\u0661\u0662", "\uff54\uff45\uff41\uff4d"],
    ids=["accented-letter", "no-break-space", "arabic-digits", "fullwidth-letters"],
)
def test_model_patterns_are_ascii_as_the_api_is(value: str) -> None:
    # Python's \s and \w would accept these; the API's classes are ASCII.
    assert not constraints.TAG_KEY.accepts(value)
    assert not constraints.TAG_VALUE.accepts(value)


def test_the_file_system_kinds_are_the_same_everywhere(botocore_control_plane: Any) -> None:
    members = member_shape(
        botocore_control_plane, "CreateCodeInterpreter", "filesystemConfigurations", LIST_ITEM
    ).members
    assert {kind.member for kind in constraints.FILESYSTEM_KINDS.values()} == set(members)
    assert (
        set(constraints.FILESYSTEM_KINDS) == set(MOUNT_KINDS) == {kind.value for kind in MountKind}
    )


def test_custom_interpreter_ids_exclude_the_built_in_one() -> None:
    assert constraints.is_custom_interpreter_id("codeinterpreter_dev-AbCdE12345")
    assert constraints.INTERPRETER_ID.accepts("aws.codeinterpreter.v1")
    assert not constraints.is_custom_interpreter_id("aws.codeinterpreter.v1")
    assert not constraints.is_custom_interpreter_id("codeinterpreter_dev-short")


def test_an_unknown_member_is_a_model_error_not_a_silent_default() -> None:
    with pytest.raises(ModelError, match="has no member 'vpcSettings'"):
        constraints.control_plane.string(
            "CreateCodeInterpreter", "networkConfiguration", "vpcSettings"
        )


def test_data_plane_rules_come_from_the_installed_model() -> None:
    rules = constraints.data_plane()
    assert rules.session_timeout_seconds == (1, 28_800)
    assert rules.list_sessions_page_size == (1, 100)
    assert {"executeCode", "executeCommand", "startCommandExecution"} <= set(rules.tool_names)
    assert rules.session_id.accepts("01JSESSION0000000000000001")


# Values the configuration accepts, field by field: each must also pass the API's own rule.
VPC_IDS = {"subnet_ids": ["subnet-0123abcd"], "security_group_ids": ["sg-0123456789abcdef0"]}
LONG_TAG_KEY = "Cost Center:team/a=b+c@d-e_f.g"
ACCEPTED_BY_CONFIG = [
    pytest.param(
        {"network_mode": "VPC", "vpc": VPC_IDS},
        constraints.SUBNET_ID,
        "subnet-0123abcd",
        id="subnet",
    ),
    pytest.param(
        {"network_mode": "VPC", "vpc": VPC_IDS},
        constraints.SECURITY_GROUP_ID,
        "sg-0123456789abcdef0",
        id="security-group",
    ),
    pytest.param({"interpreter_name": "Z" * 48}, constraints.INTERPRETER_NAME, "Z" * 48, id="name"),
    pytest.param(
        {"description": "d" * 4096}, constraints.DESCRIPTION, "d" * 4096, id="description"
    ),
    pytest.param({"tags": {LONG_TAG_KEY: "v"}}, constraints.TAG_KEY, LONG_TAG_KEY, id="tag-key"),
    pytest.param({"tags": {"k": "x" * 256}}, constraints.TAG_VALUE, "x" * 256, id="tag-value"),
]


@pytest.mark.parametrize(("settings", "rule", "value"), ACCEPTED_BY_CONFIG)
def test_configuration_is_never_looser_than_the_api(
    settings: dict[str, Any], rule: StringRule, value: str
) -> None:
    load_environments({"dev": settings})
    assert rule.accepts(value)


@pytest.mark.parametrize(
    ("settings", "rule", "value"),
    [
        pytest.param(
            {"interpreter_name": "Z" * 49}, constraints.INTERPRETER_NAME, "Z" * 49, id="name"
        ),
        pytest.param(
            {"description": "d" * 4097}, constraints.DESCRIPTION, "d" * 4097, id="description"
        ),
        pytest.param({"tags": {"k": "tab\tbed"}}, constraints.TAG_VALUE, "tab\tbed", id="tab"),
    ],
)
def test_what_the_api_refuses_the_configuration_refuses_too(
    settings: dict[str, Any], rule: StringRule, value: str
) -> None:
    with pytest.raises(ConfigError):
        load_environments({"dev": settings})
    # The tab is the configuration being stricter than the API (\s allows it); the rest are
    # refused by both.
    assert rule.accepts(value) is (value == "tab\tbed")
