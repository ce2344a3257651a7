"""Fail fast, before any AWS call, when `make ... ENV=` names no valid configured environment.

With --destroy, one more check: destroying prod, or any environment with termination protection,
also needs the environment's name repeated as CONFIRM, so a stray ENV=prod cannot do it alone.
With --github, the check is for `make deploy-access`: cdk.json must have a valid `github` entry.
Reads the cdk.json of the directory make runs in, as the CDK CLI does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.config import PROTECTED_ENVIRONMENT_NAMES, ConfigError, load_environments
from stacks.deploy_access_config import load_github_config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("environment", nargs="?", default="")
    parser.add_argument("--destroy", action="store_true", help="the environment is to be destroyed")
    parser.add_argument("--confirm", default="", help="the environment's name, to destroy prod")
    parser.add_argument("--github", action="store_true", help="check the `github` entry instead")
    args = parser.parse_args(argv[1:])
    context = json.loads(Path("cdk.json").read_text())["context"]
    if args.github:
        return _check_github(context)
    environment: str = args.environment
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


def _check_github(context: dict[str, object]) -> int:
    environments = context.get("environments")
    names = list(environments) if isinstance(environments, dict) else []
    try:
        github = load_github_config(context.get("github"), names)
    except ConfigError as error:
        print(f"cdk.json: {error}", file=sys.stderr)
        return 2
    if github is None:
        print(
            "cdk.json has no 'github' entry, so there is no CodeInterpreter-DeployAccess stack to"
            " deploy. Add one next to 'environments' (README, 'Deploy from CI', step 2), e.g."
            ' "github": {"repository": "<owner>/<repo>", "environments": ["dev"]}',
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
