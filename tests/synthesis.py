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


@dataclass(frozen=True)
class SynthesizedApp:
    """Templates (plain dicts) and stack objects of one synthesized app, by environment name."""

    templates: Mapping[str, dict[str, Any]]
    stacks: Mapping[str, Any]
    outdir: Path


def synthesize(environments: Mapping[str, Any], outdir: Path) -> SynthesizedApp:
    import aws_cdk as cdk

    from app import build_app

    context = {**cdk_context(), "environments": environments}
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
