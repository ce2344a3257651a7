"""The EDA example: CSV upload, analysis in the sandbox, chart to S3; fixed and agent flows."""

from __future__ import annotations

import csv
import io
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agentcore_fake import BUCKET, FakeCodeInterpreterService, SandboxRun

from agent.clients import AwsClients
from agent.eda import ANALYSIS_SCRIPT, CHART_FILE_NAME, default_agent_factory, main
from agent.resolve import InterpreterConfig
from agent.session import CodeInterpreterSession
from agent.strands_tool import run_execute_python

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_CSV = REPO_ROOT / "examples" / "data.csv"
ANALYSIS_OUTPUT = "Dataset: data.csv (42 rows x 10 columns)\n## Outliers (outside 1.5 x IQR)\n"


def run_eda(clients: AwsClients, *arguments: str, **options: Any) -> tuple[int, str]:
    out = io.StringIO()
    exit_code = main(["--env", "dev", *arguments], clients=clients, out=out, **options)
    return exit_code, out.getvalue()


@pytest.fixture
def pandas_sandbox(fake_service: FakeCodeInterpreterService) -> FakeCodeInterpreterService:
    """Answers the analysis script as pandas would, writing the chart file it saves."""

    def run_code(code: str) -> SandboxRun:
        if "pd.read_csv(CSV_PATH)" not in code:
            return SandboxRun(stderr="unexpected code\n", exit_code=1, is_error=True)
        for session in fake_service.sessions.values():
            if session.status == "READY":
                session.files[CHART_FILE_NAME] = b"\x89PNG chart"
        return SandboxRun(stdout=ANALYSIS_OUTPUT)

    fake_service.code_handler = run_code
    return fake_service


def test_fixed_analysis_uploads_the_csv_runs_pandas_and_saves_the_chart(
    deployed_clients: AwsClients, pandas_sandbox: FakeCodeInterpreterService
) -> None:
    exit_code, output = run_eda(deployed_clients, "--csv", str(DATA_CSV), "What stands out?")

    assert exit_code == 0
    written = pandas_sandbox.invokes("writeFiles")[0].params["arguments"]["content"]
    assert written == [{"path": "data.csv", "text": DATA_CSV.read_text(encoding="utf-8")}]

    code = pandas_sandbox.invokes("executeCode")[0].params["arguments"]["code"]
    assert "CSV_PATH = 'data.csv'" in code
    assert f"CHART_PATH = '{CHART_FILE_NAME}'" in code

    command = shlex.split(
        pandas_sandbox.invokes("executeCommand")[0].params["arguments"]["command"]
    )
    session_id = pandas_sandbox.invokes("executeCommand")[0].params["sessionId"]
    chart_uri = f"s3://{BUCKET}/output_artifacts/{session_id}/{CHART_FILE_NAME}"
    assert command[:5] == ["aws", "s3", "cp", CHART_FILE_NAME, chart_uri]

    assert "Question: What stands out?" in output
    assert ANALYSIS_OUTPUT.strip() in output
    assert f"Chart: {chart_uri}" in output
    chart = deployed_clients.s3.get_object(
        Bucket=BUCKET, Key=f"output_artifacts/{session_id}/{CHART_FILE_NAME}"
    )
    assert chart["Body"].read() == b"\x89PNG chart"


def test_analysis_error_is_reported_with_the_sandbox_stderr(
    deployed_clients: AwsClients,
    fake_service: FakeCodeInterpreterService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(
        stderr="ModuleNotFoundError: No module named 'pandas'\n", exit_code=1, is_error=True
    )

    exit_code, output = run_eda(deployed_clients, "--csv", str(DATA_CSV))

    assert exit_code == 1
    assert "No module named 'pandas'" in capsys.readouterr().err
    assert fake_service.invokes("executeCommand") == []  # no chart to save
    assert "Chart:" not in output


def test_missing_csv_is_a_usage_error(
    deployed_clients: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, _ = run_eda(deployed_clients, "--csv", "nowhere.csv")

    assert exit_code == 2
    assert "no such CSV file: nowhere.csv" in capsys.readouterr().err


def test_agent_flow_lets_the_agent_drive_execute_python(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService
) -> None:
    seen: dict[str, Any] = {}

    def chart_writing_sandbox(code: str) -> SandboxRun:
        for session in fake_service.sessions.values():
            session.files[CHART_FILE_NAME] = b"png"
        return SandboxRun(stdout="mean revenue 1798.16\n")

    fake_service.code_handler = chart_writing_sandbox

    def scripted_agent(
        session: CodeInterpreterSession, system_prompt: str, model_id: str | None
    ) -> Callable[[str], str]:
        seen.update(system_prompt=system_prompt, model_id=model_id)

        def answer(question: str) -> str:
            seen["question"] = question
            tool_result = run_execute_python(session, "df.revenue.mean()", "average revenue")
            return f"The average revenue is {tool_result['content'][0]['text'].split()[-1]}."

        return answer

    exit_code, output = run_eda(
        deployed_clients,
        "--csv",
        str(DATA_CSV),
        "--agent",
        "--model-id",
        "us.anthropic.claude-sonnet-4-v1:0",
        "평균 매출은?",
        agent_factory=scripted_agent,
    )

    assert exit_code == 0
    assert "data.csv" in seen["system_prompt"]
    assert CHART_FILE_NAME in seen["system_prompt"]
    assert seen["model_id"] == "us.anthropic.claude-sonnet-4-v1:0"
    assert seen["question"] == "평균 매출은?"
    assert "The average revenue is 1798.16." in output
    assert f"{CHART_FILE_NAME}" in output.splitlines()[-1]
    assert output.splitlines()[-1].startswith(f"Chart: s3://{BUCKET}/")


def test_agent_flow_without_strands_explains_how_to_install_it(
    deployed_clients: AwsClients,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "strands", None)  # import strands -> ImportError

    exit_code, _ = run_eda(deployed_clients, "--csv", str(DATA_CSV), "--agent")

    assert exit_code == 1
    assert "pip install -r requirements-agent-strands.txt" in capsys.readouterr().err


def test_script_paths_are_literals_even_for_hostile_file_names() -> None:
    hostile = "x'); import os; os.system('id'); ('.csv"

    code = ANALYSIS_SCRIPT.format(csv_path=hostile, chart_path=CHART_FILE_NAME)

    compile(code, "analysis", "exec")  # still valid Python
    assert f"CSV_PATH = {hostile!r}" in code


def test_example_csv_is_small_mixed_and_has_outliers() -> None:
    with DATA_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert 30 <= len(rows) <= 60
    for column in ("units", "unit_price", "delivery_days"):
        values = sorted(float(row[column]) for row in rows)
        assert values[-1] > 3 * values[-2], f"{column} has no clear outlier"
    assert {row["region"] for row in rows} == {"North", "South", "East", "West"}
    assert {row["category"] for row in rows} == {"Electronics", "Furniture", "Office Supplies"}


@pytest.mark.long_running
def test_analysis_script_runs_with_real_pandas(tmp_path: Path) -> None:
    """pandas and matplotlib are in requirements-dev.txt, as they are in the sandbox."""
    (tmp_path / "data.csv").write_bytes(DATA_CSV.read_bytes())
    script = tmp_path / "analysis.py"
    script.write_text(
        ANALYSIS_SCRIPT.format(csv_path="data.csv", chart_path=CHART_FILE_NAME), encoding="utf-8"
    )

    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert "42 rows x 10 columns" in completed.stdout
    for planted_outlier in ("ORD-1012", "ORD-1034", "ORD-1028"):
        assert planted_outlier in completed.stdout
    assert (tmp_path / CHART_FILE_NAME).read_bytes().startswith(b"\x89PNG")


def test_default_agent_factory_builds_a_strands_agent_with_execute_python(
    config: InterpreterConfig, clients: AwsClients
) -> None:
    session = CodeInterpreterSession(config, clients=clients)

    agent = default_agent_factory(session, "You analyse data.", "us.example-model-v1:0")

    assert agent.tool_names == ["execute_python"]
    assert agent.system_prompt == "You analyse data."
    assert agent.model.config["model_id"] == "us.example-model-v1:0"


MOUNTS = '[{"path":"/mnt/datasets","type":"s3files","read_only":true}]'


def test_a_file_on_a_mounted_file_system_is_analysed_in_place(
    deployed_clients: AwsClients,
    pandas_sandbox: FakeCodeInterpreterService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CODE_INTERPRETER_MOUNTS", MOUNTS)

    exit_code, output = run_eda(deployed_clients, "--data-path", "/mnt/datasets/orders.csv")

    assert exit_code == 0, output
    # Nothing is uploaded: the analysis reads the file where the mount put it.
    assert pandas_sandbox.invokes("writeFiles") == []
    code = pandas_sandbox.invokes("executeCode")[0].params["arguments"]["code"]
    assert "CSV_PATH = '/mnt/datasets/orders.csv'" in code


@pytest.mark.parametrize(
    "case",
    [
        ("[]", "/mnt/datasets/orders.csv", "mounts no file systems; pass --csv"),
        (MOUNTS, "/mnt/other/orders.csv", "is not on a mounted file system (/mnt/datasets)"),
        (MOUNTS, "/mnt/datasets/../etc/passwd", "has a '..' segment"),
    ],
    ids=["no-mounts", "not-on-a-mount", "escapes-the-mount"],
)
def test_a_data_path_off_the_mounts_is_a_configuration_error(
    deployed_clients: AwsClients,
    pandas_sandbox: FakeCodeInterpreterService,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str],
) -> None:
    mounts, path, message = case
    monkeypatch.setenv("CODE_INTERPRETER_MOUNTS", mounts)

    exit_code, _ = run_eda(deployed_clients, "--data-path", path)

    assert exit_code == 2
    assert message in capsys.readouterr().err
    assert pandas_sandbox.invokes("executeCode") == []
