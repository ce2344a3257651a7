"""The rule packs every template must pass at synth, and the one way to acknowledge a finding.

cdk-nag runs as a CDK validation plugin: an unacknowledged finding fails `cdk synth`. Each
acknowledgement names one finding on one resource and says why it is acceptable; the README's
Security section lists them all.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks, ServerlessChecks
from constructs import IConstruct

ACKNOWLEDGEMENT_METADATA = "agentcore:nag-acknowledgement"
# `cdk synth -c agentcore:nag-show-acknowledged=true` reports acknowledged findings as failures,
# so a reviewer sees everything the acknowledgements hide (and stale ones show up as missing).
SHOW_ACKNOWLEDGED_CONTEXT = "agentcore:nag-show-acknowledged"


def add_rule_packs(app: App) -> list[NagPack]:
    packs: list[NagPack] = [
        AwsSolutionsChecks(app),
        ServerlessChecks(app),
        NIST80053R5Checks(app),
    ]
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledge(resource: IConstruct, finding: str, reason: str) -> None:
    """Accept `finding` (a rule id, with its detail in brackets if it has one) on one resource.

    `resource` is the CloudFormation resource itself (an L1 construct), never a whole subtree,
    so an acknowledgement cannot silently cover a resource added later.
    """
    resource.node.add_metadata(ACKNOWLEDGEMENT_METADATA, {"finding": finding, "reason": reason})
    if resource.node.try_get_context(SHOW_ACKNOWLEDGED_CONTEXT) in (True, "true"):
        return
    Validations.of(resource).acknowledge(Acknowledgment(id=finding, reason=reason))


def skip_checkov(resource: IConstruct, check_id: str, comment: str) -> None:
    """Record a checkov skip in the resource's template metadata, where checkov reads it."""
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{resource.node.path} is not a CloudFormation resource")
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", []), {"id": check_id, "comment": comment}]
    resource.add_metadata("checkov", {"skip": skips})


def resource_of(construct: IConstruct) -> IConstruct:
    """The CloudFormation resource behind an L2 construct."""
    child = construct.node.default_child
    if child is None:
        raise ValueError(f"{construct.node.path} has no CloudFormation resource")
    return child


def nag_reference(scope: IConstruct, value: str) -> str:
    """Render a token (a Ref, GetAtt or Join of them) the way cdk-nag prints it in a finding.

    Finding details name resources by logical id, e.g. `Resource::<BucketAB12CD34.Arn>/out/*`.
    """
    return _render(Stack.of(scope).resolve(value))


def _render(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and len(resolved) == 1:
        ((function, argument),) = resolved.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {resolved!r} as a cdk-nag reference")
