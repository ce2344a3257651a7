"""Shared CLI behaviour: region handling and argument validation."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from agentcore_fake import INTERPRETER_ARN

from agent import ExitCode, ResolutionError, eda, mcp_server, smoke
from agent.cli import add_interpreter_arguments, add_session_arguments, load_config
from agent.clients import AwsClients

REPO_ROOT = Path(__file__).resolve().parents[2]


def parse(*arguments: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_interpreter_arguments(parser)
    add_session_arguments(parser, name_prefix="test", default_timeout=900)
    return parser.parse_args(list(arguments))


def test_region_flag_must_match_injected_clients(deployed_clients: AwsClients) -> None:
    with pytest.raises(ResolutionError, match="--region is eu-west-1 but the AWS clients are for"):
        load_config(parse("--region", "eu-west-1"), deployed_clients)


def test_interpreter_found_in_another_region_than_the_clients_is_refused(
    deployed_clients: AwsClients, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    arn = INTERPRETER_ARN.replace("us-east-1", "eu-west-1")
    deployed_clients.ssm.put_parameter(
        Name="/agentcore/dev/code-interpreter/arn", Value=arn, Type="String", Overwrite=True
    )

    with pytest.raises(
        ResolutionError, match=r"is in region eu-west-1, but the region is us-east-1"
    ):
        load_config(parse(), deployed_clients)


def test_env_defaults_to_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODE_INTERPRETER_ENV", "staging")

    assert parse().env == "staging"


@pytest.mark.parametrize("timeout", ["0", "28801", "soon"])
def test_session_timeout_outside_the_service_range_is_a_usage_error(
    timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        parse("--session-timeout", timeout)

    assert raised.value.code == 2
    assert "--session-timeout" in capsys.readouterr().err


def test_session_name_is_only_set_when_the_caller_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parse().session_name is None
    assert parse().session_name_prefix == "test"
    assert parse("--session-name", "nightly").session_name == "nightly"

    monkeypatch.setenv("CODE_INTERPRETER_SESSION_NAME", "from-environment")

    assert parse().session_name == "from-environment"


def test_without_a_region_the_error_lists_ssm_and_why_it_was_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    with pytest.raises(ResolutionError) as raised:
        load_config(parse("--outputs-file", "missing.json"))

    assert (
        "SSM parameters under /agentcore/dev/code-interpreter "
        "(skipped: no region: pass --region or set AWS_REGION)"
    ) in str(raised.value)


RunCommand = Callable[[list[str]], int]
COMMANDS: dict[str, RunCommand] = {
    "mcp_server": mcp_server.main,
    "eda": lambda argv: eda.main(
        [*argv, "--csv", str(REPO_ROOT / "examples" / "data.csv")], out=io.StringIO()
    ),
    "smoke": lambda argv: smoke.main(argv, out=io.StringIO()),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unresolvable_interpreter_exits_2_from_every_command(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")  # no region: nothing reaches SSM

    exit_code = COMMANDS[command](["--env", "qa", "--outputs-file", "missing.json"])

    assert exit_code == ExitCode.CONFIGURATION == 2
    assert "No code interpreter id found for environment 'qa'" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_session_timeout_the_api_refuses_exits_2_from_every_command(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        COMMANDS[command](["--session-timeout", "28801"])

    assert raised.value.code == ExitCode.CONFIGURATION
    assert "28801 is not between 1 and 28800 seconds" in capsys.readouterr().err


def test_the_session_timeout_help_states_the_models_range() -> None:
    from agentcore_api.constraints import data_plane

    parser = argparse.ArgumentParser()
    add_session_arguments(parser, name_prefix="test", default_timeout=900)
    low, high = data_plane().session_timeout_seconds

    assert f"the API allows {low}-{high}" in " ".join(parser.format_help().split())
