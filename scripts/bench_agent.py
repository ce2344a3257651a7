"""Benchmarks of the agent package, offline (python scripts/bench_agent.py).

1. MCP server start: from starting ``python -m agent.mcp_server`` to its answer to
   ``initialize``, median of 10 runs. The interpreter comes from environment variables, as a
   deployed MCP host would set them, so no AWS call is involved.
2. Overhead per call: ``CodeInterpreterSession.execute_code`` (what the MCP tool and the Strands
   tool call) and the MCP ``execute_python`` tool, each against a bare boto3
   ``invoke_code_interpreter`` on the same data-plane fake (tests/agent), which answers through
   real botocore. The MCP tool is called by the ``mcp`` SDK's client through
   OS pipes to the server in the same process (tests/agent/mcp_pipes.py), so JSON-RPC framing
   and the server's worker thread are in the figure; only process start-up is not.

Each measurement is printed as soon as it is done. Timings on a shared machine vary: compare
medians, and rerun when another job was busy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests" / "agent")]

STARTUP_RUNS = 10
CALLS = 300
WARMUP_CALLS = 30
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bench_agent", "version": "1"},
    },
}


def main() -> int:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    startup = bench_mcp_startup()
    overhead = bench_call_overhead()
    print("\nsummary")
    print(f"  mcp server start to answered initialize: median {startup * 1000:.0f} ms")
    for name, milliseconds in overhead.items():
        print(f"  {name}: {milliseconds:+.2f} ms per call")
    return 0


def bench_mcp_startup() -> float:
    from agentcore_fake import BUCKET, INTERPRETER_ARN, INTERPRETER_ID  # noqa: PLC0415

    environment = {
        **{key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}},
        **FAKE_CREDENTIALS,
        "AWS_REGION": REGION,
        "PYTHONPATH": str(REPO_ROOT),
        "CODE_INTERPRETER_ID": INTERPRETER_ID,
        "CODE_INTERPRETER_ARN": INTERPRETER_ARN,
        "CODE_INTERPRETER_ARTIFACT_BUCKET": BUCKET,
        "CODE_INTERPRETER_ARTIFACT_PREFIX": "output_artifacts/",
    }
    request = (json.dumps(INITIALIZE) + "\n").encode()
    print(f"mcp server start to answered initialize ({STARTUP_RUNS} runs)")
    durations = []
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(1, STARTUP_RUNS + 1):
            started = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "agent.mcp_server", "--env", "dev"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=environment,
                cwd=workdir,
            )
            stdin, stdout = server.stdin, server.stdout
            if stdin is None or stdout is None:
                raise SystemExit("the server's stdio pipes were not created")
            stdin.write(request)
            stdin.flush()
            answer = stdout.readline()
            elapsed = time.perf_counter() - started
            stdin.close()
            server.wait(timeout=30)
            if b'"result"' not in answer:
                raise SystemExit(f"run {run}: no initialize result: {answer[:200]!r}")
            durations.append(elapsed)
            print(f"  run {run:2d}: {elapsed * 1000:6.0f} ms", flush=True)
    median = statistics.median(durations)
    print(f"  median: {median * 1000:.0f} ms", flush=True)
    return median


def bench_call_overhead() -> dict[str, float]:
    import anyio  # noqa: PLC0415
    import boto3  # noqa: PLC0415
    from agentcore_fake import INTERPRETER_ID, FakeCodeInterpreterService, SandboxRun  # noqa: PLC0415
    from mcp import Client  # noqa: PLC0415
    from mcp_pipes import pipe_transport  # noqa: PLC0415

    from agent.clients import AwsClients, client_config, invoke_client_config  # noqa: PLC0415
    from agent.mcp_server import build_server  # noqa: PLC0415
    from agent.resolve import resolve  # noqa: PLC0415
    from agent.session import CodeInterpreterSession  # noqa: PLC0415

    fake = FakeCodeInterpreterService(INTERPRETER_ID)
    fake.code_handler = lambda code: SandboxRun(stdout="42\n")
    boto = boto3.Session(region_name=REGION)
    control = fake.attach(boto.client("bedrock-agentcore", config=client_config()))
    invoke = fake.attach(boto.client("bedrock-agentcore", config=invoke_client_config()))
    config = resolve("dev", interpreter_id=INTERPRETER_ID, region=REGION, use_ssm=False)
    session = CodeInterpreterSession(
        config, clients=AwsClients(REGION, agentcore=control, agentcore_invoke=invoke)
    )
    session_id = session.open()
    code = "print(6 * 7)"

    def bare_boto3() -> None:
        response = invoke.invoke_code_interpreter(
            codeInterpreterIdentifier=INTERPRETER_ID,
            sessionId=session_id,
            name="executeCode",
            arguments={"code": code, "language": "python"},
        )
        for _ in response["stream"]:
            pass
        response["stream"].close()

    def package() -> None:
        session.execute_code(code)

    print(f"\nper-call time against the fake ({CALLS} calls each, after {WARMUP_CALLS} warm-up)")
    bare = _per_call("bare boto3 invoke_code_interpreter", bare_boto3)
    api = _per_call("CodeInterpreterSession.execute_code", package)

    async def over_mcp() -> float:
        async with Client(pipe_transport(build_server(session)), mode="legacy") as client:
            arguments = {"code": code}
            for _ in range(WARMUP_CALLS):
                await client.call_tool("execute_python", arguments)
            samples = []
            for _ in range(CALLS):
                started = time.perf_counter()
                await client.call_tool("execute_python", arguments)
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

    tool = anyio.run(over_mcp)
    print(f"  MCP execute_python (SDK client over pipes): median {tool * 1000:.2f} ms", flush=True)
    session.close()
    results = {
        "CodeInterpreterSession.execute_code over bare boto3": (api - bare) * 1000,
        "MCP execute_python over bare boto3 (incl. MCP protocol)": (tool - bare) * 1000,
    }
    for name, milliseconds in results.items():
        print(f"  overhead, {name}: {milliseconds:+.2f} ms", flush=True)
    return results


def _per_call(name: str, call: Callable[[], Any]) -> float:
    for _ in range(WARMUP_CALLS):
        call()
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    median = statistics.median(samples)
    print(f"  {name}: median {median * 1000:.2f} ms", flush=True)
    return median


if __name__ == "__main__":
    sys.exit(main())
