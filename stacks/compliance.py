"""AWS's rule packs (cdk-nag), and the one way to acknowledge a finding they report.

Constructs record each acknowledgement next to its resource, with the reason; the README's
Security section lists them all. The packs run as CDK validation plugins when `add_rule_packs`
is called (app.py does so for `-c agentcore:nag=true`, which `make diff` and `make deploy`
pass, and the test suite always checks them): then an unacknowledged finding fails synth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from cdk_nag import NagPack

ACKNOWLEDGEMENT_METADATA = "agentcore:nag-acknowledgement"
# `-c agentcore:nag=true` runs the packs at synth; templates are the same either way.
NAG_CONTEXT = "agentcore:nag"
# `-c agentcore:nag-show-acknowledged=true` runs them too, and reports acknowledged findings as
# failures, so a reviewer sees everything the acknowledgements hide (and stale ones show up as
# missing).
SHOW_ACKNOWLEDGED_CONTEXT = "agentcore:nag-show-acknowledged"


def rule_packs() -> list[NagPack]:
    """The three packs every template must pass: AwsSolutions, Serverless, NIST 800-53 R5."""
    # Imported here: loading cdk-nag into the CDK's JavaScript runtime takes a tenth of a second,
    # which synths that do not run the packs should not pay.
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks  # noqa: PLC0415

    return [AwsSolutionsChecks(), ServerlessChecks(), NIST80053R5Checks()]


def add_rule_packs(app: App, *, show_acknowledged: bool = False) -> list[NagPack]:
    """Make every finding of the packs that is not acknowledged fail this app's synth.

    Acknowledgements take effect here, not where they are recorded, so a synth without the
    packs pays nothing for them. With `show_acknowledged` they are left out and count as well.
    """
    if not show_acknowledged:
        for resource, findings in _recorded_acknowledgements(app):
            Validations.of(resource).acknowledge(
                *(Acknowledgment(id=finding, reason=reason) for finding, reason in findings.items())
            )
    packs = rule_packs()
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledge(resource: IConstruct, findings: Mapping[str, str]) -> None:
    """Accept each finding (a rule id, with its detail in brackets if it has one) on one resource.

    `findings` maps each finding to the reason it is acceptable. `resource` is the CloudFormation
    resource itself (an L1 construct), never a whole subtree, so an acknowledgement cannot
    silently cover a resource added later.
    """
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{resource.node.path} is not a CloudFormation resource")
    resource.node.add_metadata(ACKNOWLEDGEMENT_METADATA, dict(findings))


def acknowledged_findings(scope: IConstruct) -> dict[tuple[str, str], str]:
    """Every acknowledgement under `scope`: (construct path, finding) -> reason."""
    return {
        (resource.node.path, finding): reason
        for resource, findings in _recorded_acknowledgements(scope)
        for finding, reason in findings.items()
    }


def _recorded_acknowledgements(scope: IConstruct) -> Iterator[tuple[CfnResource, dict[str, str]]]:
    for construct in scope.node.find_all():
        # Only CloudFormation resources carry acknowledgements (see `acknowledge`).
        if isinstance(construct, CfnResource):
            for entry in construct.node.metadata:
                if entry.type == ACKNOWLEDGEMENT_METADATA:
                    yield construct, entry.data


def skip_checkov(resource: IConstruct, checks: Mapping[str, str]) -> None:
    """Record checkov skips (check id -> comment) in the resource's template metadata."""
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{resource.node.path} is not a CloudFormation resource")
    existing = resource.get_metadata("checkov") or {}
    skips = [*existing.get("skip", [])]
    skips.extend({"id": check_id, "comment": comment} for check_id, comment in checks.items())
    resource.add_metadata("checkov", {"skip": skips})


def resource_of(construct: IConstruct) -> IConstruct:
    """The CloudFormation resource behind an L2 construct."""
    child = construct.node.default_child
    if child is None:
        raise ValueError(f"{construct.node.path} has no CloudFormation resource")
    return child


def wildcard_finding(scope: IConstruct, resource: str) -> str:
    """The finding AwsSolutions-IAM5 reports for a wildcard `resource` (an ARN token or pattern).

    cdk-nag names resources in it by logical id, e.g. `Resource::<BucketAB12CD34.Arn>/out/*`.
    """
    return f"AwsSolutions-IAM5[Resource::{_render(Stack.of(scope).resolve(resource))}]"


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
