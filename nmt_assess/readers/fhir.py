"""FHIR R4 QuestionnaireResponse input, alone or in a Bundle: each item's linkId is a finding id.

Resources are validated with the `fhir.resources` package (the optional `fhir` extra).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from nmt_assess.marked_yaml import MAX_DEPTH
from nmt_assess.models import Finding, FindingType
from nmt_assess.problems import Problem, shown
from nmt_assess.readers.records import Origin, RawRecord, nests_deeper_than, unparsable

#: A FHIR dateTime of a year or a year and month only.
_PARTIAL_DATE = re.compile(r"[0-9]{4}(-[0-9]{2})?\Z")
FHIR_EXTRA_HINT = "install the FHIR extra: pip install 'nmt-assess[fhir]'"


class FhirUnavailable(RuntimeError):
    """FHIR input or output was asked for, but fhir.resources is not installed."""

    def __init__(self) -> None:
        super().__init__(f"FHIR needs the fhir.resources package ({FHIR_EXTRA_HINT})")


def fhir_resource(name: str) -> Any:
    """The R4 (R4B) model class of a resource, imported only when FHIR is used: it is heavy."""
    import importlib

    try:
        module = importlib.import_module(f"fhir.resources.R4B.{name.lower()}")
    except ImportError:
        raise FhirUnavailable() from None
    return getattr(module, name)


#: The answer types read, in the order they are looked for.
READ_VALUES = (
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueQuantity",
    "valueCoding",
    "valueString",
)


#: How deep Bundles may nest in Bundles (each level is read, its responses one record each).
MAX_BUNDLE_NESTING = 10


def fhir_records(
    document: Mapping[str, Any],
    label: str,
    notices: list[str],
    catalog: Mapping[str, Finding] | None = None,
) -> Iterator[RawRecord]:
    """One record per QuestionnaireResponse: alone, in a Bundle, in a Bundle nested in a
    Bundle, or contained in another response (`contained`), numbered in document order. A
    Bundle's other resources (a Patient, say) are not intakes: they are counted in a notice,
    not scored. Each response is validated on its own, so one invalid response is one error
    record. With the catalog, a single answer to a multi-choice item is read as a list of one."""
    reader = _Reader(label, notices, catalog)
    kind = document.get("resourceType")
    if kind == "Bundle":
        others: Counter[str] = Counter()
        yield from reader.bundle(document, 1, others, 0)
        if others:
            listed = ", ".join(f"{count} {name}" for name, count in sorted(others.items()))
            notices.append(f"{label}: not scored, not intakes: {listed}")
        return
    if kind != "QuestionnaireResponse":
        yield unparsable(
            Origin(label, 1, 1),
            "resourceType",
            f"expected QuestionnaireResponse or Bundle, got {shown(kind)}",
            "export the intake as a QuestionnaireResponse",
        )
        return
    yield from reader.responses(document, 1)


class _Reader:
    """Reads one file's resources, numbering its records in document order."""

    def __init__(
        self, label: str, notices: list[str], catalog: Mapping[str, Finding] | None
    ) -> None:
        self.label, self.notices, self.catalog = label, notices, catalog
        self.count = 0

    def origin(self, line: int | None) -> Origin:
        self.count += 1
        return Origin(self.label, line, self.count)

    def bundle(
        self, document: Mapping[str, Any], line: int | None, others: Counter[str], depth: int
    ) -> Iterator[RawRecord]:
        problem = _bundle_problem(document)
        if problem is not None:
            yield unparsable(self.origin(line), "Bundle", problem)
            return
        for entry in document.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            resource_type = resource.get("resourceType") if isinstance(resource, Mapping) else None
            if resource_type == "QuestionnaireResponse":
                yield from self.responses(resource, None)  # type: ignore[arg-type]
            elif resource_type == "Bundle" and depth < MAX_BUNDLE_NESTING:
                yield from self.bundle(resource, None, others, depth + 1)  # type: ignore[arg-type]
            elif resource_type == "Bundle":
                message = f"a Bundle nested more than {MAX_BUNDLE_NESTING} Bundles deep"
                yield unparsable(self.origin(None), "Bundle", message, "flatten the Bundles")
            else:
                others[shown(resource_type, as_text=True)] += 1

    def responses(
        self, resource: Mapping[str, Any], line: int | None, container: RawRecord | None = None
    ) -> Iterator[RawRecord]:
        """The response's record, then one for each response it contains, in order: a
        contained response's answers are its own intake, never dropped."""
        record = _response_record(resource, self.origin(line), self.catalog, self.notices)
        if container is not None:
            reference = f"{container.origin.resource or 'QuestionnaireResponse'}#"
            reference += str(resource.get("id") or "")
            record = dataclasses.replace(
                record,
                origin=dataclasses.replace(
                    record.origin,
                    resource=reference,
                    subject=record.origin.subject or container.origin.subject,
                ),
            )
        yield record
        if record.document is None:  # not a valid resource: its error covers what it contains
            return
        for contained in resource.get("contained") or []:
            if isinstance(contained, Mapping) and (
                contained.get("resourceType") == "QuestionnaireResponse"
            ):
                yield from self.responses(contained, None, record)


def _bundle_problem(document: Mapping[str, Any]) -> str | None:
    """What is wrong with the Bundle itself, its entries' resources left out (each response
    is checked on its own), or None."""
    entries = document.get("entry")
    shell = dict(document)
    if isinstance(entries, list):
        shell["entry"] = [
            {key: value for key, value in entry.items() if key != "resource"}
            if isinstance(entry, Mapping)
            else entry
            for entry in entries
        ]
    if nests_deeper_than(shell, MAX_DEPTH):
        return f"nested more than {MAX_DEPTH} levels deep"
    try:
        fhir_resource("Bundle").model_validate(shell)
    except FhirUnavailable:
        raise
    except Exception as error:  # pydantic's ValidationError from fhir.resources, or deep nesting
        return f"not a valid FHIR Bundle: {_first_error(error)}"
    return None


def _response_record(
    resource: Mapping[str, Any],
    origin: Origin,
    catalog: Mapping[str, Finding] | None,
    notices: list[str],
) -> RawRecord:
    if nests_deeper_than(resource, MAX_DEPTH):
        message = f"nested more than {MAX_DEPTH} levels deep"
        return unparsable(origin, "QuestionnaireResponse", message, "flatten the items")
    try:
        response = fhir_resource("QuestionnaireResponse").model_validate(resource)
        answered = list(_answered_items(response.item or []))
    except FhirUnavailable:
        raise
    except Exception as error:  # pydantic's ValidationError from fhir.resources, or deep nesting
        return unparsable(
            origin, "QuestionnaireResponse", f"not a valid FHIR resource: {_first_error(error)}"
        )
    findings: dict[str, Any] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for link_id, answers in answered:
        name = f"linkId {shown(link_id, as_text=True)}"
        if link_id in seen:
            problems.append(
                Problem(origin.file, origin.line, name, "answered twice", "give each item once")
            )
            continue
        seen.add(link_id)
        finding = catalog.get(link_id) if catalog is not None else None
        values = []
        for answer in answers:
            value = _answer_value(answer, finding)
            if isinstance(value, _Unread):
                problems.append(Problem(origin.file, origin.line, name, value.message, value.hint))
            else:
                values.append(value)
        if len(values) != len(answers):
            continue
        if finding is not None and finding.type is FindingType.multi_choice:
            findings[link_id] = values
        elif len(values) == 1:
            findings[link_id] = values[0]
        elif finding is not None:
            problems.append(
                Problem(
                    origin.file,
                    origin.line,
                    name,
                    f"{len(values)} answers to an item that takes one",
                    f"'{link_id}' is a {finding.type.value} finding",
                )
            )
        else:
            findings[link_id] = values
    identifier = response.identifier.value if response.identifier else None
    document: dict[str, Any] = {"id": response.id or identifier, "findings": findings}
    origin = dataclasses.replace(
        origin,
        resource=f"QuestionnaireResponse/{response.id}" if response.id else None,
        subject=response.subject.reference if response.subject is not None else None,
    )
    authored = response.authored
    if isinstance(authored, dt.date):  # a date, or a datetime: its day as written
        document["date"] = authored.isoformat()[:10]
    elif isinstance(authored, str) and _PARTIAL_DATE.match(authored):
        # A year, or a year and month, is a valid FHIR dateTime but not a day: the intake
        # date is left unknown, and the notice says so.
        where = origin.resource or f"record {origin.record}"
        notices.append(
            f"{origin.file}: {where}: authored {shown(authored)} is not a full date; "
            "the intake date is left unknown"
        )
    elif authored is not None:
        document["date"] = str(authored)[:10]
    names = {k: f"linkId {shown(k, as_text=True)}" for k in findings} | {"date": "authored"}
    return RawRecord(origin, document, field_names=names, problems=tuple(problems))


def _first_error(error: Exception) -> str:
    details = getattr(error, "errors", None)
    if callable(details):
        try:
            first = details()[0]
            where = ".".join(str(part) for part in first["loc"])
            return f"{shown(where, as_text=True)}: {shown(first['msg'], as_text=True)}"
        except Exception:  # not pydantic's shape after all: fall back to its type
            pass
    if isinstance(error, RecursionError):
        return "nested too deep"
    return type(error).__name__


def _answered_items(items: list[Any]) -> Iterator[tuple[str, list[Any]]]:
    """(linkId, answers) of every item with answers, nested items included, in document
    order; walked without recursion, so deep nesting cannot exhaust the stack."""
    stack: list[Iterator[Any]] = [iter(items)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        answers = list(item.answer or [])
        if answers:
            yield item.linkId, answers
        nested = [child for answer in answers for child in answer.item or []]
        stack.append(iter([*(item.item or []), *nested]))


class _Unread:
    """An answer whose value the reader does not take: an error, never a silent unknown."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint


#: The spellings of a catalog unit that a valueQuantity may give (UCUM codes and words);
#: a unit the table does not know is taken only as the catalog writes it. Months are
#: refused for an age in years, not converted.
UNIT_SPELLINGS: dict[str | None, frozenset[str]] = {
    "years": frozenset({"a", "yr", "yrs", "year", "years"}),
    "points": frozenset({"point", "points", "{point}", "{points}", "{score}", "1"}),
    None: frozenset({"1", "{score}", "score", "{point}", "{points}", "point", "points"}),
}


def _unit_problem(quantity: Any, finding: Finding | None) -> _Unread | None:
    """Why the quantity's unit (its UCUM code, and its unit text) does not mean the finding's
    unit; None when it does, or when no unit is given (the finding's own unit is meant)."""
    if finding is None or finding.type not in (FindingType.number, FindingType.scale_0_10):
        return None  # an unknown finding or a wrong answer type is reported on its own
    accepted = UNIT_SPELLINGS.get(finding.unit, frozenset({(finding.unit or "").lower()}))
    for given in (quantity.code, quantity.unit):
        if given is not None and given.strip().lower() not in accepted:
            meant = finding.unit or "a score with no unit"
            return _Unread(
                f"valueQuantity unit {shown(given)} is not {meant}",
                f"give the value in {meant}"
                + (f" (unit {', '.join(sorted(accepted))})" if accepted - {""} else ""),
            )
    return None


def _answer_value(answer: Any, finding: Finding | None = None) -> Any:
    given = [
        name
        for name in type(answer).model_fields
        if name.startswith("value") and not name.endswith("__ext")
        if getattr(answer, name, None) is not None
    ]
    if not given:
        return _Unread("an answer without a value", "give valueBoolean, valueCoding, ...")
    name = given[0]
    value = getattr(answer, name)
    if name not in READ_VALUES:
        return _Unread(f"{name} is not read", "answer with " + ", ".join(READ_VALUES))
    if name == "valueCoding":
        if value.code is None:
            return _Unread("valueCoding has no code", "the code is the choice id")
        return value.code
    if name == "valueQuantity":
        if value.comparator is not None:
            return _Unread(
                f"valueQuantity has the comparator {shown(value.comparator)}: "
                "the exact value is unknown",
                "give the value itself, or leave the item unanswered",
            )
        if value.value is None:
            return _Unread("valueQuantity has no value")
        unit_problem = _unit_problem(value, finding)
        if unit_problem is not None:
            return unit_problem
        value = value.value
    if isinstance(value, Decimal):
        return _decimal_number(value)
    return value


def _decimal_number(value: Decimal) -> int | float:
    """A whole decimal as an int (a score of 6.0 is 6), any other as a float."""
    if value.is_finite() and value == value.to_integral_value() and abs(value) < 10**15:
        return int(value)
    return float(value)
