"""The finding catalog as a FHIR R4 Questionnaire: linkIds are finding ids, so any FHIR form
tool can collect an intake whose QuestionnaireResponse scores directly."""

from __future__ import annotations

from typing import Any

from nmt_assess.models import Finding, FindingType, Ruleset

CHOICE_SYSTEM = "urn:nmt-assess:choice"
_SECTIONS = {
    "screening": "Screening: red flags and precautions",
    "history": "History",
    "complaint": "The complaint",
    "examination": "Examination (therapist)",
}
_ITEM_TYPE = {
    FindingType.yes_no: "boolean",
    FindingType.scale_0_10: "integer",
    FindingType.number: "decimal",
    FindingType.choice: "choice",
    FindingType.multi_choice: "choice",
}


def questionnaire(ruleset: Ruleset) -> dict[str, Any]:
    groups = []
    for section, title in _SECTIONS.items():
        items = [_item(f) for f in ruleset.findings.values() if f.section == section]
        if items:
            groups.append(
                {"linkId": f"section-{section}", "text": title, "type": "group", "item": items}
            )
    return {
        "resourceType": "Questionnaire",
        "id": f"nmt-assess-{ruleset.name}",
        "name": "NmtAssessIntake",
        "title": f"nmt-assess intake ({ruleset.name} {ruleset.version})",
        "version": ruleset.version,
        "status": "active",
        "subjectType": ["Patient"],
        "description": "Intake for nmt-assess. Each item's linkId is a finding id; leave an item "
        "unanswered when it was not asked or not tested (unknown is not 'no').",
        "item": groups,
    }


def _item(finding: Finding) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": finding.id,
        "text": finding.question,
        "type": _ITEM_TYPE[finding.type],
    }
    if finding.choices:
        item["answerOption"] = [
            {
                "valueCoding": {
                    "system": CHOICE_SYSTEM,
                    "code": choice,
                    "display": choice.replace("_", " "),
                }
            }
            for choice in finding.choices
        ]
        item["repeats"] = finding.type is FindingType.multi_choice
    if finding.how_to:
        item["item"] = [
            {"linkId": f"{finding.id}.how_to", "text": finding.how_to, "type": "display"}
        ]
    return item
