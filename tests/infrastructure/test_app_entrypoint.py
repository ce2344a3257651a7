"""`python app.py` as the CDK CLI runs it: context in, templates (or a clear refusal) out.

The CLI hands the app its context and output folder through CDK_CONTEXT_JSON and CDK_OUTDIR.
One case runs `python app.py` as its own process, exactly as the CLI does; the others call the
same `main()` in this process, its `cdk.App()` given that context and folder directly (the CDK's
Node process, already running here, cannot see variables set now). That spares a Python and
Node start-up each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from synthesis import ROOT, fixture_context

import app


def cli_environment(context: dict[str, Any], outdir: Path) -> dict[str, str]:
    return {"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}


def run_main(context: dict[str, Any], outdir: Path, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """app.main() with this context and output folder; the message it exits with, or None."""
    real_app = app.cdk.App
    monkeypatch.setattr(app.cdk, "App", lambda: real_app(context=context, outdir=str(outdir)))
    try:
        app.main()
    except SystemExit as exit_:
        return str(exit_.code)
    return None


@pytest.mark.long_running
def test_selected_environment_is_the_only_one_synthesized(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**os.environ, **cli_environment(fixture_context(env="staging"), tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.glob("*.template.json")) == [
        "CodeInterpreter-staging.template.json"
    ]


def test_invalid_config_fails_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environments = {"dev": {"network_mode": "SANDBOX"}, "prod": {"network_mode": "sandbox"}}

    message = run_main(fixture_context(environments), tmp_path, monkeypatch)

    assert message is not None
    assert message.startswith("cdk.json: invalid configuration:")
    assert (
        "environment 'prod': field 'network_mode': got 'sandbox'; "
        "allowed: one of SANDBOX, PUBLIC, VPC" in message
    )
    # The valid environment is not synthesized either: nothing is half-created.
    assert list(tmp_path.iterdir()) == []


def test_an_unacknowledged_rule_pack_finding_fails_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Showing the acknowledged findings makes them count again, as a new finding would.
    context = fixture_context(env="prod", **{"agentcore:nag-show-acknowledged": True})

    with pytest.raises(RuntimeError) as raised:
        run_main(context, tmp_path, monkeypatch)

    report = (tmp_path / "validation-report.json").read_text()
    assert "ValidationFailed" in str(raised.value)
    assert "AwsSolutions-IAM5" in report
    assert "NIST.800.53.R5-LambdaDLQ" in report


def test_a_bad_rule_pack_switch_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = run_main(fixture_context(**{"agentcore:nag": "yes"}), tmp_path, monkeypatch)

    assert message is not None
    assert message.endswith("context 'agentcore:nag': got 'yes'; allowed: true or false")
    assert list(tmp_path.iterdir()) == []
