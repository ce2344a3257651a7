"""cfn-lint, with the CloudFormation resource specs AWS publishes, over every template."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint
from synthesis import FIXTURE_ENVIRONMENT_NAMES, SynthesizedApp

# Environment-agnostic templates deploy to any region; lint against a spread of them, including
# ones where AgentCore launched later, so an unsupported property or value shows up.
REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-northeast-2", "ap-southeast-2"]
# W3005 flags DependsOn next to a GetAtt on the same resource. aws-cdk-lib's Lambda constructs
# emit that pair for every function's role, which is harmless: CloudFormation orders the same.
IGNORED_RULES = ["W3005"]


def findings(template: dict[str, object], regions: list[str]) -> list[str]:
    matches = lint(
        json.dumps(template),
        config=ManualArgs(regions=regions, ignore_checks=IGNORED_RULES),
    )
    return [f"{m.rule.id} {m.message} at {'/'.join(map(str, m.path))}" for m in matches]


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_shipped_templates_have_no_errors_or_warnings(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    assert findings(fixture_app.templates[environment], REGIONS) == []


@pytest.mark.parametrize("environment", ["pinned", "private", "open"])
def test_variant_templates_have_no_errors_or_warnings(
    variant_app: SynthesizedApp, environment: str
) -> None:
    stack = variant_app.stacks[environment]
    regions = [stack.region] if stack.config.region else REGIONS
    assert findings(variant_app.templates[environment], regions) == []


def test_linter_reports_a_broken_template() -> None:
    broken = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": 1}}
        }
    }
    assert any(finding.startswith("E") for finding in findings(broken, ["us-east-1"]))
