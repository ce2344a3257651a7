"""Command-line options shared by the agent package's entry points."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.clients import AwsClients
from agent.errors import ResolutionError
from agent.resolve import (
    InterpreterConfig,
    resolve,
)
from agentcore_api.discovery import DEFAULT_OUTPUTS_FILE_TEMPLATE, DEFAULT_SSM_PREFIX_TEMPLATE

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

ENV_VARIABLE = "CODE_INTERPRETER_ENV"
# Naming a session is how a restarted agent picks up its earlier session: never a default.
SESSION_NAME_VARIABLE = "CODE_INTERPRETER_SESSION_NAME"


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
    name_prefix: str,
    default_timeout: int,
) -> None:
    group = parser.add_argument_group("session")
    group.add_argument(
        "--session-name",
        # argparse passes a string default through `type` too, so the variable is checked.
        type=session_name,
        default=os.environ.get(SESSION_NAME_VARIABLE) or None,
        help=(
            "pick up the READY session with exactly this name, or start one under it (default "
            f"${SESSION_NAME_VARIABLE}; without either, a new session named "
            f"{name_prefix}-<random> that no other caller has)"
        ),
    )
    group.add_argument(
        "--session-timeout",
        type=session_timeout,
        default=default_timeout,
        help="sessionTimeoutSeconds for a started session (the API allows 1-28800)",
    )
    parser.set_defaults(session_name_prefix=name_prefix)


def load_config(
    args: argparse.Namespace, clients: AwsClients | None = None
) -> tuple[InterpreterConfig, AwsClients]:
    """Resolve the interpreter and return it with clients in its region.

    Clients are only created when something uses them: SSM when arguments and environment
    variables leave a value open, the others on the first session call. SSM's are created in
    the region the lookup settled on and kept when the interpreter lives there; otherwise (a
    region from its ARN) new ones are made in the interpreter's region.
    """
    if clients is not None and args.region and args.region != clients.region:
        raise ResolutionError(
            f"--region is {args.region} but the AWS clients are for {clients.region}."
        )
    made: dict[str, AwsClients] = {}

    def ssm_in(region: str) -> SSMClient:
        """Created only if SSM is read, in the region resolve settled on; kept for the rest."""
        if region not in made:
            made[region] = AwsClients(region)
        return made[region].ssm

    ssm_client: SSMClient | Callable[[str], SSMClient] = (
        clients.ssm if clients is not None else ssm_in
    )

    config = resolve(
        args.env,
        interpreter_id=args.interpreter_id,
        artifact_bucket=args.artifact_bucket,
        artifact_prefix=args.artifact_prefix,
        region=args.region,
        ssm_prefix=args.ssm_prefix,
        outputs_file=args.outputs_file,
        ssm_client=ssm_client,
    )
    if clients is not None:
        if clients.region != config.region:
            raise ResolutionError(
                f"The interpreter is in {config.region} (from {config.sources.region}) but the "
                f"AWS clients are for {clients.region}; pass --region {config.region}."
            )
        return config, clients
    return config, made.get(config.region) or AwsClients(config.region)


def configure_logging(verbose: bool) -> None:
    # stderr only: stdout carries the MCP protocol or the CLI's own report.
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def session_name(text: str) -> str:
    """``--session-name``: a name StartCodeInterpreterSession accepts."""
    from agentcore_api.constraints import data_plane  # noqa: PLC0415 - loads botocore's model

    problem = data_plane().session_name.problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a session name: use {problem}")
    return text


def session_timeout(text: str) -> int:
    """``--session-timeout``: a whole number in the range the API's model allows."""
    from agentcore_api.constraints import data_plane  # noqa: PLC0415 - loads botocore's model

    low, high = data_plane().session_timeout_seconds
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high} seconds")
    return value
