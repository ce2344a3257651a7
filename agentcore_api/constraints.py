"""What the AgentCore API accepts, read from AWS's service models.

The control-plane rules come from the `bedrock-agentcore-control` model shipped in `models/` (the
same file the handler's client is built from, so the handler checks exactly what it sends). The
data-plane rules come from the installed botocore's `bedrock-agentcore` model and are loaded only
when asked for. A handful of limits exist only in the models' prose; they are constants here, each
with the sentence it comes from, and a test keeps that sentence in view.

stacks/config.py may be stricter than these rules where real ids are stricter; never looser.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from agentcore_api.model import LIST_ITEM, MAP_KEY, MAP_VALUE, ServiceModel, SizeRule, StringRule
from agentcore_api.model_files import (
    CONTROL_PLANE_MODEL,
    DATA_PLANE_API_VERSION,
    DATA_PLANE_SERVICE,
)
from agentcore_api.resources import BUILT_IN_INTERPRETER_ID

control_plane = ServiceModel.from_file(CONTROL_PLANE_MODEL)

_CREATE = "CreateCodeInterpreter"
_NETWORK = ("networkConfiguration",)
_VPC = (*_NETWORK, "vpcConfig")
_SECRET = (LIST_ITEM, "location", "secretsManager", "secretArn")
_MOUNTS = ("filesystemConfigurations",)
_S3FILES = (*_MOUNTS, LIST_ITEM, "s3FilesConfiguration")
_EFS = (*_MOUNTS, LIST_ITEM, "efsConfiguration")

INTERPRETER_NAME: StringRule = control_plane.string(_CREATE, "name")
# The name's pattern ([a-zA-Z][a-zA-Z0-9_]{0,47}) allows a letter and 47 more characters; the
# model states no separate length (a test checks the pattern against this number).
MAX_INTERPRETER_NAME_LENGTH = 48
DESCRIPTION: StringRule = control_plane.string(_CREATE, "description")
EXECUTION_ROLE_ARN: StringRule = control_plane.string(_CREATE, "executionRoleArn")
NETWORK_MODE: StringRule = control_plane.string(_CREATE, *_NETWORK, "networkMode")
SUBNETS: SizeRule = control_plane.size(_CREATE, *_VPC, "subnets")
SUBNET_ID: StringRule = control_plane.string(_CREATE, *_VPC, "subnets", LIST_ITEM)
SECURITY_GROUPS: SizeRule = control_plane.size(_CREATE, *_VPC, "securityGroups")
SECURITY_GROUP_ID: StringRule = control_plane.string(_CREATE, *_VPC, "securityGroups", LIST_ITEM)
CERTIFICATES: SizeRule = control_plane.size(_CREATE, "certificates")
CERTIFICATE_SECRET_ARN: StringRule = control_plane.string(_CREATE, "certificates", *_SECRET)
TAGS: SizeRule = control_plane.size(_CREATE, "tags")
# The stack's own tag (resources.STACK_TAG_KEY) takes one of the API's tags; the rest are the
# template's.
MAX_TEMPLATE_TAGS: Final = (TAGS.max_items or 1) - 1
TAG_KEY: StringRule = control_plane.string(_CREATE, "tags", MAP_KEY)
TAG_VALUE: StringRule = control_plane.string(_CREATE, "tags", MAP_VALUE)
INTERPRETER_ID: StringRule = control_plane.string("GetCodeInterpreter", "codeInterpreterId")
LIST_INTERPRETERS_PAGE_SIZE: Final = control_plane.integer_range(
    "ListCodeInterpreters", "maxResults"
)
INTERPRETER_ARN: StringRule = control_plane.output_string(
    "GetCodeInterpreter", "codeInterpreterArn"
)
FILESYSTEMS: SizeRule = control_plane.size(_CREATE, *_MOUNTS)
MOUNT_PATH: StringRule = control_plane.string(_CREATE, *_S3FILES, "mountPath")
S3FILES_FILE_SYSTEM_ARN: StringRule = control_plane.string(_CREATE, *_S3FILES, "fileSystemArn")
S3FILES_ACCESS_POINT_ARN: StringRule = control_plane.string(_CREATE, *_S3FILES, "accessPointArn")
EFS_FILE_SYSTEM_ARN: StringRule = control_plane.string(_CREATE, *_EFS, "fileSystemArn")
EFS_ACCESS_POINT_ARN: StringRule = control_plane.string(_CREATE, *_EFS, "accessPointArn")

# The model allows `vpcConfig.requireServiceS3Endpoint`, but its documentation says: "This field
# applies only to Agent Runtimes. It is not applicable to Browsers or Code Interpreters."
AGENT_RUNTIME_ONLY_VPC_MEMBERS = ("requireServiceS3Endpoint",)
AGENT_RUNTIME_ONLY_REASON: Final = (
    "requireServiceS3Endpoint applies to Agent Runtimes only (the API model's documentation)"
    " and code interpreters reject it"
)
# The model's list allows 10 file systems; its documentation allows 2 of each kind.
MAX_S3FILES_MOUNTS = 2
MAX_EFS_MOUNTS = 2


@dataclass(frozen=True)
class FileSystemKind:
    """One kind of file system the API mounts: its member of the configuration union, the ARN
    rules of that member and how many mounts of the kind the documentation allows."""

    member: str
    file_system_arn: StringRule
    access_point_arn: StringRule
    max_mounts: int

    @property
    def cfn_property(self) -> str:
        """CloudFormation properties spell the member with a capital first letter."""
        return self.member[0].upper() + self.member[1:]


# The configuration's `type` in cdk.json -> the kind.
FILESYSTEM_KINDS: Final = {
    "s3files": FileSystemKind(
        "s3FilesConfiguration",
        S3FILES_FILE_SYSTEM_ARN,
        S3FILES_ACCESS_POINT_ARN,
        MAX_S3FILES_MOUNTS,
    ),
    "efs": FileSystemKind(
        "efsConfiguration", EFS_FILE_SYSTEM_ARN, EFS_ACCESS_POINT_ARN, MAX_EFS_MOUNTS
    ),
}
# Mount targets of both kinds serve NFS on this port; the interpreter's security groups must be
# allowed to reach it.
NFS_PORT: Final = 2049


def is_custom_interpreter_id(value: str) -> bool:
    """An id of a custom interpreter (`<name>-<10 characters>`), not the built-in one."""
    return value != BUILT_IN_INTERPRETER_ID and INTERPRETER_ID.accepts(value)


@dataclass(frozen=True)
class DataPlaneRules:
    """Rules of the session API (`bedrock-agentcore`), as the agent package needs them."""

    session_name: StringRule
    session_id: StringRule
    session_timeout_seconds: tuple[int, int]
    list_sessions_page_size: tuple[int, int]
    tool_names: tuple[str, ...]


@functools.cache
def data_plane() -> DataPlaneRules:
    """The installed botocore's data-plane rules (loaded once, on first use)."""
    import botocore.loaders  # noqa: PLC0415 - only the agent side needs botocore here

    document = botocore.loaders.create_loader().load_service_model(
        DATA_PLANE_SERVICE, "service-2", DATA_PLANE_API_VERSION
    )
    model = ServiceModel(document)
    low, high = model.integer_range("StartCodeInterpreterSession", "sessionTimeoutSeconds")
    page_low, page_high = model.integer_range("ListCodeInterpreterSessions", "maxResults")
    return DataPlaneRules(
        session_name=model.string("StartCodeInterpreterSession", "name"),
        session_id=model.string("InvokeCodeInterpreter", "sessionId"),
        session_timeout_seconds=(low or 1, high or low or 1),
        list_sessions_page_size=(page_low or 1, page_high or page_low or 1),
        tool_names=model.string("InvokeCodeInterpreter", "name").enum,
    )
