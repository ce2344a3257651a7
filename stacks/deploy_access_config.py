"""Who may deploy from CI: the top-level `github` entry of the CDK context, parsed and validated.

The values end up in an IAM trust policy, where a typo does not fail loudly: it silently trusts
the wrong repository or no one at all. So every value is checked here, before any construct
exists, and a bad one fails synth with a message naming the field, the value and what is allowed,
in the same style (and the same ConfigError) as the per-environment settings in stacks/config.py.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from stacks.config import ACCOUNT_ID, REGION, ConfigError, show_value

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# What `cdk bootstrap` and the stack synthesizer use unless told otherwise; it appears in every
# bootstrap role's name. The context key sets it for every stack of the app.
DEFAULT_BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"

# GitHub's own rules: an owner is 1-39 letters, digits and single inner hyphens; a repository
# name is 1-100 letters, digits, '.', '_' and '-', but not '.' or '..'.
GITHUB_REPOSITORY = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/(?!\.\.?$)[A-Za-z0-9._-]{1,100}"
)
# The subset of git branch names that reads the same in a shell, a URL and an IAM condition:
# '/'-separated segments of letters, digits, '.', '_' and '-', none starting with '.'.
BRANCH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
MAX_BRANCH_LENGTH = 255
BOOTSTRAP_QUALIFIER = re.compile(r"[A-Za-z0-9_-]{1,10}")
# Only GitHub's provider issues tokens with the `token.actions.githubusercontent.com:` condition
# keys the trust policy relies on; any other provider would never match them.
GITHUB_OIDC_PROVIDER_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:iam::(?P<account>[0-9]{12}):oidc-provider/"
    + re.escape(GITHUB_OIDC_HOST)
)

_KNOWN_KEYS = (
    "repository",
    "environments",
    "branch",
    "oidc_provider_arn",
    "bootstrap_qualifier",
    "account",
    "region",
)

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class SmokeCheckAccess:
    """The GitHub token subject of one environment's deploy job, and the OIDC provider that
    issues it (None: the account's provider for GitHub, which the DeployAccess stack creates)."""

    subject: str
    oidc_provider_arn: str | None


@dataclass(frozen=True, kw_only=True)
class GitHubDeployConfig:
    """One repository's GitHub Actions jobs, and the environments and branch they deploy from."""

    repository: str
    environments: tuple[str, ...]
    branch: str | None
    oidc_provider_arn: str | None
    bootstrap_qualifier: str
    account: str | None
    region: str | None

    def smoke_check_access(self, environment: str) -> SmokeCheckAccess | None:
        """Who may run `environment`'s post-deploy smoke check: its deploy job, nobody else."""
        if environment not in self.environments:
            return None
        return SmokeCheckAccess(
            subject=self._environment_subject(environment),
            oidc_provider_arn=self.oidc_provider_arn,
        )

    def _environment_subject(self, environment: str) -> str:
        return f"repo:{self.repository}:environment:{environment}"

    @property
    def oidc_subjects(self) -> tuple[str, ...]:
        """The `sub` claims GitHub puts in the tokens of the jobs that may deploy.

        A job bound to a GitHub Environment gets `...:environment:<name>` whatever its branch;
        any other job gets `...:ref:refs/heads/<branch>`.
        """
        subjects = [self._environment_subject(name) for name in self.environments]
        if self.branch is not None:
            subjects.append(f"repo:{self.repository}:ref:refs/heads/{self.branch}")
        return tuple(subjects)


def load_github_config(
    raw: object,
    environment_names: Collection[str],
    *,
    synthesizer_qualifier: str = DEFAULT_BOOTSTRAP_QUALIFIER,
) -> GitHubDeployConfig | None:
    """Parse the `github` context value; None when it is absent (no DeployAccess stack).

    `environment_names` are the environments configured under `environments`: only those can be
    deployed, so only those may be trusted. `synthesizer_qualifier` is the bootstrap qualifier
    the app's stacks are synthesized with; the deploy role must be allowed exactly those
    bootstrap roles. Raises ConfigError listing every problem.
    """
    if raw is None:
        return None
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        _problem(problems, "", raw, "a map of settings, or omit 'github' to deploy without CI")
        raise ConfigError(problems)
    reader = _GitHubReader(raw, problems)
    for key in raw:
        if key not in _KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), _KNOWN_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            reader.problem(str(key), raw[key], f"known keys are {', '.join(_KNOWN_KEYS)}{hint}")

    repository = reader.required(
        "repository",
        _matching(GITHUB_REPOSITORY),
        "'owner/name' of a GitHub repository, e.g. octo-org/agentcore-code-interpreter",
    )
    environments = reader.required(
        "environments",
        _distinct_names,
        "a non-empty list of distinct environment names",
    )
    for name in environments or ():
        if name not in environment_names:
            reader.problem(
                "environments",
                name,
                "names configured under 'environments' "
                f"({', '.join(sorted(environment_names)) or 'none'})",
            )
    branch = reader.optional(
        "branch",
        None,
        _branch,
        "a branch name such as main (without refs/heads/), or null",
    )
    oidc_provider_arn = reader.optional(
        "oidc_provider_arn",
        None,
        _matching(GITHUB_OIDC_PROVIDER_ARN),
        f"the ARN of this account's IAM OIDC provider for {GITHUB_OIDC_HOST}, e.g. "
        f"arn:aws:iam::123456789012:oidc-provider/{GITHUB_OIDC_HOST}, or null to create it",
    )
    bootstrap_qualifier = reader.optional(
        "bootstrap_qualifier",
        synthesizer_qualifier,
        _matching(BOOTSTRAP_QUALIFIER),
        "the `cdk bootstrap` qualifier: 1-10 letters, digits, '_' or '-'",
    )
    if bootstrap_qualifier != synthesizer_qualifier:
        # Otherwise the role may assume one set of bootstrap roles while `cdk deploy` asks for
        # another, and every deployment from CI fails with AccessDenied.
        reader.problem(
            "bootstrap_qualifier",
            bootstrap_qualifier,
            f"the qualifier the app's stacks are synthesized with ('{synthesizer_qualifier}');"
            f" change context '{BOOTSTRAP_QUALIFIER_CONTEXT}' to use another one everywhere",
        )
    account = reader.optional(
        "account", None, _matching(ACCOUNT_ID), "a 12-digit AWS account id, or null"
    )
    region = reader.optional(
        "region", None, _matching(REGION), "an AWS region name such as us-east-1, or null"
    )
    if oidc_provider_arn is not None and account is not None:
        match = GITHUB_OIDC_PROVIDER_ARN.fullmatch(oidc_provider_arn)
        if match is not None and match["account"] != account:
            reader.problem(
                "oidc_provider_arn",
                oidc_provider_arn,
                f"a provider in account {account}, where the deploy role is created",
            )

    if problems or repository is None or environments is None:
        raise ConfigError(problems)
    return GitHubDeployConfig(
        repository=repository,
        environments=environments,
        branch=branch,
        oidc_provider_arn=oidc_provider_arn,
        bootstrap_qualifier=bootstrap_qualifier,
        account=account,
        region=region,
    )


class _GitHubReader:
    """Reads typed values out of the `github` settings, collecting problems as it goes."""

    def __init__(self, settings: Mapping[str, Any], problems: list[str]) -> None:
        self.settings = settings
        self.problems = problems

    def problem(self, field: str, value: object, allowed: str) -> None:
        _problem(self.problems, field, value, allowed)

    def required(
        self, field: str, convert: Callable[[object], _T | None], allowed: str
    ) -> _T | None:
        if self.settings.get(field) is None:
            self.problem(field, None, f"{allowed} (required)")
            return None
        return self.optional(field, None, convert, allowed)

    def optional(
        self, field: str, default: _T, convert: Callable[[object], _T | None], allowed: str
    ) -> _T:
        """The converted value, or `default` when absent or null (JSON has no "unset")."""
        raw = self.settings.get(field)
        if raw is None:
            return default
        converted = convert(raw)
        if converted is None:
            self.problem(field, raw, allowed)
            return default
        return converted


def _problem(problems: list[str], field: str, value: object, allowed: str) -> None:
    where = "context 'github'" + (f": field '{field}'" if field else "")
    problems.append(f"{where}: got {show_value(value)}; allowed: {allowed}")


def _matching(pattern: re.Pattern[str]) -> Callable[[object], str | None]:
    def convert(raw: object) -> str | None:
        return raw if isinstance(raw, str) and pattern.fullmatch(raw) else None

    return convert


def _distinct_names(raw: object) -> tuple[str, ...] | None:
    if not isinstance(raw, list) or not raw:
        return None
    if not all(isinstance(name, str) for name in raw) or len(set(raw)) != len(raw):
        return None
    return tuple(raw)


def _branch(raw: object) -> str | None:
    if not isinstance(raw, str) or len(raw) > MAX_BRANCH_LENGTH or not BRANCH.fullmatch(raw):
        return None
    # Git refuses these names: trusting one would trust a branch that can never exist.
    if ".." in raw or raw.endswith((".lock", ".")):
        return None
    # A full ref where the name belongs would become refs/heads/refs/heads/...
    if raw.startswith("refs/"):
        return None
    return raw
