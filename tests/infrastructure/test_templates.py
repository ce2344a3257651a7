"""What each environment's template creates, asserted property by property."""

from __future__ import annotations

import json
from typing import Any

import pytest
from synthesis import SHIPPED_ENVIRONMENTS, SynthesizedApp, cdk_context
from template_queries import (
    lambda_with_handler,
    only_resource,
    resources_of_type,
    role_assumed_by,
    role_of_function,
    statements_of_role,
)

AGENTCORE = "bedrock-agentcore.amazonaws.com"
CUSTOM_RESOURCE = "Custom::AgentCoreCodeInterpreter"
ROLE_ARN_OF_EXECUTION_ROLE = "Arn"


def shipped_settings(environment: str) -> dict[str, Any]:
    settings: dict[str, Any] = cdk_context()["environments"][environment]
    return settings


def execution_role_id(template: dict[str, Any]) -> str:
    roles = role_assumed_by(template, AGENTCORE)
    assert len(roles) == 1, "exactly one role may be assumed by AgentCore"
    return roles[0][0]


def bucket_id(template: dict[str, Any]) -> str:
    return only_resource(template, "AWS::S3::Bucket")[0]


def interpreter(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only_resource(template, CUSTOM_RESOURCE)


def test_one_stack_per_shipped_environment(shipped_app: SynthesizedApp) -> None:
    assert sorted(shipped_app.stacks) == sorted(SHIPPED_ENVIRONMENTS)
    for environment, stack in shipped_app.stacks.items():
        assert stack.stack_name == f"CodeInterpreter-{environment}"


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_trust_policy_admits_only_agentcore_of_this_account(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    role = template["Resources"][execution_role_id(template)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": AGENTCORE},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":bedrock-agentcore:",
                                {"Ref": "AWS::Region"},
                                ":",
                                {"Ref": "AWS::AccountId"},
                                ":*",
                            ],
                        ]
                    }
                },
            },
        }
    ]


def test_trust_conditions_name_the_pinned_account_and_region(variant_app: SynthesizedApp) -> None:
    template = variant_app.templates["pinned"]
    role = template["Resources"][execution_role_id(template)]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:eu-west-1:123456789012:*"},
    }


def test_execution_role_may_only_write_read_and_list_its_prefix(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["pinned"]
    role_id = execution_role_id(template)
    bucket = bucket_id(template)
    assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]
    assert sorted(statements_of_role(template, role_id), key=lambda s: s["Sid"]) == [
        {
            "Sid": "ListArtifactPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": [bucket, "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": ["results/agents/*"]}},
        },
        {
            "Sid": "WriteAndReadArtifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/results/agents/*"]]},
        },
    ]


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_artifact_bucket_is_private_encrypted_versioned_and_expiring(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    _, bucket = only_resource(template, "AWS::S3::Bucket")
    properties = bucket["Properties"]
    retention = shipped_settings(environment)["artifact_retention_days"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == retention
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": retention}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_bucket_policy_denies_plain_http_and_old_tls(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    _, policy = only_resource(template, "AWS::S3::BucketPolicy")
    denials = [
        statement["Condition"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
    ]
    assert {"Bool": {"aws:SecureTransport": "false"}} in denials
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in denials


@pytest.mark.parametrize(
    ("environment", "deletion_policy", "auto_delete"),
    [("dev", "Delete", True), ("staging", "Retain", False), ("prod", "Retain", False)],
)
def test_bucket_removal_follows_config(
    shipped_app: SynthesizedApp, environment: str, deletion_policy: str, auto_delete: bool
) -> None:
    template = shipped_app.templates[environment]
    _, bucket = only_resource(template, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == deletion_policy
    assert bucket["UpdateReplacePolicy"] == deletion_policy
    assert bool(resources_of_type(template, "Custom::S3AutoDeleteObjects")) is auto_delete


@pytest.mark.parametrize(
    ("environment", "protected"), [("dev", False), ("staging", False), ("prod", True)]
)
def test_termination_protection_follows_config(
    shipped_app: SynthesizedApp, environment: str, protected: bool
) -> None:
    assert shipped_app.stacks[environment].termination_protection is protected


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_interpreter_properties_follow_the_contract(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    settings = shipped_settings(environment)
    _, resource = interpreter(template)
    properties = dict(resource["Properties"])
    service_token = properties.pop("ServiceToken")
    assert "Fn::GetAtt" in service_token
    assert properties == {
        "ServiceTimeout": "1500",
        "Name": f"codeinterpreter_{environment}",
        "Description": settings["description"],
        "ExecutionRoleArn": {"Fn::GetAtt": [execution_role_id(template), "Arn"]},
        "NetworkMode": "SANDBOX",
        "Tags": [{"Key": key, "Value": value} for key, value in settings["tags"].items()],
    }


def test_interpreter_waits_for_its_role_permissions(shipped_app: SynthesizedApp) -> None:
    template = shipped_app.templates["dev"]
    _, resource = interpreter(template)
    role_policies = [
        logical_id
        for logical_id, policy in resources_of_type(template, "AWS::IAM::Policy").items()
        if {"Ref": execution_role_id(template)} in policy["Properties"]["Roles"]
    ]
    assert len(role_policies) == 1
    assert role_policies[0] in resource["DependsOn"]


def test_vpc_mode_passes_subnets_security_groups_and_endpoint_flag(
    variant_app: SynthesizedApp,
) -> None:
    _, resource = interpreter(variant_app.templates["private"])
    properties = resource["Properties"]
    assert properties["NetworkMode"] == "VPC"
    assert properties["SubnetIds"] == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    assert properties["SecurityGroupIds"] == ["sg-0123456789abcdef0"]
    assert properties["RequireServiceS3Endpoint"] is True
    assert properties["Name"] == "codeinterpreter_private"


def test_public_mode_without_tags_or_description(variant_app: SynthesizedApp) -> None:
    _, resource = interpreter(variant_app.templates["open"])
    properties = resource["Properties"]
    assert properties["NetworkMode"] == "PUBLIC"
    assert properties["Tags"] == []
    assert "Description" not in properties
    assert not {"SubnetIds", "SecurityGroupIds", "RequireServiceS3Endpoint"} & set(properties)


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_ssm_parameters_publish_id_arn_bucket_and_prefix(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    interpreter_id, _ = interpreter(template)
    parameters = {
        p["Properties"]["Name"]: p["Properties"]
        for p in resources_of_type(template, "AWS::SSM::Parameter").values()
    }
    prefix = f"/agentcore/{environment}/code-interpreter"
    assert {name: p["Value"] for name, p in parameters.items()} == {
        f"{prefix}/id": {"Ref": interpreter_id},
        f"{prefix}/arn": {"Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]},
        f"{prefix}/artifact-bucket": {"Ref": bucket_id(template)},
        f"{prefix}/artifact-prefix": "output_artifacts/",
    }
    assert {p["Type"] for p in parameters.values()} == {"String"}


def test_ssm_prefix_and_artifact_prefix_are_configurable(variant_app: SynthesizedApp) -> None:
    template = variant_app.templates["pinned"]
    names = sorted(
        p["Properties"]["Name"] for p in resources_of_type(template, "AWS::SSM::Parameter").values()
    )
    assert names == [
        "/teams/analytics/interpreter/arn",
        "/teams/analytics/interpreter/artifact-bucket",
        "/teams/analytics/interpreter/artifact-prefix",
        "/teams/analytics/interpreter/id",
    ]
    assert template["Outputs"]["ArtifactPrefix"]["Value"] == "results/agents/"


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_outputs_hand_the_interpreter_to_agent_code(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    template = shipped_app.templates[environment]
    interpreter_id, _ = interpreter(template)
    values = {key: output["Value"] for key, output in template["Outputs"].items()}
    assert values == {
        "CodeInterpreterId": {"Ref": interpreter_id},
        "CodeInterpreterArn": {"Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]},
        "ArtifactBucketName": {"Ref": bucket_id(template)},
        "ArtifactPrefix": "output_artifacts/",
        "ExecutionRoleArn": {"Fn::GetAtt": [execution_role_id(template), "Arn"]},
    }


@pytest.mark.parametrize(
    ("handler", "timeout"), [("index.on_event", 120), ("index.is_complete", 60)]
)
def test_handler_functions_run_the_shipped_python_handler(
    shipped_app: SynthesizedApp, handler: str, timeout: int
) -> None:
    _, function = lambda_with_handler(shipped_app.templates["dev"], handler)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Timeout"] == timeout
    assert properties["LoggingConfig"]["LogGroup"]["Ref"]


def test_only_the_create_handler_may_pass_the_execution_role(
    shipped_app: SynthesizedApp,
) -> None:
    template = shipped_app.templates["dev"]
    execution_role = execution_role_id(template)
    for handler, may_pass in (("index.on_event", True), ("index.is_complete", False)):
        _, function = lambda_with_handler(template, handler)
        statements = statements_of_role(template, role_of_function(function))
        passes = [s for s in statements if s["Action"] == "iam:PassRole"]
        if not may_pass:
            assert passes == []
            continue
        assert passes == [
            {
                "Sid": "PassExecutionRoleToAgentCore",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": {"Fn::GetAtt": [execution_role, "Arn"]},
                "Condition": {"StringEquals": {"iam:PassedToService": AGENTCORE}},
            }
        ]


def test_handlers_manage_only_custom_interpreters(variant_app: SynthesizedApp) -> None:
    template = variant_app.templates["pinned"]
    for handler in ("index.on_event", "index.is_complete"):
        _, function = lambda_with_handler(template, handler)
        agentcore = [
            s
            for s in statements_of_role(template, role_of_function(function))
            if s["Sid"] == "ManageCustomCodeInterpreters"
        ]
        (statement,) = agentcore
        actions = statement["Action"]
        assert all(action.startswith("bedrock-agentcore:") for action in actions)
        assert "*" not in "".join(actions)
        assert statement["Resource"] == (
            "arn:aws:bedrock-agentcore:eu-west-1:123456789012:code-interpreter-custom/*"
        )


def test_provider_polls_every_ten_seconds(shipped_app: SynthesizedApp) -> None:
    _, machine = only_resource(shipped_app.templates["dev"], "AWS::StepFunctions::StateMachine")
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert '\\"IntervalSeconds\\":10' in definition


@pytest.mark.parametrize("environment", SHIPPED_ENVIRONMENTS)
def test_every_log_group_has_a_retention_period(
    shipped_app: SynthesizedApp, environment: str
) -> None:
    log_groups = resources_of_type(shipped_app.templates[environment], "AWS::Logs::LogGroup")
    assert len(log_groups) >= 3
    assert all(group["Properties"].get("RetentionInDays") for group in log_groups.values())
