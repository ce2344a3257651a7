"""No dead grants: every Allow statement of every synthesized template can take effect on AWS.

Identity policies, and the bucket, topic and key policies. Checked against the Service
Authorization Reference (tests/service_reference.py): each action exists and applies to a type
of at least one resource of its statement (an action without resource types only to "*"), each
resource is of a type one of the statement's actions applies to, and each condition key is
global or one the action or its resource type supports. A statement failing any of these
looks like least privilege and never matches: the mistake behind "CreateCodeInterpreter granted
on code-interpreter-custom/*".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfn_driver import RESOURCE_TYPE
from iam_simulation import StackResources
from service_reference import (
    actions_matching,
    as_list,
    condition_key_supported,
    globs_intersect,
    resource_can_match,
)
from synthesis import SynthesizedApp

ACCOUNT = "123456789012"
REGION = "us-east-1"


def synthesized_templates(*apps: SynthesizedApp) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every template of the apps' assemblies, DeployAccess included."""
    for app in apps:
        for path in sorted(Path(app.outdir).glob("*.template.json")):
            yield path.name.removesuffix(".template.json"), json.loads(path.read_text())


def dead_grants(stack_name: str, template: dict[str, Any]) -> list[str]:
    stack = StackResources(template, stack_name=stack_name, account=ACCOUNT, region=REGION)
    for logical_id in stack.logical_ids(RESOURCE_TYPE):
        interpreter_id = "codeinterpreter_x-0123456789"
        arn = stack.arn("bedrock-agentcore", f"code-interpreter-custom/{interpreter_id}")
        stack.set_custom(logical_id, interpreter_id, {"CodeInterpreterArn": arn})
    problems = []
    for owner, statement in stack.allow_statements():
        where = f"{stack_name}/{owner} {statement.get('Sid', '')}".strip()
        # IAM grants every action of a statement on every resource of it: an action is dead
        # when no resource of the statement can be of a type it applies to, a resource when no
        # action can apply to it. (aws-cdk-lib's auto-delete policy grants s3:DeleteObject* on
        # a bucket and its objects: alive, through the objects.)
        resources = as_list(statement["Resource"])
        granted = {pattern: actions_matching(pattern) for pattern in as_list(statement["Action"])}
        for pattern, actions in granted.items():
            if not actions:
                problems.append(f"{where}: no action {pattern} exists")
            elif not any(resource_can_match(a, r) for a in actions for r in resources):
                problems.append(f"{where}: {pattern} can never apply to {', '.join(resources)}")
            for operator, keys in statement.get("Condition", {}).items():
                for key in keys:
                    if actions and not any(condition_key_supported(a, key) for a in actions):
                        problems.append(f"{where}: {pattern} never sets {operator} {key}")
        # A resource no action applies to, in a statement that otherwise takes effect.
        alive = [
            action
            for actions in granted.values()
            for action in actions
            if any(resource_can_match(action, r) for r in resources)
        ]
        for resource in resources:
            if alive and not any(resource_can_match(a, resource) for a in alive):
                problems.append(f"{where}: no action of the statement applies to {resource}")
    return problems


def test_every_allow_statement_of_every_template_can_take_effect(
    fixture_app: SynthesizedApp, variant_app: SynthesizedApp
) -> None:
    templates = dict(synthesized_templates(fixture_app, variant_app))
    assert "CodeInterpreter-DeployAccess" in templates
    problems = [
        problem for name, template in templates.items() for problem in dead_grants(name, template)
    ]
    assert problems == []


def test_the_check_finds_the_grants_aws_would_never_apply() -> None:
    custom = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:code-interpreter-custom/*"
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            # The first deploy's defect: no resource type, yet a resource.
                            {
                                "Sid": "NoResourceType",
                                "Effect": "Allow",
                                "Action": "bedrock-agentcore:CreateCodeInterpreter",
                                "Resource": custom,
                            },
                            {
                                "Sid": "WrongResourceType",
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::bucket",
                            },
                            # Alive through the objects, dead on the bucket itself.
                            {
                                "Sid": "DeadResource",
                                "Effect": "Allow",
                                "Action": "s3:GetObject",
                                "Resource": ["arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket"],
                            },
                            {
                                "Sid": "NoSuchAction",
                                "Effect": "Allow",
                                "Action": "bedrock-agentcore:CreateCodeInterpreters",
                                "Resource": "*",
                            },
                            {
                                "Sid": "KeyNeverSet",
                                "Effect": "Allow",
                                "Action": "bedrock-agentcore:GetCodeInterpreter",
                                "Resource": custom,
                                "Condition": {
                                    "StringEquals": {"bedrock-agentcore:subnets": "subnet-1"}
                                },
                            },
                            {
                                "Sid": "Fine",
                                "Effect": "Allow",
                                "Action": "bedrock-agentcore:GetCodeInterpreter",
                                "Resource": custom,
                                "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}},
                            },
                        ]
                    }
                },
            }
        }
    }

    problems = dead_grants("Probe", template)

    assert [problem.split(":")[0].split()[-1] for problem in problems] == [
        "NoResourceType",
        "WrongResourceType",
        "DeadResource",
        "NoSuchAction",
        "KeyNeverSet",
    ]


@pytest.mark.parametrize(
    ("first", "second", "intersect"),
    [
        ("arn:aws:s3:::b/out/*", "arn:*:s3:::*/*", True),
        ("arn:aws:s3:::b", "arn:*:s3:::*/*", False),
        ("arn:aws:secretsmanager:r:1:secret:ca-??????", "arn:*:secretsmanager:*:*:secret:*", True),
        ("a*c", "*b*", True),
        ("abc", "abd", False),
        ("a?c", "abc", True),
    ],
)
def test_glob_intersection(first: str, second: str, intersect: bool) -> None:
    assert globs_intersect(first, second) is intersect
    assert globs_intersect(second, first) is intersect
