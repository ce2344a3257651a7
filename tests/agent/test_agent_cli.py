"""Shared CLI behaviour: region handling and argument validation."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from agentcore_fake import INTERPRETER_ARN

from agent import ResolutionError
from agent.cli import add_interpreter_arguments, add_session_arguments, load_config
from agent.clients import AwsClients


def parse(*arguments: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_interpreter_arguments(parser)
    add_session_arguments(parser, default_name="test")
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
