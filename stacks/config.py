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

ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
# The API's own pattern for CreateCodeInterpreter's `name`.
INTERPRETER_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
SUBNET_ID = re.compile(r"subnet-[0-9a-zA-Z]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-zA-Z]{8,17}")
# S3 key characters that need no escaping anywhere (shell, IAM resource ARNs, URLs).
ARTIFACT_PREFIX = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/")
SSM_PREFIX = re.compile(r"(/[A-Za-z0-9_.-]+)+")
ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}")
MAX_AGENT_ROLES = 10
# The API's pattern for a certificate's Secrets Manager location.
SECRET_ARN = re.compile(
    r"arn:aws(-[a-z-]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[a-zA-Z0-9/_+=.@-]+"
)
MAX_CERTIFICATES = 200
TAG_KEY = re.compile(r"[\w .:/=+\-@]{1,128}")
TAG_VALUE = re.compile(r"[\w .:/=+\-@]{0,256}")

MAX_DESCRIPTION_LENGTH = 4096
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 16
MAX_TAGS = 50
MAX_RETENTION_DAYS = 3650
MAX_SSM_PREFIX_LENGTH = 900
DEFAULT_ARTIFACT_PREFIX = "output_artifacts/"
DEFAULT_RETENTION_DAYS = 30


class NetworkMode(StrEnum):
    SANDBOX = "SANDBOX"
    PUBLIC = "PUBLIC"
    VPC = "VPC"


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
    require_service_s3_endpoint: bool


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
    agent_role_arns: tuple[str, ...] = ()
    certificate_secret_arns: tuple[str, ...] = ()

    @property
    def stack_name(self) -> str:
        return f"CodeInterpreter-{self.name}"


def default_interpreter_name(environment: str) -> str:
    return "codeinterpreter_" + environment.replace("-", "_")


def default_ssm_prefix(environment: str) -> str:
    return f"/agentcore/{environment}/code-interpreter"


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
            raise ConfigError(
                [
                    f"context 'env': got {show_value(selected)}; allowed: one of "
                    f"{', '.join(sorted(map(str, environments)))}"
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
    "artifact_kms",
    "force_destroy",
    "agent_role_arns",
    "certificate_secret_arns",
)
# Environments whose data is kept unless `force_destroy` says otherwise, whatever their other
# settings: losing production artifacts by a copy-pasted `destroy` is not recoverable.
PROTECTED_ENVIRONMENT_NAMES = frozenset({"prod", "production"})
_VPC_KEYS = ("subnet_ids", "security_group_ids", "require_service_s3_endpoint")


class _SettingsReader:
    """Reads typed values out of one environment's settings, collecting problems as it goes."""

    def __init__(self, environment: str, settings: object, problems: list[str]) -> None:
        self.environment = environment
        self.problems = problems
        self._first_problem = len(problems)
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


def _description(raw: object) -> str | None:
    if isinstance(raw, str) and 1 <= len(raw) <= MAX_DESCRIPTION_LENGTH:
        return raw
    return None


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
    vpc = _parse_vpc(reader, network_mode)
    interpreter_name = reader.value(
        "interpreter_name",
        default_interpreter_name(env),
        _matching(INTERPRETER_NAME),
        "1-48 characters: a letter, then letters, digits or underscores (no hyphens or spaces)",
    )
    description = reader.value(
        "description",
        None,
        _description,
        f"a string of 1-{MAX_DESCRIPTION_LENGTH} characters, or omit it",
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
    no_arns: tuple[str, ...] = ()
    agent_role_arns = reader.value(
        "agent_role_arns",
        no_arns,
        _id_list(ROLE_ARN, MAX_AGENT_ROLES),
        f"1-{MAX_AGENT_ROLES} distinct IAM role ARNs like arn:aws:iam::123456789012:role/agent",
    )
    certificate_secret_arns = reader.value(
        "certificate_secret_arns",
        no_arns,
        _id_list(SECRET_ARN, MAX_CERTIFICATES),
        f"1-{MAX_CERTIFICATES} distinct Secrets Manager secret ARNs holding CA certificates",
    )
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
        agent_role_arns=agent_role_arns,
        certificate_secret_arns=certificate_secret_arns,
    )


def _id_list(pattern: re.Pattern[str], limit: int) -> Callable[[object], tuple[str, ...] | None]:
    def convert(raw: object) -> tuple[str, ...] | None:
        if not isinstance(raw, list) or not 1 <= len(raw) <= limit:
            return None
        if not all(isinstance(item, str) and pattern.fullmatch(item) for item in raw):
            return None
        if len(set(raw)) != len(raw):
            return None
        return tuple(raw)

    return convert


def _parse_vpc(reader: _SettingsReader, network_mode: NetworkMode) -> VpcSettings | None:
    raw = reader.settings.get("vpc")
    if network_mode is not NetworkMode.VPC:
        if raw is not None:
            reader.problem(
                "vpc", raw, "no 'vpc' settings unless network_mode is VPC (remove 'vpc')"
            )
        return None
    if not isinstance(raw, Mapping):
        reader.problem(
            "vpc",
            raw,
            "a map with subnet_ids and security_group_ids, required when network_mode is VPC",
        )
        return None
    reader.reject_unknown_keys(raw, _VPC_KEYS, at="vpc.")
    for required in ("subnet_ids", "security_group_ids"):
        if required not in raw:
            reader.problem(f"vpc.{required}", None, "a list of ids, required in VPC mode")
    no_ids: tuple[str, ...] = ()
    subnet_ids = reader.value(
        "subnet_ids",
        no_ids,
        _id_list(SUBNET_ID, MAX_SUBNETS),
        f"1-{MAX_SUBNETS} distinct subnet ids like subnet-0123456789abcdef0",
        settings=raw,
        label="vpc.subnet_ids",
    )
    security_group_ids = reader.value(
        "security_group_ids",
        no_ids,
        _id_list(SECURITY_GROUP_ID, MAX_SECURITY_GROUPS),
        f"1-{MAX_SECURITY_GROUPS} distinct security group ids like sg-0123456789abcdef0",
        settings=raw,
        label="vpc.security_group_ids",
    )
    require_endpoint = reader.value(
        "require_service_s3_endpoint",
        False,
        _strict_bool,
        "true or false",
        settings=raw,
        label="vpc.require_service_s3_endpoint",
    )
    return VpcSettings(
        subnet_ids=subnet_ids,
        security_group_ids=security_group_ids,
        require_service_s3_endpoint=require_endpoint,
    )


def _parse_tags(reader: _SettingsReader) -> tuple[tuple[str, str], ...]:
    raw = reader.settings.get("tags", {})
    if not isinstance(raw, Mapping):
        reader.problem("tags", raw, "a map of tag key to string value")
        return ()
    if len(raw) > MAX_TAGS:
        reader.problem("tags", f"{len(raw)} tags", f"at most {MAX_TAGS} tags")
        return ()
    tags: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str) or not TAG_KEY.fullmatch(key) or key.startswith("aws:"):
            reader.problem(
                "tags",
                key,
                "tag keys of 1-128 letters, digits, spaces and _ . : / = + - @, not starting"
                " with 'aws:'",
            )
        elif not isinstance(value, str) or not TAG_VALUE.fullmatch(value):
            reader.problem(
                f"tags.{key}",
                value,
                "a string of 0-256 letters, digits, spaces and _ . : / = + - @",
            )
        else:
            tags.append((key, value))
    return tuple(tags)


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
