#!/usr/bin/env python3
"""Entry point: load every environment's config, build one stack each, synthesize."""

from __future__ import annotations

import sys

import aws_cdk as cdk

from stacks.code_interpreter_stack import CodeInterpreterStack
from stacks.compliance import add_rule_packs
from stacks.config import ConfigError, load_environments
from stacks.deploy_access_stack import build_deploy_access


def build_app(app: cdk.App) -> list[CodeInterpreterStack]:
    """Validate all selected environments first, so a bad one leaves nothing half-built."""
    configs = load_environments(
        app.node.try_get_context("environments"), selected=app.node.try_get_context("env")
    )
    # Before the environment stacks, so a bad `github` entry leaves nothing half-built either.
    build_deploy_access(app, configs)
    return [CodeInterpreterStack(app, config=config) for config in configs]


def main() -> None:
    app = cdk.App()
    try:
        build_app(app)
    except ConfigError as error:
        sys.exit(f"cdk.json: {error}")
    # Every finding of these packs that is not acknowledged next to its resource fails synth.
    add_rule_packs(app)
    app.synth()


if __name__ == "__main__":
    main()
