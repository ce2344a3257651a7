"""Exploratory data analysis of a CSV file in the code-interpreter sandbox.

``python -m agent.eda --env dev --csv examples/data.csv "What stands out?"`` uploads the CSV
with writeFiles, analyses it with pandas inside the sandbox, and copies a matplotlib chart to
the artifact bucket. Without ``--agent`` a fixed analysis runs (summary statistics,
distributions, IQR outliers), which needs no model; with ``--agent`` a Strands agent answers
the question by driving ``execute_python`` itself.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from agent.cli import (
    add_interpreter_arguments,
    add_session_arguments,
    configure_logging,
    load_config,
)
from agent.clients import AwsClients
from agent.errors import AgentError, ConfigurationError, InvalidPathError, SessionError
from agent.exit_codes import ExitCode, exit_code_for
from agent.results import Artifact
from agent.session import CodeInterpreterSession, sandbox_path
from agent.strands_tool import create_execute_python_tool

# Files go to the sandbox's working directory; writeFiles is not documented to create parent
# directories.
SANDBOX_DIRECTORY = "."
SESSION_NAME_PREFIX = "eda"
CHART_FILE_NAME = "eda_chart.png"
# writeFiles sends the file inline in one request (the API caps a text at 100 MB); larger data
# belongs in S3, read from the sandbox, not pushed through the API.
MAX_CSV_BYTES = 50 * 1024 * 1024
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

# Runs in the sandbox. Paths arrive as repr() literals so that no file name can inject code.
ANALYSIS_SCRIPT = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

CSV_PATH = {csv_path!r}
CHART_PATH = {chart_path!r}

df = pd.read_csv(CSV_PATH)
numeric = df.select_dtypes(include="number")
categorical = df.select_dtypes(exclude="number")
pd.set_option("display.width", 120)

print(f"Dataset: {{CSV_PATH}} ({{len(df)}} rows x {{len(df.columns)}} columns)")
print("\\n## Column types")
print(df.dtypes.astype(str).to_string())
missing = df.isna().sum()
print("\\n## Missing values")
print(missing[missing > 0].to_string() if missing.any() else "none")

if not numeric.empty:
    print("\\n## Numeric summary")
    print(numeric.describe().T.round(2).to_string())
    print("\\n## Distribution shape (skewness)")
    print(numeric.skew().round(2).to_string())

for column in categorical.columns:
    counts = df[column].value_counts()
    if counts.size > 12:
        print(f"\\n## {{column}}: {{counts.size}} distinct values (high cardinality, not listed)")
        continue
    print(f"\\n## {{column}} distribution")
    print(counts.to_string())

print("\\n## Outliers (outside 1.5 x IQR)")
outlier_count = 0
for column in numeric.columns:
    values = numeric[column].dropna()
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    flagged = df[(numeric[column] < low) | (numeric[column] > high)]
    if flagged.empty:
        continue
    outlier_count += len(flagged)
    print(f"{{column}}: {{len(flagged)}} value(s) outside [{{low:.2f}}, {{high:.2f}}]")
    print(flagged[[df.columns[0], column]].to_string())
if outlier_count == 0:
    print("none")

if not numeric.empty:
    columns = list(numeric.columns)
    fig, axes = plt.subplots(2, len(columns), figsize=(3.2 * len(columns), 6), squeeze=False)
    for index, column in enumerate(columns):
        axes[0][index].hist(numeric[column].dropna(), bins=15, color="#4C72B0")
        axes[0][index].set_title(column)
        axes[1][index].boxplot(numeric[column].dropna())
        axes[1][index].set_xticks([])
    fig.suptitle("Distributions (top) and outliers (bottom)")
elif not categorical.empty:
    fig, ax = plt.subplots(figsize=(8, 4))
    df[categorical.columns[0]].value_counts().head(20).plot.bar(ax=ax)
    ax.set_title(categorical.columns[0])
else:
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.text(0.5, 0.5, "no columns", ha="center")
fig.tight_layout()
fig.savefig(CHART_PATH, dpi=100)
print(f"\\nChart written to {{CHART_PATH}}")
"""

AGENT_SYSTEM_PROMPT = """You are a data analyst with a Python sandbox (tool execute_python).
The dataset is the CSV file {csv_path} in the sandbox; load it with pandas.
Explore it step by step: structure, distributions, outliers, and whatever the question needs.
Before answering, save one matplotlib chart that supports your answer to {chart_path}
(use the Agg backend). Answer in the language of the question, concisely, citing numbers."""


@dataclass(frozen=True)
class EdaReport:
    """What an EDA run produced."""

    csv_path: str
    analysis: str
    chart: Artifact | None


def sandbox_paths(csv_file: Path) -> tuple[str, str]:
    """Where the CSV and the chart live in the sandbox."""
    name = _SAFE_NAME.sub("_", csv_file.name).strip("._") or "data.csv"
    if name == CHART_FILE_NAME:
        name = f"input_{name}"
    return name, CHART_FILE_NAME


def upload_csv(session: CodeInterpreterSession, csv_file: Path) -> tuple[str, str]:
    """Copy the CSV into the sandbox; return the sandbox CSV and chart paths."""
    size = csv_file.stat().st_size
    if size > MAX_CSV_BYTES:
        raise ConfigurationError(
            f"{csv_file} is {size} bytes; upload files over 50 MiB to S3 and read them from there"
        )
    csv_path, chart_path = sandbox_paths(csv_file)
    written = session.write_files({csv_path: csv_file.read_text(encoding="utf-8")})
    if written.failed:
        raise SessionError(
            f"Could not write {csv_path} into the sandbox: {written.error_message()}"
        )
    return csv_path, chart_path


def mounted_csv(session: CodeInterpreterSession, data_path: str) -> tuple[str, str]:
    """A CSV already on a file system the interpreter mounts: nothing to upload."""
    mounts = session.config.mounts
    if not mounts:
        raise ConfigurationError(
            f"--data-path {data_path}: the interpreter of environment {session.config.env!r}"
            " mounts no file systems; pass --csv to upload a file instead"
        )
    if not any(data_path.startswith(mount.path.rstrip("/") + "/") for mount in mounts):
        listed = ", ".join(mount.path for mount in mounts)
        raise ConfigurationError(
            f"--data-path {data_path} is not on a mounted file system ({listed}); give the"
            " absolute path of a file under one of them"
        )
    try:
        return sandbox_path(data_path, mounts=mounts), CHART_FILE_NAME
    except InvalidPathError as error:
        raise ConfigurationError(f"--data-path: {error}") from error


def prepare_data(
    session: CodeInterpreterSession, csv_file: Path | None, data_path: str | None
) -> tuple[str, str]:
    """The CSV's path in the sandbox (uploaded, or already mounted) and the chart's."""
    if data_path is not None:
        return mounted_csv(session, data_path)
    if csv_file is None:
        raise ConfigurationError("give --csv (a local file to upload) or --data-path")
    return upload_csv(session, csv_file)


def run_fixed_analysis(
    session: CodeInterpreterSession, csv_file: Path | None, data_path: str | None = None
) -> EdaReport:
    """Run the fixed pandas analysis on the CSV and save its chart; no model involved."""
    csv_path, chart_path = prepare_data(session, csv_file, data_path)
    result = session.execute_code(ANALYSIS_SCRIPT.format(csv_path=csv_path, chart_path=chart_path))
    if result.failed:
        raise SessionError(f"The analysis failed in the sandbox:\n{result.error_message()}")
    chart = session.save_artifact(chart_path)
    return EdaReport(csv_path, result.output, chart)


AgentFactory = Callable[[CodeInterpreterSession, str, str | None], Callable[[str], Any]]


def default_agent_factory(
    session: CodeInterpreterSession, system_prompt: str, model_id: str | None
) -> Callable[[str], Any]:
    """A Strands agent whose only tool is execute_python on ``session``."""
    tool = create_execute_python_tool(session)
    from strands import Agent  # noqa: PLC0415 - optional dependency, checked by the line above

    return Agent(model=model_id, tools=[tool], system_prompt=system_prompt, callback_handler=None)


def run_agent_analysis(
    session: CodeInterpreterSession,
    csv_file: Path | None,
    question: str,
    *,
    data_path: str | None = None,
    model_id: str | None = None,
    agent_factory: AgentFactory = default_agent_factory,
) -> EdaReport:
    """Let a Strands agent answer ``question`` about the CSV, then save its chart if it made one."""
    csv_path, chart_path = prepare_data(session, csv_file, data_path)
    agent = agent_factory(
        session, AGENT_SYSTEM_PROMPT.format(csv_path=csv_path, chart_path=chart_path), model_id
    )
    answer = str(agent(question))
    listing = session.list_files(SANDBOX_DIRECTORY)
    made_chart = any(
        (item.name or item.uri or "").endswith(CHART_FILE_NAME) for item in listing.resources
    )
    chart = session.save_artifact(chart_path) if made_chart else None
    return EdaReport(csv_path, answer, chart)


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: AwsClients | None = None,
    out: TextIO | None = None,
    agent_factory: AgentFactory = default_agent_factory,
) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m agent.eda", description=__doc__)
    parser.add_argument(
        "question", nargs="?", default="Describe the data: distributions and outliers."
    )
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--csv", type=Path, help="local CSV file to upload and analyse")
    data.add_argument(
        "--data-path",
        help="absolute path of a CSV already on a file system the interpreter mounts",
    )
    parser.add_argument(
        "--agent", action="store_true", help="let a Strands agent drive the analysis"
    )
    parser.add_argument(
        "--model-id", help="Bedrock model id for --agent (default: Strands' default)"
    )
    parser.add_argument("--verbose", action="store_true", help="log session events to stderr")
    add_interpreter_arguments(parser)
    add_session_arguments(parser, name_prefix=SESSION_NAME_PREFIX, default_timeout=900)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    if args.csv is not None and not args.csv.is_file():
        print(f"error: no such CSV file: {args.csv}", file=sys.stderr)
        return ExitCode.CONFIGURATION
    try:
        config, clients = load_config(args, clients)
        with CodeInterpreterSession(
            config,
            clients=clients,
            session_name=args.session_name,
            name_prefix=args.session_name_prefix,
            session_timeout_seconds=args.session_timeout,
        ) as session:
            if args.agent:
                report = run_agent_analysis(
                    session,
                    args.csv,
                    args.question,
                    data_path=args.data_path,
                    model_id=args.model_id,
                    agent_factory=agent_factory,
                )
            else:
                report = run_fixed_analysis(session, args.csv, args.data_path)
    except (AgentError, ClientError, BotoCoreError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_code_for(error)
    print(f"Question: {args.question}", file=out)
    if not args.agent:
        print(
            "(fixed analysis; pass --agent to have a Strands agent answer the question)", file=out
        )
    print(report.analysis.rstrip("\n"), file=out)
    chart = f"{report.chart.uri} ({report.chart.size} bytes)" if report.chart else "none saved"
    print(f"Chart: {chart}", file=out)
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
