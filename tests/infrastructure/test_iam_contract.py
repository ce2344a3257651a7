"""IAM as a tested contract, on the synthesized templates.

Every call the handler makes over a stack's whole life is replayed through the fake control
plane under the policies the template gives each handler's role, evaluated with AWS's Service
Authorization Reference; so are the sandbox's artifact calls under the execution role, and the
trust that lets AgentCore (and no one else) assume that role. Calls that must be denied are
checked to be denied. The agent's side (AgentAccess, and the CI smoke check) is in
tests/agent/test_agent_iam.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from cfn_driver import Sleeps
from control_plane_fake import ACCOUNT_ID, REGION
from deployment import Deployment, deploy, stack_in_account
from iam_simulation import IamEvaluator, IamRequest, Principal, s3_requests
from synthesis import FIXTURE_ENVIRONMENT_NAMES

from agentcore_api.resources import SERVICE_PRINCIPAL, STACK_TAG_KEY, custom_interpreter_arn

# Every shipped environment, and the variant with every option that adds permissions.
CONTRACT_ENVIRONMENTS = [
    *(("fixture", name) for name in FIXTURE_ENVIRONMENT_NAMES),
    ("variant", "private"),
]


@pytest.fixture(params=CONTRACT_ENVIRONMENTS, ids=lambda case: case[1])
def deployment(
    request: pytest.FixtureRequest,
    iam_evaluator: IamEvaluator,
    handler_client: Any,
    sleeps: Sleeps,
) -> Deployment:
    source, environment = request.param
    return deploy(
        stack_in_account(request.getfixturevalue(f"{source}_app"), environment),
        evaluator=iam_evaluator,
        handler=request.getfixturevalue("index"),
        handler_client=handler_client,
        sleeps=sleeps,
    )


def test_every_call_of_the_handler_over_a_stack_lifetime_is_allowed(
    deployment: Deployment,
) -> None:
    driver, props = deployment.driver, deployment.properties
    # Tags change in place; a new description replaces the interpreter; a stack update that
    # fails elsewhere rolls back to (and adopts) the original; then the stack is deleted.
    retagged = {**props, "Tags": [*props["Tags"], {"Key": "cost-center", "Value": "42"}]}
    assert driver.update_stack(retagged).first.status == "SUCCESS"
    doomed = {**retagged, "Description": "replaced, then rolled back"}
    operation = driver.update_stack(doomed, stack_fails_later=True)
    assert [outcome.status for outcome in operation.outcomes] == ["SUCCESS"] * 3
    assert operation.outcomes[1].physical_id == deployment.interpreter_id
    replaced = driver.update_stack({**retagged, "Description": "replaced"})
    assert [outcome.status for outcome in replaced.outcomes] == ["SUCCESS"] * 2
    assert driver.delete_stack().first.status == "SUCCESS"
    driver.assert_consistent()

    decisions = deployment.authorizer.log.decisions
    assert not [d.request.describe() for d in decisions if not d.allowed]
    used = {(d.principal, d.request.action) for d in decisions}
    assert {
        ("on_event handler", "bedrock-agentcore:CreateCodeInterpreter"),
        ("on_event handler", "iam:PassRole"),
        ("on_event handler", "bedrock-agentcore:GetCodeInterpreter"),
        ("on_event handler", "bedrock-agentcore:ListTagsForResource"),
        ("on_event handler", "bedrock-agentcore:TagResource"),
        ("on_event handler", "bedrock-agentcore:ListCodeInterpreters"),
        ("on_event handler", "bedrock-agentcore:DeleteCodeInterpreter"),
        ("is_complete handler", "bedrock-agentcore:GetCodeInterpreter"),
    } <= used
    if props["NetworkMode"] == "VPC":
        assert ("on_event handler", "iam:CreateServiceLinkedRole") in used
    if props.get("Certificates"):
        assert ("on_event handler", "secretsmanager:GetSecretValue") in used


def test_the_handlers_cannot_act_outside_their_stack(deployment: Deployment) -> None:
    stack, authorizer = deployment.stack, deployment.authorizer
    on_event, is_complete = deployment.handler("on_event"), deployment.handler("is_complete")
    other = custom_interpreter_arn(
        partition="aws", region=REGION, account=ACCOUNT_ID, interpreter_id="other_x-0123456789"
    )
    other_tags = {f"aws:ResourceTag/{STACK_TAG_KEY}": "CodeInterpreter-other"}
    own_tags = {
        f"aws:RequestTag/{STACK_TAG_KEY}": stack.stack_name,
        "aws:TagKeys": (STACK_TAG_KEY,),
    }
    denied = {
        "read another stack's interpreter": (
            on_event,
            IamRequest("bedrock-agentcore:GetCodeInterpreter", other, other_tags),
        ),
        "delete another stack's interpreter": (
            on_event,
            IamRequest("bedrock-agentcore:DeleteCodeInterpreter", other, other_tags),
        ),
        "delete an untagged interpreter": (
            is_complete,
            IamRequest("bedrock-agentcore:DeleteCodeInterpreter", other),
        ),
        "create without the stack's tag": (
            on_event,
            IamRequest("bedrock-agentcore:CreateCodeInterpreter", "*"),
        ),
        "create marked for another stack": (
            on_event,
            IamRequest(
                "bedrock-agentcore:CreateCodeInterpreter",
                "*",
                {**own_tags, f"aws:RequestTag/{STACK_TAG_KEY}": "CodeInterpreter-other"},
            ),
        ),
        "remove the stack's own tag": (
            on_event,
            IamRequest(
                "bedrock-agentcore:UntagResource",
                deployment.interpreter_arn,
                {
                    f"aws:ResourceTag/{STACK_TAG_KEY}": stack.stack_name,
                    "aws:TagKeys": (STACK_TAG_KEY,),
                },
            ),
        ),
        "pass the execution role to another service": (
            on_event,
            IamRequest(
                "iam:PassRole",
                deployment.properties["ExecutionRoleArn"],
                {"iam:PassedToService": "lambda.amazonaws.com"},
            ),
        ),
        "pass another role": (
            on_event,
            IamRequest(
                "iam:PassRole",
                f"arn:aws:iam::{ACCOUNT_ID}:role/Admin",
                {"iam:PassedToService": SERVICE_PRINCIPAL},
            ),
        ),
        "create from the waiting handler": (
            is_complete,
            IamRequest("bedrock-agentcore:CreateCodeInterpreter", "*", own_tags),
        ),
        "start a session from the handler": (
            on_event,
            IamRequest(
                "bedrock-agentcore:StartCodeInterpreterSession",
                deployment.interpreter_arn,
                {f"aws:ResourceTag/{STACK_TAG_KEY}": stack.stack_name},
            ),
        ),
    }
    if deployment.properties["NetworkMode"] == "VPC":
        denied["create in another subnet"] = (
            on_event,
            IamRequest(
                "bedrock-agentcore:CreateCodeInterpreter",
                "*",
                {
                    **own_tags,
                    "bedrock-agentcore:subnets": ("subnet-0aaaaaaaaaaaaaaa1",),
                    "bedrock-agentcore:securityGroups": tuple(
                        deployment.properties["SecurityGroupIds"]
                    ),
                },
            ),
        )
    else:
        denied["create the network service-linked role"] = (
            on_event,
            IamRequest(
                "iam:CreateServiceLinkedRole",
                f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/"
                "network.bedrock-agentcore.amazonaws.com/AWSServiceRoleForBedrockAgentCoreNetwork",
                {"iam:AWSServiceName": "network.bedrock-agentcore.amazonaws.com"},
            ),
        )
    allowed = {
        reason: request.describe()
        for reason, (principal, request) in denied.items()
        if authorizer.check(principal, request).allowed
    }
    assert allowed == {}


def test_sandbox_code_may_use_its_artifact_prefix_and_nothing_else(
    deployment: Deployment,
) -> None:
    stack, authorizer = deployment.stack, deployment.authorizer
    sandbox = deployment.sandbox()
    bucket = stack.parameter_value("artifact-bucket")
    prefix = stack.parameter_value("artifact-prefix")
    describe = s3_requests(bucket_keys=stack.bucket_keys(), region=REGION)

    def allowed(operation: str, **params: str) -> bool:
        return all(authorizer.check(sandbox, r).allowed for r in describe(operation, params))

    # What save_artifact's `aws s3 cp` and reading results back need.
    assert allowed("PutObject", Bucket=bucket, Key=f"{prefix}session-1/chart.png")
    assert allowed("HeadObject", Bucket=bucket, Key=f"{prefix}session-1/chart.png")
    assert allowed("ListObjectsV2", Bucket=bucket, Prefix=f"{prefix}session-1/")
    # Nothing else: another prefix, the whole bucket, another bucket.
    assert not allowed("PutObject", Bucket=bucket, Key="other/chart.png")
    assert not allowed("GetObject", Bucket=bucket, Key="other/secret.csv")
    assert not allowed("ListObjectsV2", Bucket=bucket, Prefix="")
    assert not allowed("PutObject", Bucket="someone-elses-bucket", Key=f"{prefix}x")
    for action, resource in (
        ("bedrock-agentcore:StartCodeInterpreterSession", deployment.interpreter_arn),
        ("bedrock-agentcore:CreateCodeInterpreter", "*"),
        ("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/agentcore/x"),
        ("iam:PassRole", deployment.properties["ExecutionRoleArn"]),
    ):
        assert not authorizer.check(sandbox, IamRequest(action, resource)).allowed, action


def test_only_agentcore_acting_for_this_account_may_assume_the_execution_role(
    deployment: Deployment,
) -> None:
    authorizer, stack = deployment.authorizer, deployment.stack
    role_arn = deployment.properties["ExecutionRoleArn"]

    def may_assume(principal: str, source_arn: str) -> bool:
        account = source_arn.split(":")[4]
        caller = Principal(name=principal, arn=principal, account=account, policies=())
        context = {"aws:SourceAccount": account, "aws:SourceArn": source_arn}
        return authorizer.check(caller, IamRequest("sts:AssumeRole", role_arn, context)).allowed

    assert stack.resource_policy(IamRequest("sts:AssumeRole", role_arn)) is not None
    assert may_assume(SERVICE_PRINCIPAL, deployment.interpreter_arn)
    other_account = deployment.interpreter_arn.replace(ACCOUNT_ID, "999999999999")
    assert not may_assume(SERVICE_PRINCIPAL, other_account)
    other_region = deployment.interpreter_arn.replace(REGION, "eu-west-1")
    assert not may_assume(SERVICE_PRINCIPAL, other_region)
    assert not may_assume("lambda.amazonaws.com", deployment.interpreter_arn)
