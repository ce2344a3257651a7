"""Replays CloudFormation event sequences through on_event and is_complete the way
aws-cdk-lib's custom_resources.Provider framework drives them.

Provider framework (aws-cdk custom-resource-handlers, framework.ts / cfn-response.ts):
- on_event gets the CloudFormation event (ResponseURL included). Its result is merged into the
  event (`{...event, ...result}`), PhysicalResourceId defaulting to RequestId on Create and to
  the event's id otherwise; a Delete must not change the id.
- is_complete gets that merged event, first at once and then every query_interval until it
  returns IsComplete true, raises (FAILED at once) or total_timeout passes ("Operation timed
  out", FAILED, with the merged event's PhysicalResourceId). Data alongside IsComplete false is
  an error. On success Data is the merge of on_event's and is_complete's Data.
- A failure whose event has no PhysicalResourceId (on_event of a Create raising) is reported
  with the CREATE_FAILED marker, and a Delete carrying that marker is answered SUCCESS without
  calling the handler.
- The framework may invoke on_event more than once for one request.

CloudFormation, as modelled here:
- Create FAILED -> rollback Delete with the reported physical id.
- Update returning a new id = replacement: after the stack update succeeds, cleanup sends a
  Delete of the old id (with the old properties).
- Stack update failing (here or in another resource) -> rollback Update with ResourceProperties
  and OldResourceProperties swapped, sent to the id the resource then has (the new id if this
  resource's update succeeded, the old id if it failed: a FAILED update keeps the old id); if
  that rollback returns a different id, rollback cleanup deletes the id it was sent.
- Every property value arrives as a string.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from control_plane_fake import ACCOUNT_ID, REGION, Call, ControlPlaneFake
from iam_simulation import Principal

CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
MISSING_PHYSICAL_ID_MARKER = "AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID"
RESOURCE_TYPE = "Custom::AgentCoreCodeInterpreter"
MAX_RESPONSE_BYTES = 4096
STACK_GUID = "8f3b2a10-5c6d-11f0-9e4a-0a1b2c3d4e5f"
ON_EVENT_FUNCTION = "CodeInterpreter-dev-InterpreterProviderOnEvent1A2B3C-Ab12Cd34Ef56"
IS_COMPLETE_FUNCTION = "CodeInterpreter-dev-InterpreterProviderIsComplete-Gh78Ij90Kl12"
FRAMEWORK_FUNCTION = "CodeInterpreter-dev-InterpreterProviderframeworkonEv-Mn34Op56Qr78"
# The Provider framework's Reason is the error message, a log pointer and a Node stack trace.
FRAMEWORK_STACK = (
    "    at invokeUserFunction (/var/task/framework.js:2:6)\n"
    "    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)\n"
    "    at async onEvent (/var/task/framework.js:1:532)\n"
    "    at async Runtime.handler (/var/task/cfn-response.js:1:1676)"
)
PRESIGNED_QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host"
    "&X-Amz-Expires=7200&X-Amz-Credential=AKIAEXAMPLERESPONSE%2F20260101%2Fus-east-1%2Fs3"
    "%2Faws4_request&X-Amz-Signature="
)

Status = Literal["SUCCESS", "FAILED"]


class Handler(Protocol):
    def on_event(self, event: Mapping[str, Any], context: object) -> Any: ...
    def is_complete(self, event: Mapping[str, Any], context: object) -> Any: ...


class Clock:
    """Virtual time: the driver advances it between polls instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sleeps:
    """Stands in for the handler's sleep: records the delay and moves virtual time on."""

    clock: Clock
    seconds: list[float]

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.advance(seconds)


@dataclass
class LambdaContext:
    clock: Clock
    timeout_seconds: float
    function_name: str
    started_at: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started_at + self.timeout_seconds - self.clock.now) * 1000))


@dataclass
class Outcome:
    """What the framework reported to CloudFormation for one request."""

    request_type: str
    status: Status
    physical_id: str
    reason: str | None
    data: dict[str, str]
    polls: int
    events: list[dict[str, Any]]
    on_event_results: list[Any] = field(default_factory=list)
    handler_invoked: bool = True
    response_body: str = ""
    calls: list[Call] = field(default_factory=list)


@dataclass
class StackOperation:
    """All requests one stack operation sent to the resource, in order."""

    outcomes: list[Outcome]

    @property
    def first(self) -> Outcome:
        return self.outcomes[0]

    def of(self, request_type: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.request_type == request_type]


def cloudformation_strings(value: Any) -> Any:
    """Render template values the way CloudFormation hands them to a custom resource."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return {key: cloudformation_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [cloudformation_strings(item) for item in value]
    return value


class CloudFormationDriver:
    def __init__(
        self,
        handler: Handler,
        fake: ControlPlaneFake,
        clock: Clock,
        *,
        stack_name: str = "CodeInterpreter-dev",
        logical_id: str = "CodeInterpreter",
        query_interval: float = 5,
        total_timeout: float = 1800,
        on_event_timeout: float = 120,
        is_complete_timeout: float = 60,
        on_event_invocations: int = 1,
        service_timeout: str | None = "2100",
        on_event_principal: Principal | None = None,
        is_complete_principal: Principal | None = None,
    ) -> None:
        self.handler = handler
        self.fake = fake
        self.clock = clock
        self.stack_name = stack_name
        self.stack_id = (
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{STACK_GUID}"
        )
        self.logical_id = logical_id
        self.query_interval = query_interval
        self.total_timeout = total_timeout
        self.on_event_timeout = on_event_timeout
        self.is_complete_timeout = is_complete_timeout
        self.on_event_invocations = on_event_invocations
        self.service_timeout = service_timeout
        # The two functions run under their own roles; the fake authorizes each call as theirs.
        self.on_event_principal = on_event_principal
        self.is_complete_principal = is_complete_principal
        self.service_token = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{FRAMEWORK_FUNCTION}"
        # CloudFormation's view of the resource.
        self.physical_id: str | None = None
        self.properties: dict[str, Any] | None = None
        self.response_urls: list[str] = []
        self.history: list[Outcome] = []

    # ------------------------------------------------------------------ stack operations

    def create_stack(self, properties: Mapping[str, Any]) -> StackOperation:
        props = self._resource_properties(properties)
        created = self.send("Create", props)
        outcomes = [created]
        if created.status == "SUCCESS":
            self.physical_id, self.properties = created.physical_id, props
            return StackOperation(outcomes)
        # Rollback of the failed create deletes whatever id the failure reported.
        rollback = self.send("Delete", props, physical_id=created.physical_id)
        outcomes.append(rollback)
        if rollback.status == "FAILED":
            self.physical_id, self.properties = created.physical_id, props
        return StackOperation(outcomes)

    def update_stack(
        self, properties: Mapping[str, Any], *, stack_fails_later: bool = False
    ) -> StackOperation:
        assert self.physical_id is not None
        assert self.properties is not None
        old_id, old_props = self.physical_id, self.properties
        new_props = self._resource_properties(properties)
        updated = self.send("Update", new_props, physical_id=old_id, old_properties=old_props)
        outcomes = [updated]
        if updated.status == "SUCCESS" and not stack_fails_later:
            self.physical_id, self.properties = updated.physical_id, new_props
            if updated.physical_id != old_id:
                outcomes.append(self.send("Delete", old_props, physical_id=old_id))
            return StackOperation(outcomes)
        current_id = updated.physical_id if updated.status == "SUCCESS" else old_id
        rollback = self.send("Update", old_props, physical_id=current_id, old_properties=new_props)
        outcomes.append(rollback)
        if rollback.status == "FAILED":
            self.physical_id, self.properties = current_id, new_props
            return StackOperation(outcomes)
        self.physical_id, self.properties = rollback.physical_id, old_props
        if rollback.physical_id != current_id:
            outcomes.append(self.send("Delete", new_props, physical_id=current_id))
        return StackOperation(outcomes)

    def delete_stack(self) -> StackOperation:
        assert self.physical_id is not None
        assert self.properties is not None
        deleted = self.send("Delete", self.properties, physical_id=self.physical_id)
        if deleted.status == "SUCCESS":
            self.physical_id, self.properties = None, None
        return StackOperation([deleted])

    def believed_ids(self) -> set[str]:
        return {self.physical_id} if self.physical_id else set()

    def assert_consistent(self) -> None:
        """The interpreters in the service are exactly those CloudFormation believes in."""
        live = self.fake.live_ids()
        believed = self.believed_ids()
        assert live == believed, (
            f"service has {sorted(live)}, CloudFormation believes in {sorted(believed)}"
        )

    # ------------------------------------------------------------------ one request

    def send(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
        framework_skips_marker: bool = True,
    ) -> Outcome:
        """One request through the Provider framework, with the API calls it caused."""
        first_call = len(self.fake.calls)
        outcome = self._provider_round_trip(
            request_type,
            properties,
            physical_id=physical_id,
            old_properties=old_properties,
            framework_skips_marker=framework_skips_marker,
        )
        outcome.calls = self.fake.calls[first_call:]
        return outcome

    def _provider_round_trip(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None,
        old_properties: Mapping[str, Any] | None,
        framework_skips_marker: bool,
    ) -> Outcome:
        event = self._event(request_type, properties, physical_id, old_properties)
        if (
            framework_skips_marker
            and request_type == "Delete"
            and physical_id == CREATE_FAILED_MARKER
        ):
            outcome = self._respond(event, "SUCCESS", None, polls=0, events=[event])
            outcome.handler_invoked = False
            return outcome

        results: list[Any] = []
        self.fake.caller = self.on_event_principal
        try:
            for _ in range(self.on_event_invocations):
                results.append(
                    self.handler.on_event(copy.deepcopy(event), self._context(ON_EVENT_FUNCTION))
                )
        except Exception as error:  # the framework turns any error into FAILED
            return self._fail(
                event, error, ON_EVENT_FUNCTION, polls=0, events=[event], results=results
            )
        result = results[-1]
        assert isinstance(result, dict), f"on_event must return an object, got {result!r}"
        assert all(r == result for r in results), f"repeated on_event disagreed: {results}"

        default_id = event["RequestId"] if request_type == "Create" else event["PhysicalResourceId"]
        merged = {
            **event,
            **result,
            "PhysicalResourceId": result.get("PhysicalResourceId") or default_id,
        }
        if request_type == "Delete" and merged["PhysicalResourceId"] != event["PhysicalResourceId"]:
            return self._fail(
                event,
                RuntimeError("DELETE: cannot change the physical resource ID"),
                ON_EVENT_FUNCTION,
                polls=0,
                events=[event],
                results=results,
            )

        polls = 0
        deadline = self.clock.now + self.total_timeout
        self.fake.caller = self.is_complete_principal
        while True:
            polls += 1
            try:
                answer = self.handler.is_complete(
                    copy.deepcopy(merged), self._context(IS_COMPLETE_FUNCTION)
                )
            except Exception as error:
                return self._fail(
                    merged,
                    error,
                    IS_COMPLETE_FUNCTION,
                    polls=polls,
                    events=[event],
                    results=results,
                )
            assert isinstance(answer, dict), answer
            assert isinstance(answer.get("IsComplete"), bool), answer
            if answer["IsComplete"]:
                final = {
                    **merged,
                    **answer,
                    "Data": {**merged.get("Data", {}), **answer.get("Data", {})},
                }
                return self._respond(
                    final, "SUCCESS", None, polls=polls, events=[event], results=results
                )
            assert not answer.get("Data"), '"Data" is not allowed if "IsComplete" is "False"'
            if self.clock.now + self.query_interval > deadline:
                return self._respond(
                    merged,
                    "FAILED",
                    "Operation timed out",
                    polls=polls,
                    events=[event],
                    results=results,
                )
            self.clock.advance(self.query_interval)

    # ------------------------------------------------------------------ helpers

    def _resource_properties(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {"ServiceToken": self.service_token}
        if self.service_timeout is not None:
            props["ServiceTimeout"] = self.service_timeout
        props.update(cloudformation_strings(dict(properties)))
        return props

    def _event(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        physical_id: str | None,
        old_properties: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        response_url = (
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
            f"arn%3Aaws%3Acloudformation%3A{REGION}%3A{ACCOUNT_ID}%3Astack/{self.stack_name}/"
            f"{STACK_GUID}%7C{self.logical_id}%7C{request_id}"
            f"?{PRESIGNED_QUERY}{uuid.uuid4().hex * 2}"
        )
        self.response_urls.append(response_url)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.service_token,
            "ResponseURL": response_url,
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": RESOURCE_TYPE,
            "ResourceProperties": copy.deepcopy(dict(properties)),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = copy.deepcopy(dict(old_properties))
        return event

    def _context(self, function_name: str) -> LambdaContext:
        timeout = (
            self.on_event_timeout
            if function_name == ON_EVENT_FUNCTION
            else self.is_complete_timeout
        )
        return LambdaContext(self.clock, timeout, function_name, started_at=self.clock.now)

    def _fail(
        self,
        event: dict[str, Any],
        error: Exception,
        function_name: str,
        *,
        polls: int,
        events: list[dict[str, Any]],
        results: list[Any],
    ) -> Outcome:
        # An AssertionError comes from the fake or the driver: a broken test, not a failure to
        # report to CloudFormation.
        if isinstance(error, AssertionError):
            raise error
        failed = dict(event)
        if not failed.get("PhysicalResourceId") and failed["RequestType"] == "Create":
            failed["PhysicalResourceId"] = CREATE_FAILED_MARKER
        reason = f"{error}\n\nLogs: /aws/lambda/{function_name}\n\n{FRAMEWORK_STACK}"
        return self._respond(failed, "FAILED", reason, polls=polls, events=events, results=results)

    def _respond(
        self,
        event: Mapping[str, Any],
        status: Status,
        reason: str | None,
        *,
        polls: int,
        events: list[dict[str, Any]],
        results: list[Any] | None = None,
    ) -> Outcome:
        body = json.dumps(
            {
                "Status": status,
                "Reason": reason or status,
                "StackId": event["StackId"],
                "RequestId": event["RequestId"],
                "PhysicalResourceId": event.get("PhysicalResourceId") or MISSING_PHYSICAL_ID_MARKER,
                "LogicalResourceId": event["LogicalResourceId"],
                "Data": event.get("Data", {}),
            }
        )
        assert len(body.encode()) < MAX_RESPONSE_BYTES, (
            f"CloudFormation would reject a {len(body.encode())}-byte response"
        )
        outcome = Outcome(
            request_type=event["RequestType"],
            status=status,
            physical_id=event.get("PhysicalResourceId") or MISSING_PHYSICAL_ID_MARKER,
            reason=reason,
            data=dict(event.get("Data", {})),
            polls=polls,
            events=events,
            on_event_results=list(results or []),
            response_body=body,
        )
        self.history.append(outcome)
        return outcome
