"""The post-deploy smoke check, end to end against moto (SSM, S3) and the fake data plane."""

from __future__ import annotations

import io
import re

import pytest
from agentcore_fake import BUCKET, FakeCodeInterpreterService, SandboxRun, script_smoke_check

from agent.clients import AwsClients
from agent.smoke import STEPS, main

LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+) +(\d+\.\d\ds|-)  (.*)$")


@pytest.fixture
def sandbox(fake_service: FakeCodeInterpreterService) -> FakeCodeInterpreterService:
    """Scripted answers to the smoke snippet and command, with the file the snippet writes."""
    return script_smoke_check(fake_service)


def run_smoke(clients: AwsClients, *arguments: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    exit_code = main(["--env", "dev", *arguments], clients=clients, out=out)
    return exit_code, out.getvalue().splitlines()


def test_every_step_passes_and_prints_one_timed_line_each(
    deployed_clients: AwsClients, sandbox: FakeCodeInterpreterService
) -> None:
    exit_code, lines = run_smoke(deployed_clients)

    assert exit_code == 0
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [match.group(2) for match in parsed if match] == list(STEPS)
    assert {match.group(1) for match in parsed if match} == {"PASS"}
    assert all(match.group(3).endswith("s") for match in parsed if match)

    uri = next(line for line in lines if line.startswith("PASS save-artifact")).split()[-1]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    assert bucket == BUCKET
    assert key.startswith("output_artifacts/smoke/")
    stored = deployed_clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored.startswith(b"agentcore smoke check ")

    # The check used a session of its own and stopped it.
    started = sandbox.calls("StartCodeInterpreterSession")
    assert len(started) == 1
    assert re.fullmatch(r"smoke-check-[0-9a-f]{16}", started[0].params["name"])
    assert started[0].params["sessionTimeoutSeconds"] == 300
    assert sandbox.calls("ListCodeInterpreterSessions") == []
    assert all(session.status == "TERMINATED" for session in sandbox.sessions.values())


def test_missing_s3_object_fails_the_save_step(
    deployed_clients: AwsClients,
    sandbox: FakeCodeInterpreterService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox.drop_uploads = True  # the copy "succeeds" but nothing reaches the bucket

    exit_code, lines = run_smoke(deployed_clients)

    assert exit_code == 1
    save = next(line for line in lines if " save-artifact " in line)
    assert save.startswith("FAIL")
    assert "S3 has no object with key 'output_artifacts/smoke/" in save
    assert next(line for line in lines if " verify-artifact " in line).startswith("SKIP")
    assert "smoke check FAILED at step save-artifact: " in capsys.readouterr().err
    # The session is still stopped after the failure.
    assert lines[-1].startswith("PASS stop-session")
    assert all(session.status == "TERMINATED" for session in sandbox.sessions.values())


def test_failing_python_step_skips_the_rest_but_stops_the_session(
    deployed_clients: AwsClients,
    fake_service: FakeCodeInterpreterService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_service.code_handler = lambda code: SandboxRun(
        stderr="ModuleNotFoundError: no module named x\n", exit_code=1, is_error=True
    )

    exit_code, lines = run_smoke(deployed_clients)

    assert exit_code == 1
    statuses = {line.split()[1]: line.split()[0] for line in lines}
    assert statuses == {
        "resolve": "PASS",
        "start-session": "PASS",
        "execute-python": "FAIL",
        "execute-command": "SKIP",
        "save-artifact": "SKIP",
        "verify-artifact": "SKIP",
        "stop-session": "PASS",
    }
    assert "ModuleNotFoundError" in next(line for line in lines if "execute-python" in line)
    assert "FAILED at step execute-python" in capsys.readouterr().err


def test_unresolvable_interpreter_fails_the_first_step(
    deployed_clients: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, lines = run_smoke(deployed_clients, "--env", "qa")

    assert exit_code == 2  # a configuration error, not a failed check
    assert lines[0].startswith("FAIL resolve")
    assert "No code interpreter id found for environment 'qa'" in lines[0]
    assert all(line.startswith("SKIP") for line in lines[1:])
    assert len(lines) == len(STEPS)
    assert "FAILED at step resolve" in capsys.readouterr().err


def test_verify_compares_the_bytes_that_arrived(
    deployed_clients: AwsClients, sandbox: FakeCodeInterpreterService
) -> None:
    answer = sandbox.code_handler

    def write_other_bytes(code: str) -> SandboxRun:
        run = answer(code)
        for session in sandbox.sessions.values():
            for path in session.files:
                session.files[path] = "corrupted\n"
        return run

    sandbox.code_handler = write_other_bytes

    exit_code, lines = run_smoke(deployed_clients)

    assert exit_code == 1
    verify = next(line for line in lines if " verify-artifact " in line)
    assert verify.startswith("FAIL")
    assert "holds 10 bytes that differ from the" in verify
