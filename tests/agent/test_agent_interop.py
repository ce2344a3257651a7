"""The libraries agent code already uses run in OUR interpreter once given the resolved id.

AgentCore's Python SDK (``bedrock_agentcore``) and strands-agents-tools create their own boto3
clients. Every bedrock-agentcore client botocore creates during these tests is handed to the
data-plane fake, so real botocore still serialises each request and parses each response
(event stream included); nothing else changes in those libraries.
"""

from __future__ import annotations

import warnings
from typing import Any

import botocore.session
import pytest
from agentcore_fake import REGION, FakeCodeInterpreterService, SandboxRun
from moto.core.models import botocore_stubber

from agent import BUILTIN_INTERPRETER_ID
from agent.resolve import InterpreterConfig

with warnings.catch_warnings():
    # bedrock-agentcore 1.25 declares one pydantic model with a class-based config, which
    # pydantic 2 deprecates; the warning is theirs and says nothing about these tests.
    warnings.filterwarnings("ignore", "Support for class-based `config`", DeprecationWarning)
    from bedrock_agentcore.tools.code_interpreter_client import CodeInterpreter
    from strands_tools.code_interpreter import AgentCoreCodeInterpreter
    from strands_tools.code_interpreter.models import ExecuteCodeAction


@pytest.fixture
def routed_to_fake(
    fake_service: FakeCodeInterpreterService, monkeypatch: pytest.MonkeyPatch
) -> FakeCodeInterpreterService:
    """Attach the fake to every bedrock-agentcore client created while the test runs."""
    create_client = botocore.session.Session.create_client

    def create_and_attach(
        self: botocore.session.Session, service_name: str, *a: Any, **k: Any
    ) -> Any:
        client = create_client(self, service_name, *a, **k)
        if service_name == "bedrock-agentcore":
            client.meta.events.unregister("before-send", botocore_stubber)
            fake_service.attach(client)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_and_attach)
    fake_service.code_handler = lambda code: SandboxRun(stdout=f"ran: {code}\n")
    return fake_service


def test_agentcore_sdk_code_interpreter_runs_in_our_interpreter(
    config: InterpreterConfig, routed_to_fake: FakeCodeInterpreterService
) -> None:
    # The seed's code, with one line changed: start() names the resolved interpreter.
    code_client = CodeInterpreter(REGION)
    code_client.start(identifier=config.interpreter_id, session_timeout_seconds=1200)
    response = code_client.invoke(
        "executeCode", {"code": "print(6 * 7)", "language": "python", "clearContext": False}
    )
    events = [event["result"] for event in response["stream"]]
    code_client.stop()

    assert events[0]["structuredContent"]["stdout"] == "ran: print(6 * 7)\n"
    start = routed_to_fake.calls("StartCodeInterpreterSession")[0]
    assert start.params["sessionTimeoutSeconds"] == 1200
    identifiers = {call.params["codeInterpreterIdentifier"] for call in routed_to_fake.requests}
    assert identifiers == {config.interpreter_id}
    assert BUILTIN_INTERPRETER_ID not in identifiers
    assert [call.operation for call in routed_to_fake.requests] == [
        "StartCodeInterpreterSession",
        "InvokeCodeInterpreter",
        "StopCodeInterpreterSession",
    ]


def test_agentcore_sdk_without_an_identifier_would_use_the_built_in_one(
    routed_to_fake: FakeCodeInterpreterService,
) -> None:
    """Why the seed needs the one-line change: the SDK's default is AWS's shared interpreter."""
    code_client = CodeInterpreter(REGION)

    with pytest.raises(Exception, match="ResourceNotFoundException"):
        code_client.start()

    start = routed_to_fake.calls("StartCodeInterpreterSession")[0]
    assert start.params["codeInterpreterIdentifier"] == BUILTIN_INTERPRETER_ID


def test_strands_agentcore_code_interpreter_runs_in_our_interpreter(
    config: InterpreterConfig, routed_to_fake: FakeCodeInterpreterService
) -> None:
    interpreter = AgentCoreCodeInterpreter(region=REGION, identifier=config.interpreter_id)

    result = interpreter.execute_code(ExecuteCodeAction(type="executeCode", code="print(1)"))

    assert result["status"] == "success"
    assert "ran: print(1)" in result["content"][0]["text"]
    identifiers = {call.params["codeInterpreterIdentifier"] for call in routed_to_fake.requests}
    assert identifiers == {config.interpreter_id}
    assert BUILTIN_INTERPRETER_ID not in identifiers
    invoke = routed_to_fake.invokes("executeCode")[0]
    assert invoke.params["sessionId"] in routed_to_fake.sessions
