"""Command-line options shared by the agent package's entry points."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import boto3

from agent.clients import AwsClients
from agent.errors import ResolutionError
from agent.resolve import (
    DEFAULT_OUTPUTS_FILE_TEMPLATE,
    DEFAULT_SSM_PREFIX_TEMPLATE,
    InterpreterConfig,
    region_from_environment,
    resolve,
)
from agent.session import DEFAULT_SESSION_TIMEOUT_SECONDS, MAX_SESSION_TIMEOUT_SECONDS

ENV_VARIABLE = "CODE_INTERPRETER_ENV"


def add_interpreter_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every CLI uses to find the interpreter."""
    group = parser.add_argument_group("interpreter lookup")
    group.add_argument(
        "--env",
        default=os.environ.get(ENV_VARIABLE, "dev"),
        help=f"environment, i.e. stack CodeInterpreter-<env> (default ${ENV_VARIABLE} or dev)",
    )
    group.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION)")
    group.add_argument(
        "--ssm-prefix",
        help=f"SSM parameter path of the stack (default {DEFAULT_SSM_PREFIX_TEMPLATE})",
    )
    group.add_argument(
        "--outputs-file",
        help=f"cdk deploy --outputs-file JSON (default {DEFAULT_OUTPUTS_FILE_TEMPLATE})",
    )
    group.add_argument("--interpreter-id", help="use this interpreter id instead of looking it up")
    group.add_argument(
        "--artifact-bucket", help="use this artifact bucket instead of looking it up"
    )
    group.add_argument("--artifact-prefix", help="use this artifact key prefix")


def add_session_arguments(
    parser: argparse.ArgumentParser,
    *,
    default_name: str,
    default_timeout: int = DEFAULT_SESSION_TIMEOUT_SECONDS,
) -> None:
    group = parser.add_argument_group("session")
    group.add_argument("--session-name", default=default_name, help="name for a started session")
    group.add_argument(
        "--session-timeout",
        type=_session_timeout,
        default=default_timeout,
        help=f"sessionTimeoutSeconds for a started session (1-{MAX_SESSION_TIMEOUT_SECONDS})",
    )


def load_config(
    args: argparse.Namespace, clients: AwsClients | None = None
) -> tuple[InterpreterConfig, AwsClients]:
    """Resolve the interpreter and return it with clients in its region.

    Clients are created once, in the region known before the lookup when there is one, and
    only re-created when the interpreter turns out to live elsewhere (region from its ARN).
    """
    if clients is not None and args.region and args.region != clients.region:
        raise ResolutionError(
            f"--region is {args.region} but the AWS clients are for {clients.region}."
        )
    region_hint = args.region or _environment_or_profile_region()
    if clients is None and region_hint:
        clients = AwsClients.create(region_hint)
    config = resolve(
        args.env,
        interpreter_id=args.interpreter_id,
        artifact_bucket=args.artifact_bucket,
        artifact_prefix=args.artifact_prefix,
        region=args.region,
        ssm_prefix=args.ssm_prefix,
        outputs_file=args.outputs_file,
        ssm_client=clients.ssm if clients is not None else None,
        use_ssm=clients is not None,
    )
    if clients is None:
        clients = AwsClients.create(config.region)
    elif clients.region != config.region:
        raise ResolutionError(
            f"The interpreter is in {config.region} (from {config.sources.region}) but the AWS "
            f"clients are for {clients.region}; pass --region {config.region}."
        )
    return config, clients


def configure_logging(verbose: bool) -> None:
    # stderr only: stdout carries the MCP protocol or the CLI's own report.
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _environment_or_profile_region() -> str | None:
    from_environment = region_from_environment()
    if from_environment is not None:
        return from_environment[0]
    return boto3.Session().region_name


def _session_timeout(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_SESSION_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SESSION_TIMEOUT_SECONDS}")
    return value
