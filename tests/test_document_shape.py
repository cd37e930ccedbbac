"""The document is declared twice: as TypedDicts where the builder writes it (engine.document,
no pydantic on the scoring path) and as frozen models where readers validate it
(models.assessment). This test holds the two to one shape, key for key,
so neither can drift."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from nmt_assess.engine import document
from nmt_assess.models import assessment

PAIRS = [
    (document.PackRefEntry, assessment.PackRef),
    (document.RulesetEntry, assessment.RulesetInfo),
    (document.RaisedFlagEntry, assessment.RaisedFlag),
    (document.UnscreenedFlagEntry, assessment.UnscreenedFlag),
    (document.ContributionEntry, assessment.Contribution),
    (document.CheckNextEntry, assessment.CheckNext),
    (document.WithheldEntry, assessment.Withheld),
    (document.SiteEntry, assessment.SiteAssessment),
    (document.CauseEntry, assessment.CauseAssessment),
    (document.SummaryFlagEntry, assessment.SummaryFlag),
    (document.SummaryScreenEntry, assessment.SummaryScreen),
    (document.SummaryCauseEntry, assessment.SummaryCause),
]


def _keys(typed: Any) -> set[str]:
    return set(typing.get_type_hints(typed))


@pytest.mark.parametrize(("typed", "model"), PAIRS, ids=lambda x: x.__name__)
def test_each_entry_has_its_models_keys(typed: Any, model: Any) -> None:
    assert _keys(typed) == set(model.model_fields)


def test_the_document_has_the_assessments_keys() -> None:
    keys = _keys(document.AssessmentDocument) - {"source"}  # batch records add their source
    assert keys == set(assessment.Assessment.model_fields)


def test_the_summary_has_the_summary_models_keys() -> None:
    keys = _keys(document.SummaryDocument) - {"source"}  # batch records add their source
    assert keys == set(assessment.AssessmentSummary.model_fields)
