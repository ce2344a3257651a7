"""CodeInterpreterSession against the fake data plane, through real botocore."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from agentcore_fake import (
    BUCKET,
    INTERPRETER_ID,
    FakeCodeInterpreterService,
    SandboxRun,
    ServiceError,
    exception_frame,
)
from botocore.exceptions import ClientError

from agent import (
    ArtifactError,
    CodeInterpreterSession,
    ResolutionError,
    SessionError,
    SessionExpiredError,
)
from agent.resolve import InterpreterConfig


def make_session(config: InterpreterConfig, client: Any, **options: Any) -> CodeInterpreterSession:
    return CodeInterpreterSession(config, client=client, **options)


class TestSessionLifecycle:
    def test_reuses_a_ready_session_and_leaves_it_running(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        other = fake_service.add_session(name="another-agent")

        with make_session(config, agentcore_client) as session:
            session.execute_code("print(1)")
            assert session.session_id == other

        assert fake_service.calls("StartCodeInterpreterSession") == []
        assert fake_service.calls("StopCodeInterpreterSession") == []
        assert fake_service.sessions[other].status == "READY"
        listing = fake_service.calls("ListCodeInterpreterSessions")[0]
        assert listing.params["status"] == "READY"

    def test_prefers_a_ready_session_with_its_own_name(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.add_session(name="someone-else")
        mine = fake_service.add_session(name="agent-session")
        fake_service.add_session(name="newest-but-foreign")

        with make_session(config, agentcore_client) as session:
            assert session.open() == mine

    def test_ignores_terminated_sessions_and_starts_one_with_the_requested_settings(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.add_session(status="TERMINATED")

        with make_session(
            config, agentcore_client, session_name="eda-run", session_timeout_seconds=1200
        ) as session:
            started = session.open()
            assert session.owned_session_ids == (started,)

        start = fake_service.calls("StartCodeInterpreterSession")[0]
        assert start.params == {
            "codeInterpreterIdentifier": INTERPRETER_ID,
            "name": "eda-run",
            "sessionTimeoutSeconds": 1200,
            # botocore fills the idempotency token; the fake checked its pattern.
            "clientToken": start.params["clientToken"],
        }
        assert start.path == f"/code-interpreters/{INTERPRETER_ID}/sessions/start"
        assert fake_service.sessions[started].status == "TERMINATED"
        stop = fake_service.calls("StopCodeInterpreterSession")[0]
        assert stop.params["sessionId"] == started

    def test_does_not_reuse_when_told_not_to(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        other = fake_service.add_session()

        with make_session(config, agentcore_client, reuse_ready_session=False) as session:
            assert session.open() != other

        assert fake_service.calls("ListCodeInterpreterSessions") == []
        assert fake_service.sessions[other].status == "READY"

    def test_no_aws_call_until_first_use(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            assert session.session_id is None
        assert fake_service.requests == []

    @pytest.mark.parametrize("timeout", [0, 28_801])
    def test_rejects_timeouts_outside_the_service_range(
        self, config: InterpreterConfig, agentcore_client: Any, timeout: int
    ) -> None:
        with pytest.raises(ValueError, match="between 1 and 28800"):
            make_session(config, agentcore_client, session_timeout_seconds=timeout)

    def test_failed_stop_is_reported_by_close(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        session = make_session(config, agentcore_client)
        started = session.open()
        fake_service.stop_error = ServiceError("AccessDeniedException", 403, "not allowed")

        with pytest.raises(SessionError, match=rf"{started}: AccessDeniedException: not allowed"):
            session.close()
        assert session.owned_session_ids == (started,)

    def test_cleanup_failure_does_not_hide_the_original_error(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        fake_service.stop_error = ServiceError("AccessDeniedException", 403, "not allowed")

        def fail_inside_session() -> None:
            with make_session(config, agentcore_client) as session:
                session.open()
                raise RuntimeError("the real problem")

        with pytest.raises(RuntimeError, match="the real problem"):
            fail_inside_session()
        assert "Could not stop session(s)" in caplog.text


class TestExpiredSessions:
    @pytest.mark.parametrize("style", ["not_found", "validation", "opaque_validation", "stream"])
    def test_expired_session_is_replaced_once_and_the_call_retried(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
        style: str,
    ) -> None:
        fake_service.expired_session_error = style
        fake_service.code_handler = lambda code: SandboxRun(stdout=f"ran {code}\n")

        with make_session(config, agentcore_client) as session:
            first = session.open()
            fake_service.expire(first)
            result = session.execute_code("2 + 2")
            replacement = session.session_id

        assert result.stdout == "ran 2 + 2\n"
        assert replacement != first
        assert session.restarts == 1
        assert [call.params["sessionId"] for call in fake_service.invokes()] == [first, replacement]
        assert len(fake_service.calls("StartCodeInterpreterSession")) == 2
        # Only the live replacement is stopped; the expired one is already gone.
        stopped = [
            call.params["sessionId"] for call in fake_service.calls("StopCodeInterpreterSession")
        ]
        assert stopped == [replacement]

    def test_opaque_validation_error_is_confirmed_with_get_session(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.expired_session_error = "opaque_validation"

        with make_session(config, agentcore_client) as session:
            first = session.open()
            fake_service.expire(first)
            session.execute_command("true")

        lookups = fake_service.calls("GetCodeInterpreterSession")
        assert [call.params["sessionId"] for call in lookups] == [first]

    def test_validation_error_of_a_live_session_is_not_mistaken_for_expiry(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.scripted_invokes.append(
            ServiceError("ValidationException", 400, "Invalid request")
        )

        with make_session(config, agentcore_client) as session:
            session.open()
            with pytest.raises(ClientError, match="Invalid request"):
                session.execute_code("x")

        assert len(fake_service.calls("StartCodeInterpreterSession")) == 1

    def test_gives_up_when_the_replacement_is_gone_too(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            fake_service.expire(session.open())
            fake_service.scripted_invokes.append(
                [exception_frame("resourceNotFoundException", "Session not found")]
            )
            with pytest.raises(SessionExpiredError, match="giving up"):
                session.execute_code("x")

        assert len(fake_service.calls("StartCodeInterpreterSession")) == 2
        assert session.restarts == 1

    def test_each_call_gets_its_own_single_retry(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            fake_service.expire(session.open())
            session.execute_code("a")
            fake_service.expire(session.open())
            session.execute_code("b")

        assert session.restarts == 2
        assert len(fake_service.calls("StartCodeInterpreterSession")) == 3


class TestOperations:
    def test_execute_code_sends_the_model_shaped_request(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            session_id = session.open()
            session.execute_code("print('hi')", clear_context=True)

        invoke = fake_service.invokes("executeCode")[0]
        assert invoke.path == f"/code-interpreters/{INTERPRETER_ID}/tools/invoke"
        assert invoke.headers["x-amzn-code-interpreter-session-id"] == session_id
        assert invoke.params["arguments"] == {
            "code": "print('hi')",
            "language": "python",
            "clearContext": True,
        }

    def test_results_aggregate_every_event_of_the_stream(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.scripted_invokes.append(
            [
                {
                    "content": [{"type": "text", "text": "step 1\n"}],
                    "structuredContent": {"stdout": "step 1\n", "executionTime": 10.0},
                },
                {
                    "content": [
                        {"type": "image", "data": b"\x89PNG-bytes", "mimeType": "image/png"}
                    ],
                    "structuredContent": {"stdout": "step 2\n", "executionTime": 25.0},
                },
                {
                    "content": [{"type": "text", "text": "done\n"}],
                    "structuredContent": {
                        "stdout": "done\n",
                        "stderr": "a warning\n",
                        "exitCode": 0,
                        "executionTime": 31.5,
                    },
                    "isError": False,
                },
            ]
        )

        with make_session(config, agentcore_client) as session:
            result = session.execute_code("long job")

        assert result.event_count == 3
        assert result.stdout == "step 1\nstep 2\ndone\n"
        assert result.stderr == "a warning\n"
        assert result.exit_code == 0
        assert result.execution_time_ms == 31.5
        assert [image.data for image in result.images] == [b"\x89PNG-bytes"]
        assert not result.failed

    def test_error_flag_in_a_later_event_marks_the_result_failed(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.scripted_invokes.append(
            [
                {"content": [], "structuredContent": {"stdout": "partial\n"}},
                {
                    "content": [{"type": "text", "text": "ZeroDivisionError: division by zero"}],
                    "structuredContent": {
                        "stderr": "Traceback ...\nZeroDivisionError: division by zero\n",
                        "exitCode": 1,
                    },
                    "isError": True,
                },
            ]
        )

        with make_session(config, agentcore_client) as session:
            result = session.execute_code("1/0")

        assert result.failed
        assert result.is_error
        assert result.stdout == "partial\n"
        assert "ZeroDivisionError" in result.error_message()

    def test_non_zero_exit_code_fails_even_without_the_error_flag(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.command_handler = lambda _command: SandboxRun(
            stderr="ls: no such file\n", exit_code=2
        )

        with make_session(config, agentcore_client) as session:
            result = session.execute_command("ls missing")

        assert not result.is_error
        assert result.failed
        assert result.exit_code == 2
        assert result.error_message() == "ls: no such file"
        assert fake_service.invokes("executeCommand")[0].params["arguments"] == {
            "command": "ls missing"
        }

    def test_write_read_and_list_files(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            session.write_files({"notes.txt": "hello", "raw.bin": b"\x00\xff"})
            read = session.read_files(["notes.txt", "raw.bin"])
            listing = session.list_files("")

        write = fake_service.invokes("writeFiles")[0].params["arguments"]["content"]
        assert write[0] == {"path": "notes.txt", "text": "hello"}
        assert write[1]["path"] == "raw.bin"
        assert "text" not in write[1]
        assert [item.text for item in read.resources] == ["hello", None]
        assert read.resources[1].data == b"\x00\xff"
        assert {item.name for item in listing.resources} == {"notes.txt", "raw.bin"}
        assert fake_service.invokes("listFiles")[0].params["arguments"] == {"directoryPath": ""}

    def test_reading_a_missing_file_is_an_error_result(
        self, config: InterpreterConfig, agentcore_client: Any
    ) -> None:
        with make_session(config, agentcore_client) as session:
            result = session.read_files(["absent.txt"])

        assert result.failed
        assert "File not found: absent.txt" in result.error_message()


class TestSaveArtifact:
    def test_copies_with_a_quoted_aws_s3_cp_and_returns_the_uri(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, agentcore_client) as session:
            session.write_files({"my chart; rm -rf ~.png": "png"})
            uri = session.save_artifact("my chart; rm -rf ~.png")
            session_id = session.session_id

        command = fake_service.invokes("executeCommand")[0].params["arguments"]["command"]
        expected_uri = f"s3://{BUCKET}/output_artifacts/{session_id}/my_chart_rm_-rf_.png"
        assert uri == expected_uri
        assert shlex.split(command) == [
            "aws",
            "s3",
            "cp",
            "my chart; rm -rf ~.png",
            expected_uri,
            "--only-show-errors",
            "--region",
            "us-east-1",
        ]

    def test_explicit_key_is_placed_under_the_prefix(
        self, config: InterpreterConfig, agentcore_client: Any
    ) -> None:
        with make_session(config, agentcore_client) as session:
            session.write_files({"-report.csv": "a,b"})
            uri = session.save_artifact("-report.csv", key="reports/latest.csv")

        assert uri == f"s3://{BUCKET}/output_artifacts/reports/latest.csv"

    @pytest.mark.parametrize("key", ["../escape.txt", "/absolute.txt", "a//b", "bad key.txt"])
    def test_rejects_keys_that_leave_the_prefix_or_need_quoting(
        self, config: InterpreterConfig, agentcore_client: Any, key: str
    ) -> None:
        with (
            make_session(config, agentcore_client) as session,
            pytest.raises(ValueError, match="Invalid artifact key"),
        ):
            session.save_artifact("file.txt", key=key)

    def test_failed_copy_raises_with_the_sandbox_stderr(
        self, config: InterpreterConfig, agentcore_client: Any
    ) -> None:
        with (
            make_session(config, agentcore_client) as session,
            pytest.raises(ArtifactError, match="does not exist") as raised,
        ):
            session.save_artifact("never-written.png")

        assert "never-written.png does not exist" in raised.value.stderr

    def test_needs_an_artifact_bucket(self, agentcore_client: Any) -> None:
        from agent.resolve import resolve

        builtin = resolve(
            "dev", interpreter_id="aws.codeinterpreter.v1", region="us-east-1", use_ssm=False
        )
        with (
            make_session(builtin, agentcore_client) as session,
            pytest.raises(ResolutionError, match="No artifact bucket name found"),
        ):
            session.save_artifact("x.png")


def test_result_dict_is_json_serialisable(
    config: InterpreterConfig, agentcore_client: Any, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda _code: SandboxRun(stdout="ok\n", images=[b"img"])

    with make_session(config, agentcore_client) as session:
        result = session.execute_code("plot()")

    encoded = json.loads(json.dumps(result.to_dict()))
    assert encoded["stdout"] == "ok\n"
    assert encoded["content"][1] == {
        "type": "image",
        "mime_type": "image/png",
        "data_base64": "aW1n",
    }
