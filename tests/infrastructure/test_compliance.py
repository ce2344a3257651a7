"""AWS's rule packs (cdk-nag) and checkov over every synthesized template.

Zero unacknowledged findings; every acknowledgement names one finding on one resource, with a
reason, and stands for a finding that really occurs (none is stale).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from synthesis import ROOT, VARIANT_ENVIRONMENTS, SynthesizedApp, fixture_context

from app import build_app
from stacks.compliance import (
    NAG_CONTEXT,
    SHOW_ACKNOWLEDGED_CONTEXT,
    acknowledged_findings,
    rule_packs,
)

PACKS = ("AwsSolutions", "Serverless", "NIST.800.53.R5")
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
Finding = tuple[str, str]  # (construct path of the resource, finding id)


def violations(app: cdk.App) -> set[Finding]:
    found: set[Finding] = set()
    for pack in rule_packs():
        for violation in pack.validate_scope(app).violations:
            for resource in violation.violating_resources:
                found.add((resource.construct_path, violation.rule_name))
    return found


def build(environments: Mapping[str, Any], *, show_acknowledged: bool = False) -> cdk.App:
    context = {**fixture_context(), "environments": environments, NAG_CONTEXT: True}
    if show_acknowledged:
        context[SHOW_ACKNOWLEDGED_CONTEXT] = True
    app = cdk.App(context=context)
    build_app(app)
    return app


def pack_of(finding: str) -> str:
    return next(pack for pack in PACKS if finding.startswith(pack))


def by_pack(findings: Iterable[Finding]) -> Counter[str]:
    return Counter(pack_of(finding) for _, finding in findings)


def cdk_defaults_app() -> cdk.App:
    """The same kinds of resource with aws-cdk-lib's defaults: the baseline that hardening fixes."""
    app = cdk.App(context={k: v for k, v in fixture_context().items() if k != "environments"})
    stack = cdk.Stack(app, "Defaults")
    bucket = s3.Bucket(stack, "Artifacts", versioned=True)
    role = iam.Role(
        stack, "Execution", assumed_by=iam.ServicePrincipal("bedrock-agentcore.amazonaws.com")
    )
    bucket.grant_read_write(role)
    code = lambda_.Code.from_asset(str(ROOT / "lambda" / "code_interpreter"))
    handlers = [
        lambda_.Function(
            stack, name, runtime=lambda_.Runtime.PYTHON_3_13, handler=f"index.{name}", code=code
        )
        for name in ("on_event", "is_complete")
    ]
    provider = cr.Provider(
        stack, "Provider", on_event_handler=handlers[0], is_complete_handler=handlers[1]
    )
    cdk.CustomResource(stack, "Interpreter", service_token=provider.service_token)
    return app


@pytest.fixture(scope="session")
def shipped_and_variants(fixture_app: SynthesizedApp, variant_app: SynthesizedApp) -> list[cdk.App]:
    """The apps conftest already synthesized; the packs validate their construct trees."""
    return [
        next(iter(synthesized.stacks.values())).node.root
        for synthesized in (fixture_app, variant_app)
    ]


@pytest.mark.parametrize("switch", [None, "false", "true", True])
def test_the_rule_packs_fail_synth_only_when_switched_on(
    switch: str | bool | None, tmp_path: Path
) -> None:
    context = {**fixture_context(), "env": "dev"}
    if switch is not None:
        context[NAG_CONTEXT] = switch  # `cdk -c agentcore:nag=true` passes the string
    app = cdk.App(context=context, outdir=str(tmp_path))
    (stack,) = build_app(app)
    s3.CfnBucket(stack, "UnhardenedBucket")
    if switch in (True, "true"):
        with pytest.raises(RuntimeError, match=r"AwsSolutions-S1"):
            app.synth()
    else:
        app.synth()


def test_the_rule_packs_leave_the_templates_as_they_are(
    fixture_app: SynthesizedApp, tmp_path: Path
) -> None:
    # The session's apps synthesize with the packs on, as make deploy does; make synth does not.
    app = cdk.App(context={**fixture_context(), "env": "prod"}, outdir=str(tmp_path))
    (stack,) = build_app(app)
    plain = app.synth().get_stack_by_name(stack.stack_name).template
    assert plain == fixture_app.templates["prod"]


def test_no_unacknowledged_findings_in_any_pack(shipped_and_variants: list[cdk.App]) -> None:
    for app in shipped_and_variants:
        assert sorted(violations(app)) == []


def test_every_acknowledgement_hides_a_real_finding_and_nothing_else() -> None:
    for environments in (fixture_context()["environments"], VARIANT_ENVIRONMENTS):
        app = build(environments, show_acknowledged=True)
        assert violations(app) == set(acknowledged_findings(app))


def test_acknowledgements_are_per_resource_with_a_reason(
    shipped_and_variants: list[cdk.App],
) -> None:
    for app in shipped_and_variants:
        constructs = {construct.node.path: construct for construct in app.node.find_all()}
        for (path, finding), reason in acknowledged_findings(app).items():
            assert isinstance(constructs[path], cdk.CfnResource), f"{path} is not one resource"
            assert finding.startswith(PACKS), finding
            assert len(reason) >= 60, f"{path} {finding}: the reason is too thin: {reason!r}"


def test_report_findings_fixed_and_acknowledged(shipped_and_variants: list[cdk.App]) -> None:
    baseline = violations(cdk_defaults_app())
    # One environment, to compare with the one stack of defaults.
    acknowledged = {
        (path, finding)
        for path, finding in acknowledged_findings(shipped_and_variants[0])
        if path.startswith("CodeInterpreter-prod/")
    }
    baseline_rules = {finding.split("[")[0] for _, finding in baseline}
    remaining_rules = {finding.split("[")[0] for _, finding in acknowledged}
    fixed_rules = baseline_rules - remaining_rules
    rows = []
    for pack in PACKS:
        rows.append(
            f"{pack:16} defaults: {by_pack(baseline)[pack]:3} findings"
            f" | rules fixed outright: {sum(r.startswith(pack) for r in fixed_rules):2}"
            f" | acknowledged in prod: {by_pack(acknowledged)[pack]:3}"
            f" | unacknowledged: 0"
        )
    print("\ncdk-nag findings, CDK defaults vs this app\n" + "\n".join(rows))
    assert fixed_rules, "hardening must fix some of the defaults' findings"
    assert "AwsSolutions-IAM4" in fixed_rules  # no AWS managed policies in our roles


@pytest.fixture(scope="session")
def checkov_results(
    fixture_app: SynthesizedApp, variant_app: SynthesizedApp
) -> list[dict[str, Any]]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make setup` (it installs checkov in its own venv)")
    # One run over both assemblies: checkov spends most of its time starting up.
    completed = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "cloudformation",
            "-d",
            str(fixture_app.outdir),
            "-d",
            str(variant_app.outdir),
            "--compact",
            "-o",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    # One JSON document per directory, one after the other.
    reports: list[dict[str, Any]] = []
    decoder, text, position = json.JSONDecoder(), completed.stdout.strip(), 0
    while position < len(text):
        document, position = decoder.raw_decode(text, position)
        reports.extend(document if isinstance(document, list) else [document])
        position += len(text[position:]) - len(text[position:].lstrip())
    assert len(reports) == 2, completed.stderr
    return reports


@pytest.mark.long_running
def test_checkov_finds_nothing_that_is_not_skipped_with_a_comment(
    checkov_results: list[dict[str, Any]],
) -> None:
    for report in checkov_results:
        failed = [
            f"{c['check_id']} {c['resource']} ({Path(c['file_path']).name})"
            for c in report["results"]["failed_checks"]
        ]
        assert failed == []
        assert report["summary"]["parsing_errors"] == 0
        assert report["summary"]["passed"] > 100
        for skipped in report["results"]["skipped_checks"]:
            assert len(skipped["check_result"].get("suppress_comment", "")) >= 40
