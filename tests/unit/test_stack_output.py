"""scripts/stack_output.py: one output of a deployed stack, as the deploy workflow reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import stack_output


def outputs_file(tmp_path: Path, outputs: dict[str, str]) -> str:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"CodeInterpreter-dev": outputs}))
    return str(path)


def test_prints_the_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:iam::123456789012:role/CodeInterpreter-dev-SmokeCheckRole-1A2B"
    path = outputs_file(tmp_path, {"SmokeCheckRoleArn": arn, "CodeInterpreterId": "x-0123456789"})

    assert stack_output.main(["dev", "SmokeCheckRoleArn", "--outputs-file", path]) == 0
    assert capsys.readouterr().out == f"{arn}\n"


@pytest.mark.parametrize("output", ["SmokeCheckRoleArn", "VerifyRoleArn"])
def test_a_missing_ci_role_says_what_creates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    path = outputs_file(tmp_path, {"CodeInterpreterId": "x-0123456789"})

    assert stack_output.main(["dev", output, "--outputs-file", path]) == 2
    error = capsys.readouterr().err
    assert "CodeInterpreter-dev" in error
    assert f"has no output {output} (it has: CodeInterpreterId)" in error
    assert "github.environments lists dev" in error


def test_a_missing_file_says_to_deploy_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nothing.json")

    assert stack_output.main(["dev", "CodeInterpreterId", "--outputs-file", missing]) == 2
    assert "run make deploy ENV=dev first" in capsys.readouterr().err
