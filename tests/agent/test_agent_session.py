"""CodeInterpreterSession against the fake data plane, through real botocore."""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Callable
from typing import Any

import pytest
from agentcore_fake import (
    BUCKET,
    INTERPRETER_ID,
    REGION,
    FakeCodeInterpreterService,
    SandboxRun,
    ServiceError,
    exception_frame,
)
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from agent import (
    Artifact,
    ArtifactError,
    CodeInterpreterSession,
    ConfigurationError,
    InvalidPathError,
    InvokeTimeoutError,
    ResolutionError,
    SessionError,
    SessionExpiredError,
)
from agent.clients import AwsClients
from agent.resolve import InterpreterConfig


def make_session(
    config: InterpreterConfig, clients: AwsClients, **options: Any
) -> CodeInterpreterSession:
    return CodeInterpreterSession(config, clients=clients, **options)


class TestSessionOwnership:
    def test_never_attaches_to_another_callers_ready_session(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        foreign = fake_service.add_session(name="another-agent")
        also_foreign = fake_service.add_session(name="agent-session")

        with make_session(config, clients) as session:
            session.execute_code("print(1)")
            own = session.session_id

        assert own not in {foreign, also_foreign}
        invoked = {call.params["sessionId"] for call in fake_service.invokes()}
        assert invoked == {own}
        stopped = [
            call.params["sessionId"] for call in fake_service.calls("StopCodeInterpreterSession")
        ]
        assert stopped == [own]
        assert fake_service.sessions[foreign].status == "READY"
        assert fake_service.sessions[also_foreign].status == "READY"
        # A name nobody else has needs no search.
        assert fake_service.calls("ListCodeInterpreterSessions") == []

    def test_default_name_is_random_per_object_with_a_readable_prefix(
        self, config: InterpreterConfig, clients: AwsClients
    ) -> None:
        first = make_session(config, clients)
        second = make_session(config, clients)
        named = make_session(config, clients, name_prefix="report-bot")

        assert first.session_name != second.session_name
        assert re.fullmatch(r"agent-[0-9a-f]{16}", first.session_name)
        assert re.fullmatch(r"report-bot-[0-9a-f]{16}", named.session_name)
        assert not first.name_is_explicit
        assert not first.reuses_by_name

    def test_explicitly_named_session_is_picked_up_and_left_running(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.add_session(name="nightly-report-x")
        mine = fake_service.add_session(name="nightly-report")
        fake_service.add_session(name="newest-but-foreign")

        with make_session(config, clients, session_name="nightly-report") as session:
            session.execute_code("print(1)")
            assert session.session_id == mine

        assert fake_service.calls("StartCodeInterpreterSession") == []
        assert fake_service.calls("StopCodeInterpreterSession") == []
        assert fake_service.sessions[mine].status == "READY"
        listing = fake_service.calls("ListCodeInterpreterSessions")[0]
        assert listing.params["status"] == "READY"
        assert listing.params["maxResults"] == 100

    def test_explicit_name_without_a_ready_session_starts_one_under_that_name(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        foreign = fake_service.add_session(name="someone-else")
        fake_service.add_session(name="nightly-report", status="TERMINATED")

        with make_session(config, clients, session_name="nightly-report") as session:
            started = session.open()

        assert started != foreign
        assert fake_service.sessions[started].name == "nightly-report"
        assert fake_service.sessions[foreign].status == "READY"

    def test_two_ready_sessions_with_the_name_pick_the_newest_and_say_so(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        older = fake_service.add_session(name="nightly-report")
        newer = fake_service.add_session(name="nightly-report")

        with make_session(config, clients, session_name="nightly-report") as session:
            assert session.open() == newer

        assert f"2 READY sessions of interpreter {INTERPRETER_ID} are named 'nightly-report'" in (
            caplog.text
        )
        assert f"using {newer}, the newest" in caplog.text
        assert fake_service.sessions[older].status == "READY"

    def test_listing_follows_next_token_until_its_own_session_is_found(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.list_page_limit = 2
        for index in range(5):
            fake_service.add_session(name=f"other-{index}")
        mine = fake_service.add_session(name="nightly-report")

        with make_session(config, clients, session_name="nightly-report") as session:
            assert session.open() == mine

        pages = fake_service.calls("ListCodeInterpreterSessions")
        assert [page.params.get("nextToken") for page in pages] == [None, "2", "4"]
        assert fake_service.calls("StartCodeInterpreterSession") == []

    def test_a_next_token_seen_before_stops_the_listing(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def same_page_forever(**_: Any) -> dict[str, Any]:
            return {"items": [], "nextToken": "again"}

        monkeypatch.setattr(clients.agentcore, "list_code_interpreter_sessions", same_page_forever)

        with pytest.raises(SessionError, match="nextToken it had returned before"):
            make_session(config, clients, session_name="nightly-report").open()

    def test_does_not_reuse_when_told_not_to(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        mine = fake_service.add_session(name="nightly-report")

        with make_session(
            config, clients, session_name="nightly-report", reuse_ready_session=False
        ) as session:
            assert session.open() != mine

        assert fake_service.calls("ListCodeInterpreterSessions") == []
        assert fake_service.sessions[mine].status == "READY"

    @pytest.mark.parametrize("name", ["", "x" * 101])
    def test_rejects_names_the_api_refuses(
        self, config: InterpreterConfig, clients: AwsClients, name: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=r"1-100 characters"):
            make_session(config, clients, session_name=name)


class TestSessionLifecycle:
    def test_ignores_terminated_sessions_and_starts_one_with_the_requested_settings(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        # Its name is the one asked for: only its status keeps it from being reused.
        fake_service.add_session(name="eda-run", status="TERMINATED")

        with make_session(
            config, clients, session_name="eda-run", session_timeout_seconds=1200
        ) as session:
            started = session.open()
            assert session.owned_session_ids == (started,)

        start = fake_service.calls("StartCodeInterpreterSession")[0]
        assert start.params == {
            "codeInterpreterIdentifier": INTERPRETER_ID,
            "name": "eda-run",
            "sessionTimeoutSeconds": 1200,
            # One token per start; the fake checked its pattern.
            "clientToken": start.params["clientToken"],
        }
        assert start.path == f"/code-interpreters/{INTERPRETER_ID}/sessions/start"
        assert fake_service.sessions[started].status == "TERMINATED"
        stop = fake_service.calls("StopCodeInterpreterSession")[0]
        assert stop.params["sessionId"] == started

    def test_no_aws_call_until_first_use(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
            assert session.session_id is None
        assert fake_service.requests == []

    @pytest.mark.parametrize("timeout", [0, 28_801])
    def test_rejects_timeouts_outside_the_service_range(
        self, config: InterpreterConfig, clients: AwsClients, timeout: int
    ) -> None:
        with pytest.raises(ConfigurationError, match="between 1 and 28800"):
            make_session(config, clients, session_timeout_seconds=timeout)

    def test_failed_stop_is_reported_by_close(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        session = make_session(config, clients)
        started = session.open()
        fake_service.stop_error = ServiceError("AccessDeniedException", 403, "not allowed")

        with pytest.raises(SessionError, match=rf"{started}: AccessDeniedException: not allowed"):
            session.close()
        assert session.owned_session_ids == (started,)

    def test_a_stop_that_gets_no_answer_is_reported_by_close(
        self, config: InterpreterConfig, clients: AwsClients
    ) -> None:
        session = make_session(config, clients)
        started = session.open()

        def no_connection(**kwargs: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://bedrock-agentcore.example")

        clients.agentcore.meta.events.register(
            "before-send.bedrock-agentcore.StopCodeInterpreterSession", no_connection
        )

        with pytest.raises(SessionError, match=rf"{started}: Could not connect to the endpoint"):
            session.close(wait_for_calls=False)
        assert session.owned_session_ids == (started,)

    def test_closing_for_shutdown_stops_the_session_while_a_call_runs_and_starts_no_other(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        running, release = threading.Event(), threading.Event()

        def long_code(code: str) -> SandboxRun:
            running.set()
            release.wait(60)
            return SandboxRun(stdout="done\n")

        fake_service.code_handler = long_code
        session = make_session(config, clients)
        started = session.open()
        call = threading.Thread(target=session.execute_code, args=("train()",), daemon=True)
        call.start()
        assert running.wait(10)

        session.close(wait_for_calls=False)
        call_still_running = call.is_alive() and not release.is_set()
        stopped_while_running = [
            c.params["sessionId"] for c in fake_service.calls("StopCodeInterpreterSession")
        ]
        release.set()
        call.join(10)

        assert call_still_running  # close returned although the call holds the session
        assert stopped_while_running == [started]
        assert session.owned_session_ids == ()
        with pytest.raises(SessionError, match="closed for shutdown; it starts no new session"):
            session.execute_code("print(1)")
        assert len(fake_service.calls("StartCodeInterpreterSession")) == 1

    def test_closing_for_shutdown_waits_for_a_start_on_its_way_and_stops_that_session(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        starting, release_start = threading.Event(), threading.Event()

        def slow_start(**kwargs: Any) -> None:
            starting.set()
            release_start.wait(10)

        clients.agentcore.meta.events.register(
            "before-call.bedrock-agentcore.StartCodeInterpreterSession", slow_start
        )
        session = make_session(config, clients)
        failures: list[BaseException] = []

        def first_call() -> None:
            try:
                session.execute_code("print(1)")
            except SessionError as error:
                failures.append(error)

        call = threading.Thread(target=first_call, daemon=True)
        call.start()
        assert starting.wait(10)
        closing = threading.Thread(
            target=session.close, kwargs={"wait_for_calls": False}, daemon=True
        )
        closing.start()
        closing.join(0.2)
        waited_for_the_start = closing.is_alive()
        release_start.set()
        closing.join(10)
        call.join(10)

        assert waited_for_the_start
        (started,) = [c.params for c in fake_service.calls("StartCodeInterpreterSession")]
        stopped = [c.params["sessionId"] for c in fake_service.calls("StopCodeInterpreterSession")]
        assert stopped == list(fake_service.sessions)
        assert len(stopped) == 1
        assert started["name"] == session.session_name
        assert [str(error) for error in failures] == [
            "This CodeInterpreterSession was closed for shutdown; it starts no new session."
        ]
        assert fake_service.invokes() == []

    def test_cleanup_failure_does_not_hide_the_original_error(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        fake_service.stop_error = ServiceError("AccessDeniedException", 403, "not allowed")

        def fail_inside_session() -> None:
            with make_session(config, clients) as session:
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
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        style: str,
    ) -> None:
        fake_service.expired_session_error = style
        fake_service.code_handler = lambda code: SandboxRun(stdout=f"ran {code}\n")

        with make_session(config, clients) as session:
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
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.expired_session_error = "opaque_validation"

        with make_session(config, clients) as session:
            first = session.open()
            fake_service.expire(first)
            session.execute_command("true")

        lookups = fake_service.calls("GetCodeInterpreterSession")
        assert [call.params["sessionId"] for call in lookups] == [first]

    def test_validation_error_of_a_live_session_is_not_mistaken_for_expiry(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.scripted_invokes.append(
            ServiceError("ValidationException", 400, "Invalid request")
        )

        with make_session(config, clients) as session:
            session.open()
            with pytest.raises(ClientError, match="Invalid request"):
                session.execute_code("x")

        assert len(fake_service.calls("StartCodeInterpreterSession")) == 1

    def test_gives_up_when_the_replacement_is_gone_too(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
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
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
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
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
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
        clients: AwsClients,
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

        with make_session(config, clients) as session:
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
        clients: AwsClients,
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

        with make_session(config, clients) as session:
            result = session.execute_code("1/0")

        assert result.failed
        assert result.is_error
        assert result.stdout == "partial\n"
        assert "ZeroDivisionError" in result.error_message()

    def test_non_zero_exit_code_fails_even_without_the_error_flag(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.command_handler = lambda _command: SandboxRun(
            stderr="ls: no such file\n", exit_code=2
        )

        with make_session(config, clients) as session:
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
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
            session.write_files({"notes.txt": "hello", "raw.bin": b"\x00\xff"})
            read = session.read_files(["notes.txt", "raw.bin"])
            listing = session.list_files()

        write = fake_service.invokes("writeFiles")[0].params["arguments"]["content"]
        assert write[0] == {"path": "notes.txt", "text": "hello"}
        assert write[1]["path"] == "raw.bin"
        assert "text" not in write[1]
        assert [item.text for item in read.resources] == ["hello", None]
        assert read.resources[1].data == b"\x00\xff"
        assert {item.name for item in listing.resources} == {"notes.txt", "raw.bin"}
        # The default is the working directory.
        assert fake_service.invokes("listFiles")[0].params["arguments"] == {"directoryPath": "."}

    def test_reading_a_missing_file_is_an_error_result(
        self, config: InterpreterConfig, clients: AwsClients
    ) -> None:
        with make_session(config, clients) as session:
            result = session.read_files(["absent.txt"])

        assert result.failed
        assert "File not found: absent.txt" in result.error_message()


class TestSaveArtifact:
    def test_copies_with_a_quoted_aws_s3_cp_and_returns_the_confirmed_object(
        self,
        config: InterpreterConfig,
        deployed_clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, deployed_clients) as session:
            session.write_files({"my chart; rm -rf ~.png": "png"})
            artifact = session.save_artifact("my chart; rm -rf ~.png")
            session_id = session.session_id

        command = fake_service.invokes("executeCommand")[0].params["arguments"]["command"]
        key = f"output_artifacts/{session_id}/my_chart_rm_-rf_.png"
        expected_uri = f"s3://{BUCKET}/{key}"
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
        head = deployed_clients.s3.head_object(Bucket=BUCKET, Key=key)
        assert artifact == Artifact(
            uri=expected_uri,
            bucket=BUCKET,
            key=key,
            size=3,
            etag=head["ETag"].strip('"'),
            version_id=head.get("VersionId"),
        )
        assert str(artifact) == expected_uri

    def test_explicit_key_is_placed_under_the_prefix(
        self, config: InterpreterConfig, deployed_clients: AwsClients
    ) -> None:
        with make_session(config, deployed_clients) as session:
            session.write_files({"-report.csv": "a,b"})
            artifact = session.save_artifact("-report.csv", key="reports/latest.csv")

        assert artifact.uri == f"s3://{BUCKET}/output_artifacts/reports/latest.csv"
        assert artifact.size == 3

    def test_a_copy_that_succeeds_but_writes_nothing_fails_naming_the_key(
        self,
        config: InterpreterConfig,
        deployed_clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.drop_uploads = True  # `aws s3 cp` exits 0, but no object arrives

        with make_session(config, deployed_clients) as session:
            session.write_files({"chart.png": "png"})
            with pytest.raises(ArtifactError) as raised:
                session.save_artifact("chart.png", key="charts/c.png")

        message = str(raised.value)
        assert "S3 has no object with key 'output_artifacts/charts/c.png'" in message
        assert f"in bucket {BUCKET} (HeadObject: 404)" in message
        assert fake_service.invokes("executeCommand")[0].params["arguments"]["command"]

    def test_denied_head_object_is_reported_with_the_permission_needed(
        self,
        config: InterpreterConfig,
        deployed_clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.drop_uploads = True  # the stubbed S3 client answers HeadObject only
        with (
            make_session(config, deployed_clients) as session,
            Stubber(deployed_clients.s3) as s3,
        ):
            session.write_files({"chart.png": "png"})
            s3.add_client_error("head_object", "403", "Forbidden", http_status_code=403)
            with pytest.raises(ArtifactError, match="needs s3:GetObject under the artifact"):
                session.save_artifact("chart.png")

    @pytest.mark.parametrize("key", ["../escape.txt", "/absolute.txt", "a//b", "bad key.txt"])
    def test_rejects_keys_that_leave_the_prefix_or_need_quoting(
        self, config: InterpreterConfig, clients: AwsClients, key: str
    ) -> None:
        with (
            make_session(config, clients) as session,
            pytest.raises(ValueError, match="Invalid artifact key"),
        ):
            session.save_artifact("file.txt", key=key)

    def test_failed_copy_raises_with_the_sandbox_stderr(
        self, config: InterpreterConfig, clients: AwsClients
    ) -> None:
        with (
            make_session(config, clients) as session,
            pytest.raises(ArtifactError, match="does not exist") as raised,
        ):
            session.save_artifact("never-written.png")

        assert "never-written.png does not exist" in raised.value.stderr

    def test_needs_an_artifact_bucket(self, clients: AwsClients) -> None:
        from agent.resolve import resolve

        builtin = resolve(
            "dev", interpreter_id="aws.codeinterpreter.v1", region="us-east-1", use_ssm=False
        )
        with (
            make_session(builtin, clients) as session,
            pytest.raises(ResolutionError, match="No artifact bucket name found"),
        ):
            session.save_artifact("x.png")


class TestSandboxPaths:
    @pytest.mark.parametrize(
        ("path", "fragment"),
        [
            ("/etc/passwd", "Absolute sandbox path '/etc/passwd' refused"),
            ("../outside.txt", "Sandbox path '../outside.txt' has a '..' segment"),
            ("data/../../x", "Sandbox path 'data/../../x' has a '..' segment"),
            ("", "Invalid sandbox path ''"),
        ],
    )
    def test_every_file_operation_refuses_paths_outside_the_working_directory(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        path: str,
        fragment: str,
    ) -> None:
        session = make_session(config, clients)
        calls: list[Callable[[], object]] = [
            lambda: session.write_files({path: "x"}),
            lambda: session.read_files([path]),
            lambda: session.remove_files([path]),
            lambda: session.save_artifact(path),
            lambda: session.list_files(path),
        ]
        for call in calls:
            with pytest.raises(InvalidPathError) as raised:
                call()
            assert fragment in str(raised.value)
            assert "relative to the session's working directory" in str(raised.value)
        assert fake_service.requests == []

    def test_relative_paths_and_the_working_directory_are_accepted(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
            session.write_files({"out/chart.png": b"png", "./notes.txt": "hi"})
            session.list_files("out")
            session.list_files(".")

        assert [
            call.params["arguments"]["directoryPath"] for call in fake_service.invokes("listFiles")
        ] == ["out", "."]


class TestInvokeRetries:
    def test_a_timed_out_invoke_is_sent_once_and_not_retried(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        instant_retries: list[float],
    ) -> None:
        session = make_session(config, clients)
        session.open()
        fake_service.invoke_read_timeouts = 4

        with pytest.raises(InvokeTimeoutError, match="was not retried") as raised:
            session.execute_code("train_model()")

        assert len(fake_service.invokes("executeCode")) == 1
        assert instant_retries == []
        assert "start_command_execution" in str(raised.value)

    def test_the_same_timeout_is_retried_by_a_client_with_standard_retries(
        self,
        config: InterpreterConfig,
        agentcore_client: Any,
        fake_service: FakeCodeInterpreterService,
        instant_retries: list[float],
    ) -> None:
        # The hazard the separate invoke client exists for: standard retries repeat the code.
        retrying = AwsClients(REGION, agentcore=agentcore_client, agentcore_invoke=agentcore_client)
        session = make_session(config, retrying)
        session.open()
        fake_service.invoke_read_timeouts = 4

        with pytest.raises(InvokeTimeoutError):
            session.execute_code("train_model()")

        assert len(fake_service.invokes("executeCode")) == 4
        assert len(instant_retries) == 3

    def test_invoke_client_waits_past_the_service_limit_and_never_retries(self) -> None:
        clients = AwsClients(REGION)

        invoke = clients.agentcore_invoke.meta.config
        control = clients.agentcore.meta.config
        assert invoke.read_timeout > 900
        assert invoke.retries == {"mode": "standard", "total_max_attempts": 1}
        assert control.retries == {"mode": "standard", "total_max_attempts": 4}

    def test_a_throttled_start_is_retried_with_the_same_client_token(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
        instant_retries: list[float],
    ) -> None:
        fake_service.fail_next(
            "StartCodeInterpreterSession",
            ServiceError("ThrottlingException", 429, "Rate exceeded"),
        )

        with make_session(config, clients) as session:
            session.open()

        starts = fake_service.calls("StartCodeInterpreterSession")
        assert len(starts) == 2
        assert len(instant_retries) == 1
        assert starts[0].params["clientToken"] == starts[1].params["clientToken"]
        assert len(fake_service.sessions) == 1
        stop = fake_service.calls("StopCodeInterpreterSession")[0]
        assert len(stop.params["clientToken"]) >= 33


class TestTasks:
    def test_a_command_runs_as_a_task_followed_to_completion(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.task_handler = lambda command: SandboxRun(stdout=f"done: {command}\n")
        fake_service.task_polls_until_done = 2
        sleeps: list[float] = []

        with make_session(config, clients) as session:
            started = session.start_command_execution("python train.py")
            assert started.task_id is not None
            assert started.task_status == "submitted"
            first = session.get_task(started.task_id)
            final = session.wait_for_task(started.task_id, poll_seconds=3, sleep=sleeps.append)

        assert first.task_status == "working"
        assert not first.task_finished
        assert final.task_status == "completed"
        assert final.stdout == "done: python train.py\n"
        assert final.to_dict()["task_id"] == started.task_id
        assert sleeps == [3]
        assert fake_service.invokes("startCommandExecution")[0].params["arguments"] == {
            "command": "python train.py"
        }
        assert {call.params["arguments"]["taskId"] for call in fake_service.invokes("getTask")} == {
            started.task_id
        }

    def test_stop_task_cancels_it(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.task_polls_until_done = 10

        with make_session(config, clients) as session:
            task_id = session.start_command_execution("sleep 3600").task_id
            assert task_id is not None
            stopped = session.stop_task(task_id)

        assert stopped.task_status == "canceled"
        assert stopped.task_finished
        assert not stopped.failed

    def test_waiting_gives_up_after_the_timeout_and_leaves_the_task_running(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        fake_service.task_polls_until_done = 100
        now = [0.0]

        def sleep(seconds: float) -> None:
            now[0] += seconds

        with make_session(config, clients) as session:
            task_id = session.start_command_execution("sleep 3600").task_id
            assert task_id is not None
            with pytest.raises(SessionError, match=r"still working after 10 s"):
                session.wait_for_task(
                    task_id, poll_seconds=4, timeout_seconds=10, sleep=sleep, clock=lambda: now[0]
                )

        assert fake_service.calls("InvokeCodeInterpreter")[-1].params["name"] == "getTask"
        assert len(fake_service.invokes("getTask")) == 3
        assert fake_service.invokes("stopTask") == []

    def test_waiting_on_an_answer_without_a_status_stops_at_once(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
            session.open()
            fake_service.scripted_invokes.append(
                [{"content": [], "structuredContent": {"taskId": "task-9"}}]
            )
            with pytest.raises(SessionError, match="without a taskStatus"):
                session.wait_for_task("task-9", sleep=lambda _seconds: None)

    def test_a_task_of_an_ended_session_is_not_looked_up_in_a_new_one(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(config, clients) as session:
            first_session = session.open()
            task_id = session.start_command_execution("sleep 60").task_id
            assert task_id is not None
            fake_service.expire(first_session)
            with pytest.raises(SessionExpiredError, match="was not retried on a new one"):
                session.get_task(task_id)
            session.execute_code("print(1)")  # replaces the session
            with pytest.raises(SessionExpiredError, match=f"ran in session {first_session}"):
                session.get_task(task_id)

        assert len(fake_service.calls("StartCodeInterpreterSession")) == 2


ACCOUNT_ARN = "arn:aws:{service}:us-east-1:123456789012"
CA_SECRET_ARN = ACCOUNT_ARN.format(service="secretsmanager") + ":secret:corp-ca-AbCdEf"
EFS_MOUNT: dict[str, Any] = {
    "efsConfiguration": {
        "fileSystemArn": ACCOUNT_ARN.format(service="elasticfilesystem")
        + ":file-system/fs-0123456789abcdef0",
        "accessPointArn": ACCOUNT_ARN.format(service="elasticfilesystem")
        + ":access-point/fsap-0123456789abcdef0",
        "mountPath": "/mnt/data",
    }
}


class TestStartOptions:
    def test_certificates_and_file_systems_are_passed_to_the_started_session(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        with make_session(
            config, clients, certificates=[CA_SECRET_ARN], filesystem_configurations=[EFS_MOUNT]
        ) as session:
            session_id = session.open()

        params = fake_service.sessions[session_id].start_params
        assert params["certificates"] == [
            {"location": {"secretsManager": {"secretArn": CA_SECRET_ARN}}}
        ]
        assert params["filesystemConfigurations"] == [EFS_MOUNT]

    def test_options_the_model_refuses_fail_before_any_call(
        self,
        config: InterpreterConfig,
        clients: AwsClients,
        fake_service: FakeCodeInterpreterService,
    ) -> None:
        bad_mount = {"efsConfiguration": {**EFS_MOUNT["efsConfiguration"], "mountPath": "/data"}}
        both = {**EFS_MOUNT, "s3FilesConfiguration": {}}

        with pytest.raises(ConfigurationError) as raised:
            make_session(
                config,
                clients,
                certificates=["not-an-arn"],
                filesystem_configurations=[bad_mount, both, EFS_MOUNT],
            )

        message = str(raised.value)
        assert "certificates[0].location.secretsManager.secretArn: got 'not-an-arn'" in message
        assert "filesystemConfigurations[0].efsConfiguration.mountPath: got '/data'" in message
        assert "filesystemConfigurations[1]: got 2 members; allowed: exactly one of" in message
        assert "filesystemConfigurations[2]: mount path '/mnt/data' is already used" in message
        assert fake_service.requests == []


def test_result_dict_is_json_serialisable(
    config: InterpreterConfig, clients: AwsClients, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.code_handler = lambda _code: SandboxRun(stdout="ok\n", images=[b"img"])

    with make_session(config, clients) as session:
        result = session.execute_code("plot()")

    encoded = json.loads(json.dumps(result.to_dict()))
    assert encoded["stdout"] == "ok\n"
    assert encoded["content"][1] == {
        "type": "image",
        "mime_type": "image/png",
        "data_base64": "aW1n",
    }
