"""`make` as an operator meets it: guards that stop a bad ENV, missing credentials or an
unconfirmed destroy before anything runs, and targets that run the right CDK command.

Every test runs make in a stand-in project: the real Makefile, scripts and code (linked), the
installed toolchains (linked, so nothing is installed), a fixture cdk.json (never the operator's),
and a stand-in `cdk` that records what it was asked and reaches nothing. Credentials and config
files point nowhere, and HTTP(S) goes to a closed local port: nothing here can reach AWS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from synthesis import FIXTURE_ENVIRONMENTS, ROOT

LINKED = ("Makefile", "app.py", "scripts", "stacks", "agentcore_api", "agent", "lambda")
LINKED_TOOLCHAINS = (".venv", ".venv-checkov", "node_modules")
STAND_IN_CDK = """\
import json, os, sys
with open(os.environ["STAND_IN_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit(int(os.environ.get("STAND_IN_EXIT", "0")))
"""
PHONY = re.compile(r"^\.PHONY:(?P<targets>(?:[^\n]*\\\n)*[^\n]*)", re.MULTILINE)


@dataclass
class Project:
    root: Path
    cdk: Path
    log: Path

    def write_cdk_json(self, context: Mapping[str, Any]) -> None:
        (self.root / "cdk.json").write_text(
            json.dumps({"app": ".venv/bin/python app.py", "context": dict(context)})
        )

    def make(
        self, *arguments: str, environ: Mapping[str, str] | None = None, cdk_exit: int = 0
    ) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "CDK_", "MAKE"))
        }
        env.update(
            {
                "HOME": str(self.root / "home"),
                "AWS_CONFIG_FILE": str(self.root / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ACCESS_KEY_ID": "AKIAMAKEFILETESTKEY1",
                "AWS_SECRET_ACCESS_KEY": "make/test/secret",
                "AWS_REGION": "us-east-1",
                # Anything that still tried to reach AWS (boto3 honours these) gets nowhere.
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "",
                "STAND_IN_LOG": str(self.log),
                "STAND_IN_EXIT": str(cdk_exit),
                **(environ or {}),
            }
        )
        env = {key: value for key, value in env.items() if value}
        return subprocess.run(
            ["make", "--no-print-directory", f"CDK={sys.executable} {self.cdk}", *arguments],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def cdk_calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    for name in (*LINKED, *LINKED_TOOLCHAINS, *(p.name for p in ROOT.glob("*.txt"))):
        (root / name).symlink_to(ROOT / name)
    (root / "package.json").symlink_to(ROOT / "package.json")
    (root / "package-lock.json").symlink_to(ROOT / "package-lock.json")
    cdk = tmp_path / "stand-in-cdk.py"
    cdk.write_text(STAND_IN_CDK)
    stand_in = Project(root, cdk, tmp_path / "cdk-calls.jsonl")
    stand_in.write_cdk_json({"environments": FIXTURE_ENVIRONMENTS})
    return stand_in


ENV_TARGETS = ["bootstrap", "diff", "deploy", "destroy", "smoke", "verify", "mcp", "output"]
AWS_TARGETS = ["bootstrap", "diff", "deploy", "destroy", "smoke", "verify", "deploy-access"]


def prerequisites(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:(?P<prerequisites>[^\n]*)", makefile, re.MULTILINE)
    assert match is not None, target
    return match["prerequisites"].split()


@pytest.mark.parametrize("target", ENV_TARGETS)
def test_every_environment_target_checks_the_environment_before_anything_else(
    target: str,
) -> None:
    # The guard's behaviour is tested below on one target; here, that every target has it
    # first (make runs prerequisites in order, and stops at the first that fails).
    assert prerequisites(target)[0] in ("check-env", "check-destroy")


@pytest.mark.parametrize("target", AWS_TARGETS)
def test_every_target_that_reaches_aws_checks_credentials_before_installing(
    target: str,
) -> None:
    found = prerequisites(target)
    assert "check-aws" in found
    assert found.index("check-aws") < min(
        (found.index(p) for p in found if p.startswith("$(")), default=len(found)
    )


def test_an_unknown_environment_is_refused_with_the_configured_names(project: Project) -> None:
    result = project.make("deploy", "ENV=qa")
    assert result.returncode != 0
    assert (
        "context 'env': got 'qa'; allowed: one of dev, prod, staging; to add an environment,"
        " add it under context.environments in cdk.json" in result.stderr
    )
    assert project.cdk_calls() == []


def test_a_near_miss_gets_a_did_you_mean(project: Project) -> None:
    result = project.make("diff", "ENV=prdo")
    assert result.returncode != 0
    assert "got 'prdo' (did you mean 'prod'?)" in result.stderr


def test_a_missing_environment_is_refused(project: Project) -> None:
    result = project.make("diff")
    assert result.returncode != 0
    assert "ENV is required, e.g. make deploy ENV=dev (configured: dev, prod, staging)" in (
        result.stderr
    )


def test_environments_of_the_operators_choosing_are_accepted(project: Project) -> None:
    project.write_cdk_json({"environments": {"qa": {}, "eu-prod": {"region": "eu-west-1"}}})

    assert project.make("diff", "ENV=qa").returncode == 0
    assert project.make("diff", "ENV=eu-prod").returncode == 0
    assert [call[-1] for call in project.cdk_calls()] == [
        "CodeInterpreter-qa",
        "CodeInterpreter-eu-prod",
    ]


@pytest.mark.parametrize("confirm", [None, "", "staging", "PROD"])
def test_destroying_prod_needs_confirm_prod(project: Project, confirm: str | None) -> None:
    arguments = ["destroy", "ENV=prod"] + ([] if confirm is None else [f"CONFIRM={confirm}"])
    result = project.make(*arguments)
    assert result.returncode != 0
    assert (
        "refusing to destroy 'prod' without confirmation: run make destroy ENV=prod CONFIRM=prod"
        in result.stderr
    )
    assert project.cdk_calls() == []


@pytest.mark.parametrize(
    ("environment", "confirm"), [("prod", "prod"), ("dev", ""), ("staging", "")]
)
def test_confirmed_or_unprotected_destroy_runs_cdk_destroy(
    project: Project, environment: str, confirm: str
) -> None:
    result = project.make("destroy", f"ENV={environment}", f"CONFIRM={confirm}")
    assert result.returncode == 0, result.stderr
    assert project.cdk_calls() == [
        ["destroy", "-c", f"env={environment}", f"CodeInterpreter-{environment}"]
    ]


@pytest.mark.parametrize(
    ("arguments", "command"),
    [
        (["diff", "ENV=dev"], ["diff", "-c", "agentcore:nag=true", "-c", "env=dev"]),
        (["deploy", "ENV=staging"], ["deploy", "-c", "agentcore:nag=true", "-c", "env=staging"]),
        (["bootstrap", "ENV=dev"], ["bootstrap", "-c", "env=dev"]),
    ],
)
def test_whatever_heads_for_aws_runs_the_rule_packs(
    project: Project, arguments: list[str], command: list[str]
) -> None:
    result = project.make(*arguments)
    assert result.returncode == 0, result.stderr
    (call,) = project.cdk_calls()
    assert call[: len(command)] == command


def test_deploy_writes_outputs_and_never_leaves_an_empty_folder(project: Project) -> None:
    failed = project.make("deploy", "ENV=dev", cdk_exit=1)

    assert failed.returncode != 0
    assert not (project.root / "outputs").exists()
    (call,) = project.cdk_calls()
    assert call[-4:] == ["--require-approval", "broadening", "--outputs-file", "outputs/dev.json"]


def test_missing_credentials_stop_before_the_cdk_cli_and_say_how_to_provide_them(
    project: Project,
) -> None:
    result = project.make(
        "deploy", "ENV=dev", environ={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    )
    assert result.returncode != 0
    for hint in ("No AWS credentials found", "AWS_PROFILE", "aws sso login", "AWS_ACCESS_KEY_ID"):
        assert hint in result.stderr
    assert project.cdk_calls() == []


def test_an_unknown_profile_is_named(project: Project) -> None:
    result = project.make(
        "diff",
        "ENV=dev",
        environ={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "typo"},
    )
    assert result.returncode != 0
    assert "AWS_PROFILE is 'typo', but no such profile is in ~/.aws/config" in result.stderr


def test_an_expired_identity_center_login_says_to_log_in(project: Project) -> None:
    config = project.root / "aws-config"
    config.write_text(
        "[profile team]\nsso_session = corp\nregion = eu-west-1\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
    )
    result = project.make(
        "diff",
        "ENV=dev",
        environ={
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "",
            "AWS_PROFILE": "team",
            "AWS_CONFIG_FILE": str(config),
        },
    )
    assert result.returncode != 0
    assert "run `aws sso login --profile team`" in result.stderr


def test_a_missing_region_says_where_to_give_one(project: Project) -> None:
    result = project.make("diff", "ENV=dev", environ={"AWS_REGION": ""})
    assert result.returncode != 0
    assert "No AWS region for environment 'dev'" in result.stderr
    assert "export AWS_REGION=<region>" in result.stderr
    assert '"region": "<region>"' in result.stderr
    assert project.cdk_calls() == []


def test_a_pinned_region_needs_no_region_variable(project: Project) -> None:
    project.write_cdk_json({"environments": {"dev": {"region": "eu-west-1"}}})
    assert project.make("diff", "ENV=dev", environ={"AWS_REGION": ""}).returncode == 0


def test_deploy_access_without_a_github_entry_says_what_to_add(project: Project) -> None:
    result = project.make("deploy-access")
    assert result.returncode != 0
    assert "cdk.json has no 'github' entry" in result.stderr
    assert '"github": {"repository": "<owner>/<repo>"' in result.stderr
    assert project.cdk_calls() == []


def test_deploy_access_with_a_github_entry_deploys_that_stack(project: Project) -> None:
    github = {"repository": "octo-org/agentcore-code-interpreter", "environments": ["dev"]}
    project.write_cdk_json({"environments": FIXTURE_ENVIRONMENTS, "github": github})

    assert project.make("deploy-access").returncode == 0
    (call,) = project.cdk_calls()
    assert call[:4] == ["deploy", "-c", "agentcore:nag=true", "CodeInterpreter-DeployAccess"]


def test_cdk_passes_its_arguments_to_the_pinned_cli(project: Project) -> None:
    assert project.make("cdk", "ARGS=synth -c env=dev --quiet").returncode == 0
    assert project.cdk_calls() == [["synth", "-c", "env=dev", "--quiet"]]


def test_help_lists_every_target_a_user_runs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    match = PHONY.search(makefile)
    assert match is not None
    targets = set(match["targets"].replace("\\\n", " ").split())
    user_targets = {target for target in targets if not target.startswith("check-")}
    listed = set(re.findall(r"^#   make ([\w-]+)", makefile, re.MULTILINE))
    assert listed == user_targets


def test_deleting_orphans_needs_confirm_before_any_aws_call(project: Project) -> None:
    # No outputs file, no credentials that work, no network: the refusal comes first.
    result = project.make("verify", "ENV=dev", "DELETE_ORPHANS=1", "CONFIRM=staging")
    assert result.returncode != 0
    assert (
        "refusing to delete orphans of 'dev' without confirmation: run make verify ENV=dev"
        " DELETE_ORPHANS=1 CONFIRM=dev" in result.stderr
    )


def test_verify_without_deploy_outputs_says_where_the_execution_role_comes_from(
    project: Project,
) -> None:
    result = project.make("verify", "ENV=dev")
    assert result.returncode != 0
    assert "no stack output ExecutionRoleArn: outputs/dev.json" in result.stderr
    assert "==> Comparing the live interpreter of CodeInterpreter-dev" in result.stdout
