"""Rules read from an AWS service model (botocore's `service-2.json`), one shape at a time.

A model states, per request member, a pattern, length bounds, list or map sizes and enums. The
service validates whole values, and its patterns are written without anchors, so a value is
accepted when the pattern matches it in full. Patterns are compiled with ASCII semantics: the
models' `\\s` and `\\w` stand for ASCII classes, and the service rejects other characters.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Path steps that leave a structure's members: a list's item, a map's key or value.
LIST_ITEM = "[]"
MAP_KEY = "<key>"
MAP_VALUE = "<value>"


class ModelError(LookupError):
    """The model has no such operation, member or kind of shape (the model changed shape)."""


@dataclass(frozen=True)
class StringRule:
    """What the API accepts for one string member."""

    where: str
    pattern: re.Pattern[str] | None
    min_length: int | None
    max_length: int | None
    enum: tuple[str, ...] = ()

    def problem(self, value: object) -> str | None:
        """None when the API accepts `value`; otherwise what it requires, in a few words."""
        if not isinstance(value, str):
            return "a string"
        if self.enum and value not in self.enum:
            return "one of " + ", ".join(self.enum)
        length_ok = self.length_allows(len(value))
        pattern_ok = self.pattern is None or self.pattern.fullmatch(value) is not None
        if length_ok and pattern_ok:
            return None
        parts = [] if pattern_ok or self.pattern is None else [f"matching {self.pattern.pattern}"]
        if not length_ok:
            parts.append(f"of {self.length_text()} characters (got {len(value)})")
        return "a value " + " and ".join(parts)

    def accepts(self, value: object) -> bool:
        return self.problem(value) is None

    def length_allows(self, length: int) -> bool:
        low = self.min_length if self.min_length is not None else 0
        return low <= length and (self.max_length is None or length <= self.max_length)

    def length_text(self) -> str:
        low = self.min_length if self.min_length is not None else 0
        return f"{low}-{self.max_length}" if self.max_length is not None else f"at least {low}"


@dataclass(frozen=True)
class SizeRule:
    """How many items a list member, or entries a map member, may hold."""

    where: str
    min_items: int
    max_items: int | None

    def allows(self, count: int) -> bool:
        return self.min_items <= count and (self.max_items is None or count <= self.max_items)

    def text(self) -> str:
        if self.max_items is None:
            return f"at least {self.min_items}"
        return f"{self.min_items}-{self.max_items}"


class ServiceModel:
    """One service model document, navigated by operation and member path."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._operations: Mapping[str, Any] = document["operations"]
        self._shapes: Mapping[str, Any] = document["shapes"]

    @classmethod
    def from_file(cls, path: Path) -> ServiceModel:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            return cls(json.load(handle))

    def input_shape(self, operation: str, *path: str) -> Mapping[str, Any]:
        """The shape of the input member at `path` (empty: the whole input)."""
        return self._shape_at(operation, "input", path)

    def output_shape(self, operation: str, *path: str) -> Mapping[str, Any]:
        """The shape of the output member at `path` (empty: the whole output)."""
        return self._shape_at(operation, "output", path)

    def _shape_at(self, operation: str, direction: str, path: tuple[str, ...]) -> Mapping[str, Any]:
        try:
            shape_name = self._operations[operation][direction]["shape"]
        except KeyError as error:
            raise ModelError(f"no operation {operation} with an {direction}") from error
        where = f"{operation} {direction}"
        for step in path:
            shape = self._shapes[shape_name]
            kind = shape["type"]
            if step == LIST_ITEM and kind == "list":
                shape_name = shape["member"]["shape"]
            elif step == MAP_KEY and kind == "map":
                shape_name = shape["key"]["shape"]
            elif step == MAP_VALUE and kind == "map":
                shape_name = shape["value"]["shape"]
            elif kind == "structure" and step in shape["members"]:
                shape_name = shape["members"][step]["shape"]
            else:
                raise ModelError(f"{where} ({kind}) has no member {step!r}")
            where = f"{where}.{step}"
        return {**self._shapes[shape_name], "name": shape_name}

    def string(self, operation: str, *path: str) -> StringRule:
        return _string_rule(_where(operation, path), self._expect(operation, path, "string"))

    def output_string(self, operation: str, *path: str) -> StringRule:
        shape = self.output_shape(operation, *path)
        if shape["type"] != "string":
            raise ModelError(f"{_where(operation, path)} output is a {shape['type']}, not a string")
        return _string_rule(_where(operation, path), shape)

    def size(self, operation: str, *path: str) -> SizeRule:
        shape = self.input_shape(operation, *path)
        if shape["type"] not in ("list", "map"):
            raise ModelError(f"{_where(operation, path)} is a {shape['type']}, not a list or map")
        return SizeRule(
            where=_where(operation, path),
            min_items=int(shape.get("min", 0)),
            max_items=shape.get("max"),
        )

    def integer_range(self, operation: str, *path: str) -> tuple[int | None, int | None]:
        shape = self._expect(operation, path, "integer")
        return shape.get("min"), shape.get("max")

    def documentation(self, operation: str, *path: str) -> str:
        """The prose AWS attaches to the member (where it states what the shapes cannot)."""
        if not path:
            return str(self._operations[operation].get("documentation", ""))
        parent = self.input_shape(operation, *path[:-1])
        member = parent.get("members", {}).get(path[-1], {})
        return str(member.get("documentation", "")) or str(
            self.input_shape(operation, *path).get("documentation", "")
        )

    def _expect(self, operation: str, path: tuple[str, ...], kind: str) -> Mapping[str, Any]:
        shape = self.input_shape(operation, *path)
        if shape["type"] != kind:
            raise ModelError(f"{_where(operation, path)} is a {shape['type']}, not a {kind}")
        return shape


def _where(operation: str, path: tuple[str, ...]) -> str:
    return ".".join((operation, *path))


def _string_rule(where: str, shape: Mapping[str, Any]) -> StringRule:
    pattern = shape.get("pattern")
    return StringRule(
        where=where,
        pattern=re.compile(pattern, re.ASCII) if pattern else None,
        min_length=shape.get("min"),
        max_length=shape.get("max"),
        enum=tuple(shape.get("enum", ())),
    )
