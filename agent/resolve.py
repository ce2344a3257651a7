"""Find the code interpreter that the CDK stack deployed for an environment.

Values are taken, field by field, from the first place that has them: explicit arguments,
environment variables, the stack's SSM parameters, then the ``cdk deploy --outputs-file`` JSON.
Every value is validated where it is found, and every error names the places that were searched,
because "interpreter not found" is useless without knowing where the tool looked.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.clients import create_ssm_client
from agent.errors import ResolutionError, error_text
from agentcore_api import constraints
from agentcore_api.discovery import (
    DEFAULT_ARTIFACT_PREFIX,
    DEFAULT_OUTPUTS_FILE_TEMPLATE,
    DEFAULT_SSM_PREFIX_TEMPLATE,
    SSM_PARAMETER_NAMES,
    STACK_NAME_TEMPLATE,
    STACK_OUTPUT_KEYS,
    Mount,
    decode_mounts,
)
from agentcore_api.resources import BUILT_IN_INTERPRETER_ID

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

# AWS's shared interpreter: accepted when named explicitly, never a fallback.
BUILTIN_INTERPRETER_ID = BUILT_IN_INTERPRETER_ID

# Splits an ARN that the model's pattern (constraints.INTERPRETER_ARN) has already accepted.
_ARN_PARTS = re.compile(
    r"arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):"
    r"(?P<kind>[^/]+)/(?P<id>.+)"
)
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_PREFIX_CHARS = re.compile(r"[A-Za-z0-9!_.*'()/=+-]*")

FIELDS = ("interpreter_id", "interpreter_arn", "artifact_bucket", "artifact_prefix")
# Published only by stacks that mount file systems: read wherever the others are read, but its
# absence is no reason to look further.
OPTIONAL_FIELDS = ("mounts",)
ENVIRONMENT_VARIABLES = {
    "interpreter_id": "CODE_INTERPRETER_ID",
    "interpreter_arn": "CODE_INTERPRETER_ARN",
    "artifact_bucket": "CODE_INTERPRETER_ARTIFACT_BUCKET",
    "artifact_prefix": "CODE_INTERPRETER_ARTIFACT_PREFIX",
    "mounts": "CODE_INTERPRETER_MOUNTS",
}
REGION_ENVIRONMENT_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")

_LABELS = {
    "interpreter_id": "code interpreter id",
    "interpreter_arn": "code interpreter ARN",
    "artifact_bucket": "artifact bucket name",
    "artifact_prefix": "artifact prefix",
    "mounts": "file system mounts",
    "region": "region",
}
NOT_FOUND = "not found"
REGION_HINT = "pass --region or set AWS_REGION"


@dataclass(frozen=True)
class ValueSources:
    """Where each resolved value came from, e.g. ``SSM parameter /agentcore/dev/.../id``."""

    interpreter_id: str
    interpreter_arn: str
    artifact_bucket: str
    artifact_prefix: str
    region: str
    mounts: str = NOT_FOUND


@dataclass(frozen=True)
class InterpreterConfig:
    """A validated description of one deployed code interpreter."""

    env: str
    interpreter_id: str
    interpreter_arn: str | None
    artifact_bucket: str | None
    artifact_prefix: str
    region: str
    sources: ValueSources
    searched: tuple[str, ...]
    # File systems mounted into every session: where an agent should look for data first.
    mounts: tuple[Mount, ...] = ()

    def require_artifact_bucket(self) -> str:
        """The artifact bucket, or a ResolutionError naming where it was looked for."""
        if self.artifact_bucket is None:
            raise ResolutionError(
                _not_found_message("artifact_bucket", self.env, self.searched)
                + "\nPass --artifact-bucket or set CODE_INTERPRETER_ARTIFACT_BUCKET."
            )
        return self.artifact_bucket

    def describe(self) -> str:
        """One line per value with its origin, for CLI output and logs."""
        rows = [
            ("interpreter id", self.interpreter_id, self.sources.interpreter_id),
            ("interpreter ARN", self.interpreter_arn or "-", self.sources.interpreter_arn),
            ("artifact bucket", self.artifact_bucket or "-", self.sources.artifact_bucket),
            (
                "artifact prefix",
                self.artifact_prefix or "(bucket root)",
                self.sources.artifact_prefix,
            ),
            ("region", self.region, self.sources.region),
            (
                "mounts",
                "; ".join(mount.describe() for mount in self.mounts) or "none",
                self.sources.mounts,
            ),
        ]
        return "\n".join(f"{label:<16} {value}  [{source}]" for label, value, source in rows)


@dataclass(frozen=True)
class _Found:
    value: str
    source: str


def default_ssm_prefix(env: str) -> str:
    return DEFAULT_SSM_PREFIX_TEMPLATE.format(env=env)


def default_outputs_file(env: str) -> Path:
    return Path(DEFAULT_OUTPUTS_FILE_TEMPLATE.format(env=env))


def stack_name(env: str) -> str:
    return STACK_NAME_TEMPLATE.format(env=env)


def region_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The region named by AWS_REGION or AWS_DEFAULT_REGION, with the variable's name."""
    environ = os.environ if environ is None else environ
    for variable in REGION_ENVIRONMENT_VARIABLES:
        if environ.get(variable):
            return environ[variable], f"environment variable {variable}"
    return None


def resolve(
    env: str = "dev",
    *,
    interpreter_id: str | None = None,
    interpreter_arn: str | None = None,
    artifact_bucket: str | None = None,
    artifact_prefix: str | None = None,
    region: str | None = None,
    ssm_prefix: str | None = None,
    outputs_file: str | os.PathLike[str] | None = None,
    ssm_client: SSMClient | Callable[[str], SSMClient] | None = None,
    use_ssm: bool = True,
    environ: Mapping[str, str] | None = None,
) -> InterpreterConfig:
    """Resolve the code interpreter of environment ``env``.

    ``ssm_client`` is a client, or a function returning one for a region, called only when SSM
    is actually read (when arguments and environment variables leave a value open), with the
    region known by then. Without either, a client is created in that region. ``use_ssm=False``
    leaves SSM out; the places searched still list it, with the reason.

    Raises ResolutionError when the id (or the region) cannot be found, or when any value
    found is malformed or contradicts another (an ARN for a different id or region).
    """
    if not _ENV_NAME.fullmatch(env):
        raise ResolutionError(
            f"Invalid environment name {env!r}: use letters, digits, '-' or '_' (e.g. dev)."
        )
    environ = os.environ if environ is None else environ
    prefix = _normalise_ssm_prefix(
        ssm_prefix if ssm_prefix is not None else default_ssm_prefix(env)
    )
    outputs_path = Path(outputs_file) if outputs_file is not None else default_outputs_file(env)

    region_found = _initial_region(region, environ, ssm_client)
    found, searched = _collect(
        {
            "interpreter_id": interpreter_id,
            "interpreter_arn": interpreter_arn,
            "artifact_bucket": artifact_bucket,
            "artifact_prefix": artifact_prefix,
        },
        environ,
        ssm=_SsmLookup(ssm_client, prefix, region_found.value if region_found else None, use_ssm),
        outputs=(outputs_path, env),
    )
    if "interpreter_id" not in found:
        raise ResolutionError(
            _not_found_message("interpreter_id", env, searched)
            + f"\nDeploy the stack (make deploy ENV={env}) or pass --interpreter-id."
        )
    region_found = _final_region(env, region_found, found)

    prefix_item = found.get("artifact_prefix", _Found(DEFAULT_ARTIFACT_PREFIX, "default"))
    return InterpreterConfig(
        env=env,
        interpreter_id=found["interpreter_id"].value,
        interpreter_arn=found["interpreter_arn"].value if "interpreter_arn" in found else None,
        artifact_bucket=found["artifact_bucket"].value if "artifact_bucket" in found else None,
        artifact_prefix=normalise_artifact_prefix(prefix_item.value),
        region=region_found.value,
        mounts=decode_mounts(found["mounts"].value) if "mounts" in found else (),
        sources=ValueSources(
            interpreter_id=found["interpreter_id"].source,
            interpreter_arn=_source_or_not_found(found, "interpreter_arn"),
            artifact_bucket=_source_or_not_found(found, "artifact_bucket"),
            artifact_prefix=prefix_item.source,
            region=region_found.source,
            mounts=_source_or_not_found(found, "mounts"),
        ),
        searched=searched,
    )


@dataclass(frozen=True)
class _SsmLookup:
    client: SSMClient | Callable[[str], SSMClient] | None
    prefix: str
    region: str | None
    enabled: bool

    def get_client(self, region: str) -> SSMClient:
        if self.client is None:
            return create_ssm_client(region)
        if callable(self.client):
            return self.client(region)
        return self.client


def _collect(
    explicit: Mapping[str, str | None],
    environ: Mapping[str, str],
    *,
    ssm: _SsmLookup,
    outputs: tuple[Path, str],
) -> tuple[dict[str, _Found], tuple[str, ...]]:
    """Gather each field from the first source that has it, validating as it goes."""
    found: dict[str, _Found] = {}
    searched: list[str] = []

    given = [field for field, value in explicit.items() if value is not None]
    for field in given:
        found[field] = _Found(str(explicit[field]), "argument")
    searched.append(f"arguments ({', '.join(given) if given else 'none given'})")

    env_hits = []
    for field in (*FIELDS, *OPTIONAL_FIELDS):
        variable = ENVIRONMENT_VARIABLES[field]
        if field not in found and environ.get(variable):
            found[field] = _Found(environ[variable], f"environment variable {variable}")
            env_hits.append(variable)
    searched.append(
        "environment variables "
        + ", ".join(ENVIRONMENT_VARIABLES[f] for f in (*FIELDS, *OPTIONAL_FIELDS))
        + f" ({'set: ' + ', '.join(env_hits) if env_hits else 'none set'})"
    )

    # SSM is always listed, so that a missing value never hides a lookup that did not run.
    ssm_place = f"SSM parameters under {ssm.prefix}"
    if not _missing(found):
        searched.append(f"{ssm_place} (skipped: every value was already found)")
    elif not ssm.enabled:
        searched.append(f"{ssm_place} (skipped: SSM lookup turned off by the caller)")
    elif ssm.region is None:
        searched.append(f"{ssm_place} (skipped: no region: {REGION_HINT})")
    else:
        searched.append(_read_ssm(ssm.get_client(ssm.region), ssm.prefix, ssm.region, found))

    if _missing(found):
        searched.append(_read_outputs_file(*outputs, found))
    else:
        searched.append(f"outputs file {outputs[0]} (skipped: every value was already found)")

    for field, item in found.items():
        _validate(field, item)
    return found, tuple(searched)


def _final_region(env: str, region_found: _Found | None, found: Mapping[str, _Found]) -> _Found:
    """The region to use, checked against the interpreter's ARN when there is one."""
    arn = found.get("interpreter_arn")
    arn_match = _parse_arn(arn) if arn is not None else None
    if arn is not None and arn_match is not None:
        _check_arn_matches_id(arn_match, arn, found["interpreter_id"])
        if region_found is None:
            region_found = _Found(arn_match["region"], f"region of ARN ({arn.source})")
    if region_found is None:
        raise ResolutionError(
            f"No AWS region for environment {env!r}. Looked in: --region, "
            + ", ".join(REGION_ENVIRONMENT_VARIABLES)
            + f", the AWS config profile, and the interpreter ARN: {REGION_HINT}."
        )
    _validate("region", region_found)
    if arn is not None and arn_match is not None and arn_match["region"] != region_found.value:
        raise ResolutionError(
            f"The code interpreter ARN {arn.value} (from {arn.source}) is in region "
            f"{arn_match['region']}, but the region is {region_found.value} "
            f"(from {region_found.source}). Pass --region {arn_match['region']}."
        )
    return region_found


def normalise_artifact_prefix(prefix: str) -> str:
    """``output_artifacts`` and ``output_artifacts/`` mean the same folder; ``""`` is the root."""
    stripped = prefix.strip("/")
    return f"{stripped}/" if stripped else ""


def _missing(found: Mapping[str, _Found]) -> bool:
    return any(field not in found for field in FIELDS)


def _source_or_not_found(found: Mapping[str, _Found], field: str) -> str:
    return found[field].source if field in found else NOT_FOUND


def _initial_region(
    region: str | None,
    environ: Mapping[str, str],
    ssm_client: SSMClient | Callable[[str], SSMClient] | None,
) -> _Found | None:
    if region:
        return _Found(region, "argument")
    from_environment = region_from_environment(environ)
    if from_environment is not None:
        return _Found(*from_environment)
    client_meta = getattr(ssm_client, "meta", None)
    if client_meta is not None:
        return _Found(client_meta.region_name, "region of the SSM client")
    profile_region = profile_region_name()
    if profile_region:
        return _Found(profile_region, "AWS config profile")
    return None


def _normalise_ssm_prefix(prefix: str) -> str:
    cleaned = prefix.rstrip("/")
    if not cleaned.startswith("/") or "//" in cleaned or len(cleaned) < 2:
        raise ResolutionError(
            f"Invalid SSM prefix {prefix!r}: expected an absolute path such as "
            f"{default_ssm_prefix('dev')}."
        )
    return cleaned


def profile_region_name() -> str | None:
    """The region of the AWS config profile, if any (imports boto3, so asked last)."""
    import boto3  # noqa: PLC0415 - only needed when no region was given

    return boto3.Session().region_name


def _read_ssm(client: SSMClient, prefix: str, region: str, found: dict[str, _Found]) -> str:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - with the client

    wanted = {
        f"{prefix}/{SSM_PARAMETER_NAMES[f]}": f
        for f in (*FIELDS, *OPTIONAL_FIELDS)
        if f not in found
    }
    place = f"SSM parameters under {prefix} in {region}"
    try:
        response = client.get_parameters(Names=list(wanted), WithDecryption=False)
    except ClientError as error:
        return f"{place} (failed: {error_text(error)})"
    except BotoCoreError as error:
        return f"{place} (failed: {error})"
    hits = []
    for parameter in response.get("Parameters", []):
        name = parameter.get("Name", "")
        if name in wanted and "Value" in parameter:
            found[wanted[name]] = _Found(parameter["Value"], f"SSM parameter {name}")
            hits.append(SSM_PARAMETER_NAMES[wanted[name]])
    misses = [
        SSM_PARAMETER_NAMES[f]
        for f in wanted.values()
        if f not in found and f not in OPTIONAL_FIELDS
    ]
    summary = []
    if hits:
        summary.append("found: " + ", ".join(hits))
    if misses:
        summary.append("not found: " + ", ".join(misses))
    return f"{place} ({'; '.join(summary)})"


def _read_outputs_file(path: Path, env: str, found: dict[str, _Found]) -> str:
    place = f"outputs file {path}"
    if not path.is_file():
        return f"{place} (no such file)"
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResolutionError(f"Malformed outputs file {path}: {error}") from error
    if not isinstance(document, dict):
        raise ResolutionError(
            f"Malformed outputs file {path}: expected a JSON object keyed by stack name."
        )
    stack = stack_name(env)
    outputs = document.get(stack)
    if outputs is None:
        stacks = ", ".join(sorted(str(key) for key in document)) or "none"
        return f"{place} (no {stack} stack; stacks in file: {stacks})"
    if not isinstance(outputs, dict):
        raise ResolutionError(f"Malformed outputs file {path}: {stack} is not a JSON object.")
    hits = []
    for field in (*FIELDS, *OPTIONAL_FIELDS):
        key = STACK_OUTPUT_KEYS[field]
        if field in found or key not in outputs:
            continue
        value = outputs[key]
        if not isinstance(value, str):
            raise ResolutionError(
                f"Malformed {_LABELS[field]} in outputs file {path}: {stack}.{key} is not a string."
            )
        found[field] = _Found(value, f"outputs file {path} ({stack}.{key})")
        hits.append(key)
    return f"{place} ({'found: ' + ', '.join(hits) if hits else 'no usable outputs'})"


def _validate(field: str, item: _Found) -> None:
    problem = _problem(field, item.value)
    if problem is not None:
        raise ResolutionError(
            f"Malformed {_LABELS[field]} {item.value!r} from {item.source}: {problem}."
        )


def _problem(field: str, value: str) -> str | None:
    checks: dict[str, Callable[[str], str | None]] = {
        "interpreter_id": _interpreter_id_problem,
        "interpreter_arn": _arn_problem,
        "artifact_bucket": bucket_name_problem,
        "artifact_prefix": _prefix_problem,
        "mounts": _mounts_problem,
        "region": _region_problem,
    }
    return checks[field](value)


def _mounts_problem(value: str) -> str | None:
    try:
        decode_mounts(value)
    except ValueError as error:
        return f"expected the JSON list the stack publishes: {error}"
    return None


def _interpreter_id_problem(value: str) -> str | None:
    problem = constraints.INTERPRETER_ID.problem(value)
    if problem is None:
        return None
    return f"expected <name>-<10 letters or digits> or {BUILT_IN_INTERPRETER_ID}, i.e. {problem}"


def _arn_problem(value: str) -> str | None:
    problem = constraints.INTERPRETER_ARN.problem(value)
    if problem is None and _ARN_PARTS.fullmatch(value):
        return None
    return (
        "expected arn:<partition>:bedrock-agentcore:<region>:<account>:code-interpreter-custom/<id>"
        f", i.e. {problem or 'an ARN'}"
    )


def _region_problem(value: str) -> str | None:
    return None if _REGION.fullmatch(value) else "expected a region code such as us-east-1"


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid general-purpose S3 bucket name, or None if it is."""
    if not 3 <= len(name) <= 63:
        return "a bucket name has 3 to 63 characters"
    if not _BUCKET.fullmatch(name):
        return (
            "a bucket name uses lowercase letters, digits, '.' and '-', "
            "and starts and ends with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "a bucket name has no adjacent periods or period-hyphen pairs"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "a bucket name is not an IP address"
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or name.endswith(
        ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")
    ):
        return "the name uses a prefix or suffix that S3 reserves"
    return None


def _prefix_problem(prefix: str) -> str | None:
    if len(prefix) > 512:
        return "a prefix has at most 512 characters"
    if not _PREFIX_CHARS.fullmatch(prefix):
        return "use letters, digits and the characters / ! _ . * ' ( ) = + -"
    if any(part in {".", ".."} for part in prefix.strip("/").split("/")):
        return "a prefix has no '.' or '..' segments"
    if "//" in prefix.strip("/"):
        return "a prefix has no empty segments"
    return None


def _parse_arn(arn: _Found) -> re.Match[str]:
    _validate("interpreter_arn", arn)
    match = _ARN_PARTS.fullmatch(arn.value)
    if match is None:
        raise ResolutionError(f"Malformed code interpreter ARN {arn.value!r} from {arn.source}.")
    return match


def _check_arn_matches_id(arn_match: re.Match[str], arn: _Found, interpreter_id: _Found) -> None:
    if arn_match["id"] != interpreter_id.value:
        raise ResolutionError(
            f"The code interpreter ARN {arn.value} (from {arn.source}) names interpreter "
            f"{arn_match['id']}, but the id is {interpreter_id.value} "
            f"(from {interpreter_id.source}). Set both from the same deployment."
        )


def _not_found_message(field: str, env: str, searched: tuple[str, ...]) -> str:
    places = "\n".join(f"  - {place}" for place in searched)
    return f"No {_LABELS[field]} found for environment {env!r}. Looked in:\n{places}"
