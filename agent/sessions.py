"""Housekeeping for an environment's code-interpreter sessions: list them, stop old ones.

A session costs money for as long as it lives, up to its timeout (at most 8 hours), whether or
not anyone uses it.

    python -m agent.sessions --env dev                             # READY sessions: age, time left
    python -m agent.sessions --env dev --all                       # TERMINATED ones too
    python -m agent.sessions --env dev --stop-older-than 2h        # what would be stopped
    python -m agent.sessions --env dev --stop-older-than 2h --yes  # stop them

Only READY sessions older than the limit are stopped, and only with --yes; each one stopped is
printed. It needs what the stack's AgentAccess policy grants: list, get and stop sessions of this
interpreter. Exit codes as every agent command's (agent/exit_codes.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from agent.cli import add_interpreter_arguments, configure_logging, load_config
from agent.clients import AwsClients
from agent.errors import AgentError, error_code
from agent.exit_codes import ExitCode, exit_code_for
from agent.session import list_sessions, stop_session

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    name: str
    status: str
    created_at: datetime
    # Known for READY sessions (GetCodeInterpreterSession); None for ended ones.
    timeout: timedelta | None

    def age(self, now: datetime) -> timedelta:
        return now - self.created_at

    def time_left(self, now: datetime) -> timedelta | None:
        if self.timeout is None or self.status != "READY":
            return None
        return max(self.created_at + self.timeout - now, timedelta(0))


def duration(text: str) -> timedelta:
    """`--stop-older-than`: 90m, 2h, 1h30m, 1d, 3600s."""
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: use whole numbers with d, h, m or s, like 90m, 2h"
            " or 1h30m"
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value <= timedelta(0):
        raise argparse.ArgumentTypeError(f"{text!r} is no time at all: give a duration above 0")
    return value


def show(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = int(value.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def sessions_of(
    clients: AwsClients, interpreter_id: str, *, include_ended: bool
) -> list[SessionInfo]:
    """The interpreter's sessions, oldest first; READY ones with their timeout."""
    found = []
    for item in list_sessions(clients, interpreter_id, status=None if include_ended else "READY"):
        timeout = None
        if item["status"] == "READY":
            details = clients.agentcore.get_code_interpreter_session(
                codeInterpreterIdentifier=interpreter_id, sessionId=item["sessionId"]
            )
            timeout = timedelta(seconds=details["sessionTimeoutSeconds"])
        found.append(
            SessionInfo(
                session_id=item["sessionId"],
                name=item.get("name", ""),
                status=item["status"],
                created_at=item["createdAt"],
                timeout=timeout,
            )
        )
    return sorted(found, key=lambda info: (info.created_at, info.session_id))


def print_table(sessions: Sequence[SessionInfo], now: datetime, out: TextIO) -> None:
    rows = [("SESSION", "NAME", "STATUS", "AGE", "TIME LEFT")] + [
        (s.session_id, s.name or "-", s.status, show(s.age(now)), show(s.time_left(now)))
        for s in sessions
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]), file=out)


def stop_older_than(
    clients: AwsClients,
    interpreter_id: str,
    sessions: Sequence[SessionInfo],
    *,
    limit: timedelta,
    now: datetime,
    confirmed: bool,
    out: TextIO,
) -> int:
    old = [s for s in sessions if s.status == "READY" and s.age(now) > limit]
    if not old:
        print(f"No READY session is older than {show(limit)}.", file=out)
        return ExitCode.OK
    if not confirmed:
        for s in old:
            print(f"would stop {s.session_id} ({s.name or '-'}, age {show(s.age(now))})", file=out)
        print(
            f"{len(old)} READY session(s) older than {show(limit)}: add --yes to stop them.",
            file=out,
        )
        return ExitCode.OK
    failed = 0
    for s in old:
        try:
            stop_session(clients, interpreter_id, s.session_id)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                print(f"already gone {s.session_id} ({s.name or '-'})", file=out)
                continue
            failed += 1
            print(f"FAILED to stop {s.session_id} ({s.name or '-'}): {error}", file=out)
            continue
        print(f"stopped {s.session_id} ({s.name or '-'}, age {show(s.age(now))})", file=out)
    return ExitCode.FAILED if failed else ExitCode.OK


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: AwsClients | None = None,
    out: TextIO | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agent.sessions", description=__doc__.split("\n\n", 1)[0]
    )
    add_interpreter_arguments(parser)
    parser.add_argument("--all", action="store_true", help="list TERMINATED sessions too")
    parser.add_argument(
        "--stop-older-than",
        type=duration,
        metavar="DURATION",
        help="stop READY sessions older than this (e.g. 2h, 90m), with --yes",
    )
    parser.add_argument("--yes", action="store_true", help="really stop them")
    parser.add_argument(
        "--verbose", action="store_true", help="log what the command does (INFO) to stderr"
    )
    args = parser.parse_args(argv)
    if args.yes and args.stop_older_than is None:
        parser.error("--yes stops sessions only together with --stop-older-than")
    configure_logging(args.verbose)
    out = out or sys.stdout
    try:
        config, aws = load_config(args, clients)
        sessions = sessions_of(aws, config.interpreter_id, include_ended=args.all)
        moment = now()
        print(f"Sessions of {config.interpreter_id} in {config.region}:", file=out)
        print_table(sessions, moment, out)
        if args.stop_older_than is None:
            return ExitCode.OK
        return stop_older_than(
            aws,
            config.interpreter_id,
            sessions,
            limit=args.stop_older_than,
            now=moment,
            confirmed=args.yes,
            out=out,
        )
    except (AgentError, ClientError, BotoCoreError) as error:
        print(f"agent.sessions: {error}", file=sys.stderr)
        return exit_code_for(error)


if __name__ == "__main__":
    sys.exit(main())
