"""Session housekeeping (`python -m agent.sessions`) against the fake data plane; the interpreter
is found in the stack's SSM parameters (moto)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from agentcore_fake import INTERPRETER_ID, REGION, FakeCodeInterpreterService, ServiceError

from agent.clients import AwsClients
from agent.sessions import duration, main

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def run(clients: AwsClients, *arguments: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = main(
        ["--env", "dev", *arguments],
        clients=clients,
        out=out,
        now=lambda: NOW,
    )
    return status, out.getvalue().splitlines()


def add(
    fake: FakeCodeInterpreterService,
    name: str,
    *,
    age: timedelta,
    timeout: timedelta = timedelta(hours=8),
    status: str = "READY",
) -> str:
    session_id = fake.add_session(name=name, status=status)
    session = fake.sessions[session_id]
    session.created_at = (NOW - age).timestamp()
    session.timeout = int(timeout.total_seconds())
    return session_id


@pytest.fixture
def fleet(fake_service: FakeCodeInterpreterService) -> dict[str, str]:
    return {
        "mcp": add(fake_service, "mcp-server-1a2b", age=timedelta(hours=3, minutes=5)),
        "eda": add(fake_service, "eda-3c4d", age=timedelta(minutes=20), timeout=timedelta(hours=1)),
        "smoke": add(fake_service, "smoke-check-5e6f", age=timedelta(hours=7, minutes=59)),
        "ended": add(fake_service, "agent-7a8b", age=timedelta(hours=5), status="TERMINATED"),
    }


def rows(lines: list[str]) -> dict[str, list[str]]:
    """Table rows by session id (the header and the title line left out)."""
    return {line.split()[0]: line.split() for line in lines[2:] if line.split()}


def test_lists_ready_sessions_oldest_first_with_age_and_time_left(
    deployed_clients: AwsClients, fleet: dict[str, str]
) -> None:
    status, lines = run(deployed_clients)

    assert status == 0
    assert lines[0] == f"Sessions of {INTERPRETER_ID} in {REGION}:"
    assert lines[1].split() == ["SESSION", "NAME", "STATUS", "AGE", "TIME", "LEFT"]
    assert list(rows(lines)) == [fleet["smoke"], fleet["mcp"], fleet["eda"]]
    assert rows(lines)[fleet["mcp"]][1:] == ["mcp-server-1a2b", "READY", "3h05m", "4h55m"]
    assert rows(lines)[fleet["eda"]][1:] == ["eda-3c4d", "READY", "20m", "40m"]
    assert rows(lines)[fleet["smoke"]][1:] == ["smoke-check-5e6f", "READY", "7h59m", "1m"]


def test_all_adds_ended_sessions_without_time_left(
    deployed_clients: AwsClients, fleet: dict[str, str]
) -> None:
    status, lines = run(deployed_clients, "--all")

    assert status == 0
    assert rows(lines)[fleet["ended"]][1:] == ["agent-7a8b", "TERMINATED", "5h00m", "-"]
    assert len(rows(lines)) == 4


def test_listing_follows_every_page(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService
) -> None:
    fake_service.list_page_limit = 2
    ids = {add(fake_service, f"agent-{n}", age=timedelta(minutes=n)) for n in range(1, 6)}

    status, lines = run(deployed_clients)

    assert status == 0
    assert set(rows(lines)) == ids
    tokens = [
        call.params.get("nextToken") for call in fake_service.calls("ListCodeInterpreterSessions")
    ]
    assert tokens == [None, "2", "4"]


def test_without_yes_nothing_is_stopped_and_the_candidates_are_named(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService, fleet: dict[str, str]
) -> None:
    status, lines = run(deployed_clients, "--stop-older-than", "2h")

    assert status == 0
    assert fake_service.calls("StopCodeInterpreterSession") == []
    would = [line for line in lines if line.startswith("would stop")]
    assert [line.split()[2] for line in would] == [fleet["smoke"], fleet["mcp"]]
    assert lines[-1] == "2 READY session(s) older than 2h00m: add --yes to stop them."


def test_yes_stops_ready_sessions_older_than_the_limit_and_prints_each(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService, fleet: dict[str, str]
) -> None:
    status, lines = run(deployed_clients, "--stop-older-than", "2h", "--yes")

    assert status == 0
    stopped = [line for line in lines if line.startswith("stopped")]
    assert stopped == [
        f"stopped {fleet['smoke']} (smoke-check-5e6f, age 7h59m)",
        f"stopped {fleet['mcp']} (mcp-server-1a2b, age 3h05m)",
    ]
    assert {name: fake_service.sessions[i].status for name, i in fleet.items()} == {
        "mcp": "TERMINATED",
        "eda": "READY",
        "smoke": "TERMINATED",
        "ended": "TERMINATED",
    }
    # Each stop carries its own client token, so a retried stop is the same request.
    tokens = [c.params["clientToken"] for c in fake_service.calls("StopCodeInterpreterSession")]
    assert len(set(tokens)) == 2


def test_nothing_old_enough_is_said_so(deployed_clients: AwsClients, fleet: dict[str, str]) -> None:
    status, lines = run(deployed_clients, "--stop-older-than", "1d", "--yes")

    assert status == 0
    assert lines[-1] == "No READY session is older than 24h00m."


def test_a_stop_that_fails_is_named_and_fails_the_command(
    deployed_clients: AwsClients, fake_service: FakeCodeInterpreterService, fleet: dict[str, str]
) -> None:
    fake_service.stop_error = ServiceError("AccessDeniedException", 403, "not authorized")

    status, lines = run(deployed_clients, "--stop-older-than", "2h", "--yes")

    assert status == 1
    failed = [line for line in lines if line.startswith("FAILED to stop")]
    assert len(failed) == 2
    assert "AccessDeniedException" in failed[0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--yes"], "--yes stops sessions only together with --stop-older-than"),
        (["--stop-older-than", "2 hours"], "'2 hours' is not a duration"),
        (["--stop-older-than", "0m"], "'0m' is no time at all"),
        (["--stop-older-than", ""], "'' is not a duration"),
    ],
)
def test_bad_arguments_exit_2_before_any_call(
    clients: AwsClients,
    fake_service: FakeCodeInterpreterService,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as raised:
        run(clients, *arguments)

    assert raised.value.code == 2
    assert message in capsys.readouterr().err
    assert fake_service.requests == []


def test_an_interpreter_that_cannot_be_found_exits_2(
    deployed_clients: AwsClients, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    status = main(
        ["--env", "dev", "--ssm-prefix", "/nothing/here"], clients=deployed_clients, out=out
    )

    assert status == 2
    assert "code interpreter id" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("3600s", timedelta(hours=1)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert duration(text) == expected
