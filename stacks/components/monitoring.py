"""Alarms, their topic and a dashboard for one environment's interpreter and its deployments.

Every alarm says in its description what to look at first. AgentCore's metrics are taken from
aws-cdk-lib's own helpers for code interpreters (namespace AWS/Bedrock-AgentCore, dimensions
Resource and Operation) on the interpreter imported by ARN; the deploy machinery's from the
handler functions and the Provider's waiter state machine. Missing data never breaches: an idle
interpreter is a healthy one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.compliance import acknowledge, resource_of
from stacks.components.code_interpreter import CodeInterpreter
from stacks.components.execution_role import ExecutionRole
from stacks.monitoring_config import MonitoringSettings

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
PERIOD = Duration.minutes(5)
# A rate over a handful of requests says nothing: below this many, the user-error rate is 0.
MIN_REQUESTS_FOR_RATE = 10
# The data-plane operations the service reports metrics for (the Operation dimension): running
# code and files, and starting sessions.
INVOKE = "InvokeCodeInterpreter"
START_SESSION = "StartCodeInterpreterSession"
STOP_SESSION = "StopCodeInterpreterSession"
ALARMED_OPERATIONS = (INVOKE, START_SESSION)
GRAPHED_OPERATIONS = (INVOKE, START_SESSION, STOP_SESSION)
_SHORT = {INVOKE: "Invoke", START_SESSION: "StartSession", STOP_SESSION: "StopSession"}


@dataclass(frozen=True)
class AlarmSpec:
    """What one alarm watches, when it fires, and what on-call looks at first."""

    metric: cloudwatch.IMetric
    threshold: float
    description: str
    comparison: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    )
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1


def alarm_name_prefix(stack_name: str) -> str:
    """Every alarm of a stack is named `<stack name>-<what>`; the topic trusts this prefix."""
    return f"{stack_name}-"


class Monitoring(Construct):
    """Alarms notifying one topic (the stack's own, encrypted, or an existing one) and a
    dashboard with the interpreter's traffic, latency, errors, sessions and deployments."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        settings: MonitoringSettings,
        interpreter: CodeInterpreter,
        execution_role: ExecutionRole,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._environment = environment
        self._stack_name = stack.stack_name
        self._prefix = alarm_name_prefix(stack.stack_name)
        self.topic = self._topic(settings, stack)
        # aws-cdk-lib's metric helpers for AgentCore tools, on the interpreter the custom
        # resource created (its ARN is known at deploy time only).
        self._tool = agentcore.CodeInterpreterCustom.from_code_interpreter_custom_attributes(
            self,
            "Interpreter",
            code_interpreter_arn=interpreter.interpreter_arn,
            role_arn=execution_role.role_arn,
        )
        on_event, is_complete = interpreter.functions
        # The Provider's waiter polls is_complete; its executions are the deploy outcomes.
        waiter_construct = interpreter.provider.node.find_child("waiter-state-machine")
        waiter = sfn.StateMachine.from_state_machine_arn(
            self, "Waiter", _ref_of(waiter_construct.node.default_child)
        )
        self._handler_errors = {
            "on_event": on_event.metric_errors(period=PERIOD, statistic="Sum"),
            "is_complete": is_complete.metric_errors(period=PERIOD, statistic="Sum"),
        }
        self._deploy_outcomes = {
            "succeeded": waiter.metric_succeeded(period=PERIOD, statistic="Sum"),
            "failed": waiter.metric_failed(period=PERIOD, statistic="Sum"),
            "timed_out": waiter.metric_timed_out(period=PERIOD, statistic="Sum"),
        }
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        action = actions.SnsAction(self.topic)
        for alarm_id, spec in self._alarm_specs(settings, interpreter).items():
            alarm = cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_name=f"{self._prefix}{alarm_id}",
                alarm_description=spec.description,
                metric=spec.metric,
                threshold=spec.threshold,
                comparison_operator=spec.comparison,
                evaluation_periods=spec.evaluation_periods,
                datapoints_to_alarm=spec.datapoints_to_alarm,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            # Recovery is news too: on-call learns that it cleared without opening the console.
            alarm.add_ok_action(action)
            self.alarms[alarm_id] = alarm
        self.dashboard = self._dashboard(stack)

    # -- topic ---------------------------------------------------------------------------------

    def _topic(self, settings: MonitoringSettings, stack: Stack) -> sns.ITopic:
        if settings.alarm_topic_arn is not None:
            return sns.Topic.from_topic_arn(self, "AlarmTopic", settings.alarm_topic_arn)
        # Only this stack's alarms, by their name prefix, in this account and region.
        alarms_of_this_stack = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": (
                    f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:"
                    f"{self._prefix}*"
                )
            },
        }
        # SNS encrypts with this key on the publisher's behalf, so the publisher (CloudWatch)
        # needs it; AWS's managed key for SNS cannot be shared with CloudWatch.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the alarm notifications of {stack.stack_name}",
            enable_key_rotation=True,
            # It protects messages in flight only; nothing stays encrypted under it.
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisStackPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=alarms_of_this_stack,
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{stack.stack_name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisStackPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=alarms_of_this_stack,
            )
        )
        # Identity policies of this account could otherwise allow anyone to publish a fake
        # alarm; only a request on behalf of one of this stack's alarms gets through.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NothingElsePublishes",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"ArnNotLike": alarms_of_this_stack["ArnLike"]},
            )
        )
        for email in settings.alarm_emails:
            subscription = topic.add_subscription(subscriptions.EmailSubscription(email))
            acknowledge(
                resource_of(subscription),
                {
                    "Serverless-SNSRedrivePolicy": (
                        "An email that cannot be delivered would wait in a dead-letter queue"
                        " nobody reads; the alarm's state and history in CloudWatch keep every"
                        " transition, and the dashboard shows what is in alarm."
                    )
                },
            )
        return topic

    # -- alarms --------------------------------------------------------------------------------

    def _alarm_specs(
        self, settings: MonitoringSettings, interpreter: CodeInterpreter
    ) -> dict[str, AlarmSpec]:
        on_event, is_complete = interpreter.functions
        log_groups = Fn.join(
            ", ", [on_event.log_group.log_group_name, is_complete.log_group.log_group_name]
        )
        stack = self._stack_name
        specs = {
            "DeployHandlerErrors": AlarmSpec(
                metric=_sum(
                    "Handler errors",
                    onEvent=self._handler_errors["on_event"],
                    isComplete=self._handler_errors["is_complete"],
                ),
                threshold=1,
                description=(
                    f"A deploy of {stack} could not create, update or delete the code"
                    " interpreter: its custom resource handler raised. Look first at the stack's"
                    " events in CloudFormation (the failed resource's reason names the call and"
                    " AWS's message), then at the handler's log groups ("
                    + log_groups
                    + "): one JSON line per step, the failing one with an error field."
                ),
            ),
            "DeployFailedOrTimedOut": AlarmSpec(
                metric=_sum(
                    "Waiter executions failed or timed out",
                    failed=self._deploy_outcomes["failed"],
                    timedOut=self._deploy_outcomes["timed_out"],
                ),
                threshold=1,
                description=(
                    f"The custom resource of {stack} gave up waiting: the interpreter did not"
                    " become READY (or finish deleting) within the Provider's"
                    f" {interpreter.total_timeout.to_human_string()}, or the wait failed. Look"
                    " first at the stack's events, then run make verify"
                    f" ENV={self._environment} (status, drift, orphans) and the execution"
                    " history of the waiter state machine."
                ),
            ),
        }
        for operation in ALARMED_OPERATIONS:
            specs.update(self._operation_alarms(operation, settings))
        return specs

    def _operation_alarms(
        self, operation: str, settings: MonitoringSettings
    ) -> dict[str, AlarmSpec]:
        tool, short, stack = self._tool, _SHORT[operation], self._stack_name
        latency_threshold = (
            settings.invoke_latency_p90_ms
            if operation == INVOKE
            else settings.start_session_latency_p90_ms
        )
        latency_hint = (
            "Latency includes the code's own run time. Look first at what agents run (work"
            " longer than a few minutes belongs in start_command_execution tasks), then at the"
            " dashboard's session widgets."
            if operation == INVOKE
            else "Look first at the AWS Health Dashboard for Bedrock AgentCore in this region,"
            " then (VPC mode) at free IP addresses in the interpreter's subnets."
        )
        return {
            f"{short}SystemErrors": AlarmSpec(
                metric=tool.metric_system_errors_for_api_operation(
                    operation, period=PERIOD, statistic="Sum"
                ),
                threshold=settings.system_errors,
                description=(
                    f"AgentCore answered {operation} on the interpreter of {stack} with a server"
                    f" error (5xx) at least {settings.system_errors} times in 5 minutes: the"
                    " service's side. Look first at the AWS Health Dashboard for Bedrock"
                    " AgentCore in this region, then at the dashboard's errors widget; agents"
                    " see InternalServerException."
                ),
            ),
            f"{short}Throttles": AlarmSpec(
                metric=tool.metric_throttles_for_api_operation(
                    operation, period=PERIOD, statistic="Sum"
                ),
                threshold=settings.throttles,
                description=(
                    f"{operation} on the interpreter of {stack} was throttled (429) at least"
                    f" {settings.throttles} times in 5 minutes: a quota was hit (requests per"
                    " second per operation, or concurrent sessions per account). Look first at"
                    " Service Quotas for Amazon Bedrock AgentCore, then list sessions left"
                    f" running: python -m agent.sessions --env {self._environment}."
                ),
            ),
            f"{short}UserErrorRate": AlarmSpec(
                metric=cloudwatch.MathExpression(
                    expression=(
                        f"IF(requests >= {MIN_REQUESTS_FOR_RATE},"
                        " 100 * FILL(userErrors, 0) / requests, 0)"
                    ),
                    using_metrics={
                        "requests": tool.metric_invocations_for_api_operation(
                            operation, period=PERIOD, statistic="Sum"
                        ),
                        "userErrors": tool.metric_user_errors_for_api_operation(
                            operation, period=PERIOD, statistic="Sum"
                        ),
                    },
                    label=f"{operation} user errors (%)",
                    period=PERIOD,
                ),
                threshold=settings.user_error_rate_percent,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                description=(
                    f"More than {settings.user_error_rate_percent:g}% of {operation} requests on"
                    f" the interpreter of {stack} were rejected as the caller's error (4xx) in 2"
                    f" of 3 periods of 5 minutes (with at least {MIN_REQUESTS_FOR_RATE} requests):"
                    " expired or stopped sessions, bad arguments, or AccessDenied after an IAM"
                    " change. Look first at the agents' logs for the error codes, then at"
                    " recent changes to the AgentAccess policy and agent roles."
                ),
            ),
            f"{short}LatencyP90": AlarmSpec(
                metric=tool.metric_latency_for_api_operation(
                    operation, period=PERIOD, statistic="p90"
                ),
                threshold=latency_threshold,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                description=(
                    f"The p90 latency of {operation} on the interpreter of {stack} was above"
                    f" {latency_threshold} ms in 2 of 3 periods of 5 minutes. " + latency_hint
                ),
            ),
        }

    # -- dashboard -----------------------------------------------------------------------------

    def _dashboard(self, stack: Stack) -> cloudwatch.Dashboard:
        tool = self._tool

        def per_operation(label: str, make: str, statistic: str) -> list[cloudwatch.IMetric]:
            return [
                getattr(tool, make)(
                    operation, period=PERIOD, statistic=statistic, label=f"{label} {operation}"
                )
                for operation in GRAPHED_OPERATIONS
            ]

        latency = [
            tool.metric_latency_for_api_operation(
                operation, period=PERIOD, statistic=statistic, label=f"{operation} {statistic}"
            )
            for operation in GRAPHED_OPERATIONS
            for statistic in ("p50", "p90")
        ]
        errors = [
            *per_operation("SystemErrors", "metric_system_errors_for_api_operation", "Sum"),
            *per_operation("UserErrors", "metric_user_errors_for_api_operation", "Sum"),
            *per_operation("Throttles", "metric_throttles_for_api_operation", "Sum"),
        ]
        sessions = [
            tool.metric_session_duration(period=PERIOD, statistic=statistic, label=label)
            for statistic, label in (("Average", "average"), ("Maximum", "longest"))
        ]
        outcomes = [
            metric.with_(label=label)
            for label, metric in (
                ("succeeded", self._deploy_outcomes["succeeded"]),
                ("failed", self._deploy_outcomes["failed"]),
                ("timed out", self._deploy_outcomes["timed_out"]),
            )
        ]
        handler_errors = [
            metric.with_(label=f"{name} errors") for name, metric in self._handler_errors.items()
        ]
        self.dashboard_name = Fn.join("-", [self._stack_name, stack.region])
        return cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.dashboard_name,
            default_interval=Duration.hours(12),
            widgets=[
                [_text(self._runbook(), width=24, height=3)],
                [
                    _graph(
                        "Requests by operation",
                        per_operation("Invocations", "metric_invocations_for_api_operation", "Sum"),
                    ),
                    _graph("Latency p50 / p90 by operation (ms)", latency),
                ],
                [
                    _graph("Errors and throttles by operation", errors),
                    _graph("Session duration", sessions),
                ],
                [
                    _graph("Deploy: custom resource handler errors", handler_errors),
                    _graph("Deploy: waiter outcomes (create, update, delete)", outcomes),
                ],
                [
                    cloudwatch.AlarmStatusWidget(
                        title="Alarms", alarms=list(self.alarms.values()), width=24, height=4
                    )
                ],
            ],
        )

    def _runbook(self) -> str:
        env = self._environment
        return (
            f"### {self._stack_name}\n"
            "Each alarm's description says what to look at first. Compare the live interpreter"
            f" with cdk.json and list orphans: `make verify ENV={env}`. Sessions, their age and"
            f" time left: `python -m agent.sessions --env {env}`; stop old ones with"
            " `--stop-older-than 2h --yes`."
        )

    @property
    def dashboard_url(self) -> str:
        return Fn.join(
            "",
            [
                "https://console.aws.amazon.com/cloudwatch/home?region=",
                Stack.of(self).region,
                "#dashboards/dashboard/",
                self.dashboard_name,
            ],
        )


def _sum(label: str, **metrics: cloudwatch.IMetric) -> cloudwatch.MathExpression:
    """The sum of the metrics in each period, a period without data counting as 0."""
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in metrics),
        using_metrics=metrics,
        label=label,
        period=PERIOD,
    )


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=12, height=6)


def _text(markdown: str, *, width: int, height: int) -> cloudwatch.TextWidget:
    return cloudwatch.TextWidget(markdown=markdown, width=width, height=height)


def _ref_of(resource: object) -> str:
    ref = getattr(resource, "ref", None)
    if not isinstance(ref, str):
        raise TypeError(f"{resource!r} is not a CloudFormation resource")
    return ref
