"""Records: one intake as a reader found it, before validation, with where it came from.

Readers yield RawRecords; validating one against the catalog gives an Intake or located
Problems. Every input record becomes exactly one RawRecord, so nothing a user gave is lost.
`validate_record` is the one place a record becomes an intake, and it never raises: whatever a
record holds, the batch gets an intake or an error record for it and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nmt_assess.models import Finding, Intake
from nmt_assess.problems import Problem
from nmt_assess.validation import validate_intake


@dataclass(frozen=True)
class Origin:
    """Where a record came from: a file (or <stdin>), its line or row, its number in the file."""

    file: str
    line: int | None
    record: int
    #: For a FHIR QuestionnaireResponse: its reference and its subject's, for the output.
    resource: str | None = None
    subject: str | None = None

    def as_dict(self) -> dict[str, Any]:
        where: dict[str, Any] = {"file": self.file, "line": self.line, "record": self.record}
        if self.resource is not None:
            where["resource"] = self.resource
        if self.subject is not None:
            where["subject"] = self.subject
        return where


@dataclass(frozen=True)
class RawRecord:
    origin: Origin
    #: The intake-shaped mapping ({id, date, findings}), or None when it could not be parsed.
    document: Any = None
    #: Line of each key path's last key, where the format knows it (YAML).
    key_lines: Mapping[str, int] = field(default_factory=dict)
    #: How the input names a finding (a CSV column, a FHIR linkId), used in messages.
    field_names: Mapping[str, str] = field(default_factory=dict)
    #: Why the record could not be parsed at all (no document), or what the reader found wrong
    #: with parts of it (reported with whatever validating the document finds).
    problems: tuple[Problem, ...] = ()
    #: The JSONL line, when `document` came from the fast parser: a record the fast scorer
    #: declines is read again by the reference parser, so its errors read the same.
    line_bytes: bytes | None = None


def validate_record(record: RawRecord, catalog: Mapping[str, Finding]) -> Intake | list[Problem]:
    """The record's intake, or every problem with it, located as precisely as its format allows.
    Total: a record that breaks validation itself is an error, never an exception."""
    try:
        return _validate(record, catalog)
    except Exception as error:  # the guarantee of one output per input; nothing expected lands here
        where = record.origin
        return [
            Problem(
                where.file,
                where.line,
                "intake",
                f"cannot be validated ({type(error).__name__})",
                "please report this with the record",
            )
        ]


def _validate(record: RawRecord, catalog: Mapping[str, Finding]) -> Intake | list[Problem]:
    if record.document is None and record.problems:  # not parsed: nothing more to check
        return list(record.problems)
    result = validate_intake(record.document, catalog)
    if isinstance(result, Intake):
        return list(record.problems) or result
    problems = list(record.problems)
    for problem in result:
        key = str(problem.path[-1]) if problem.path else ""
        line = record.key_lines.get(key, record.origin.line)
        label = problem.field
        if key in record.field_names:
            label = f"{record.field_names[key]} ({problem.field})"
        problems.append(Problem(record.origin.file, line, label, problem.message, problem.hint))
    return problems


def record_intake_id(record: RawRecord) -> str | None:
    """The id an error record names: the id as written when it is text or a whole number."""
    document = record.document
    intake_id = document.get("id") if isinstance(document, Mapping) else None
    if isinstance(intake_id, str):
        return intake_id
    if type(intake_id) is int and intake_id.bit_length() < 14_000:
        return str(intake_id)
    return None


def nests_deeper_than(document: Any, limit: int) -> bool:
    """True when lists and mappings nest deeper than `limit`; counted without recursion."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, Mapping):
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)
    return False


def unparsable(origin: Origin, field_name: str, message: str, hint: str | None = None) -> RawRecord:
    return RawRecord(
        origin, problems=(Problem(origin.file, origin.line, field_name, message, hint),)
    )
