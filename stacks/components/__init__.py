"""One construct per logical unit of the stack; the stack only wires them together."""

from stacks.components.agent_access import AgentAccess
from stacks.components.artifact_bucket import ArtifactBucket
from stacks.components.code_interpreter import CodeInterpreter
from stacks.components.discovery_parameters import DiscoveryParameters
from stacks.components.execution_role import ExecutionRole
from stacks.components.github_deploy_role import GitHubDeployRole
from stacks.components.github_job_role import GitHubJobRole

__all__ = [
    "AgentAccess",
    "ArtifactBucket",
    "CodeInterpreter",
    "DiscoveryParameters",
    "ExecutionRole",
    "GitHubDeployRole",
    "GitHubJobRole",
]
