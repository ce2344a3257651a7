"""`make` stops a bad ENV, and an unconfirmed destroy of prod, before anything is installed or run.

Only commands that must fail at the guard run for real; the rest use `make -n` (print, don't run).
"""

from __future__ import annotations

import subprocess

import pytest
from synthesis import ROOT

ENV_TARGETS = ["bootstrap", "diff", "deploy", "destroy", "smoke"]


def make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("target", ENV_TARGETS)
def test_unknown_environment_is_refused_with_the_configured_names(target: str) -> None:
    result = make(target, "ENV=qa", "CONFIRM=qa")
    assert result.returncode != 0
    assert "context 'env': got 'qa'; allowed: one of dev, prod, staging" in result.stderr
    assert "cdk " not in result.stdout
    assert "pip install" not in result.stdout


@pytest.mark.parametrize("target", ENV_TARGETS)
def test_missing_environment_is_refused(target: str) -> None:
    result = make(target)
    assert result.returncode != 0
    assert "ENV is required, e.g. make deploy ENV=dev (configured: dev, prod, staging)" in (
        result.stderr
    )


@pytest.mark.parametrize("confirm", [None, "", "staging", "PROD"])
def test_destroying_prod_needs_confirm_prod(confirm: str | None) -> None:
    arguments = ["destroy", "ENV=prod"] + ([] if confirm is None else [f"CONFIRM={confirm}"])
    result = make(*arguments)
    assert result.returncode != 0
    assert (
        "refusing to destroy 'prod' without confirmation: run make destroy ENV=prod CONFIRM=prod"
        in result.stderr
    )
    assert "cdk " not in result.stdout


@pytest.mark.parametrize(
    ("environment", "confirm"), [("prod", "prod"), ("dev", ""), ("staging", "")]
)
def test_confirmed_or_unprotected_destroy_passes_the_guard(environment: str, confirm: str) -> None:
    assert make("check-destroy", f"ENV={environment}", f"CONFIRM={confirm}").returncode == 0


def test_destroy_checks_before_it_installs_or_destroys() -> None:
    planned = make("-n", "destroy", "ENV=prod", "CONFIRM=prod").stdout.splitlines()
    guard = next(i for i, line in enumerate(planned) if "check_env.py" in line)
    destroy = next(i for i, line in enumerate(planned) if line.startswith("cdk destroy"))
    assert guard == 0
    assert destroy == len(planned) - 1
    assert planned[destroy] == "cdk destroy -c env=prod CodeInterpreter-prod"


@pytest.mark.parametrize(
    ("arguments", "command"),
    [
        (["diff", "ENV=dev"], "cdk diff -c agentcore:nag=true -c env=dev CodeInterpreter-dev"),
        (
            ["deploy", "ENV=staging"],
            "cdk deploy -c agentcore:nag=true -c env=staging CodeInterpreter-staging",
        ),
        (["deploy-access"], "cdk deploy -c agentcore:nag=true CodeInterpreter-DeployAccess"),
    ],
)
def test_whatever_heads_for_aws_runs_the_rule_packs(arguments: list[str], command: str) -> None:
    planned = make("-n", *arguments).stdout.splitlines()
    assert any(line.startswith(command) for line in planned), planned
