"""Check a request member against the service model's shape before it is sent.

botocore validates types and required members, but not patterns, enums or maxima; the service
does, and answers with a ValidationException that names no value. Checking here turns a bad
certificate ARN or mount path into an error that names the member, the value and what the model
allows, before a session is started.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, Shape, StringShape, StructureShape


def shape_problems(shape: Shape, value: Any, where: str) -> list[str]:
    """Every way ``value`` breaks ``shape``, each naming the member path, value and rule."""
    checks: dict[str, Callable[[Shape, Any, str], list[str]]] = {
        "structure": _structure,
        "list": _list,
        "string": _string,
        "integer": _integer,
        "long": _integer,
        "boolean": _boolean,
    }
    check = checks.get(shape.type_name)
    return check(shape, value, where) if check is not None else []


def _structure(shape: Shape, value: Any, where: str) -> list[str]:
    assert isinstance(shape, StructureShape)  # noqa: S101 - guaranteed by type_name
    if not isinstance(value, Mapping):
        return [f"{where}: got {value!r}; allowed: an object with {_names(shape.members)}"]
    problems = [
        f"{where}.{name}: missing; it is required"
        for name in shape.required_members
        if name not in value
    ]
    allowed = _names(shape.members)
    unknown = sorted(str(name) for name in value if name not in shape.members)
    if unknown:
        problems.append(f"{where}: unknown member(s) {', '.join(unknown)}; allowed: {allowed}")
    if shape.metadata.get("union", False) and len(value) != 1:
        problems.append(f"{where}: got {len(value)} members; allowed: exactly one of {allowed}")
    for name, item in value.items():
        if name in shape.members:
            problems.extend(shape_problems(shape.members[name], item, f"{where}.{name}"))
    return problems


def _list(shape: Shape, value: Any, where: str) -> list[str]:
    assert isinstance(shape, ListShape)  # noqa: S101 - guaranteed by type_name
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return [f"{where}: got {value!r}; allowed: a list"]
    problems = _range(shape, len(value), where, f"{len(value)} item(s)", " items")
    for index, item in enumerate(value):
        problems.extend(shape_problems(shape.member, item, f"{where}[{index}]"))
    return problems


def _string(shape: Shape, value: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: got {value!r}; allowed: a string"]
    enum: list[str] = shape.enum if isinstance(shape, StringShape) else []
    if enum and value not in enum:
        return [f"{where}: got {value!r}; allowed: one of {', '.join(enum)}"]
    problems = _range(
        shape, len(value), where, f"{value!r} ({len(value)} characters)", " characters"
    )
    pattern = shape.metadata.get("pattern")
    if pattern and re.fullmatch(pattern, value, re.ASCII) is None:
        problems.append(f"{where}: got {value!r}; allowed: a value matching {pattern}")
    return problems


def _integer(shape: Shape, value: Any, where: str) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [f"{where}: got {value!r}; allowed: a whole number"]
    return _range(shape, value, where, repr(value), "")


def _boolean(_shape: Shape, value: Any, where: str) -> list[str]:
    return [] if isinstance(value, bool) else [f"{where}: got {value!r}; allowed: true or false"]


def _range(shape: Shape, size: int, where: str, got: str, unit: str) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is None or size >= low) and (high is None or size <= high):
        return []
    allowed = f"{low or 0}-{high}" if high is not None else f"at least {low}"
    return [f"{where}: got {got}; allowed: {allowed}{unit}"]


def _names(members: Mapping[str, Any]) -> str:
    return ", ".join(members) or "no members"
