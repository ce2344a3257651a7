"""Synthesizing the CDK app for tests: once per session, through the fixtures in conftest.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ENVIRONMENTS = ("dev", "staging", "prod")


def cdk_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


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
    },
    # Every option that adds permissions: VPC mode, certificates in a secret encrypted with a
    # customer-managed key, a customer-managed artifact key. The handler's tests run under this
    # stack's IAM, in the account and region of the fake control plane.
    "private": {
        "account": "123456789012",
        "region": "us-east-1",
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
    },
    "open": {"network_mode": "PUBLIC", "tags": {}},
}
# CI deploys "private": its stack gets a smoke-check role for that environment's deploy job.
VARIANT_GITHUB: dict[str, Any] = {
    "repository": "octo-org/agentcore-code-interpreter",
    "environments": ["private"],
}


@dataclass(frozen=True)
class SynthesizedApp:
    """Templates (plain dicts) and stack objects of one synthesized app, by environment name."""

    templates: Mapping[str, dict[str, Any]]
    stacks: Mapping[str, Any]
    outdir: Path


def synthesize(
    environments: Mapping[str, Any], outdir: Path, *, github: Mapping[str, Any] | None = None
) -> SynthesizedApp:
    import aws_cdk as cdk

    from app import build_app
    from stacks.compliance import NAG_CONTEXT

    # As `make deploy` synthesizes: the rule packs run, and a finding fails this synth.
    context = {**cdk_context(), "environments": environments, NAG_CONTEXT: True}
    context.pop("github", None)
    if github is not None:
        context["github"] = dict(github)
    app = cdk.App(context=context, outdir=str(outdir))
    stacks = build_app(app)
    assembly = app.synth()
    return SynthesizedApp(
        templates={
            stack.config.name: assembly.get_stack_by_name(stack.stack_name).template
            for stack in stacks
        },
        stacks={stack.config.name: stack for stack in stacks},
        outdir=outdir,
    )
