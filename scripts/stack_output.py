"""Print one output of an environment's stack from `outputs/<env>.json` (written by make deploy).

The deploy workflow uses it to find the role its smoke check runs under:
    python scripts/stack_output.py dev SmokeCheckRoleArn
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# The discovery names are the package's; scripts/ is not a package, so the repository root is
# put on the path as scripts/verify.py does.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agentcore_api.discovery import (
    DEFAULT_OUTPUTS_FILE_TEMPLATE,
    STACK_NAME_TEMPLATE,
)

# Outputs some stacks do not have, and what makes the stack create them.
_LISTED_IN_GITHUB = "cdk.json's github.environments lists {env} (see 'Deploy from CI')"
_CREATED_WHEN = {"SmokeCheckRoleArn": _LISTED_IN_GITHUB, "VerifyRoleArn": _LISTED_IN_GITHUB}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environment")
    parser.add_argument("output", help="output key, e.g. CodeInterpreterId")
    parser.add_argument("--outputs-file", help="default: outputs/<environment>.json")
    args = parser.parse_args(argv)
    env: str = args.environment
    path = Path(args.outputs_file or DEFAULT_OUTPUTS_FILE_TEMPLATE.format(env=env))
    stack = STACK_NAME_TEMPLATE.format(env=env)
    if not path.is_file():
        print(f"{path} not found: run make deploy ENV={env} first", file=sys.stderr)
        return 2
    outputs = json.loads(path.read_text(encoding="utf-8")).get(stack, {})
    value = outputs.get(args.output)
    if not isinstance(value, str) or not value:
        known = ", ".join(sorted(outputs)) or "none"
        hint = _CREATED_WHEN.get(args.output, "").format(env=env)
        print(
            f"{stack} in {path} has no output {args.output} (it has: {known})"
            + (f"; the stack creates it when {hint}" if hint else ""),
            file=sys.stderr,
        )
        return 2
    print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
