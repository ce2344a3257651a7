"""Alarms, their topic and the dashboard, as the synthesized templates define them.

The shipped-like fixture environments have monitoring with its defaults (a topic of the stack's
own, no subscriptions); the variants cover an existing topic ("pinned"), email subscriptions
with stricter thresholds ("private") and `monitoring: false` ("open"). Who may publish to the
stack's topic is evaluated as IAM would, with the topic and key policies from the template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfn_driver import RESOURCE_TYPE as CUSTOM_RESOURCE
from iam_simulation import IamEvaluator, IamRequest, Principal, StackResources
from synthesis import ALARM_EMAILS, ALARM_TOPIC_ARN, FIXTURE_ENVIRONMENT_NAMES, SynthesizedApp
from template_queries import lambda_with_handler, only_resource, resources_of_type

ACCOUNT, REGION = "123456789012", "us-east-1"
NAMESPACE = "AWS/Bedrock-AgentCore"
ALARM_IDS = {
    "DeployHandlerErrors",
    "DeployFailedOrTimedOut",
    *(
        f"{operation}{kind}"
        for operation in ("Invoke", "StartSession")
        for kind in ("SystemErrors", "Throttles", "UserErrorRate", "LatencyP90")
    ),
}
OPERATIONS = {"Invoke": "InvokeCodeInterpreter", "StartSession": "StartCodeInterpreterSession"}


def alarms(template: dict[str, Any], stack_name: str) -> dict[str, dict[str, Any]]:
    """The stack's alarms by the part of their name after `<stack name>-`."""
    found = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    return {
        alarm["Properties"]["AlarmName"].removeprefix(f"{stack_name}-"): alarm["Properties"]
        for alarm in found
    }


def metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every metric an alarm reads (directly or in its math), by metric name."""
    if "MetricName" in alarm:
        return {
            alarm["MetricName"]: {
                "Namespace": alarm["Namespace"],
                "Dimensions": alarm["Dimensions"],
                "Stat": alarm.get("Statistic", alarm.get("ExtendedStatistic")),
                "Period": alarm["Period"],
            }
        }
    return {
        query["MetricStat"]["Metric"]["MetricName"]: {
            "Namespace": query["MetricStat"]["Metric"]["Namespace"],
            "Dimensions": query["MetricStat"]["Metric"]["Dimensions"],
            "Stat": query["MetricStat"]["Stat"],
            "Period": query["MetricStat"]["Period"],
        }
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }


def expression(alarm: dict[str, Any]) -> str:
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return str(returned["Expression"])


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON with every CloudFormation reference in it replaced by "<ref>"."""
    (dashboard,) = resources_of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(part if isinstance(part, str) else "<ref>" for part in parts)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_every_shipped_environment_has_its_alarms_on_its_own_topic(
    fixture_app: SynthesizedApp, environment: str
) -> None:
    template = fixture_app.templates[environment]
    stack_name = fixture_app.stacks[environment].stack_name
    topic_id, _ = only_resource(template, "AWS::SNS::Topic")
    found = alarms(template, stack_name)

    assert set(found) == ALARM_IDS
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name
        assert alarm["TreatMissingData"] == "notBreaching", name
        # Descriptions may name resources by reference (CloudFormation joins them in).
        assert "Look first at" in json.dumps(alarm["AlarmDescription"]), name
    # Defaults: counts per 5 minutes, a rate in percent, p90 latencies in milliseconds.
    assert {name: found[name]["Threshold"] for name in sorted(found)} == {
        "DeployFailedOrTimedOut": 1,
        "DeployHandlerErrors": 1,
        "InvokeLatencyP90": 60_000,
        "InvokeSystemErrors": 5,
        "InvokeThrottles": 5,
        "InvokeUserErrorRate": 10,
        "StartSessionLatencyP90": 10_000,
        "StartSessionSystemErrors": 5,
        "StartSessionThrottles": 5,
        "StartSessionUserErrorRate": 10,
    }


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_interpreter_alarms_read_agentcores_metrics_of_this_interpreter_per_operation(
    fixture_app: SynthesizedApp, operation: str
) -> None:
    template = fixture_app.templates["dev"]
    interpreter_id, _ = only_resource(template, CUSTOM_RESOURCE)
    found = alarms(template, "CodeInterpreter-dev")
    dimensions = [
        {"Name": "Operation", "Value": OPERATIONS[operation]},
        {"Name": "Resource", "Value": {"Fn::GetAtt": [interpreter_id, "CodeInterpreterArn"]}},
    ]

    def only(kind: str, metric_name: str, stat: str) -> dict[str, Any]:
        alarm = found[f"{operation}{kind}"]
        assert metric_stats(alarm) == {
            metric_name: {
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Stat": stat,
                "Period": 300,
            }
        }
        return alarm

    system = only("SystemErrors", "SystemErrors", "Sum")
    assert system["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (system["EvaluationPeriods"], system.get("DatapointsToAlarm")) == (1, 1)
    only("Throttles", "Throttles", "Sum")
    latency = only("LatencyP90", "Latency", "p90")
    assert latency["ComparisonOperator"] == "GreaterThanThreshold"
    assert (latency["EvaluationPeriods"], latency["DatapointsToAlarm"]) == (3, 2)
    rate = found[f"{operation}UserErrorRate"]
    stats = metric_stats(rate)
    assert set(stats) == {"Invocations", "UserErrors"}
    assert all(stat["Dimensions"] == dimensions for stat in stats.values())
    # A percentage of the period's requests, and nothing at all below ten requests.
    assert expression(rate) == "IF(requests >= 10, 100 * FILL(userErrors, 0) / requests, 0)"
    assert rate["ComparisonOperator"] == "GreaterThanThreshold"


def test_deploy_alarms_watch_the_handler_functions_and_the_waiter(
    fixture_app: SynthesizedApp,
) -> None:
    template = fixture_app.templates["staging"]
    found = alarms(template, "CodeInterpreter-staging")
    handlers = {
        lambda_with_handler(template, f"index.{entry_point}")[0]
        for entry_point in ("on_event", "is_complete")
    }
    handler_alarm = found["DeployHandlerErrors"]
    functions = {
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for query in handler_alarm["Metrics"]
        if "MetricStat" in query
    }
    assert functions == handlers
    assert expression(handler_alarm) == "FILL(onEvent, 0) + FILL(isComplete, 0)"
    # The description points at the handlers' own log groups.
    assert "log groups" in json.dumps(handler_alarm["AlarmDescription"])

    (waiter_id,) = resources_of_type(template, "AWS::StepFunctions::StateMachine")
    deploy_alarm = found["DeployFailedOrTimedOut"]
    stats = metric_stats(deploy_alarm)
    assert set(stats) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for stat in stats.values():
        assert stat["Namespace"] == "AWS/States"
        assert stat["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": waiter_id}}]
    assert expression(deploy_alarm) == "FILL(failed, 0) + FILL(timedOut, 0)"
    assert "make verify ENV=staging" in deploy_alarm["AlarmDescription"]


def test_the_stacks_topic_is_encrypted_with_a_rotated_key_and_only_cloudwatch_publishes(
    fixture_app: SynthesizedApp,
) -> None:
    template = fixture_app.templates["prod"]
    topic_id, topic = only_resource(template, "AWS::SNS::Topic")
    key_id, key = only_resource(template, "AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Delete"
    (policy,) = resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {
        "AllowPublishThroughSSLOnly",
        "CloudWatchAlarmsOfThisStackPublish",
        "NothingElsePublishes",
    }
    assert statements["CloudWatchAlarmsOfThisStackPublish"]["Principal"] == {
        "Service": "cloudwatch.amazonaws.com"
    }
    assert statements["NothingElsePublishes"]["Effect"] == "Deny"
    assert resources_of_type(template, "AWS::SNS::Subscription") == {}
    assert topic_id in json.dumps(template["Outputs"]["AlarmTopicArn"])


@pytest.fixture(scope="module")
def dev_in_account(fixture_app: SynthesizedApp) -> StackResources:
    return StackResources(
        fixture_app.templates["dev"],
        stack_name="CodeInterpreter-dev",
        account=ACCOUNT,
        region=REGION,
    )


def topic_policy(stack: StackResources) -> dict[str, Any]:
    (logical_id,) = stack.logical_ids("AWS::SNS::TopicPolicy")
    return dict(stack.resolve(stack.resources[logical_id]["Properties"]["PolicyDocument"]))


CLOUDWATCH = Principal("cloudwatch", "cloudwatch.amazonaws.com", ACCOUNT, ())
ADMIN = Principal(
    "admin",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/admin",
    ACCOUNT,
    (
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    ),
)


# (who publishes, on behalf of which alarm, of which account, allowed?)
PUBLISHERS = {
    "this-stacks-alarm": (CLOUDWATCH, "CodeInterpreter-dev-InvokeThrottles", ACCOUNT, True),
    "another-stacks-alarm": (CLOUDWATCH, "CodeInterpreter-prod-InvokeThrottles", ACCOUNT, False),
    "another-account": (CLOUDWATCH, "CodeInterpreter-dev-InvokeThrottles", "210987654321", False),
    "account-admin": (ADMIN, None, None, False),
}


@pytest.mark.parametrize("case", PUBLISHERS)
def test_only_this_stacks_alarms_may_publish_to_its_topic_and_use_its_key(
    dev_in_account: StackResources, iam_evaluator: IamEvaluator, case: str
) -> None:
    who, alarm, source_account, allowed = PUBLISHERS[case]
    stack = dev_in_account
    (topic_id,) = stack.logical_ids("AWS::SNS::Topic")
    (key_id,) = stack.logical_ids("AWS::KMS::Key")
    context: dict[str, str] = {"aws:SecureTransport": "true"}
    if alarm is not None and source_account is not None:
        context["aws:SourceArn"] = f"arn:aws:cloudwatch:{REGION}:{source_account}:alarm:{alarm}"
        context["aws:SourceAccount"] = source_account
    publish = IamRequest("sns:Publish", stack.ref(topic_id), context)
    decision = iam_evaluator.evaluate(who, publish, resource_policy=topic_policy(stack))
    assert decision.allowed is allowed, decision

    if who is CLOUDWATCH:
        key_context = {k: v for k, v in context.items() if k != "aws:SecureTransport"}
        generate = IamRequest("kms:GenerateDataKey", stack.get_att(key_id, "Arn"), key_context)
        key_policy = stack.resource_policy(generate)
        assert key_policy is not None
        key_decision = iam_evaluator.evaluate(who, generate, resource_policy=key_policy)
        assert key_decision.allowed is allowed, key_decision


def test_email_addresses_subscribe_to_the_stacks_topic_with_stricter_thresholds(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["private"]
    topic_id, _ = only_resource(template, "AWS::SNS::Topic")
    subscriptions = [
        s["Properties"] for s in resources_of_type(template, "AWS::SNS::Subscription").values()
    ]
    assert sorted(s["Endpoint"] for s in subscriptions) == sorted(ALARM_EMAILS)
    assert {(s["Protocol"], json.dumps(s["TopicArn"])) for s in subscriptions} == {
        ("email", json.dumps({"Ref": topic_id}))
    }
    found = alarms(template, "CodeInterpreter-private")
    assert found["InvokeSystemErrors"]["Threshold"] == 1
    assert found["StartSessionUserErrorRate"]["Threshold"] == 5
    assert (
        "More than 5% of StartCodeInterpreterSession"
        in (found["StartSessionUserErrorRate"]["AlarmDescription"])
    )


def test_an_existing_topic_is_notified_and_no_topic_or_key_is_created(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["pinned"]
    assert resources_of_type(template, "AWS::SNS::Topic") == {}
    assert resources_of_type(template, "AWS::SNS::TopicPolicy") == {}
    assert resources_of_type(template, "AWS::KMS::Key") == {}
    found = alarms(template, "CodeInterpreter-pinned")
    assert set(found) == ALARM_IDS
    assert {json.dumps(a["AlarmActions"]) for a in found.values()} == {
        json.dumps([ALARM_TOPIC_ARN])
    }
    assert found["InvokeLatencyP90"]["Threshold"] == 120_000
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == ALARM_TOPIC_ARN
    assert template["Outputs"]["DashboardName"]["Value"] == "CodeInterpreter-pinned-eu-west-1"


def test_monitoring_false_creates_no_alarms_topic_or_dashboard(
    variant_app: SynthesizedApp,
) -> None:
    template = variant_app.templates["open"]
    for resource_type in (
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::SNS::Topic",
        "AWS::KMS::Key",
    ):
        assert resources_of_type(template, resource_type) == {}, resource_type
    assert not {"AlarmTopicArn", "DashboardName", "DashboardUrl"} & set(template["Outputs"])


def test_dashboard_shows_traffic_latency_errors_sessions_and_deploys(
    fixture_app: SynthesizedApp,
) -> None:
    template = fixture_app.templates["dev"]
    body = dashboard_body(template)
    widgets = body["widgets"]
    titles = [w["properties"].get("title") for w in widgets if "title" in w["properties"]]
    assert titles == [
        "Requests by operation",
        "Latency p50 / p90 by operation (ms)",
        "Errors and throttles by operation",
        "Session duration",
        "Deploy: custom resource handler errors",
        "Deploy: waiter outcomes (create, update, delete)",
        "Alarms",
    ]
    by_title = {w["properties"].get("title"): w["properties"] for w in widgets}
    latency = by_title["Latency p50 / p90 by operation (ms)"]["metrics"]
    assert {(m[1], m[-1]["stat"]) for m in latency} == {("Latency", "p50"), ("Latency", "p90")}
    sessions = by_title["Session duration"]["metrics"]
    assert {tuple(m[:2]) for m in sessions} == {(NAMESPACE, "Duration")}
    assert all("CodeInterpreterSession" in m for m in sessions)
    errors = by_title["Errors and throttles by operation"]["metrics"]
    assert {m[1] for m in errors} == {"SystemErrors", "UserErrors", "Throttles"}
    outcomes = by_title["Deploy: waiter outcomes (create, update, delete)"]["metrics"]
    assert {m[1] for m in outcomes} == {
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
    }
    assert len(by_title["Alarms"]["alarms"]) == len(ALARM_IDS)
    (runbook,) = [w for w in widgets if w["type"] == "text"]
    assert "make verify ENV=dev" in runbook["properties"]["markdown"]
    assert "python -m agent.sessions --env dev" in runbook["properties"]["markdown"]
    url = json.dumps(template["Outputs"]["DashboardUrl"]["Value"])
    assert "#dashboards/dashboard/" in url
