"""Per-environment configuration, parsed from the `environments` entry of the CDK context.

Everything a stack needs is read and validated here, before any construct exists, so that a typo
in `cdk.json` fails synth with a message naming the environment, the field, the bad value and what
is allowed, instead of surfacing as a CloudFormation error halfway through a deployment.
Constructs receive the frozen dataclasses below and never read context or environment variables.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from agentcore_api import constraints
from agentcore_api.discovery import (
    DEFAULT_ARTIFACT_PREFIX,
    DEFAULT_SSM_PREFIX_TEMPLATE,
    STACK_NAME_TEMPLATE,
)
from agentcore_api.model import StringRule
from agentcore_api.resources import (
    STACK_TAG_KEY,
    arn_region_and_account,
    s3files_file_system_of_access_point,
)
from stacks.monitoring_config import DEFAULT_MONITORING, MonitoringSettings, parse_monitoring

ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}", re.ASCII)
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}", re.ASCII)
# Stricter than the API (which takes 8-17 letters or digits): EC2 ids are `subnet-`/`sg-` and
# 8 (older) or 17 lowercase hexadecimal digits, so a typo fails here instead of minutes into
# a deployment.
SUBNET_ID = re.compile(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})", re.ASCII)
SECURITY_GROUP_ID = re.compile(r"sg-([0-9a-f]{8}|[0-9a-f]{17})", re.ASCII)
# S3 key characters that need no escaping anywhere (shell, IAM resource ARNs, URLs).
ARTIFACT_PREFIX = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/", re.ASCII)
SSM_PREFIX = re.compile(r"(/[A-Za-z0-9_.-]+)+", re.ASCII)
ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
MAX_AGENT_ROLES = 10
# A key's ARN, not an alias's: IAM evaluates kms:Decrypt against the key the secret uses.
KMS_KEY_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,64}", re.ASCII
)
MAX_CERTIFICATE_KEYS = 10
# Stricter than the API's tag pattern, whose \s also takes tabs and line breaks: spaces only.
TAG_TEXT = re.compile(r"[A-Za-z0-9 _.:/=+@-]*", re.ASCII)
MAX_RETENTION_DAYS = 3650
MAX_SSM_PREFIX_LENGTH = 900
DEFAULT_RETENTION_DAYS = 30


class NetworkMode(StrEnum):
    SANDBOX = "SANDBOX"
    PUBLIC = "PUBLIC"
    VPC = "VPC"


class MountKind(StrEnum):
    """The file systems CreateCodeInterpreter can mount (its union's two members)."""

    S3FILES = "s3files"
    EFS = "efs"


class RemovalChoice(StrEnum):
    RETAIN = "retain"
    DESTROY = "destroy"


class ConfigError(ValueError):
    """Raised with every problem found, one per line, so a user fixes them all in one pass."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True, kw_only=True)
class VpcSettings:
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FileSystemMount:
    """An S3 Files or EFS access point mounted into every session of the interpreter."""

    kind: MountKind
    file_system_arn: str
    access_point_arn: str
    mount_path: str
    read_only: bool = False


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    name: str
    account: str | None
    region: str | None
    network_mode: NetworkMode
    vpc: VpcSettings | None
    interpreter_name: str
    description: str | None
    artifact_prefix: str
    artifact_retention_days: int
    removal_policy: RemovalChoice
    termination_protection: bool
    tags: tuple[tuple[str, str], ...]
    ssm_prefix: str
    artifact_kms: bool = False
    force_destroy: bool = False
    # None: `monitoring: false` (no alarms, topic or dashboard).
    monitoring: MonitoringSettings | None = DEFAULT_MONITORING
    agent_role_arns: tuple[str, ...] = ()
    certificate_secret_arns: tuple[str, ...] = ()
    certificate_kms_key_arns: tuple[str, ...] = ()
    filesystems: tuple[FileSystemMount, ...] = ()

    @property
    def stack_name(self) -> str:
        return STACK_NAME_TEMPLATE.format(env=self.name)


def default_interpreter_name(environment: str) -> str:
    return "codeinterpreter_" + environment.replace("-", "_")


def default_ssm_prefix(environment: str) -> str:
    return DEFAULT_SSM_PREFIX_TEMPLATE.format(env=environment)


def load_environments(
    environments: object, *, selected: object = None
) -> tuple[EnvironmentConfig, ...]:
    """Parse the `environments` context value; return the selected one, or all of them.

    Raises ConfigError listing every problem in every environment that would be synthesized.
    """
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError(
            [
                f"context 'environments': got {show_value(environments)}; allowed: a non-empty"
                " map of environment name to settings in cdk.json"
            ]
        )
    if selected is not None:
        if not isinstance(selected, str) or selected not in environments:
            names = sorted(map(str, environments))
            close = difflib.get_close_matches(str(selected), names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                [
                    f"context 'env': got {show_value(selected)}{hint}; allowed: one of "
                    f"{', '.join(names)}; to add an environment, add it under"
                    " context.environments in cdk.json"
                ]
            )
        environments = {selected: environments[selected]}

    problems: list[str] = []
    configs: list[EnvironmentConfig] = []
    for name, settings in environments.items():
        if not isinstance(name, str) or not ENVIRONMENT_NAME.fullmatch(name):
            problems.append(
                f"environment {show_value(name)}: the name is not allowed; allowed: lowercase"
                " letters, digits and hyphens, starting with a letter, at most 32 characters"
            )
            continue
        reader = _SettingsReader(name, settings, problems)
        config = _parse_environment(reader)
        if config is not None and not reader.failed:
            configs.append(config)
    if problems:
        raise ConfigError(problems)
    return tuple(configs)


_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)

_KNOWN_KEYS = (
    "account",
    "region",
    "network_mode",
    "vpc",
    "interpreter_name",
    "description",
    "artifact_prefix",
    "artifact_retention_days",
    "removal_policy",
    "termination_protection",
    "tags",
    "ssm_prefix",
    "monitoring",
    "artifact_kms",
    "force_destroy",
    "agent_role_arns",
    "certificate_secret_arns",
    "certificate_kms_key_arns",
    "filesystems",
)
# Environments whose data is kept unless `force_destroy` says otherwise, whatever their other
# settings: losing production artifacts by a copy-pasted `destroy` is not recoverable.
PROTECTED_ENVIRONMENT_NAMES = frozenset({"prod", "production"})
_VPC_KEYS = ("subnet_ids", "security_group_ids")
# Keys an earlier version accepted, and what to tell a user whose cdk.json still has them.
_RETIRED_VPC_KEYS = {
    "require_service_s3_endpoint": (
        f"nothing: {constraints.AGENT_RUNTIME_ONLY_REASON}; remove vpc.require_service_s3_endpoint"
    ),
}


class _SettingsReader:
    """Reads typed values out of one environment's settings, collecting problems as it goes."""

    def __init__(self, environment: str, settings: object, problems: list[str]) -> None:
        self.environment = environment
        self.problems = problems
        self._first_problem = len(problems)
        self._failed_fields: set[str] = set()
        if isinstance(settings, Mapping):
            self.settings: Mapping[str, Any] = settings
        else:
            self.settings = {}
            self.problem("", settings, "a map of settings")

    @property
    def failed(self) -> bool:
        return len(self.problems) > self._first_problem

    def problem(self, field: str, value: object, allowed: str) -> None:
        where = f"environment '{self.environment}'" + (f": field '{field}'" if field else "")
        self.problems.append(f"{where}: got {show_value(value)}; allowed: {allowed}")
        self._failed_fields.add(field)

    def failed_on(self, field: str) -> bool:
        return field in self._failed_fields

    def id_list(
        self,
        field: str,
        convert_item: Callable[[object], str | None],
        limit: int,
        item_allowed: str,
        *,
        settings: Mapping[str, Any] | None = None,
        label: str | None = None,
    ) -> tuple[str, ...]:
        """A list of 1-`limit` distinct strings; a bad entry is reported by its index."""
        source = self.settings if settings is None else settings
        name = label or field
        if field not in source:
            return ()
        raw = source[field]
        if not isinstance(raw, list) or not 1 <= len(raw) <= limit:
            self.problem(name, raw, f"a list of 1-{limit} distinct entries, each {item_allowed}")
            return ()
        items: list[str] = []
        for index, item in enumerate(raw):
            converted = convert_item(item)
            if converted is None:
                self.problem(f"{name}[{index}]", item, item_allowed)
            elif converted in items:
                self.problem(
                    f"{name}[{index}]",
                    item,
                    f"distinct entries; it repeats {name}[{items.index(converted)}], remove one",
                )
            else:
                items.append(converted)
        return tuple(items) if len(items) == len(raw) else ()

    def reject_unknown_keys(
        self, settings: Mapping[str, Any], known: Sequence[str], at: str
    ) -> None:
        for key in settings:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.problem(f"{at}{key}", settings[key], f"known keys are {', '.join(known)}{hint}")

    def value(
        self,
        field: str,
        default: _T,
        convert: Callable[[object], _T | None],
        allowed: str,
        *,
        settings: Mapping[str, Any] | None = None,
        label: str | None = None,
    ) -> _T:
        """Return the converted value of `field`, or `default` when absent.

        `convert` returns None for a value it rejects; the problem is then recorded.
        """
        source = self.settings if settings is None else settings
        if field not in source:
            return default
        raw = source[field]
        converted = convert(raw)
        if converted is None:
            self.problem(label or field, raw, allowed)
            return default
        return converted


def _matching(
    pattern: re.Pattern[str], max_length: int | None = None
) -> Callable[[object], str | None]:
    def convert(raw: object) -> str | None:
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            return None
        if max_length is not None and len(raw) > max_length:
            return None
        return raw

    return convert


def _strict_bool(raw: object) -> bool | None:
    return raw if isinstance(raw, bool) else None


def _int_between(low: int, high: int) -> Callable[[object], int | None]:
    def convert(raw: object) -> int | None:
        # bool is an int subclass: `true` must not pass as 1 day.
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            return None
        return raw

    return convert


def _one_of(enum: type[_E]) -> Callable[[object], _E | None]:
    def convert(raw: object) -> _E | None:
        return enum(raw) if isinstance(raw, str) and raw in enum._value2member_map_ else None

    return convert


def _accepted_by(rule: StringRule) -> Callable[[object], str | None]:
    """A value the API itself accepts (its model's pattern, length and enum)."""

    def convert(raw: object) -> str | None:
        return raw if isinstance(raw, str) and rule.accepts(raw) else None

    return convert


def _parse_environment(reader: _SettingsReader) -> EnvironmentConfig | None:
    env = reader.environment
    reader.reject_unknown_keys(reader.settings, _KNOWN_KEYS, at="")

    account = reader.value(
        "account", None, _matching(ACCOUNT_ID), "a 12-digit AWS account id, or omit it"
    )
    region = reader.value(
        "region", None, _matching(REGION), "an AWS region name such as us-east-1, or omit it"
    )
    network_mode: NetworkMode = reader.value(
        "network_mode",
        NetworkMode.SANDBOX,
        _one_of(NetworkMode),
        "one of SANDBOX, PUBLIC, VPC (upper case)",
    )
    # A network mode that was not understood is one problem: the vpc block and the file
    # systems are judged only against a mode that was.
    understood_mode = None if reader.failed_on("network_mode") else network_mode
    vpc = None if understood_mode is None else _parse_vpc(reader, understood_mode)
    interpreter_name = reader.value(
        "interpreter_name",
        default_interpreter_name(env),
        _accepted_by(constraints.INTERPRETER_NAME),
        f"1-{constraints.MAX_INTERPRETER_NAME_LENGTH} characters: a letter, then letters, digits"
        " or underscores (no hyphens or spaces)",
    )
    description = reader.value(
        "description",
        None,
        _accepted_by(constraints.DESCRIPTION),
        f"a string of {constraints.DESCRIPTION.length_text()} characters, or omit it",
    )
    artifact_prefix = reader.value(
        "artifact_prefix",
        DEFAULT_ARTIFACT_PREFIX,
        _matching(ARTIFACT_PREFIX, max_length=200),
        "an S3 key prefix ending in '/', not starting with '/', of letters, digits, '_', '.',"
        " '-' and '/' (at most 200 characters)",
    )
    retention = reader.value(
        "artifact_retention_days",
        DEFAULT_RETENTION_DAYS,
        _int_between(1, MAX_RETENTION_DAYS),
        f"a whole number of days from 1 to {MAX_RETENTION_DAYS}",
    )
    removal_policy: RemovalChoice = reader.value(
        "removal_policy", RemovalChoice.RETAIN, _one_of(RemovalChoice), "'retain' or 'destroy'"
    )
    termination_protection = reader.value(
        "termination_protection", False, _strict_bool, "true or false"
    )
    tags = _parse_tags(reader)
    monitoring = parse_monitoring(reader, account=account, region=region)
    ssm_prefix = reader.value(
        "ssm_prefix",
        default_ssm_prefix(env),
        _matching(SSM_PREFIX, max_length=MAX_SSM_PREFIX_LENGTH),
        "a parameter path starting with '/', not ending with '/', of letters, digits, '_', '.'"
        " and '-' segments",
    )
    if ssm_prefix.lower().startswith(("/aws", "/ssm")):
        reader.problem("ssm_prefix", ssm_prefix, "a path that does not start with /aws or /ssm")
    artifact_kms = reader.value("artifact_kms", False, _strict_bool, "true or false")
    force_destroy = reader.value("force_destroy", False, _strict_bool, "true or false")
    agent_role_arns = reader.id_list(
        "agent_role_arns",
        _matching(ROLE_ARN),
        MAX_AGENT_ROLES,
        "an IAM role ARN like arn:aws:iam::123456789012:role/agent",
    )
    certificate_secret_arns = reader.id_list(
        "certificate_secret_arns",
        _accepted_by(constraints.CERTIFICATE_SECRET_ARN),
        constraints.CERTIFICATES.max_items or 1,
        "the ARN of a Secrets Manager secret holding a CA certificate, like"
        " arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf",
    )
    certificate_kms_key_arns = reader.id_list(
        "certificate_kms_key_arns",
        _matching(KMS_KEY_ARN),
        MAX_CERTIFICATE_KEYS,
        "the ARN of a KMS key (not an alias) that encrypts one of those secrets, like"
        " arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    if certificate_kms_key_arns and not certificate_secret_arns:
        reader.problem(
            "certificate_kms_key_arns",
            list(certificate_kms_key_arns),
            "keys only together with certificate_secret_arns (they decrypt those secrets);"
            " add the secrets or remove the keys",
        )
    filesystems = _parse_filesystems(reader, understood_mode, account, region)
    protected = termination_protection or env in PROTECTED_ENVIRONMENT_NAMES
    if removal_policy is RemovalChoice.DESTROY and protected and not force_destroy:
        reader.problem(
            "removal_policy",
            removal_policy.value,
            "'retain' in a protected environment (named prod/production or with"
            " termination_protection); set force_destroy: true to really allow 'destroy'",
        )

    if reader.failed:
        return None
    return EnvironmentConfig(
        name=env,
        account=account,
        region=region,
        network_mode=network_mode,
        vpc=vpc,
        interpreter_name=interpreter_name,
        description=description,
        artifact_prefix=artifact_prefix,
        artifact_retention_days=retention,
        removal_policy=removal_policy,
        termination_protection=termination_protection,
        tags=tags,
        ssm_prefix=ssm_prefix,
        artifact_kms=artifact_kms,
        force_destroy=force_destroy,
        monitoring=monitoring,
        agent_role_arns=agent_role_arns,
        certificate_secret_arns=certificate_secret_arns,
        certificate_kms_key_arns=certificate_kms_key_arns,
        filesystems=filesystems,
    )


def _parse_vpc(reader: _SettingsReader, network_mode: NetworkMode) -> VpcSettings | None:
    raw = reader.settings.get("vpc")
    if network_mode is not NetworkMode.VPC:
        if raw is not None:
            reader.problem(
                "vpc",
                raw,
                f"no 'vpc' settings unless network_mode is VPC (it is {network_mode.value}); set"
                " network_mode to VPC, or remove 'vpc'",
            )
        return None
    if not isinstance(raw, Mapping):
        reader.problem(
            "vpc",
            raw,
            "a map with subnet_ids and security_group_ids, required when network_mode is VPC",
        )
        return None
    for key, advice in _RETIRED_VPC_KEYS.items():
        if key in raw:
            reader.problem(f"vpc.{key}", raw[key], advice)
    reader.reject_unknown_keys(
        {key: value for key, value in raw.items() if key not in _RETIRED_VPC_KEYS},
        _VPC_KEYS,
        at="vpc.",
    )
    for required in _VPC_KEYS:
        if required not in raw:
            reader.problem(f"vpc.{required}", None, "a list of ids, required in VPC mode")
    subnet_ids = reader.id_list(
        "subnet_ids",
        _matching(SUBNET_ID),
        constraints.SUBNETS.max_items or 1,
        "a subnet id: 'subnet-' and 8 or 17 lowercase hexadecimal digits, like"
        " subnet-0123456789abcdef0",
        settings=raw,
        label="vpc.subnet_ids",
    )
    security_group_ids = reader.id_list(
        "security_group_ids",
        _matching(SECURITY_GROUP_ID),
        constraints.SECURITY_GROUPS.max_items or 1,
        "a security group id: 'sg-' and 8 or 17 lowercase hexadecimal digits, like"
        " sg-0123456789abcdef0",
        settings=raw,
        label="vpc.security_group_ids",
    )
    return VpcSettings(subnet_ids=subnet_ids, security_group_ids=security_group_ids)


_MOUNT_KEYS = ("type", "file_system_arn", "access_point_arn", "mount_path", "read_only")
# What an ARN of each kind looks like, for messages; the rules are constraints.FILESYSTEM_KINDS.
_MOUNT_EXAMPLES = {
    MountKind.S3FILES: (
        "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0",
        "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0/access-point/"
        "fsap-0123456789abcdef0",
    ),
    MountKind.EFS: (
        "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123abcd",
        "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0",
    ),
}


def _parse_filesystems(
    reader: _SettingsReader,
    network_mode: NetworkMode | None,
    account: str | None,
    region: str | None,
) -> tuple[FileSystemMount, ...]:
    """`filesystems`: what AWS documents for filesystemConfigurations, checked at synth. A
    network mode of None (not understood, already reported) is not held against them."""
    raw = reader.settings.get("filesystems")
    if raw is None:
        return ()
    limit = constraints.MAX_S3FILES_MOUNTS + constraints.MAX_EFS_MOUNTS
    if not isinstance(raw, list) or not 1 <= len(raw) <= limit:
        reader.problem(
            "filesystems",
            raw,
            f"a list of 1-{limit} mounts (at most {constraints.MAX_S3FILES_MOUNTS} S3 Files and"
            f" {constraints.MAX_EFS_MOUNTS} EFS), each a map with {', '.join(_MOUNT_KEYS)}",
        )
        return ()
    if network_mode is not None and network_mode is not NetworkMode.VPC:
        reader.problem(
            "filesystems",
            f"{len(raw)} mount(s) with network_mode {network_mode.value}",
            "file systems only in VPC mode (the API mounts them through your subnets): set"
            " network_mode to VPC with a vpc block, or remove 'filesystems'",
        )
        return ()
    mounts = [
        mount
        for index, entry in enumerate(raw)
        if (mount := _parse_mount(reader, f"filesystems[{index}]", entry, account, region))
    ]
    for kind in MountKind:
        maximum = constraints.FILESYSTEM_KINDS[kind.value].max_mounts
        count = sum(mount.kind is kind for mount in mounts)
        if count > maximum:
            reader.problem(
                "filesystems",
                f"{count} mounts of type {kind.value}",
                f"at most {maximum} of type {kind.value} (the API's documented limit); remove"
                f" {count - maximum}",
            )
    seen: dict[str, int] = {}
    for index, mount in enumerate(mounts):
        path = mount.mount_path.rstrip("/")
        if path in seen:
            reader.problem(
                f"filesystems[{index}].mount_path",
                mount.mount_path,
                f"a path no other mount uses; filesystems[{seen[path]}] mounts there already",
            )
        seen.setdefault(path, index)
    return tuple(mounts) if len(mounts) == len(raw) else ()


def _parse_mount(
    reader: _SettingsReader, at: str, entry: object, account: str | None, region: str | None
) -> FileSystemMount | None:
    if not isinstance(entry, Mapping):
        reader.problem(at, entry, f"a map with {', '.join(_MOUNT_KEYS)}")
        return None
    failed_before = len(reader.problems)
    reader.reject_unknown_keys(entry, _MOUNT_KEYS, at=f"{at}.")
    for required in ("type", "file_system_arn", "access_point_arn", "mount_path"):
        if required not in entry:
            reader.problem(f"{at}.{required}", None, "a value (required)")
    kind = reader.value(
        "type", None, _one_of(MountKind), "'s3files' or 'efs'", settings=entry, label=f"{at}.type"
    )
    mount_path = reader.value(
        "mount_path",
        "",
        _accepted_by(constraints.MOUNT_PATH),
        f"a path under /mnt/ of letters, digits, '.', '_' and '-', like /mnt/data"
        f" ({constraints.MOUNT_PATH.length_text()} characters)",
        settings=entry,
        label=f"{at}.mount_path",
    )
    read_only = reader.value(
        "read_only", False, _strict_bool, "true or false", settings=entry, label=f"{at}.read_only"
    )
    if kind is None:
        return None
    rules = constraints.FILESYSTEM_KINDS[kind.value]
    file_system_example, access_point_example = _MOUNT_EXAMPLES[kind]
    file_system_arn, access_point_arn = (
        reader.value(
            field,
            "",
            _accepted_by(rule),
            f"the ARN of a {kind.value} {what}, like {example}",
            settings=entry,
            label=f"{at}.{field}",
        )
        for field, rule, what, example in (
            ("file_system_arn", rules.file_system_arn, "file system", file_system_example),
            ("access_point_arn", rules.access_point_arn, "access point", access_point_example),
        )
    )
    if len(reader.problems) > failed_before:
        return None
    if kind is MountKind.S3FILES and (
        s3files_file_system_of_access_point(access_point_arn) != file_system_arn
    ):
        reader.problem(
            f"{at}.access_point_arn",
            access_point_arn,
            f"an access point of {file_system_arn} (its ARN names the file system it belongs"
            " to); use one of that file system's access points, or that access point's file"
            " system",
        )
    for field, arn in (
        ("file_system_arn", file_system_arn),
        ("access_point_arn", access_point_arn),
    ):
        arn_region, arn_account = arn_region_and_account(arn)
        if region is not None and arn_region != region:
            reader.problem(f"{at}.{field}", arn, f"a resource in the environment's region {region}")
        if account is not None and arn_account != account:
            reader.problem(
                f"{at}.{field}", arn, f"a resource in the environment's account {account}"
            )
    if len(reader.problems) > failed_before:
        return None
    return FileSystemMount(
        kind=kind,
        file_system_arn=file_system_arn,
        access_point_arn=access_point_arn,
        mount_path=mount_path,
        read_only=read_only,
    )


def _parse_tags(reader: _SettingsReader) -> tuple[tuple[str, str], ...]:
    raw = reader.settings.get("tags", {})
    if not isinstance(raw, Mapping):
        reader.problem("tags", raw, "a map of tag key to string value")
        return ()
    if len(raw) > constraints.MAX_TEMPLATE_TAGS:
        reader.problem(
            "tags",
            f"{len(raw)} tags",
            f"at most {constraints.MAX_TEMPLATE_TAGS} tags (the stack adds its own"
            f" {STACK_TAG_KEY} tag to the interpreter, which takes one of the API's"
            f" {constraints.TAGS.max_items})",
        )
        return ()
    tags: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not _is_tag_text(key, constraints.TAG_KEY) or key.startswith("aws:"):
            reader.problem(
                "tags",
                key,
                f"tag keys of {constraints.TAG_KEY.length_text()} letters, digits, spaces and"
                " _ . : / = + - @, not starting with 'aws:'",
            )
        elif key == STACK_TAG_KEY:
            reader.problem(
                "tags",
                key,
                "any key but this one: the stack sets it to its own name on the interpreter,"
                " and its handler's permissions depend on it; rename the tag",
            )
        elif not _is_tag_text(value, constraints.TAG_VALUE):
            reader.problem(
                f"tags.{key}",
                value,
                f"a string of {constraints.TAG_VALUE.length_text()} letters, digits, spaces and"
                " _ . : / = + - @",
            )
        else:
            tags.append((key, value))
    return tuple(tags)


def _is_tag_text(value: object, rule: StringRule) -> bool:
    return isinstance(value, str) and rule.accepts(value) and TAG_TEXT.fullmatch(value) is not None


def parse_flag(key: str, value: object) -> bool:
    """An on/off context value: `true` in cdk.json, or the string "true" from `cdk -c key=true`."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ConfigError([f"context '{key}': got {show_value(value)}; allowed: true or false"])


def show_value(value: object) -> str:
    """Render a bad value for an error message, cut short so a huge value stays readable."""
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:40]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({type(value).__name__})"
