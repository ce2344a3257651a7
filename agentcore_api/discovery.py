"""What each stack publishes for agent code to find its interpreter, and how it is spelled.

The stacks write these SSM parameters (under the environment's `ssm_prefix`) and stack outputs;
the agent package reads them. Both take the names from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

# Each environment's stack, where its SSM parameters live by default, where `make deploy` writes
# its outputs, and the artifact key prefix unless the environment sets one.
STACK_NAME_TEMPLATE: Final = "CodeInterpreter-{env}"
DEFAULT_SSM_PREFIX_TEMPLATE: Final = "/agentcore/{env}/code-interpreter"
DEFAULT_OUTPUTS_FILE_TEMPLATE: Final = "outputs/{env}.json"
DEFAULT_ARTIFACT_PREFIX: Final = "output_artifacts/"

# Discovery value -> SSM parameter name under the prefix, and stack output key.
SSM_PARAMETER_NAMES: Final = {
    "interpreter_id": "id",
    "interpreter_arn": "arn",
    "artifact_bucket": "artifact-bucket",
    "artifact_prefix": "artifact-prefix",
    "mounts": "mounts",
}
STACK_OUTPUT_KEYS: Final = {
    "interpreter_id": "CodeInterpreterId",
    "interpreter_arn": "CodeInterpreterArn",
    "artifact_bucket": "ArtifactBucketName",
    "artifact_prefix": "ArtifactPrefix",
    "mounts": "Mounts",
}
MOUNT_KINDS: Final = ("s3files", "efs")


@dataclass(frozen=True)
class Mount:
    """A file system mounted into every session: where, what, and whether writes are allowed."""

    path: str
    kind: str
    read_only: bool

    def describe(self) -> str:
        kind = "S3 Files" if self.kind == "s3files" else "Amazon EFS"
        return f"{self.path} ({kind}, {'read-only' if self.read_only else 'read-write'})"


def encode_mounts(mounts: tuple[Mount, ...] | list[Mount]) -> str:
    """The published form: a compact JSON list, e.g. [{"path":"/mnt/data","type":"efs",...}]."""
    return json.dumps(
        [{"path": m.path, "type": m.kind, "read_only": m.read_only} for m in mounts],
        separators=(",", ":"),
    )


def decode_mounts(text: str) -> tuple[Mount, ...]:
    """Parse the published form; ValueError saying what is wrong with it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg})") from error
    if not isinstance(document, list):
        raise ValueError("expected a JSON list of mounts")
    mounts = []
    for index, entry in enumerate(document):
        if (
            not isinstance(entry, dict)
            or set(entry) != {"path", "type", "read_only"}
            or not isinstance(entry["path"], str)
            or not entry["path"].startswith("/mnt/")
            or entry["type"] not in MOUNT_KINDS
            or not isinstance(entry["read_only"], bool)
        ):
            raise ValueError(
                f"entry {index} is not {{path: /mnt/..., type: s3files|efs, read_only: bool}}"
            )
        mounts.append(Mount(entry["path"], entry["type"], entry["read_only"]))
    return tuple(mounts)
