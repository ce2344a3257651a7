"""What each environment's template creates, asserted property by property."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfn_driver import RESOURCE_TYPE as CUSTOM_RESOURCE
from synthesis import (
    FIXTURE_ENVIRONMENT_NAMES,
    FIXTURE_ENVIRONMENTS,
    VARIANT_ENVIRONMENTS,
    SynthesizedApp,
)
from template_queries import (
    access_logs_bucket,
    artifact_bucket,
    artifact_key,
    bucket_policy_of,
    lambda_with_handler,
    only_resource,
    policies_of_role,
    resources_of_type,
    role_assumed_by,
    role_of_function,
    statements_of_role,
    verify_access_policy,
)

from agentcore_api.resources import NETWORK_SERVICE_NAME, SERVICE_PRINCIPAL, STACK_TAG_KEY

AGENTCORE = SERVICE_PRINCIPAL


def fixture_settings(environment: str) -> dict[str, Any]:
    settings: dict[str, Any] = FIXTURE_ENVIRONMENTS[environment]
    return settings


def execution_role_id(template: dict[str, Any]) -> str:
    roles = role_assumed_by(template, AGENTCORE)
    assert len(roles) == 1, "exactly one role may be assumed by AgentCore"
    return roles[0][0]


def bucket_id(template: dict[str, Any]) -> str:
    return artifact_bucket(template)[0]


def interpreter(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only_resource(template, CUSTOM_RESOURCE)


def agent_access_policy(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, policy)
        for logical_id, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if "use the AgentCore code interpreter" in policy["Properties"].get("Description", "")
    ]
    assert len(matches) == 1
    return matches[0]


def test_one_stack_per_shipped_environment(fixture_app: SynthesizedApp) -> None:
    assert sorted(fixture_app.stacks) == sorted(FIXTURE_ENVIRONMENT_NAMES)
    for environment, stack in fixture_app.stacks.items():
        assert stack.stack_name == f"CodeInterpreter-{environment}"


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_trust_policy_admits_only_agentcore_of_this_account(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
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
            "Sid": "ArtifactsList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": [bucket, "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": ["results/agents/*"]}},
        },
        {
            "Sid": "ArtifactsObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/results/agents/*"]]},
        },
    ]


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_artifact_bucket_is_private_encrypted_versioned_and_expiring(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    _, bucket = artifact_bucket(template)
    properties = bucket["Properties"]
    retention = fixture_settings(environment)["artifact_retention_days"]
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


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_every_request_to_the_artifact_bucket_is_logged_to_a_private_bucket(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    _, bucket = artifact_bucket(template)
    logs_id, logs_bucket = access_logs_bucket(template)
    assert bucket["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": "artifacts/",
    }
    properties = logs_bucket["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    # Server access logging can only deliver to SSE-S3 encrypted buckets.
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] >= 365
    assert logs_bucket["DeletionPolicy"] == bucket["DeletionPolicy"]
    delivery = [
        statement
        for statement in bucket_policy_of(template, logs_id)["Properties"]["PolicyDocument"][
            "Statement"
        ]
        if statement["Effect"] == "Allow"
        and statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    ]
    assert len(delivery) == 1
    assert delivery[0]["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::GetAtt": [bucket_id(template), "Arn"]
    }


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_bucket_policies_deny_plain_http_and_old_tls(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    for bucket in (bucket_id(template), access_logs_bucket(template)[0]):
        policy = bucket_policy_of(template, bucket)
        denials = [
            statement["Condition"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
        ]
        assert {"Bool": {"aws:SecureTransport": "false"}} in denials
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in denials


def test_customer_managed_key_encrypts_artifacts_and_is_usable_only_through_s3(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["private"]
    key_id, key = artifact_key(template)
    assert key["Properties"]["EnableKeyRotation"] is True
    _, bucket = artifact_bucket(template)
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {
            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
            "SSEAlgorithm": "aws:kms",
        },
    }
    key_statements = [
        s
        for s in statements_of_role(template, execution_role_id(template))
        if s["Sid"] == "ArtifactsKey"
    ]
    assert key_statements == [
        {
            "Sid": "ArtifactsKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
            "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
        }
    ]


def test_no_key_and_no_key_permissions_without_artifact_kms(fixture_app: SynthesizedApp) -> None:
    template = fixture_app.templates["prod"]
    # The only key is the one that encrypts the alarm topic.
    ((topic_key, _),) = resources_of_type(template, "AWS::KMS::Key").items()
    (topic,) = resources_of_type(template, "AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [topic_key, "Arn"]}
    actions = [s["Action"] for s in statements_of_role(template, execution_role_id(template))]
    assert not any("kms:" in str(action) for action in actions)


@pytest.mark.parametrize(
    ("environment", "deletion_policy", "auto_delete"),
    [("dev", "Delete", True), ("staging", "Retain", False), ("prod", "Retain", False)],
)
def test_bucket_removal_follows_config(
    fixture_app: SynthesizedApp, environment: str, deletion_policy: str, auto_delete: bool
) -> None:
    template = fixture_app.templates[environment]
    _, bucket = artifact_bucket(template)
    assert bucket["DeletionPolicy"] == deletion_policy
    assert bucket["UpdateReplacePolicy"] == deletion_policy
    emptied = resources_of_type(template, "Custom::S3AutoDeleteObjects")
    assert len(emptied) == (2 if auto_delete else 0)


@pytest.mark.parametrize(
    ("environment", "protected"), [("dev", False), ("staging", False), ("prod", True)]
)
def test_termination_protection_follows_config(
    fixture_app: SynthesizedApp, environment: str, protected: bool
) -> None:
    assert fixture_app.stacks[environment].termination_protection is protected


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_interpreter_properties_follow_the_contract(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    settings = fixture_settings(environment)
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


def test_interpreter_waits_for_its_role_permissions(fixture_app: SynthesizedApp) -> None:
    template = fixture_app.templates["dev"]
    _, resource = interpreter(template)
    role_policies = policies_of_role(template, execution_role_id(template))
    assert len(role_policies) == 1
    assert next(iter(role_policies)) in resource["DependsOn"]


def test_vpc_mode_passes_subnets_and_security_groups_only(
    variant_app: SynthesizedApp,
) -> None:
    _, resource = interpreter(variant_app.templates["private"])
    properties = resource["Properties"]
    assert properties["NetworkMode"] == "VPC"
    assert properties["SubnetIds"] == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    assert properties["SecurityGroupIds"] == ["sg-0123456789abcdef0"]
    # requireServiceS3Endpoint applies to Agent Runtimes only: nothing in the template asks for it.
    assert not [key for key in properties if "S3Endpoint" in key]
    assert properties["Name"] == "codeinterpreter_private"
    assert properties["Certificates"] == VARIANT_ENVIRONMENTS["private"]["certificate_secret_arns"]


def test_public_mode_without_tags_or_description(variant_app: SynthesizedApp) -> None:
    _, resource = interpreter(variant_app.templates["open"])
    properties = resource["Properties"]
    assert properties["NetworkMode"] == "PUBLIC"
    assert properties["Tags"] == []
    assert "Description" not in properties
    assert not {"SubnetIds", "SecurityGroupIds", "RequireServiceS3Endpoint", "Certificates"} & set(
        properties
    )


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_ssm_parameters_publish_id_arn_bucket_and_prefix(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
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
        # Always published, [] without file systems: agents read all five at once.
        f"{prefix}/mounts": "[]",
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
        "/teams/analytics/interpreter/mounts",
    ]
    assert template["Outputs"]["ArtifactPrefix"]["Value"] == "results/agents/"


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_outputs_hand_the_interpreter_to_agent_code(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    interpreter_id, _ = interpreter(template)
    values = {key: output["Value"] for key, output in template["Outputs"].items()}
    assert values == {
        "CodeInterpreterId": {"Ref": interpreter_id},
        "CodeInterpreterArn": {"Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]},
        "ArtifactBucketName": {"Ref": bucket_id(template)},
        "ArtifactPrefix": "output_artifacts/",
        "Mounts": "[]",
        "ExecutionRoleArn": {"Fn::GetAtt": [execution_role_id(template), "Arn"]},
        "AgentAccessPolicyArn": {"Ref": agent_access_policy(template)[0]},
        "VerifyAccessPolicyArn": {"Ref": verify_access_policy(template)},
        "AlarmTopicArn": {"Ref": only_resource(template, "AWS::SNS::Topic")[0]},
        "DashboardName": {
            "Fn::Join": ["-", [f"CodeInterpreter-{environment}", {"Ref": "AWS::Region"}]]
        },
        "DashboardUrl": {
            "Fn::Join": [
                "",
                [
                    "https://console.aws.amazon.com/cloudwatch/home?region=",
                    {"Ref": "AWS::Region"},
                    "#dashboards/dashboard/",
                    {"Fn::Join": ["-", [f"CodeInterpreter-{environment}", {"Ref": "AWS::Region"}]]},
                ],
            ]
        },
    }


@pytest.mark.parametrize("handler", ["index.on_event", "index.is_complete"])
def test_handler_functions_run_the_shipped_python_handler(
    fixture_app: SynthesizedApp, handler: str
) -> None:
    template = fixture_app.templates["dev"]
    _, function = lambda_with_handler(template, handler)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.14"
    # Well under Lambda's and the Provider framework's 14-minute ceiling.
    assert properties["Timeout"] == 120
    log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
    assert template["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
    role = role_of_function(function)
    assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]
    assert {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
    } in statements_of_role(template, role)


def test_only_the_create_handler_may_pass_the_execution_role(
    fixture_app: SynthesizedApp,
) -> None:
    template = fixture_app.templates["dev"]
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


def handler_statements(template: dict[str, Any], handler: str) -> dict[str, dict[str, Any]]:
    """The handler role's statements by Sid, without the one that writes its own logs."""
    _, function = lambda_with_handler(template, handler)
    return {
        statement["Sid"]: {key: value for key, value in statement.items() if key != "Sid"}
        for statement in statements_of_role(template, role_of_function(function))
        if statement["Sid"] != "WriteOwnLogs"
    }


def test_each_handler_may_call_only_what_it_calls_on_its_own_stacks_interpreters(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["pinned"]
    custom = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:code-interpreter-custom/*"
    own = {"StringEquals": {f"aws:ResourceTag/{STACK_TAG_KEY}": "CodeInterpreter-pinned"}}
    listing = {
        "Action": "bedrock-agentcore:ListCodeInterpreters",
        "Effect": "Allow",
        "Resource": "*",
    }
    assert handler_statements(template, "index.on_event") == {
        # No resource type for CreateCodeInterpreter: only "*" with its condition keys.
        "CreateInterpretersMarkedForThisStack": {
            "Action": "bedrock-agentcore:CreateCodeInterpreter",
            "Effect": "Allow",
            "Resource": "*",
            "Condition": {
                "StringEquals": {f"aws:RequestTag/{STACK_TAG_KEY}": "CodeInterpreter-pinned"},
                "ForAnyValue:StringEquals": {"aws:TagKeys": [STACK_TAG_KEY]},
            },
        },
        "ReadAndDeleteOwnInterpreters": {
            "Action": [
                "bedrock-agentcore:DeleteCodeInterpreter",
                "bedrock-agentcore:GetCodeInterpreter",
                "bedrock-agentcore:ListTagsForResource",
            ],
            "Effect": "Allow",
            "Resource": custom,
            "Condition": own,
        },
        "TagOwnInterpreters": {
            "Action": "bedrock-agentcore:TagResource",
            "Effect": "Allow",
            "Resource": custom,
            "Condition": {
                **own,
                "StringEqualsIfExists": {
                    f"aws:RequestTag/{STACK_TAG_KEY}": "CodeInterpreter-pinned"
                },
            },
        },
        "UntagOwnInterpreters": {
            "Action": "bedrock-agentcore:UntagResource",
            "Effect": "Allow",
            "Resource": custom,
            "Condition": {**own, "ForAllValues:StringNotEquals": {"aws:TagKeys": [STACK_TAG_KEY]}},
        },
        "ListInterpreters": listing,
        "PassExecutionRoleToAgentCore": {
            "Action": "iam:PassRole",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [execution_role_id(template), "Arn"]},
            "Condition": {"StringEquals": {"iam:PassedToService": SERVICE_PRINCIPAL}},
        },
    }
    assert handler_statements(template, "index.is_complete") == {
        "WatchOwnInterpreters": {
            "Action": [
                "bedrock-agentcore:DeleteCodeInterpreter",
                "bedrock-agentcore:GetCodeInterpreter",
            ],
            "Effect": "Allow",
            "Resource": custom,
            "Condition": own,
        },
        "ListInterpreters": listing,
    }


def test_vpc_and_certificates_add_exactly_their_permissions_to_the_create_handler(
    variant_app: SynthesizedApp,
) -> None:
    statements = handler_statements(variant_app.templates["private"], "index.on_event")
    settings = VARIANT_ENVIRONMENTS["private"]
    create = statements["CreateInterpretersMarkedForThisStack"]
    assert create["Condition"]["ForAllValues:StringEquals"] == {
        "bedrock-agentcore:subnets": settings["vpc"]["subnet_ids"],
        "bedrock-agentcore:securityGroups": settings["vpc"]["security_group_ids"],
    }
    assert statements["CreateAgentCoreNetworkServiceLinkedRole"] == {
        "Action": "iam:CreateServiceLinkedRole",
        "Effect": "Allow",
        "Resource": "arn:aws:iam::123456789012:role/aws-service-role/"
        "network.bedrock-agentcore.amazonaws.com/AWSServiceRoleForBedrockAgentCoreNetwork",
        "Condition": {"StringEquals": {"iam:AWSServiceName": NETWORK_SERVICE_NAME}},
    }
    full_arn, partial_arn = settings["certificate_secret_arns"]
    read_secrets = statements["ReadCertificateSecrets"]
    assert read_secrets["Action"] == "secretsmanager:GetSecretValue"
    assert set(read_secrets) == {"Action", "Effect", "Resource"}
    # A full ARN as given; one without Secrets Manager's suffix matches exactly one suffix.
    assert set(read_secrets["Resource"]) == {full_arn, f"{partial_arn}-??????"}
    assert statements["DecryptCertificateSecrets"] == {
        "Action": "kms:Decrypt",
        "Effect": "Allow",
        "Resource": settings["certificate_kms_key_arns"][0],
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    }
    # Without VPC mode or certificates, none of these exist.
    plain = handler_statements(variant_app.templates["pinned"], "index.on_event")
    assert not {
        "CreateAgentCoreNetworkServiceLinkedRole",
        "ReadCertificateSecrets",
        "DecryptCertificateSecrets",
    } & set(plain)
    assert (
        "ForAllValues:StringEquals"
        not in plain["CreateInterpretersMarkedForThisStack"]["Condition"]
    )


def test_interpreter_waits_for_its_handlers_permissions(fixture_app: SynthesizedApp) -> None:
    """The functions depend on their roles, not on the policies attached to them; the first
    call must not race a policy that does not exist yet."""
    template = fixture_app.templates["dev"]
    _, resource = interpreter(template)
    for handler in ("index.on_event", "index.is_complete"):
        _, function = lambda_with_handler(template, handler)
        policies = policies_of_role(template, role_of_function(function))
        assert policies, f"{handler}: its permissions are not in a policy of its own"
        for policy in policies:
            assert policy in resource["DependsOn"]


def test_no_role_uses_an_aws_managed_policy_but_cdks_bucket_emptier(
    fixture_app: SynthesizedApp,
) -> None:
    for environment in FIXTURE_ENVIRONMENT_NAMES:
        template = fixture_app.templates[environment]
        # aws-cdk-lib's own provider behind auto_delete_objects (destroy environments only)
        # comes with AWSLambdaBasicExecutionRole and offers no way to replace it.
        emptier_roles = {
            role_of_function(function)
            for function in resources_of_type(template, "AWS::Lambda::Function").values()
            if "auto-deleting objects" in str(function["Properties"].get("Description"))
        }
        with_managed = {
            logical_id
            for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items()
            if "ManagedPolicyArns" in role["Properties"]
        }
        assert with_managed == emptier_roles
        assert len(emptier_roles) == (1 if environment == "dev" else 0)


def test_public_mode_warns_at_synth(variant_app: SynthesizedApp) -> None:
    for environment, warned in (("open", True), ("pinned", False)):
        warnings = variant_app.messages_of(environment, "warning", "network_mode is PUBLIC")
        assert bool(warnings) is warned


def test_waiter_state_machine_logs_without_execution_data(fixture_app: SynthesizedApp) -> None:
    template = fixture_app.templates["dev"]
    _, machine = only_resource(template, "AWS::StepFunctions::StateMachine")
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    # Execution data carries the CloudFormation event, presigned ResponseURL included.
    assert logging["IncludeExecutionData"] is False


def test_provider_polls_every_ten_seconds(fixture_app: SynthesizedApp) -> None:
    _, machine = only_resource(fixture_app.templates["dev"], "AWS::StepFunctions::StateMachine")
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert '\\"IntervalSeconds\\":10,' in definition


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_every_log_group_has_a_retention_period(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    log_groups = resources_of_type(fixture_app.templates[environment], "AWS::Logs::LogGroup")
    assert len(log_groups) >= 3
    assert all(group["Properties"].get("RetentionInDays") for group in log_groups.values())


def test_agent_access_policy_grants_sessions_discovery_and_artifact_reads(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["pinned"]
    interpreter_id, _ = interpreter(template)
    bucket = bucket_id(template)
    _, policy = agent_access_policy(template)
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["UseThisCodeInterpreter"]["Resource"] == {
        "Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]
    }
    assert sorted(statements["UseThisCodeInterpreter"]["Action"]) == [
        "bedrock-agentcore:GetCodeInterpreter",
        "bedrock-agentcore:GetCodeInterpreterSession",
        "bedrock-agentcore:InvokeCodeInterpreter",
        "bedrock-agentcore:ListCodeInterpreterSessions",
        "bedrock-agentcore:StartCodeInterpreterSession",
        "bedrock-agentcore:StopCodeInterpreterSession",
    ]
    assert sorted(statements["ReadDiscoveryParameters"]["Resource"]) == [
        f"arn:aws:ssm:eu-west-1:123456789012:parameter/teams/analytics/interpreter/{leaf}"
        for leaf in ("arn", "artifact-bucket", "artifact-prefix", "id", "mounts")
    ]
    assert statements["ReadArtifactsObjects"] == {
        "Sid": "ReadArtifactsObjects",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/results/agents/*"]]},
    }
    assert statements["ReadArtifactsList"]["Condition"] == {
        "StringLike": {"s3:prefix": ["results/agents/*"]}
    }
    assert set(statements) == {
        "UseThisCodeInterpreter",
        "ReadDiscoveryParameters",
        "ReadArtifactsObjects",
        "ReadArtifactsList",
    }
    # agent_role_arns attaches the policy to each configured role, by name.
    assert policy["Properties"]["Roles"] == ["analytics-agent"]


def test_agent_access_policy_is_attached_to_nobody_by_default(fixture_app: SynthesizedApp) -> None:
    _, policy = agent_access_policy(fixture_app.templates["dev"])
    assert "Roles" not in policy["Properties"]


def test_agent_access_policy_may_decrypt_a_customer_managed_key(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["private"]
    key_id, _ = artifact_key(template)
    _, policy = agent_access_policy(template)
    (decrypt,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Sid"] == "ReadArtifactsKey"
    ]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    }


def test_mounts_reach_the_interpreter_the_role_and_the_discovery_data(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["private"]
    s3files, efs = VARIANT_ENVIRONMENTS["private"]["filesystems"]
    _, resource = interpreter(template)
    assert resource["Properties"]["FilesystemConfigurations"] == [
        {
            "S3FilesConfiguration": {
                "AccessPointArn": s3files["access_point_arn"],
                "FileSystemArn": s3files["file_system_arn"],
                "MountPath": "/mnt/datasets",
            }
        },
        {
            "EfsConfiguration": {
                "AccessPointArn": efs["access_point_arn"],
                "FileSystemArn": efs["file_system_arn"],
                "MountPath": "/mnt/shared/",
            }
        },
    ]
    mounts = {
        s["Sid"]: s
        for s in statements_of_role(template, execution_role_id(template))
        if s["Sid"].startswith("Mount")
    }
    # Read-only: mount, never write. Each through its configured access point only.
    assert mounts == {
        "Mount0S3files": {
            "Sid": "Mount0S3files",
            "Effect": "Allow",
            "Action": "s3files:ClientMount",
            "Resource": s3files["file_system_arn"],
            "Condition": {"StringEquals": {"s3files:AccessPointArn": s3files["access_point_arn"]}},
        },
        "Mount1Efs": {
            "Sid": "Mount1Efs",
            "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": efs["file_system_arn"],
            "Condition": {
                "StringEquals": {"elasticfilesystem:AccessPointArn": efs["access_point_arn"]},
                "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
            },
        },
    }
    published = json.loads(template["Outputs"]["Mounts"]["Value"])
    assert published == [
        {"path": "/mnt/datasets", "type": "s3files", "read_only": True},
        {"path": "/mnt/shared/", "type": "efs", "read_only": False},
    ]
    (parameter,) = [
        p["Properties"]
        for p in resources_of_type(template, "AWS::SSM::Parameter").values()
        if p["Properties"]["Name"].endswith("/mounts")
    ]
    assert json.loads(parameter["Value"]) == published


def test_no_mount_permissions_without_file_systems(fixture_app: SynthesizedApp) -> None:
    for template in fixture_app.templates.values():
        actions = {
            action
            for statement in statements_of_role(template, execution_role_id(template))
            for action in (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
        }
        assert not [a for a in actions if a.startswith(("s3files:", "elasticfilesystem:"))]
        assert "FilesystemConfigurations" not in interpreter(template)[1]["Properties"]


def test_synth_names_the_security_groups_that_must_allow_nfs(
    variant_app: SynthesizedApp,
) -> None:
    (note,) = variant_app.messages_of("private", "info", "TCP 2049")
    assert "/mnt/datasets, /mnt/shared/" in note
    assert "(sg-0123456789abcdef0)" in note
    assert not variant_app.messages_of("pinned", "info", "TCP 2049")
