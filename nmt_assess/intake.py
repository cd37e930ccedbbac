"""Validate an intake document against the finding catalog (pure: no files, no terminal).

Nothing is coerced: `"yes"` is not `true`, `7.0` is not a 0-10 score, and an unknown finding
id is an error, never dropped. A finding left out or given as null is unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from nmt_assess.models import Finding, FindingType, Intake, Value
from nmt_assess.problems import did_you_mean


@dataclass(frozen=True)
class IntakeProblem:
    """A problem with one part of an intake; `path` is the key path inside the document."""

    path: tuple[str | int, ...]
    field: str
    message: str
    hint: str | None = None


class IntakeDocument(BaseModel):
    """The envelope of an intake file. Case files add the documented case keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | int | None = None
    date: dt.date | None = None
    findings: dict[str, Any]
    # case-library metadata (rules/cases/): allowed so a case file is also an intake file
    title: str | None = None
    level: int | None = None
    leading_cause: str | None = None
    story: str | None = None
    expect: dict[str, Any] | None = None
    note: str | None = None


def validate_intake(document: Any, catalog: Mapping[str, Finding]) -> Intake | list[IntakeProblem]:
    """An Intake when the document is usable, else every problem found in it."""
    if not isinstance(document, Mapping):
        return [IntakeProblem((), "intake", "expected a mapping with a 'findings' mapping")]
    try:
        envelope = IntakeDocument.model_validate(document)
    except ValidationError as error:
        return [_envelope_problem(detail) for detail in error.errors()]
    findings: dict[str, Value] = {}
    problems: list[IntakeProblem] = []
    for finding_id, value in envelope.findings.items():
        finding = catalog.get(finding_id)
        label = f"finding '{finding_id}'"
        path = ("findings", finding_id)
        if finding is None:
            problems.append(
                IntakeProblem(path, label, "unknown finding", did_you_mean(finding_id, catalog))
            )
            continue
        if value is None:
            continue
        checked = check_value(finding, value)
        if isinstance(checked, IntakeProblem):
            problems.append(IntakeProblem(path, label, checked.message, checked.hint))
        else:
            findings[finding_id] = checked
    if problems:
        return problems
    intake_id = None if envelope.id is None else str(envelope.id)
    return Intake.model_construct(id=intake_id, date=envelope.date, findings=findings)


def check_value(finding: Finding, value: Any) -> Value | IntakeProblem:
    """The value as the engine uses it, or why it does not fit the finding's type."""
    kind = finding.type
    if kind is FindingType.yes_no:
        return (
            value if isinstance(value, bool) else _wrong(f"expected true or false, got {value!r}")
        )
    if kind is FindingType.scale_0_10:
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong(f"expected a whole number from 0 to 10, got {value!r}")
        return value if 0 <= value <= 10 else _wrong(f"{value} is outside 0 to 10")
    if kind is FindingType.number:
        low, high = finding.bounds or (float("-inf"), float("inf"))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _wrong(f"expected a number ({finding.unit or 'no unit'}), got {value!r}")
        return value if low <= value <= high else _wrong(f"{value} is outside {low:g} to {high:g}")
    choices = finding.choices or ()
    if kind is FindingType.choice:
        if not isinstance(value, str) or value not in choices:
            return _wrong_choice(value, choices)
        return value
    if not isinstance(value, list | tuple):
        return _wrong(f"expected a list of choices, got {value!r}", "write [] for none")
    for item in value:
        if not isinstance(item, str) or item not in choices:
            return _wrong_choice(item, choices)
    if len(set(value)) != len(value):
        return _wrong("a choice is listed twice")
    return tuple(value)


def _wrong(message: str, hint: str | None = None) -> IntakeProblem:
    return IntakeProblem((), "", message, hint)


def _wrong_choice(value: Any, choices: tuple[str, ...]) -> IntakeProblem:
    hint = did_you_mean(value, choices) if isinstance(value, str) else None
    return _wrong(f"choice not allowed: {value!r}", hint or "one of: " + ", ".join(choices))


def _envelope_problem(detail: Mapping[str, Any]) -> IntakeProblem:
    loc = tuple(detail["loc"])
    field = ".".join(str(part) for part in loc) or "intake"
    if detail["type"] == "extra_forbidden":
        known = [name for name in IntakeDocument.model_fields]
        hint = did_you_mean(str(loc[-1]), known) or "an intake has id, date and findings"
        return IntakeProblem(loc, field, "unknown key", hint)
    if detail["type"] == "missing":
        return IntakeProblem(loc, field, "required key is missing", "findings: {finding_id: value}")
    return IntakeProblem(loc, field, str(detail["msg"]))
