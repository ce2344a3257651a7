"""The `monitoring` block: alarm destinations and thresholds, validated like every other key."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import ConfigError, EnvironmentConfig, load_environments
from stacks.monitoring_config import DEFAULT_MONITORING, MonitoringSettings

TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall-alarms"
PINNED = {"account": "123456789012", "region": "us-east-1"}


def load_one(settings: dict[str, Any]) -> EnvironmentConfig:
    (config,) = load_environments({"dev": settings})
    return config


def problems_of(settings: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        load_environments({"dev": settings})
    return raised.value.problems


@pytest.mark.parametrize("monitoring", [None, True, {}])
def test_monitoring_is_on_with_defaults_unless_turned_off(monitoring: Any) -> None:
    settings = {} if monitoring is None else {"monitoring": monitoring}
    config = load_one(settings)
    assert config.monitoring == DEFAULT_MONITORING
    assert config.monitoring == MonitoringSettings(
        alarm_emails=(),
        alarm_topic_arn=None,
        system_errors=5,
        throttles=5,
        user_error_rate_percent=10.0,
        invoke_latency_p90_ms=60_000,
        start_session_latency_p90_ms=10_000,
    )
    assert config.monitoring.creates_topic


def test_false_turns_monitoring_off() -> None:
    assert load_one({"monitoring": False}).monitoring is None


def test_every_monitoring_key_overrides_its_default() -> None:
    monitoring = load_one(
        {
            "monitoring": {
                "alarm_emails": ["oncall@example.com", "first.last+ci@corp.example.co.uk"],
                "system_errors": 1,
                "throttles": 20,
                "user_error_rate_percent": 2.5,
                "invoke_latency_p90_ms": 300_000,
                "start_session_latency_p90_ms": 5_000,
            }
        }
    ).monitoring
    assert monitoring == MonitoringSettings(
        alarm_emails=("oncall@example.com", "first.last+ci@corp.example.co.uk"),
        system_errors=1,
        throttles=20,
        user_error_rate_percent=2.5,
        invoke_latency_p90_ms=300_000,
        start_session_latency_p90_ms=5_000,
    )


def test_an_existing_topic_replaces_the_stacks_own() -> None:
    monitoring = load_one({**PINNED, "monitoring": {"alarm_topic_arn": TOPIC}}).monitoring
    assert monitoring is not None
    assert monitoring.alarm_topic_arn == TOPIC
    assert not monitoring.creates_topic


def test_a_topic_of_any_region_is_accepted_when_the_environment_is_not_pinned() -> None:
    topic = "arn:aws:sns:ap-southeast-2:210987654321:alarms"
    monitoring = load_one({"monitoring": {"alarm_topic_arn": topic}}).monitoring
    assert monitoring is not None
    assert monitoring.alarm_topic_arn == topic


def test_an_empty_email_list_means_no_subscriptions() -> None:
    monitoring = load_one({"monitoring": {"alarm_emails": []}}).monitoring
    assert monitoring is not None
    assert monitoring.alarm_emails == ()


# (case id, monitoring block, fragments that the single error message must contain)
INVALID: list[tuple[str, Any, tuple[str, ...]]] = [
    ("not-a-map", "on", ("field 'monitoring'", "'on'", "true for the defaults, or false")),
    (
        "unknown-key",
        {"thresholds": {"throttles": 1}},
        ("'monitoring.thresholds'", "known keys are alarm_emails"),
    ),
    (
        "typo-key",
        {"alarm_email": ["oncall@example.com"]},
        ("'monitoring.alarm_email'", "did you mean 'alarm_emails'"),
    ),
    (
        "malformed-email",
        {"alarm_emails": ["oncall@example.com", "oncall.example.com"]},
        ("'monitoring.alarm_emails[1]'", "'oncall.example.com'", "an email address like"),
    ),
    (
        "email-without-domain-dot",
        {"alarm_emails": ["oncall@localhost"]},
        ("'monitoring.alarm_emails[0]'", "'oncall@localhost'", "an email address"),
    ),
    (
        "duplicate-email",
        {"alarm_emails": ["oncall@example.com", "oncall@example.com"]},
        ("'monitoring.alarm_emails[1]'", "repeats monitoring.alarm_emails[0]"),
    ),
    (
        "emails-not-a-list",
        {"alarm_emails": "oncall@example.com"},
        ("'monitoring.alarm_emails'", "a list of 1-10 distinct entries"),
    ),
    (
        "topic-of-another-region",
        {"alarm_topic_arn": "arn:aws:sns:eu-west-1:123456789012:oncall-alarms"},
        ("'monitoring.alarm_topic_arn'", "eu-west-1", "environment's region us-east-1"),
    ),
    (
        "topic-of-another-account",
        {"alarm_topic_arn": "arn:aws:sns:us-east-1:210987654321:oncall-alarms"},
        ("'monitoring.alarm_topic_arn'", "210987654321", "environment's account 123456789012"),
    ),
    (
        "fifo-topic",
        {"alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alarms.fifo"},
        ("'monitoring.alarm_topic_arn'", "alarms.fifo", "standard (not FIFO)"),
    ),
    (
        "topic-name-not-arn",
        {"alarm_topic_arn": "oncall-alarms"},
        ("'monitoring.alarm_topic_arn'", "'oncall-alarms'", "the ARN of a standard"),
    ),
    (
        "emails-and-topic",
        {"alarm_emails": ["oncall@example.com"], "alarm_topic_arn": TOPIC},
        ("'monitoring.alarm_emails'", "subscribe them to the existing topic"),
    ),
    (
        "negative-count",
        {"system_errors": -1},
        ("'monitoring.system_errors'", "got -1", "a whole number from 1 to"),
    ),
    ("zero-count", {"throttles": 0}, ("'monitoring.throttles'", "got 0", "from 1")),
    ("count-as-string", {"throttles": "5"}, ("'monitoring.throttles'", "got '5'", "whole number")),
    ("count-as-bool", {"system_errors": True}, ("'monitoring.system_errors'", "True", "whole")),
    ("fractional-count", {"throttles": 2.5}, ("'monitoring.throttles'", "2.5", "whole number")),
    (
        "negative-latency",
        {"invoke_latency_p90_ms": -100},
        ("'monitoring.invoke_latency_p90_ms'", "-100", "from 1 to 900000"),
    ),
    (
        "latency-as-text",
        {"start_session_latency_p90_ms": "10s"},
        ("'monitoring.start_session_latency_p90_ms'", "'10s'", "whole number"),
    ),
    (
        "latency-beyond-the-service-limit",
        {"invoke_latency_p90_ms": 900_001},
        ("'monitoring.invoke_latency_p90_ms'", "900001", "to 900000"),
    ),
    (
        "rate-above-100",
        {"user_error_rate_percent": 150},
        ("'monitoring.user_error_rate_percent'", "150", "at most 100"),
    ),
    (
        "negative-rate",
        {"user_error_rate_percent": -1.5},
        ("'monitoring.user_error_rate_percent'", "-1.5", "above 0"),
    ),
    (
        "rate-as-text",
        {"user_error_rate_percent": "10%"},
        ("'monitoring.user_error_rate_percent'", "'10%'", "a percentage"),
    ),
]


@pytest.mark.parametrize(
    ("monitoring", "fragments"),
    [pytest.param(monitoring, fragments, id=case) for case, monitoring, fragments in INVALID],
)
def test_invalid_monitoring_is_rejected_with_a_precise_message(
    monitoring: Any, fragments: tuple[str, ...]
) -> None:
    (problem,) = problems_of({**PINNED, "monitoring": monitoring})
    assert problem.startswith("environment 'dev': field 'monitoring")
    assert "got " in problem
    assert "allowed: " in problem
    for fragment in fragments:
        assert fragment in problem


def test_every_bad_email_is_named_in_one_pass() -> None:
    problems = problems_of(
        {"monitoring": {"alarm_emails": ["no-at-sign", "ok@example.com", "two@@example.com"]}}
    )
    assert [problem.split(":")[1].strip() for problem in problems] == [
        "field 'monitoring.alarm_emails[0]'",
        "field 'monitoring.alarm_emails[2]'",
    ]


def test_monitoring_problems_join_the_environments_other_problems() -> None:
    problems = problems_of({"network_mode": "sandbox", "monitoring": {"throttles": "many"}})
    assert len(problems) == 2
    assert "field 'network_mode'" in problems[0]
    assert "field 'monitoring.throttles'" in problems[1]
