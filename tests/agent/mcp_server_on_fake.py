"""``python -m agent.mcp_server``'s ``main()`` on real stdio, with the data-plane fake as AWS.

Run as a child process by the shutdown tests, which need a real process: its stdin to close,
SIGTERM to send, file descriptors to check. The code "runs" until the file named by
``RELEASE_FILE`` exists, so a test can hold a call in progress; ``started`` on stderr says it
began. At exit the StopCodeInterpreterSession calls the fake received go to ``REPORT_FILE``.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from pathlib import Path

import boto3
from agentcore_fake import INTERPRETER_ID, REGION, FakeCodeInterpreterService, SandboxRun

from agent import mcp_server
from agent.clients import AwsClients, client_config, invoke_client_config

release_file = Path(os.environ["RELEASE_FILE"])
report_file = Path(os.environ["REPORT_FILE"])
fake = FakeCodeInterpreterService(INTERPRETER_ID)
boto = boto3.Session()  # fake credentials from the environment the test gives


def run_until_released(code: str) -> SandboxRun:
    print("started", file=sys.stderr, flush=True)
    while not release_file.exists():
        time.sleep(0.02)
    return SandboxRun(stdout=f"ran {code}\n")


def report() -> None:
    stopped = [call.params["sessionId"] for call in fake.calls("StopCodeInterpreterSession")]
    started = list(fake.sessions)
    report_file.write_text(json.dumps({"started": started, "stopped": stopped}))


fake.code_handler = run_until_released
clients = AwsClients(
    REGION,
    agentcore=fake.attach(boto.client("bedrock-agentcore", REGION, config=client_config())),
    agentcore_invoke=fake.attach(
        boto.client("bedrock-agentcore", REGION, config=invoke_client_config())
    ),
)
atexit.register(report)
sys.exit(mcp_server.main(sys.argv[1:], clients=clients))
