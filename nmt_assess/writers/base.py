"""The interface every batch writer follows: begin, one write per record, end.

Writers take the records as JSON-shaped dicts: an assessment (the core's JSON document plus
`source`) or an error record (`errors` instead of `causes`). One input record, one output record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from nmt_assess.models import Ruleset

Record = dict[str, Any]


class WrittenRecord(dict[str, Any]):
    """A record a worker process has already written as a JSON Lines `line`. Only a JSON Lines
    writer receives these; the mapping holds just what the batch summary reads (`errors`, or
    the most severe of `red_flags`)."""

    __slots__ = ("line",)

    def __init__(self, summary: Record, line: bytes) -> None:
        super().__init__(summary)
        self.line = line


class BatchWriter:
    def __init__(self, out: TextIO, ruleset: Ruleset) -> None:
        self.out = out
        self.ruleset = ruleset

    def begin(self) -> None:
        """Write what comes before the first record."""

    def write(self, record: Record) -> None:
        raise NotImplementedError

    def end(self) -> None:
        """Write what comes after the last record."""


def is_error(record: Record) -> bool:
    return "errors" in record


def record_label(record: Record) -> str:
    """The intake id, or where the record came from when it has none."""
    if record.get("intake_id"):
        return str(record["intake_id"])
    source = record.get("source") or {}
    line = f":{source['line']}" if source.get("line") else f"#{source.get('record', '?')}"
    return f"{source.get('file', '?')}{line}"


def most_severe_action(record: Record) -> str:
    flags = record.get("red_flags") or []
    return str(flags[0]["action"]) if flags else ""


def error_text(error: dict[str, Any]) -> str:
    hint = f" ({error['hint']})" if error.get("hint") else ""
    return f"{error['field']}: {error['message']}{hint}"
