"""`make bench`: how much this app's synth costs over a bare CDK app, and how long the tests take.

Prints figures measured in this one run; it is not a test and asserts nothing. Targets:
synth ratio <= 1.5 and a full test suite <= 60 s after setup on a 2-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
# As the Makefile's test target runs pytest.
PYTEST_WORKERS = ("-n", "auto", "--maxprocesses", "4", "--dist", "worksteal")
SYNTH_RATIO_TARGET = 1.5
TEST_SUITE_TARGET_SECONDS = 60.0

BARE_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Bare")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def synth_medians(commands: dict[str, tuple[list[str], Path]]) -> dict[str, float]:
    """Median wall time of each synth, after one discarded warm-up run of each.

    The runs take turns (a, b, c, a, b, c, ...) so that whatever else the machine is doing
    weighs on every command alike.
    """
    durations: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(RUNS + 1):
        label = "warm-up" if round_number == 0 else f"run {round_number}/{RUNS}"
        print(f"synth {label}:", end="", flush=True)
        for name, (command, cwd) in commands.items():
            shutil.rmtree(cwd / "cdk.out", ignore_errors=True)
            elapsed = timed(command, cwd)
            print(f"  {name} {elapsed:5.2f} s", end="", flush=True)
            if round_number > 0:
                durations[name].append(elapsed)
        print(flush=True)
    return {name: statistics.median(runs) for name, runs in durations.items()}


def main() -> int:
    cdk = str(ROOT / "node_modules" / ".bin" / "cdk")
    with tempfile.TemporaryDirectory() as scratch:
        bare_dir = Path(scratch)
        (bare_dir / "app.py").write_text(BARE_APP)
        # Same feature flags and CLI settings as this app, so only the app itself differs.
        settings = json.loads((ROOT / "cdk.json").read_text())
        settings["context"].pop("environments")
        settings["app"] = f"{sys.executable} app.py"
        (bare_dir / "cdk.json").write_text(json.dumps(settings))
        medians = synth_medians(
            {
                "project": ([cdk, "synth", "--quiet"], ROOT),
                "bare": ([cdk, "synth", "--quiet"], bare_dir),
                # Not part of the ratio: the synth inside `make diff` and `make deploy`.
                "with_packs": ([cdk, "synth", "--quiet", "-c", "agentcore:nag=true"], ROOT),
            }
        )
    project, bare, with_packs = medians["project"], medians["bare"], medians["with_packs"]
    ratio = project / bare
    environments = len(list((ROOT / "cdk.out").glob("*.template.json")))
    print(
        f"machine: {os.cpu_count()} cores; synth figures are the median of {RUNS} runs, taken"
        " in turns after a warm-up run"
    )
    print(f"synth, this app ({environments} environments): {project:6.2f} s")
    print(f"synth, bare one-stack app:          {bare:6.2f} s")
    verdict = "ok" if ratio <= SYNTH_RATIO_TARGET else "over target"
    print(f"ratio:                              {ratio:6.2f}   ", end="")
    print(f"(target <= {SYNTH_RATIO_TARGET}: {verdict})")
    print(f"synth with the rule packs, as make diff/deploy run it: {with_packs:6.2f} s", flush=True)
    print("test suite (pytest as make test runs it)...", flush=True)
    suite = timed(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PYTEST_WORKERS], ROOT
    )
    verdict = "ok" if suite <= TEST_SUITE_TARGET_SECONDS else "over target"
    print(
        f"test suite:                         {suite:6.2f} s (target <= "
        f"{TEST_SUITE_TARGET_SECONDS:.0f} s: {verdict})",
        flush=True,
    )
    print("agent package (scripts/bench_agent.py):", flush=True)
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_agent.py")], check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
