"""Synthesizing the CDK app for tests: once per session, through the fixtures in conftest.py.

The suite builds its apps from the fixture configurations below, never from the environments an
operator keeps in cdk.json: adding, renaming or removing environments there cannot break a test.
Only tests/infrastructure/test_shipped_config.py reads cdk.json's environments. What the tests do
take from cdk.json is the project's CDK feature flags, which shape every template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Context keys that describe an operator's own setup rather than the project's CDK behaviour.
OPERATOR_CONTEXT_KEYS = ("environments", "github", "env", "@aws-cdk/core:bootstrapQualifier")

# Three environments like the ones the project ships, defined here so that the tests do not
# depend on what an operator keeps in cdk.json.
FIXTURE_ENVIRONMENTS: dict[str, Any] = {
    "dev": {
        "description": "Code interpreter for development agents (SANDBOX network, artifacts kept"
        " 7 days).",
        "network_mode": "SANDBOX",
        "artifact_retention_days": 7,
        "removal_policy": "destroy",
        "tags": {"Project": "agentcore-code-interpreter", "Environment": "dev"},
    },
    "staging": {
        "description": "Code interpreter for staging agents.",
        "network_mode": "SANDBOX",
        "artifact_retention_days": 30,
        "removal_policy": "retain",
        "tags": {"Project": "agentcore-code-interpreter", "Environment": "staging"},
    },
    "prod": {
        "description": "Code interpreter for production agents.",
        "network_mode": "SANDBOX",
        "artifact_retention_days": 90,
        "removal_policy": "retain",
        "termination_protection": True,
        "tags": {"Project": "agentcore-code-interpreter", "Environment": "prod"},
    },
}
FIXTURE_ENVIRONMENT_NAMES = tuple(FIXTURE_ENVIRONMENTS)

# Where the variants' alarms notify (see "Day two" in the README).
ALARM_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:oncall-alarms"
ALARM_EMAILS = ["oncall@example.com", "platform-team@example.com"]


def shipped_cdk_context(path: Path = ROOT / "cdk.json") -> dict[str, Any]:
    """The whole context of a cdk.json (the operator's, by default)."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return context


def project_context() -> dict[str, Any]:
    """cdk.json's feature flags and settings, without anything that belongs to an operator."""
    return {
        key: value
        for key, value in shipped_cdk_context().items()
        if key not in OPERATOR_CONTEXT_KEYS
    }


def fixture_context(
    environments: Mapping[str, Any] = FIXTURE_ENVIRONMENTS, **extra: Any
) -> dict[str, Any]:
    """Context for an app built from fixture environments (plus any other context keys)."""
    return {**project_context(), "environments": dict(environments), **extra}


# Certificate secrets of the simulated account (full ARN -> the KMS key that encrypts it, None
# for AWS's own key). The "private" environment names one by its full ARN and one without
# Secrets Manager's random suffix.
CERTIFICATE_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CERTIFICATE_SECRETS: dict[str, str | None] = {
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf": None,
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/proxy-ca-Gh1jK2": (
        CERTIFICATE_KEY_ARN
    ),
}

# File systems of the simulated account that the "private" environment mounts.
S3FILES_SYSTEM_ARN = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
S3FILES_ACCESS_POINT_ARN = f"{S3FILES_SYSTEM_ARN}/access-point/fsap-0123456789abcdef0"
EFS_SYSTEM_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123abcd"
EFS_ACCESS_POINT_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0a1b2c3d"

VARIANT_ENVIRONMENTS: dict[str, Any] = {
    # Pinned account and region, so ARNs in the template are literal strings.
    "pinned": {
        "account": "123456789012",
        "region": "eu-west-1",
        "interpreter_name": "analytics_sandbox",
        "artifact_prefix": "results/agents/",
        "ssm_prefix": "/teams/analytics/interpreter",
        "removal_policy": "retain",
        "agent_role_arns": ["arn:aws:iam::123456789012:role/analytics-agent"],
        # Alarms notify a topic the operator already has, with one threshold of its own.
        "monitoring": {
            "alarm_topic_arn": ALARM_TOPIC_ARN,
            "invoke_latency_p90_ms": 120_000,
        },
    },
    # Every option that adds permissions: VPC mode, certificates in a secret encrypted with a
    # customer-managed key, a customer-managed artifact key. The handler's tests run under this
    # stack's IAM, in the account and region of the fake control plane.
    "private": {
        "account": "123456789012",
        "region": "us-east-1",
        # The stack's own topic, with email subscriptions and stricter thresholds.
        "monitoring": {
            "alarm_emails": ALARM_EMAILS,
            "system_errors": 1,
            "user_error_rate_percent": 5,
        },
        "network_mode": "VPC",
        "vpc": {
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
            "security_group_ids": ["sg-0123456789abcdef0"],
        },
        "artifact_kms": True,
        "certificate_secret_arns": [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/root-ca-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:corp/proxy-ca",
        ],
        "certificate_kms_key_arns": [CERTIFICATE_KEY_ARN],
        "filesystems": [
            {
                "type": "s3files",
                "file_system_arn": S3FILES_SYSTEM_ARN,
                "access_point_arn": S3FILES_ACCESS_POINT_ARN,
                "mount_path": "/mnt/datasets",
                "read_only": True,
            },
            {
                "type": "efs",
                "file_system_arn": EFS_SYSTEM_ARN,
                "access_point_arn": EFS_ACCESS_POINT_ARN,
                "mount_path": "/mnt/shared/",
            },
        ],
    },
    "open": {"network_mode": "PUBLIC", "tags": {}, "monitoring": False},
}
# CI deploys "private": its stack gets a smoke-check role for that environment's deploy job.
VARIANT_GITHUB: dict[str, Any] = {
    "repository": "octo-org/agentcore-code-interpreter",
    "environments": ["private"],
}


@dataclass(frozen=True)
class SynthesisMessage:
    """A note, warning or error the app attached to one construct at synth."""

    level: str  # "info", "warning" or "error"
    path: str
    text: str


@dataclass(frozen=True)
class SynthesizedApp:
    """Templates (plain dicts), synth messages and stack objects of one synthesized app, by
    environment name."""

    templates: Mapping[str, dict[str, Any]]
    # Read from the assembly: aws_cdk.assertions.Annotations would synthesize the app again.
    messages: Mapping[str, tuple[SynthesisMessage, ...]]
    stacks: Mapping[str, Any]
    outdir: Path

    def messages_of(self, environment: str, level: str, containing: str) -> list[str]:
        """The texts of one environment's messages of this level that contain `containing`."""
        return [
            message.text
            for message in self.messages[environment]
            if message.level == level and containing in message.text
        ]


def synthesize(
    environments: Mapping[str, Any], outdir: Path, *, github: Mapping[str, Any] | None = None
) -> SynthesizedApp:
    """An app of fixture environments (and a `github` entry, if given)."""
    extra = {} if github is None else {"github": dict(github)}
    return synthesize_context(fixture_context(environments, **extra), outdir)


def synthesize_context(context: Mapping[str, Any], outdir: Path) -> SynthesizedApp:
    """The app for exactly this context, synthesized as `make deploy` does: with the rule packs
    on, so that an unacknowledged finding fails this synth."""
    import aws_cdk as cdk

    from app import build_app
    from stacks.compliance import NAG_CONTEXT

    app = cdk.App(context={**context, NAG_CONTEXT: True}, outdir=str(outdir))
    stacks = build_app(app)
    assembly = app.synth()
    artifacts = {
        stack.config.name: assembly.get_stack_by_name(stack.stack_name) for stack in stacks
    }
    return SynthesizedApp(
        templates={name: artifact.template for name, artifact in artifacts.items()},
        messages={
            name: tuple(
                SynthesisMessage(
                    level=message.level.name.lower(), path=message.id, text=str(message.entry.data)
                )
                for message in artifact.messages
            )
            for name, artifact in artifacts.items()
        },
        stacks={stack.config.name: stack for stack in stacks},
        outdir=outdir,
    )
