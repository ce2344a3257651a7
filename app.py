#!/usr/bin/env python3
"""Entry point: load every environment's config, build one stack each, synthesize."""

from __future__ import annotations

import gc
import sys

if __name__ == "__main__":
    # A synth is one short run. Cyclic garbage collection buys it nothing (a three-environment
    # synth leaves about 2,000 unreachable objects behind), yet each full collection re-scans the
    # hundred thousand objects of the CDK's generated bindings: a tenth of the wall time. So it
    # is off from before they are imported; tests that import this module keep theirs.
    gc.disable()

import aws_cdk as cdk

from stacks.code_interpreter_stack import CodeInterpreterStack
from stacks.compliance import NAG_CONTEXT, SHOW_ACKNOWLEDGED_CONTEXT, add_rule_packs
from stacks.config import ConfigError, load_environments, parse_flag
from stacks.deploy_access_stack import build_deploy_access, load_github_context


def build_app(app: cdk.App) -> list[CodeInterpreterStack]:
    """Validate all selected environments first, so a bad one leaves nothing half-built."""
    configs = load_environments(
        app.node.try_get_context("environments"), selected=app.node.try_get_context("env")
    )
    run_rule_packs, show_acknowledged = (
        parse_flag(key, app.node.try_get_context(key))
        for key in (NAG_CONTEXT, SHOW_ACKNOWLEDGED_CONTEXT)
    )
    # Before any stack, so a bad `github` entry leaves nothing half-built either.
    github = load_github_context(app)
    build_deploy_access(app, github)
    stacks = [
        CodeInterpreterStack(
            app,
            config=config,
            smoke_check=github.smoke_check_access(config.name) if github else None,
        )
        for config in configs
    ]
    if run_rule_packs or show_acknowledged:
        # Every finding of these packs that is not acknowledged next to its resource fails synth.
        add_rule_packs(app, show_acknowledged=show_acknowledged)
    return stacks


def main() -> None:
    app = cdk.App()
    try:
        build_app(app)
    except ConfigError as error:
        sys.exit(f"cdk.json: {error}")
    app.synth()
    # Interpreter shutdown collects once more, disabled or not; frozen objects are skipped.
    gc.freeze()


if __name__ == "__main__":
    main()
