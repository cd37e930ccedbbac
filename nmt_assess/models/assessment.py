"""The assessment document, and the batch records (an assessment or an error, each saying where
it came from)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Union

from pydantic import Field, TypeAdapter

from nmt_assess.models.base import Frozen, Value
from nmt_assess.models.catalog import Action, RegionRestriction
from nmt_assess.models.screens import ScreenResult


class PackRef(Frozen):
    name: str
    version: str
    sha256: str


class RulesetInfo(Frozen):
    name: str
    version: str
    sha256: str
    #: The packs layered into the ruleset, base first (provenance for audit and reproduction).
    packs: tuple[PackRef, ...] = ()


class RaisedFlag(Frozen):
    id: str
    title: str
    action: Action
    findings: tuple[str, ...]
    advice: str
    source: tuple[str, ...]
    #: "body", the regions it keeps hands off, or None.
    restricts: Literal["body"] | RegionRestriction | None = None


class UnscreenedFlag(Frozen):
    id: str
    action: Action
    unanswered: tuple[str, ...]


class Contribution(Frozen):
    rule: str
    findings: tuple[str, ...]
    direction: Literal["for", "against"]
    factor: float
    basis: str
    counted: bool
    share: float
    group: str | None
    because: str
    source: tuple[str, ...]
    outweighed_by: str | None = None


class CheckNext(Frozen):
    finding: str
    question: str
    asked_of: str
    could_lower_to: float
    could_raise_to: float


class Withheld(Frozen):
    """A suggestion left out because a raised red flag keeps hands off its region."""

    kind: Literal["muscles_to_palpate", "check_next"]
    #: The body region (muscles to palpate) or the finding (check next).
    item: str
    flag: str
    #: The restricted region, or "body".
    region: str


class SiteAssessment(Frozen):
    """Where a cause with sites most likely arises, and how likely that site is."""

    id: str
    title: str
    probability: float


class CauseAssessment(Frozen):
    id: str
    title: str
    rank: int
    probability: float
    #: The lowest and highest probability the weights' uncertainty allows.
    range: tuple[float, float]
    band: str
    prior: float
    contributions: tuple[Contribution, ...]
    check_next: tuple[CheckNext, ...]
    muscles_to_palpate: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    withheld: tuple[Withheld, ...] = ()
    #: The most likely site of a cause with sites (None for a cause without).
    site: SiteAssessment | None = None


class Assessment(Frozen):
    schema_version: Literal[3] = 3
    intake_id: str | None
    intake_date: dt.date | None
    ruleset: RulesetInfo
    referral_first: bool
    red_flags: tuple[RaisedFlag, ...]
    unscreened_red_flags: tuple[UnscreenedFlag, ...]
    #: Screening questionnaires that concern the client (STarT Back): prognosis, not a cause.
    screens: tuple[ScreenResult, ...] = ()
    causes: tuple[CauseAssessment, ...]
    #: The intake's answered findings, so that every format can say what was found.
    answers: dict[str, Value] = Field(default_factory=dict)
    disclaimer: str


# --- batch records (JSON, JSONL): an assessment or an error, each saying where it came from ---


class RecordSource(Frozen):
    file: str
    line: int | None
    record: int
    #: A FHIR QuestionnaireResponse's reference, and its subject's reference.
    resource: str | None = None
    subject: str | None = None


class RecordError(Frozen):
    line: int | None
    field: str
    message: str
    hint: str | None


class SourcedAssessment(Assessment):
    """A batch output record: the assessment and the input record it came from."""

    source: RecordSource


class ErrorRecord(Frozen):
    """A batch output record for an input record that could not be scored."""

    schema_version: Literal[3] = 3
    intake_id: str | None
    source: RecordSource
    errors: tuple[RecordError, ...] = Field(min_length=1)


# --- the summary document (`--detail summary`): the figures and ids, none of the text ---------


class SummaryFlag(Frozen):
    """A raised red flag; its title, advice and sources are the pack's (`explain ID`)."""

    id: str
    action: Action
    findings: tuple[str, ...]
    restricts: Literal["body"] | RegionRestriction | None = None


class SummaryScreen(Frozen):
    id: str
    #: The result's id (None while unanswered items could still change it).
    result: str | None
    unanswered: tuple[str, ...] = ()


class SummaryCause(Frozen):
    id: str
    rank: int
    probability: float
    range: tuple[float, float]
    band: str
    #: The most likely site's id, for a cause with sites.
    site: str | None = None
    #: The rules counted for the cause, strongest first (`explain RULE` tells each).
    counted: tuple[str, ...] = ()


class AssessmentSummary(Frozen):
    schema_version: Literal[3] = 3
    detail: Literal["summary"]
    intake_id: str | None
    intake_date: dt.date | None
    ruleset: RulesetInfo
    referral_first: bool
    red_flags: tuple[SummaryFlag, ...]
    unscreened_red_flags: tuple[UnscreenedFlag, ...]
    screens: tuple[SummaryScreen, ...] = ()
    causes: tuple[SummaryCause, ...]
    disclaimer: str


class SourcedSummary(AssessmentSummary):
    """A batch output record at `--detail summary`."""

    source: RecordSource


#: Detail level -> what a document (one intake) or batch record at that level may be.
DOCUMENTS: dict[str, Any] = {
    "full": Union[Assessment, SourcedAssessment, ErrorRecord],
    "summary": Union[AssessmentSummary, SourcedSummary, ErrorRecord],
}


def document_schemas() -> dict[str, dict[str, Any]]:
    """File name -> the JSON Schema (draft 2020-12) of the documents at each detail level, as
    docs/schema/ holds them (tests/test_document_schemas.py keeps the two equal)."""
    return {
        f"assessment-{detail}.schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"nmt-assess assessment document, --detail {detail}",
            **TypeAdapter(shape).json_schema(),
        }
        for detail, shape in DOCUMENTS.items()
    }
