"""The Strands execute_python tool: logic without strands, wrapping only when it is installed."""

from __future__ import annotations

import sys

import pytest
from agentcore_fake import FakeCodeInterpreterService, SandboxRun

from agent import StrandsNotInstalledError
from agent.clients import AwsClients
from agent.resolve import InterpreterConfig
from agent.session import CodeInterpreterSession
from agent.strands_tool import create_execute_python_tool, run_execute_python


@pytest.fixture
def session(config: InterpreterConfig, clients: AwsClients) -> CodeInterpreterSession:
    return CodeInterpreterSession(config, clients=clients)


def test_success_returns_stdout_and_status_success(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(stdout="42\n", images=[b"\x89PNG"])

    result = run_execute_python(session, "print(6 * 7)", "the answer")

    assert result["status"] == "success"
    assert result["content"][0] == {"text": "42"}
    assert result["content"][1] == {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}}
    sent = fake_service.invokes("executeCode")[0].params["arguments"]
    assert sent == {"code": "# the answer\nprint(6 * 7)", "language": "python"}


def test_exception_in_the_code_is_status_error_with_stderr(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(
        stdout="before\n",
        stderr="KeyError: 'revenue'\n",
        exit_code=1,
        is_error=True,
    )

    result = run_execute_python(session, "df['revenue']")

    assert result["status"] == "error"
    assert result["content"][0]["text"] == "before\n[stderr]\nKeyError: 'revenue'\n[exit code 1]"


def test_aws_failure_is_status_error_not_an_exception(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.interpreter_id = "somebody_else-AbCdEfGh12"

    result = run_execute_python(session, "print(1)")

    assert result["status"] == "error"
    assert "ResourceNotFoundException" in result["content"][0]["text"]


def test_without_strands_the_factory_says_how_to_install_it(
    session: CodeInterpreterSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "strands", None)

    with pytest.raises(
        StrandsNotInstalledError, match=r"pip install -r requirements-agent-strands\.txt"
    ):
        create_execute_python_tool(session)


def test_with_strands_the_tool_has_a_spec_and_runs_in_the_session(
    session: CodeInterpreterSession, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(stdout="hello\n")

    tool = create_execute_python_tool(session)

    assert tool.tool_name == "execute_python"
    schema = tool.tool_spec["inputSchema"]["json"]
    assert schema["required"] == ["code"]
    assert "sandbox" in tool.tool_spec["description"]
    assert tool(code="print('hello')")["status"] == "success"
