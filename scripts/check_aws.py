"""Before `make` hands an environment to the CDK CLI: are there AWS credentials and a region?

Without them the CLI prints "Unable to resolve AWS account" (twice) and nothing about how to
provide them. This check says it once, with the ways to fix it. It makes no AWS call: it looks
where the AWS SDKs look (environment variables, the shared config and credentials files, web
identity and container credentials, an IAM Identity Center token cache) and, unless
AWS_EC2_METADATA_DISABLED is set, asks the EC2 instance metadata endpoint whether it is there.
Standard library only: `make deploy` needs nothing beyond the app's own dependencies.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.config import ConfigError, load_environments

IMDS_TOKEN_URL = "http://169.254.169.254/latest/api/token"  # noqa: S105 - a URL, not a secret
HOW_TO_PROVIDE_CREDENTIALS = """\
Provide AWS credentials in one of these ways, then run the command again:
  - a named profile:    export AWS_PROFILE=<profile>
                        (IAM Identity Center: run `aws sso login --profile <profile>` first)
  - access keys:        export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
                        (and AWS_SESSION_TOKEN for temporary keys)
  - in CI:              the role the workflow assumes (README, "Deploy from CI")"""


def _config_files() -> tuple[configparser.RawConfigParser, configparser.RawConfigParser]:
    home = Path.home()
    config = configparser.RawConfigParser()
    config.read(os.environ.get("AWS_CONFIG_FILE", home / ".aws" / "config"))
    credentials = configparser.RawConfigParser()
    credentials.read(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials"))
    return config, credentials


def _profile_section(config: configparser.RawConfigParser, profile: str) -> str | None:
    for section in (f"profile {profile}", profile):
        if config.has_section(section):
            return section
    return None


def _credentials_in_environment(environ: dict[str, str]) -> bool:
    """Keys, a web identity token (OIDC in CI), or a container's credentials endpoint."""
    return bool(
        (environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
        or (environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and environ.get("AWS_ROLE_ARN"))
        or environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        or environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    )


def credential_problem(environ: dict[str, str]) -> str | None:
    """None when some credential source is there; otherwise what is missing and how to fix it."""
    if _credentials_in_environment(environ):
        return None
    config, credentials = _config_files()
    profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    if profile:
        return _profile_problem(config, credentials, profile)
    if _profile_section(config, "default") or credentials.has_section("default"):
        return None
    if environ.get("AWS_EC2_METADATA_DISABLED", "").lower() != "true" and _on_ec2():
        return None
    return f"No AWS credentials found.\n{HOW_TO_PROVIDE_CREDENTIALS}"


def _profile_problem(
    config: configparser.RawConfigParser, credentials: configparser.RawConfigParser, profile: str
) -> str | None:
    section = _profile_section(config, profile)
    if section is not None:
        return _expired_sso_login(config, section, profile)
    if credentials.has_section(profile):
        return None
    return (
        f"AWS_PROFILE is {profile!r}, but no such profile is in ~/.aws/config or"
        f" ~/.aws/credentials.\n{HOW_TO_PROVIDE_CREDENTIALS}"
    )


def _expired_sso_login(
    config: configparser.RawConfigParser, section: str, profile: str
) -> str | None:
    """An IAM Identity Center profile whose cached login has expired (or never happened)."""
    session = config.get(section, "sso_session", fallback=None)
    start_url = config.get(section, "sso_start_url", fallback=None)
    if session is None and start_url is None:
        return None
    cache_key = hashlib.sha1((session or start_url or "").encode()).hexdigest()  # noqa: S324 - the SDKs' cache file name
    token_file = Path.home() / ".aws" / "sso" / "cache" / f"{cache_key}.json"
    try:
        expires = json.loads(token_file.read_text())["expiresAt"]
        expired = datetime.fromisoformat(expires.replace("Z", "+00:00")) <= datetime.now(UTC)
    except (OSError, KeyError, ValueError):
        expired = True
    if expired:
        return (
            f"The IAM Identity Center login of profile {profile!r} has expired or never"
            f" happened: run `aws sso login --profile {profile}`, then the command again."
        )
    return None


def _on_ec2() -> bool:
    request = urllib.request.Request(
        IMDS_TOKEN_URL,
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
    )
    try:
        with urllib.request.urlopen(request, timeout=0.5) as response:  # noqa: S310
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def region_problem(environ: dict[str, str], environment: str, pinned: str | None) -> str | None:
    if pinned or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"):
        return None
    config, _ = _config_files()
    profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    section = _profile_section(config, profile)
    if section is not None and config[section].get("region"):
        return None
    return (
        f"No AWS region for environment '{environment}'. Either export AWS_REGION=<region>"
        f" (e.g. us-east-1), set `region` in your AWS profile, or pin it in cdk.json:"
        f' "environments": {{"{environment}": {{"region": "<region>", ...}}}}.'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("environment", nargs="?", help="the ENV of the make command, if any")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    problems = []
    credentials = credential_problem(environ)
    if credentials is not None:
        problems.append(credentials)
    if args.environment:
        context = json.loads(Path("cdk.json").read_text())["context"]
        try:
            (config,) = load_environments(context.get("environments"), selected=args.environment)
        except ConfigError as error:
            print(f"cdk.json: {error}", file=sys.stderr)
            return 2
        region = region_problem(environ, args.environment, config.region)
        if region is not None:
            problems.append(region)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
