"""The operator's own cdk.json: it parses, and every environment in it synthesizes and passes
the rule packs.

These are the only tests that read cdk.json's environments (and its `github` entry); they are
parametrized over whatever it holds, so adding, renaming or removing environments keeps the
suite green. Every other test builds its apps from the fixtures in tests/synthesis.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfn_driver import RESOURCE_TYPE as CUSTOM_RESOURCE
from synthesis import ROOT, SynthesizedApp, shipped_cdk_context, synthesize_context

from stacks.config import load_environments


def check_cdk_json(path: Path, outdir: Path) -> SynthesizedApp:
    """Everything the suite checks about a cdk.json: its environments parse, and the app built
    from it synthesizes with the rule packs on (an unacknowledged finding fails the synth)."""
    context = shipped_cdk_context(path)
    configs = load_environments(context.get("environments"))
    synthesized = synthesize_context(context, outdir)
    assert list(synthesized.templates) == [config.name for config in configs]
    for name, template in synthesized.templates.items():
        types = {resource["Type"] for resource in template["Resources"].values()}
        assert CUSTOM_RESOURCE in types, name
    return synthesized


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    return check_cdk_json(ROOT / "cdk.json", tmp_path_factory.mktemp("shipped"))


@pytest.mark.parametrize("environment", list(shipped_cdk_context()["environments"]))
def test_every_environment_of_cdk_json_synthesizes_and_passes_the_rule_packs(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    stack = shipped_app.stacks[environment]
    assert stack.stack_name == f"CodeInterpreter-{environment}"
    assert stack.config.name == environment


def test_an_operators_own_environments_keep_the_checks_green(tmp_path: Path) -> None:
    document: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())
    environments = document["context"]["environments"]
    removed = next(iter(environments))
    del environments[removed]
    environments["qa"] = {
        "account": "123456789012",
        "region": "eu-central-1",
        "network_mode": "VPC",
        "vpc": {
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0abc1234"],
            "security_group_ids": ["sg-0123456789abcdef0"],
        },
    }
    github = document["context"].get("github")
    if github is not None:
        github["environments"] = [name for name in github["environments"] if name != removed]
    edited = tmp_path / "cdk.json"
    edited.write_text(json.dumps(document))

    synthesized = check_cdk_json(edited, tmp_path / "cdk.out")

    assert removed not in synthesized.templates
    assert synthesized.stacks["qa"].config.vpc is not None
    assert synthesized.stacks["qa"].region == "eu-central-1"
