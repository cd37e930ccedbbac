"""FHIR R4: a Bundle of RiskAssessment resources, one prediction per cause; records that could
not be scored become OperationOutcome resources."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nmt_assess.writers.base import (
    SECONDARY,
    BatchWriter,
    Record,
    error_text,
    is_error,
    not_screened_line,
    record_label,
    withheld_lines,
)

if TYPE_CHECKING:
    from nmt_assess.models import Ruleset

CAUSE_SYSTEM = "urn:nmt-assess:cause"


class FhirBundleWriter(BatchWriter):
    """Each resource is checked with fhir.resources before it is written."""

    _first = True

    def begin(self) -> None:
        from nmt_assess.readers.fhir import fhir_resource

        self.outcome_model = fhir_resource("OperationOutcome")
        self.risk_model = fhir_resource("RiskAssessment")
        self.out.write('{"resourceType": "Bundle", "type": "collection", "entry": [')

    def write(self, record: Record) -> None:
        if is_error(record):
            resource = operation_outcome(record)
            self.outcome_model.model_validate(resource)
        else:
            resource = risk_assessment(record, self.ruleset)
            self.risk_model.model_validate(resource)
        separator = "\n" if self._first else ",\n"
        self._first = False
        self.out.write(separator + json.dumps({"resource": resource}, ensure_ascii=False))

    def end(self) -> None:
        self.out.write("\n]}\n")


def risk_assessment(record: Record, ruleset: Ruleset) -> dict[str, Any]:
    """The record as a RiskAssessment: the subject and `basis` are the QuestionnaireResponse's
    when the intake was one (`basis` only then: there is nothing else to point at). Red flags
    not screened, suggestions withheld and a ranking secondary to a referral are notes."""
    label = record_label(record)
    rules = record["ruleset"]
    source = record.get("source") or {}
    subject = source.get("subject")
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": {"reference": subject} if subject else {"display": f"client {label}"},
        "method": {"text": f"nmt-assess rule pack {rules['name']} {rules['version']}"},
        "prediction": [_prediction(cause) for cause in record["causes"]],
    }
    if source.get("resource"):
        resource["basis"] = [{"reference": source["resource"]}]
    if record.get("intake_id"):
        resource["id"] = _fhir_id(record["intake_id"])
    if record.get("intake_date"):
        resource["occurrenceDateTime"] = record["intake_date"]
    if record["red_flags"]:
        resource["mitigation"] = " ".join(
            f"{flag['action'].upper()}: {flag['title']}. {flag['advice']}"
            for flag in record["red_flags"]
        )
    notes = []
    if record["referral_first"]:
        notes.append(f"The ranking is {SECONDARY}.")
    notes.extend(withheld_lines(record, ruleset))
    unscreened = not_screened_line(record, ruleset)
    if unscreened:
        notes.append(unscreened)
    notes.append(record["disclaimer"])
    resource["note"] = [{"text": text} for text in notes]
    return resource


def _prediction(cause: dict[str, Any]) -> dict[str, Any]:
    counted = [c for c in cause["contributions"] if c["counted"]]
    rationale = "; ".join(f"x{c['factor']:g} {c['direction']}: {c['because']}" for c in counted)
    return {
        "outcome": {
            "coding": [{"system": CAUSE_SYSTEM, "code": cause["id"], "display": cause["title"]}],
            "text": cause["title"],
        },
        "probabilityDecimal": cause["probability"],
        "qualitativeRisk": {"text": cause["band"]},
        "rationale": rationale or "No answered finding bears on this cause.",
    }


def operation_outcome(record: Record) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": f"{record_label(record)}: {error_text(error)}",
            }
            for error in record["errors"]
        ],
    }


def _fhir_id(value: str) -> str:
    """FHIR ids allow letters, digits, '-' and '.', up to 64 characters."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in value)
    return cleaned[:64] or "intake"
