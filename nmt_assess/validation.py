"""Validate an intake document against the finding catalog (pure: no files, no terminal).

Nothing is coerced: `"yes"` is not `true`, `7.0` is not a 0-10 score, and an unknown finding
id is an error, never dropped. A finding left out or given as null is unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nmt_assess.models import Finding, FindingType, Intake, Value
from nmt_assess.problems import did_you_mean, shown


@dataclass(frozen=True)
class IntakeProblem:
    """A problem with one part of an intake; `path` is the key path inside the document."""

    path: tuple[str | int, ...]
    field: str
    message: str
    hint: str | None = None


#: The keys of an intake, and of a case file (rules/cases/), which is also an intake file.
ENVELOPE_KEYS = ("id", "date", "findings")
CASE_KEYS = ("title", "level", "leading_cause", "story", "expect", "note")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def validate_intake(document: Any, catalog: Mapping[str, Finding]) -> Intake | list[IntakeProblem]:
    """An Intake when the document is usable, else every problem found in it."""
    if not isinstance(document, Mapping):
        return [IntakeProblem((), "intake", "expected a mapping with a 'findings' mapping")]
    problems = _envelope_problems(document)
    findings_document = document.get("findings")
    if not isinstance(findings_document, Mapping):
        return problems
    findings: dict[str, Value] = {}
    for finding_id, value in findings_document.items():
        finding = catalog.get(finding_id) if isinstance(finding_id, str) else None
        name = finding_id if isinstance(finding_id, str) else str(finding_id)
        label = f"finding {shown(name)}"
        path = ("findings", name)
        if finding is None:
            problems.append(
                IntakeProblem(path, label, "unknown finding", did_you_mean(name, catalog))
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
    raw_id, raw_date = document.get("id"), document.get("date")
    intake_id = None if raw_id is None else str(raw_id)
    date = None if raw_date is None else _iso_date(raw_date)
    return Intake.model_construct(id=intake_id, date=date, findings=findings)


def _envelope_problems(document: Mapping[Any, Any]) -> list[IntakeProblem]:
    """Every problem with the keys around the findings: ours to word, one per key."""
    problems = []
    known = (*ENVELOPE_KEYS, *CASE_KEYS)
    for key in document:
        if key not in known:
            name = str(key)
            hint = did_you_mean(name, known) or "an intake has id, date and findings"
            problems.append(IntakeProblem((name,), shown(name, as_text=True), "unknown key", hint))
    if "findings" not in document:
        problems.append(
            IntakeProblem(
                ("findings",),
                "findings",
                "required key is missing",
                "findings: {finding_id: value}",
            )
        )
    for key, value in document.items():
        error = _envelope_error(key, value) if key in known and value is not None else None
        if error is not None:
            problems.append(IntakeProblem((key,), key, *error))
    return problems


def _envelope_error(key: str, value: Any) -> tuple[str, str | None] | None:
    """What is wrong with one envelope value, as (message, hint); None when it fits."""
    got = f"got {shown(value)}"
    if key == "id":
        # JSON integers are kept as the text of the number (JSON writes them without leading
        # zeros or a plus sign, so that is the text as written); anything else must be text.
        if isinstance(value, str) or (type(value) is int and value.bit_length() < 14_000):
            return None
        return f"expected text, {got}", 'write the id as text in quotes, e.g. "C-0042"'
    if key == "date":
        if _iso_date(value) is not None:
            return None
        return f"expected an ISO date, {got}", "write the date as YYYY-MM-DD, e.g. 2026-11-23"
    if key == "findings":
        if isinstance(value, Mapping):
            return None
        return f"expected a mapping of finding ids to answers, {got}", None
    if key == "level":
        return None if type(value) is int else (f"expected a whole number, {got}", None)
    if key == "expect":
        return None if isinstance(value, Mapping) else (f"expected a mapping, {got}", None)
    return None if isinstance(value, str) else (f"expected text, {got}", None)


def _iso_date(value: Any) -> dt.date | None:
    """The date, when `value` is an ISO calendar date (YYYY-MM-DD) or a date object; not a
    timestamp, a number of seconds or any other spelling."""
    if type(value) is dt.date:
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def check_value(finding: Finding, value: Any) -> Value | IntakeProblem:
    """The value as the engine uses it, or why it does not fit the finding's type."""
    kind = finding.type
    if kind is FindingType.yes_no:
        return (
            value
            if isinstance(value, bool)
            else _wrong(f"expected true or false, got {shown(value)}")
        )
    if kind is FindingType.scale_0_10:
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong(f"expected a whole number from 0 to 10, got {shown(value)}")
        return value if 0 <= value <= 10 else _wrong(f"{shown(value)} is outside 0 to 10")
    if kind is FindingType.number:
        low, high = finding.bounds or (float("-inf"), float("inf"))
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _wrong(f"expected a number ({finding.unit or 'no unit'}), got {shown(value)}")
        return (
            value
            if low <= value <= high
            else _wrong(f"{shown(value)} is outside {low:g} to {high:g}")
        )
    choices = finding.choices or ()
    if kind is FindingType.choice:
        if not isinstance(value, str) or value not in choices:
            return _wrong_choice(value, choices)
        return value
    if not isinstance(value, list | tuple):
        return _wrong(f"expected a list of choices, got {shown(value)}", "write [] for none")
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
    return _wrong(f"choice not allowed: {shown(value)}", hint or "one of: " + ", ".join(choices))
