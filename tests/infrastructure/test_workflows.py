"""The GitHub Actions workflows, checked offline: schema, zizmor, and the shape of the pipeline.

Nothing here reaches GitHub: check-jsonschema uses the workflow schema it ships with, and zizmor
runs with --offline (no online audits, no API calls).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from synthesis import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
CONFIGURE_AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
PINNED_USES = re.compile(
    r"^\s*(?:- )?uses: (?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # v\d+(?:\.\d+){0,2}$"
)
MAKE_CALL = re.compile(r"\bmake (?:-s )?([A-Za-z0-9_.-]+)")
MAKEFILE_RULE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", re.MULTILINE)


def tool(name: str) -> str:
    """A console script installed next to this interpreter (the venv's bin/ directory)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is missing: install requirements-dev.txt into this venv"
    return str(path)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def load_workflow(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = job["steps"]
    return found


def step_index(job: dict[str, Any], *, run: str | None = None, uses: str | None = None) -> int:
    for index, step in enumerate(steps(job)):
        if run is not None and step.get("run") == run:
            return index
        if uses is not None and step.get("uses", "").startswith(f"{uses}@"):
            return index
    raise AssertionError(f"no step runs {run!r} / uses {uses!r}")


def deploy_jobs() -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = load_workflow(DEPLOY)["jobs"]
    return jobs


def deployed_environments() -> list[str]:
    """The environments deploy.yml deploys, in its order. Not read from cdk.json: an environment
    deployed by hand needs no job, and a job for a name cdk.json lacks stops at `make diff`."""
    return [job_id.removeprefix("deploy-") for job_id in deploy_jobs()]


def zizmor_findings(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    # --no-config: a finding may only be silenced by a justified ignore comment in the workflow.
    result = run(tool("zizmor"), "--offline", "--no-config", "--format", "json", *map(str, paths))
    assert result.stdout, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, [finding for finding in findings if not finding.get("ignored")]


def test_workflows_are_valid_against_githubs_schema() -> None:
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        str(CI),
        str(DEPLOY),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    returncode, findings = zizmor_findings(WORKFLOWS)
    assert findings == []
    assert returncode == 0


def test_both_checkers_reject_a_bad_workflow(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    bad = workflows / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  build:\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    schema = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad))
    assert schema.returncode == 1
    assert "'runs-on' is a required property" in schema.stdout

    bad.write_text(bad.read_text().replace("    steps:", "    runs-on: ubuntu-24.04\n    steps:"))
    returncode, findings = zizmor_findings(bad)
    assert returncode != 0
    assert {"unpinned-uses", "template-injection"} <= {finding["ident"] for finding in findings}


def test_every_make_target_the_workflows_call_exists() -> None:
    defined = set(MAKEFILE_RULE.findall((ROOT / "Makefile").read_text()))
    called = {
        target
        for path in (CI, DEPLOY)
        for job in load_workflow(path)["jobs"].values()
        for step in steps(job)
        for target in MAKE_CALL.findall(step.get("run", ""))
    }
    assert called >= {"test", "synth", "setup", "diff", "deploy", "output", "smoke", "verify"}
    assert sorted(called - defined) == []


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    pins: dict[str, set[str]] = {}
    for path in (CI, DEPLOY):
        uses_lines = [line for line in path.read_text().splitlines() if "uses:" in line]
        parsed_uses = [
            step["uses"]
            for job in load_workflow(path)["jobs"].values()
            for step in steps(job)
            if "uses" in step
        ]
        # Every `uses` the workflow runs is one of the lines checked below.
        assert len(uses_lines) == len(parsed_uses)
        for line in uses_lines:
            match = PINNED_USES.match(line)
            assert match, f"{path.name}: not pinned as '<action>@<40-hex sha> # vX.Y.Z': {line}"
            pins.setdefault(match["action"], set()).add(match["sha"])
    # One action, one reviewed commit: the same version everywhere.
    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)


def test_ci_tests_synthesizes_and_uploads_the_assembly() -> None:
    workflow = load_workflow(CI)
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    python = steps(job)[step_index(job, uses="actions/setup-python")]
    node = steps(job)[step_index(job, uses="actions/setup-node")]
    assert (python["with"]["python-version"], python["with"]["cache"]) == ("3.11", "pip")
    assert (node["with"]["node-version"], node["with"]["cache"]) == ("24", "npm")
    test = step_index(job, run="make test")
    synth = step_index(job, run="make synth")
    upload = step_index(job, uses="actions/upload-artifact")
    assert test < synth < upload
    assert steps(job)[upload]["with"]["path"] == "cdk.out"


def test_deploy_runs_on_pushes_to_main_and_by_hand_only() -> None:
    workflow = load_workflow(DEPLOY)
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["permissions"] == {"contents": "read"}
    # A workflow-level group could cancel one environment's deployment for another's.
    assert "concurrency" not in workflow


def test_deploy_jobs_form_one_chain_each_bound_to_its_environment() -> None:
    jobs = deploy_jobs()
    assert all(job_id.startswith("deploy-") for job_id in jobs)
    assert deployed_environments() == ["dev", "staging", "prod"]
    previous = None
    for name in deployed_environments():
        job = jobs[f"deploy-{name}"]
        assert job["environment"] == name
        assert job.get("needs") == previous
        previous = f"deploy-{name}"


def role_lookup(environment: str, output: str) -> str:
    return f'echo "arn=$(make -s output ENV={environment} NAME={output})" >> "$GITHUB_OUTPUT"'


@pytest.mark.parametrize("environment", deployed_environments())
def test_deploy_job_diffs_deploys_uploads_outputs_smoke_checks_then_verifies(
    environment: str,
) -> None:
    job = deploy_jobs()[f"deploy-{environment}"]
    assert job["if"] == "github.ref == 'refs/heads/main'"
    install = step_index(job, run="make setup")
    credentials = step_index(job, uses=CONFIGURE_AWS_CREDENTIALS)
    diff = step_index(job, run=f"make diff ENV={environment}")
    deploy = step_index(job, run=f"make deploy ENV={environment} APPROVAL=never")
    upload = step_index(job, uses="actions/upload-artifact")
    lookup = step_index(job, run=role_lookup(environment, "SmokeCheckRoleArn"))
    smoke_credentials = lookup + 1
    smoke = step_index(job, run=f"make smoke ENV={environment}")
    verify_lookup = step_index(job, run=role_lookup(environment, "VerifyRoleArn"))
    verify_credentials = verify_lookup + 1
    verify = step_index(job, run=f"make verify ENV={environment}")
    # Package install scripts never see AWS credentials; verification is the job's last word,
    # so the next environment (which `needs` this job) starts only after the smoke check passed
    # and the live interpreter matched cdk.json. Nothing in CI deletes orphans.
    assert install < credentials < diff < deploy < upload < lookup < smoke_credentials < smoke
    assert smoke < verify_lookup < verify_credentials < verify == len(steps(job)) - 1
    assert "DELETE_ORPHANS" not in json.dumps(job)
    assert steps(job)[credentials]["with"] == {
        "role-to-assume": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "aws-region": "${{ vars.AWS_REGION }}",
    }
    assert steps(job)[upload]["with"]["path"] == f"outputs/{environment}.json"
    # The deploy role cannot use the interpreter: the smoke check runs under the role the stack
    # creates for this environment's job, with exactly an agent's access.
    assert steps(job)[smoke_credentials]["uses"].startswith(f"{CONFIGURE_AWS_CREDENTIALS}@")
    assert steps(job)[smoke_credentials]["with"] == {
        "role-to-assume": f"${{{{ steps.{steps(job)[lookup]['id']}.outputs.arn }}}}",
        "aws-region": "${{ vars.AWS_REGION }}",
    }
    # Verification reads what agents never need, so it runs under a role of its own (the
    # stack's VerifyAccess, read-only) and the smoke-check role keeps exactly an agent's access.
    assert steps(job)[verify_credentials]["uses"].startswith(f"{CONFIGURE_AWS_CREDENTIALS}@")
    assert steps(job)[verify_credentials]["with"] == {
        "role-to-assume": f"${{{{ steps.{steps(job)[verify_lookup]['id']}.outputs.arn }}}}",
        "aws-region": "${{ vars.AWS_REGION }}",
    }


def test_deploy_jobs_differ_only_in_their_environment() -> None:
    def as_template(name: str, job: dict[str, Any]) -> str:
        without_needs = {key: value for key, value in job.items() if key != "needs"}
        return re.sub(rf"\b{re.escape(name)}\b", "<env>", json.dumps(without_needs))

    templates = {
        job_id: as_template(job_id.removeprefix("deploy-"), job)
        for job_id, job in deploy_jobs().items()
    }
    assert len(set(templates.values())) == 1, templates


@pytest.mark.parametrize("environment", deployed_environments())
def test_each_environment_queues_its_deployments_and_never_cancels_one(environment: str) -> None:
    job = deploy_jobs()[f"deploy-{environment}"]
    assert job["concurrency"] == {"group": f"deploy-{environment}", "cancel-in-progress": False}


def test_only_deploy_jobs_may_request_an_oidc_token() -> None:
    token_jobs = set()
    credential_jobs = set()
    for path in (CI, DEPLOY):
        workflow = load_workflow(path)
        assert "id-token" not in workflow.get("permissions", {}), path.name
        for job_id, job in workflow["jobs"].items():
            if job.get("permissions", {}).get("id-token") == "write":
                token_jobs.add(job_id)
            if any(s.get("uses", "").startswith(CONFIGURE_AWS_CREDENTIALS) for s in steps(job)):
                credential_jobs.add(job_id)
    assert token_jobs == credential_jobs == {f"deploy-{name}" for name in deployed_environments()}
    for job in deploy_jobs().values():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
