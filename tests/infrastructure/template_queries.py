"""Small queries over synthesized CloudFormation templates (plain dicts).

Tests find resources by type and properties, never by hashed logical id.
"""

from __future__ import annotations

from typing import Any

Template = dict[str, Any]


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only_resource(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def artifact_key(template: Template) -> tuple[str, dict[str, Any]]:
    """The one KMS key that is not the alarm topic's (which every monitored stack has)."""
    topic_keys = {
        topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
        for topic in resources_of_type(template, "AWS::SNS::Topic").values()
        if "KmsMasterKeyId" in topic["Properties"]
    }
    found = {
        logical_id: key
        for logical_id, key in resources_of_type(template, "AWS::KMS::Key").items()
        if logical_id not in topic_keys
    }
    assert len(found) == 1, f"expected one artifact key, found {sorted(found)}"
    return next(iter(found.items()))


def managed_policy_described(template: Template, text: str) -> tuple[str, dict[str, Any]]:
    """The one customer-managed policy whose description contains `text`."""
    matches = [
        (logical_id, policy)
        for logical_id, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if text in policy["Properties"].get("Description", "")
    ]
    assert len(matches) == 1, f"expected one policy described with {text!r}, found {matches}"
    return matches[0]


def verify_access_policy(template: Template) -> str:
    """The logical id of the policy `make verify` runs under (VerifyAccess)."""
    return managed_policy_described(template, "make verify")[0]


def role_assumed_by(template: Template, service: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, role)
        for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items()
        if any(
            statement.get("Principal", {}).get("Service") == service
            for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        )
    ]


def statements_of_role(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of every inline or attached AWS::IAM::Policy that names the role."""
    statements: list[dict[str, Any]] = []
    role = template["Resources"][role_logical_id]
    for inline in role["Properties"].get("Policies", []):
        statements.extend(inline["PolicyDocument"]["Statement"])
    for policy in policies_of_role(template, role_logical_id).values():
        statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def policies_of_role(template: Template, role_logical_id: str) -> dict[str, dict[str, Any]]:
    """Inline (AWS::IAM::Policy) and customer-managed policies attached to the role."""
    return {
        logical_id: policy
        for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for logical_id, policy in resources_of_type(template, policy_type).items()
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", [])
    }


def artifact_bucket(template: Template) -> tuple[str, dict[str, Any]]:
    """The bucket the sandbox writes to: the one that sends its access logs elsewhere."""
    matches = [
        (logical_id, bucket)
        for logical_id, bucket in resources_of_type(template, "AWS::S3::Bucket").items()
        if "LoggingConfiguration" in bucket["Properties"]
    ]
    assert len(matches) == 1, f"expected one artifact bucket, found {matches}"
    return matches[0]


def access_logs_bucket(template: Template) -> tuple[str, dict[str, Any]]:
    _, bucket = artifact_bucket(template)
    target = bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    return target, template["Resources"][target]


def bucket_policy_of(template: Template, bucket_logical_id: str) -> dict[str, Any]:
    matches = [
        policy
        for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": bucket_logical_id}
    ]
    assert len(matches) == 1
    return matches[0]


def lambda_with_handler(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, function)
        for logical_id, function in resources_of_type(template, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {matches}"
    return matches[0]


def role_of_function(function: dict[str, Any]) -> str:
    role_ref = function["Properties"]["Role"]["Fn::GetAtt"]
    assert role_ref[1] == "Arn"
    return str(role_ref[0])
