"""Fail fast, before any AWS call, when `make ... ENV=` names no valid configured environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.config import ConfigError, load_environments


def main(argv: list[str]) -> int:
    environment = argv[1] if len(argv) > 1 else ""
    context = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text())["context"]
    if not environment:
        names = ", ".join(sorted(context.get("environments", {})))
        print(f"ENV is required, e.g. make deploy ENV=dev (configured: {names})", file=sys.stderr)
        return 2
    try:
        load_environments(context.get("environments"), selected=environment)
    except ConfigError as error:
        print(f"cdk.json: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
