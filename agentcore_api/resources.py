"""ARN formats, service principals and the ownership tag, stated once for stacks, handler and agent.

ARN formats follow the Service Authorization Reference's resource types for Amazon Bedrock
AgentCore and IAM. The ARN builders take partition, region and account as strings, so the stacks
can pass CDK tokens (`Stack.partition`, ...) and the agent and handler plain values.
"""

from __future__ import annotations

# The service principal that assumes a code interpreter's execution role.
SERVICE_PRINCIPAL = "bedrock-agentcore.amazonaws.com"
# The service behind the service-linked role that AgentCore creates on the first VPC-mode
# resource of an account, to manage the network interfaces in the customer's subnets.
NETWORK_SERVICE_NAME = "network.bedrock-agentcore.amazonaws.com"
NETWORK_SERVICE_LINKED_ROLE_NAME = "AWSServiceRoleForBedrockAgentCoreNetwork"

# AWS's shared interpreter (resource type `code-interpreter`, account `aws`): never ours to
# delete, and never the one an environment's agents should fall back to.
BUILT_IN_INTERPRETER_ID = "aws.codeinterpreter.v1"
CUSTOM_INTERPRETER_RESOURCE_TYPE = "code-interpreter-custom"

# Every interpreter a stack's handler creates carries this tag with the stack's name as value.
# The handler's IAM policy requires it on create and scopes every later call to interpreters
# that carry it, so one stack's handler cannot read, tag or delete another stack's interpreter.
STACK_TAG_KEY = "agentcore-code-interpreter:stack"


def custom_interpreter_arn(
    *, partition: str, region: str, account: str, interpreter_id: str = "*"
) -> str:
    """ARN of a custom code interpreter; `"*"` (the default) covers every one of the account."""
    return (
        f"arn:{partition}:bedrock-agentcore:{region}:{account}:"
        f"{CUSTOM_INTERPRETER_RESOURCE_TYPE}/{interpreter_id}"
    )


def network_service_linked_role_arn(*, partition: str, account: str) -> str:
    """ARN of the service-linked role AgentCore needs for VPC mode (IAM's fixed path for it)."""
    return (
        f"arn:{partition}:iam::{account}:role/aws-service-role/{NETWORK_SERVICE_NAME}/"
        f"{NETWORK_SERVICE_LINKED_ROLE_NAME}"
    )


def stack_name_of(stack_id: str) -> str:
    """The stack name inside a CloudFormation stack id (`arn:...:stack/<name>/<guid>`)."""
    resource = stack_id.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    name = rest.partition("/")[0]
    if kind != "stack" or not name:
        raise ValueError(f"not a CloudFormation stack id: {stack_id!r}")
    return name


def arn_region_and_account(arn: str) -> tuple[str, str]:
    """The region and account fields of an ARN (`arn:<partition>:<service>:<region>:<account>:`)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[3], parts[4]


def s3files_file_system_of_access_point(access_point_arn: str) -> str:
    """The file system ARN inside an S3 Files access point ARN
    (`...:file-system/fs-<id>/access-point/fsap-<id>`); EFS access point ARNs carry no such part."""
    file_system, separator, _ = access_point_arn.partition("/access-point/")
    if not separator:
        raise ValueError(f"not an S3 Files access point ARN: {access_point_arn!r}")
    return file_system
