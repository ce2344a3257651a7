"""`python app.py` as the CDK CLI runs it: context in, templates (or a clear refusal) out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from synthesis import ROOT, fixture_context


def run_app(context: dict[str, Any], outdir: Path) -> subprocess.CompletedProcess[str]:
    # The CDK CLI hands context and output folder to the app through these two variables.
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_selected_environment_is_the_only_one_synthesized(tmp_path: Path) -> None:
    result = run_app({**fixture_context(), "env": "staging"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.template.json")) == [
        "CodeInterpreter-staging.template.json"
    ]


def test_invalid_config_fails_before_anything_is_written(tmp_path: Path) -> None:
    environments = {
        "dev": {"network_mode": "SANDBOX"},
        "prod": {"network_mode": "sandbox"},
    }
    result = run_app({**fixture_context(), "environments": environments}, tmp_path)
    assert result.returncode != 0
    assert (
        "environment 'prod': field 'network_mode': got 'sandbox'; "
        "allowed: one of SANDBOX, PUBLIC, VPC" in result.stderr
    )
    # The valid environment is not synthesized either: nothing is half-created.
    assert list(tmp_path.iterdir()) == []


def test_an_unacknowledged_rule_pack_finding_fails_synth(tmp_path: Path) -> None:
    # Showing the acknowledged findings makes them count again, as a new finding would.
    result = run_app(
        {**fixture_context(), "env": "prod", "agentcore:nag-show-acknowledged": True}, tmp_path
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "AwsSolutions-IAM5" in output
    assert "NIST.800.53.R5-LambdaDLQ" in output


def test_a_bad_rule_pack_switch_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    result = run_app({**fixture_context(), "agentcore:nag": "yes"}, tmp_path)
    assert result.returncode != 0
    assert "context 'agentcore:nag': got 'yes'; allowed: true or false" in result.stderr
    assert list(tmp_path.iterdir()) == []
