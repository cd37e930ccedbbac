"""FHIR R4 QuestionnaireResponse input, alone or in a Bundle: each item's linkId is a finding id.

Resources are validated with the `fhir.resources` package (the optional `fhir` extra).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from nmt_assess.readers.records import Origin, RawRecord, unparsable

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


def fhir_records(
    document: Mapping[str, Any], label: str, notices: list[str]
) -> Iterator[RawRecord]:
    """One record per QuestionnaireResponse. A Bundle's other resources (a Patient, say) are
    not intakes: they are counted in a notice, not scored."""
    kind = document.get("resourceType")
    if kind == "Bundle":
        try:
            fhir_resource("Bundle").model_validate(document)
        except FhirUnavailable:
            raise
        except Exception as error:  # pydantic's ValidationError from fhir.resources
            yield unparsable(
                Origin(label, 1, 1), "Bundle", f"not a valid FHIR Bundle: {_first_error(error)}"
            )
            return
        others: Counter[str] = Counter()
        for index, entry in enumerate(document.get("entry") or [], 1):
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            resource_type = resource.get("resourceType") if isinstance(resource, Mapping) else None
            if resource_type == "QuestionnaireResponse":
                yield _response_record(resource, Origin(label, None, index))  # type: ignore[arg-type]
            else:
                others[str(resource_type)] += 1
        if others:
            listed = ", ".join(f"{count} {name}" for name, count in sorted(others.items()))
            notices.append(f"{label}: not scored, not intakes: {listed}")
        return
    if kind != "QuestionnaireResponse":
        yield unparsable(
            Origin(label, 1, 1),
            "resourceType",
            f"expected QuestionnaireResponse or Bundle, got {kind!r}",
            "export the intake as a QuestionnaireResponse",
        )
        return
    yield _response_record(document, Origin(label, 1, 1))


def _response_record(resource: Mapping[str, Any], origin: Origin) -> RawRecord:
    try:
        response = fhir_resource("QuestionnaireResponse").model_validate(resource)
    except FhirUnavailable:
        raise
    except Exception as error:  # pydantic's ValidationError from fhir.resources
        return unparsable(
            origin, "QuestionnaireResponse", f"not a valid FHIR resource: {_first_error(error)}"
        )
    findings: dict[str, Any] = {}
    for link_id, answers in _flatten(response.item or []):
        findings[link_id] = answers[0] if len(answers) == 1 else answers
    identifier = response.identifier.value if response.identifier else None
    document: dict[str, Any] = {"id": response.id or identifier, "findings": findings}
    if response.authored is not None:
        document["date"] = str(response.authored)[:10]
    origin = dataclasses.replace(
        origin,
        resource=f"QuestionnaireResponse/{response.id}" if response.id else None,
        subject=response.subject.reference if response.subject is not None else None,
    )
    return RawRecord(origin, document, field_names={k: f"linkId {k}" for k in findings})


def _first_error(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else "invalid")


def _flatten(items: list[Any]) -> Iterator[tuple[str, list[Any]]]:
    for item in items:
        answers = [_answer_value(answer) for answer in item.answer or []]
        if answers:
            yield item.linkId, answers
        yield from _flatten(item.item or [])
        for answer in item.answer or []:
            yield from _flatten(answer.item or [])


def _answer_value(answer: Any) -> Any:
    for name in ("valueBoolean", "valueInteger", "valueDecimal", "valueString"):
        value = getattr(answer, name, None)
        if value is not None:
            return float(value) if isinstance(value, Decimal) else value
    if answer.valueCoding is not None:
        return answer.valueCoding.code
    return None
