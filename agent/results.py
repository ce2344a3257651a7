"""Structured results of InvokeCodeInterpreter calls.

The service answers with an event stream. Output can arrive split over several ``result``
events (stdout in one, stderr and the exit code in a later one), so a result is only complete
once every event has been read; reading just the first event silently drops output.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_bedrock_agentcore.type_defs import (
        CodeInterpreterResultTypeDef,
        CodeInterpreterStreamOutputTypeDef,
        ContentBlockTypeDef,
    )


# TaskStatus values after which a task no longer changes (the model's enum also has "submitted"
# and "working").
FINISHED_TASK_STATUSES = frozenset({"completed", "canceled", "failed"})


@dataclass(frozen=True)
class Artifact:
    """An object in the artifact bucket, confirmed by S3 HeadObject after the sandbox copied it."""

    uri: str
    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None = None

    def __str__(self) -> str:
        return self.uri

    def to_dict(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "version_id": self.version_id,
        }


@dataclass(frozen=True)
class ContentItem:
    """One content block of a result: text, an image, a file's content or a link to a file."""

    type: str
    text: str | None = None
    data: bytes | None = None
    mime_type: str | None = None
    uri: str | None = None
    name: str | None = None
    description: str | None = None
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; binary data is base64-encoded."""
        out: dict[str, Any] = {"type": self.type}
        for key, value in (
            ("text", self.text),
            ("mime_type", self.mime_type),
            ("uri", self.uri),
            ("name", self.name),
            ("description", self.description),
            ("size", self.size),
        ):
            if value is not None:
                out[key] = value
        if self.data is not None:
            out["data_base64"] = base64.b64encode(self.data).decode("ascii")
        return out


@dataclass(frozen=True)
class ExecutionResult:
    """Everything one invocation produced, aggregated over all events of its stream."""

    operation: str
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    is_error: bool = False
    execution_time_ms: float | None = None
    content: tuple[ContentItem, ...] = field(default_factory=tuple)
    event_count: int = 0
    # Set by the asynchronous tools (startCommandExecution, getTask, stopTask).
    task_id: str | None = None
    task_status: str | None = None

    @property
    def task_finished(self) -> bool:
        """True once a task is completed, canceled or failed (it will not change again)."""
        return self.task_status in FINISHED_TASK_STATUSES

    @property
    def failed(self) -> bool:
        """True when the service flagged an error, the process exited non-zero or a task failed.

        A shell command that exits 1 is not always flagged ``isError``, so both are checked.
        """
        return (
            self.is_error
            or (self.exit_code is not None and self.exit_code != 0)
            or self.task_status == "failed"
        )

    @property
    def text(self) -> str:
        """The text content blocks joined, e.g. a tool's human-readable output."""
        return "".join(item.text for item in self.content if item.type == "text" and item.text)

    @property
    def images(self) -> tuple[ContentItem, ...]:
        return tuple(item for item in self.content if item.type == "image")

    @property
    def resources(self) -> tuple[ContentItem, ...]:
        """File contents (readFiles) and file links (listFiles)."""
        return tuple(item for item in self.content if item.type in {"resource", "resource_link"})

    @property
    def output(self) -> str:
        """What the code printed: stdout, or the text blocks when no stdout was reported."""
        return self.stdout or self.text

    def error_message(self) -> str:
        """The most specific explanation of a failure the sandbox gave."""
        if self.stderr.strip():
            return self.stderr.strip()
        if self.is_error and self.text.strip():
            return self.text.strip()
        if self.exit_code not in (None, 0):
            return f"{self.operation} exited with code {self.exit_code}"
        return f"{self.operation} failed without an error message"

    def summary_text(self) -> str:
        """A plain-text rendering for an LLM: output, then stderr and exit code when relevant."""
        parts = []
        if self.output:
            parts.append(self.output.rstrip("\n"))
        if self.stderr:
            parts.append("[stderr]\n" + self.stderr.rstrip("\n"))
        if self.exit_code not in (None, 0):
            parts.append(f"[exit code {self.exit_code}]")
        if self.is_error and not self.stderr and not self.output:
            parts.append(f"[{self.operation} failed]")
        if self.task_id is not None:
            parts.append(f"[task {self.task_id}: {self.task_status or 'status unknown'}]")
        names = [item.uri or item.name for item in self.resources if item.type == "resource_link"]
        if names and not self.output:
            parts.append("\n".join(name for name in names if name))
        return "\n".join(parts) if parts else "(no output)"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict, e.g. for MCP structured content or a Strands json block."""
        return {
            "operation": self.operation,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exit_code": self.exit_code,
            "is_error": self.is_error,
            "failed": self.failed,
            "execution_time_ms": self.execution_time_ms,
            "content": [item.to_dict() for item in self.content],
            "task_id": self.task_id,
            "task_status": self.task_status,
        }


def aggregate_stream(
    operation: str, events: Iterable[CodeInterpreterStreamOutputTypeDef]
) -> ExecutionResult:
    """Fold every ``result`` event of an InvokeCodeInterpreter stream into one result.

    Exception events make botocore raise ``EventStreamError`` while iterating; that propagates
    to the caller, which decides whether the session has expired.
    """
    stdout: list[str] = []
    stderr: list[str] = []
    content: list[ContentItem] = []
    exit_code: int | None = None
    is_error = False
    execution_time: float | None = None
    task_id: str | None = None
    task_status: str | None = None
    event_count = 0
    for event in events:
        event_count += 1
        result: CodeInterpreterResultTypeDef | None = event.get("result")
        if result is None:
            continue
        is_error = is_error or bool(result.get("isError", False))
        content.extend(_content_item(block) for block in result.get("content", []))
        structured = result.get("structuredContent")
        if structured is None:
            continue
        task_id = structured.get("taskId", task_id)
        task_status = structured.get("taskStatus", task_status)
        stdout.append(structured.get("stdout", ""))
        stderr.append(structured.get("stderr", ""))
        if "exitCode" in structured:
            exit_code = structured["exitCode"]
        if "executionTime" in structured:
            # Chunks may report cumulative time, so the largest value is the total.
            reported = structured["executionTime"]
            execution_time = reported if execution_time is None else max(execution_time, reported)
    return ExecutionResult(
        operation=operation,
        stdout="".join(stdout),
        stderr="".join(stderr),
        exit_code=exit_code,
        is_error=is_error,
        execution_time_ms=execution_time,
        content=tuple(content),
        event_count=event_count,
        task_id=task_id,
        task_status=task_status,
    )


def _content_item(block: ContentBlockTypeDef) -> ContentItem:
    resource = block.get("resource")
    if resource is not None:
        return ContentItem(
            type=block["type"],
            text=resource.get("text"),
            data=resource.get("blob"),
            mime_type=resource.get("mimeType") or block.get("mimeType"),
            uri=resource.get("uri") or block.get("uri"),
            name=block.get("name"),
            description=block.get("description"),
            size=block.get("size"),
        )
    return ContentItem(
        type=block["type"],
        text=block.get("text"),
        data=block.get("data"),
        mime_type=block.get("mimeType"),
        uri=block.get("uri"),
        name=block.get("name"),
        description=block.get("description"),
        size=block.get("size"),
    )
