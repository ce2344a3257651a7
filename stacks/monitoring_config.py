"""The `monitoring` block of an environment: where alarms notify, and when they fire.

Parsed with the same reader as every other setting (stacks/config.py), so a bad value fails synth
with the environment, the field, the value and what is allowed. `monitoring: false` turns alarms,
topic and dashboard off; absent, `true` or `{}` means every default below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from stacks.config import _SettingsReader

# An address SNS can deliver to: a local part, '@', and a domain of at least two labels.
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    re.ASCII,
)
MAX_EMAIL_LENGTH = 254
MAX_ALARM_EMAILS = 10
# A standard topic: CloudWatch alarm actions cannot publish to FIFO topics (names ending .fifo).
TOPIC_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):sns:(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}):"
    r"(?P<account>[0-9]{12}):(?P<name>[A-Za-z0-9_-]{1,256})",
    re.ASCII,
)
# A synchronous InvokeCodeInterpreter may run 15 minutes; no latency above that is meaningful.
MAX_LATENCY_MS = 900_000
MAX_COUNT = 100_000

_T = TypeVar("_T")

_KEYS = (
    "alarm_emails",
    "alarm_topic_arn",
    "system_errors",
    "throttles",
    "user_error_rate_percent",
    "invoke_latency_p90_ms",
    "start_session_latency_p90_ms",
)


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    """Alarm destinations and thresholds. Counts are per 5-minute period."""

    # Addresses the stack's own topic sends alarms to (each confirms once, by email).
    alarm_emails: tuple[str, ...] = ()
    # An existing topic to notify instead of a topic of the stack's own.
    alarm_topic_arn: str | None = None
    # SystemErrors (5xx) of one API operation in 5 minutes that raise its alarm.
    system_errors: int = 5
    # Throttles (429) of one API operation in 5 minutes that raise its alarm.
    throttles: int = 5
    # UserErrors (4xx but 429) as a percentage of an operation's requests in 5 minutes.
    user_error_rate_percent: float = 10.0
    # p90 latency of InvokeCodeInterpreter (executeCode, executeCommand, files) in milliseconds.
    invoke_latency_p90_ms: int = 60_000
    # p90 latency of StartCodeInterpreterSession in milliseconds.
    start_session_latency_p90_ms: int = 10_000

    @property
    def creates_topic(self) -> bool:
        return self.alarm_topic_arn is None


DEFAULT_MONITORING = MonitoringSettings()


def parse_monitoring(
    reader: _SettingsReader, *, account: str | None, region: str | None
) -> MonitoringSettings | None:
    """`monitoring`: false (off), true or a map of the settings above (defaults for the rest)."""
    raw = reader.settings.get("monitoring", True)
    if raw is False:
        return None
    if raw is True:
        return DEFAULT_MONITORING
    if not isinstance(raw, Mapping):
        reader.problem(
            "monitoring",
            raw,
            "a map of monitoring settings ("
            + ", ".join(_KEYS)
            + "), true for the defaults, or false to create no alarms, topic or dashboard",
        )
        return None
    reader.reject_unknown_keys(raw, _KEYS, at="monitoring.")
    emails = _alarm_emails(reader, raw)
    topic_arn = _topic_arn(reader, raw, account=account, region=region)
    if emails and topic_arn is not None:
        reader.problem(
            "monitoring.alarm_emails",
            list(emails),
            "no addresses together with alarm_topic_arn: the stack subscribes addresses to a"
            " topic of its own; subscribe them to the existing topic instead, or remove"
            " alarm_topic_arn",
        )
    default = DEFAULT_MONITORING
    return MonitoringSettings(
        alarm_emails=emails,
        alarm_topic_arn=topic_arn,
        system_errors=_threshold(
            reader, raw, "system_errors", default.system_errors, _whole(1, MAX_COUNT)
        ),
        throttles=_threshold(reader, raw, "throttles", default.throttles, _whole(1, MAX_COUNT)),
        user_error_rate_percent=_threshold(
            reader, raw, "user_error_rate_percent", default.user_error_rate_percent, _percent
        ),
        invoke_latency_p90_ms=_threshold(
            reader,
            raw,
            "invoke_latency_p90_ms",
            default.invoke_latency_p90_ms,
            _whole(1, MAX_LATENCY_MS),
        ),
        start_session_latency_p90_ms=_threshold(
            reader,
            raw,
            "start_session_latency_p90_ms",
            default.start_session_latency_p90_ms,
            _whole(1, MAX_LATENCY_MS),
        ),
    )


def _alarm_emails(reader: _SettingsReader, raw: Mapping[str, Any]) -> tuple[str, ...]:
    if raw.get("alarm_emails") == []:
        return ()
    return reader.id_list(
        "alarm_emails",
        _email,
        MAX_ALARM_EMAILS,
        "an email address like oncall@example.com",
        settings=raw,
        label="monitoring.alarm_emails",
    )


def _email(raw: object) -> str | None:
    if isinstance(raw, str) and len(raw) <= MAX_EMAIL_LENGTH and EMAIL.fullmatch(raw):
        return raw
    return None


def _topic_arn(
    reader: _SettingsReader, raw: Mapping[str, Any], *, account: str | None, region: str | None
) -> str | None:
    field = "monitoring.alarm_topic_arn"
    if "alarm_topic_arn" not in raw:
        return None
    value = raw["alarm_topic_arn"]
    match = TOPIC_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        reader.problem(
            field,
            value,
            "the ARN of a standard (not FIFO) SNS topic, like"
            " arn:aws:sns:us-east-1:123456789012:oncall-alarms, or omit it for a topic of the"
            " stack's own",
        )
        return None
    if region is not None and match["region"] != region:
        reader.problem(
            field,
            value,
            f"a topic in the environment's region {region}: CloudWatch alarms notify topics of"
            " their own region only",
        )
        return None
    if account is not None and match["account"] != account:
        reader.problem(
            field,
            value,
            f"a topic in the environment's account {account}; use a topic of that account, or"
            " omit alarm_topic_arn for a topic of the stack's own",
        )
        return None
    return str(value)


def _threshold(
    reader: _SettingsReader,
    raw: Mapping[str, Any],
    key: str,
    default: _T,
    rule: tuple[Callable[[object], _T | None], str],
) -> _T:
    convert, allowed = rule
    return reader.value(key, default, convert, allowed, settings=raw, label=f"monitoring.{key}")


def _whole(low: int, high: int) -> tuple[Callable[[object], int | None], str]:
    def convert(raw: object) -> int | None:
        # bool is an int subclass: `true` is not a threshold.
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            return None
        return raw

    return convert, f"a whole number from {low} to {high}"


def _to_percent(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= 100:
        return None
    return float(raw)


_percent = (_to_percent, "a number above 0 and at most 100 (a percentage)")
