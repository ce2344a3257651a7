"""Fail fast, before any AWS call, when `make ... ENV=` names no valid configured environment.

With --destroy, one more check: destroying prod, or any environment with termination protection,
also needs the environment's name repeated as CONFIRM, so a stray ENV=prod cannot do it alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.config import PROTECTED_ENVIRONMENT_NAMES, ConfigError, load_environments


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environment", nargs="?", default="")
    parser.add_argument("--destroy", action="store_true", help="the environment is to be destroyed")
    parser.add_argument("--confirm", default="", help="the environment's name, to destroy prod")
    args = parser.parse_args(argv[1:])
    environment: str = args.environment
    context = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text())["context"]
    if not environment:
        names = ", ".join(sorted(context.get("environments", {})))
        print(f"ENV is required, e.g. make deploy ENV=dev (configured: {names})", file=sys.stderr)
        return 2
    try:
        (config,) = load_environments(context.get("environments"), selected=environment)
    except ConfigError as error:
        print(f"cdk.json: {error}", file=sys.stderr)
        return 2
    protected = environment in PROTECTED_ENVIRONMENT_NAMES or config.termination_protection
    if args.destroy and protected and args.confirm != environment:
        print(
            f"refusing to destroy '{environment}' without confirmation: run"
            f" make destroy ENV={environment} CONFIRM={environment}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
