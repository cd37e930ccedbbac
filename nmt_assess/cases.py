"""The case library: intakes with the ranking and red flags a clinician would expect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nmt_assess.models import Assessment, Ruleset


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The leading cause; a list where a mixed presentation may be led by either.
    top: tuple[str, ...]
    #: Causes that must rank in the top two.
    top_two: tuple[str, ...] = ()
    #: Red flags that must be raised.
    red_flags: tuple[str, ...] = ()

    @field_validator("top", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    level: int = Field(ge=1, le=3)
    leading_cause: str
    story: str
    findings: dict[str, Any]
    expect: Expectation
    note: str
    date: Any = None


def unknown_ids(case: Case, ruleset: Ruleset) -> Iterator[str]:
    """Cause and red-flag ids the case names that the ruleset does not have."""
    causes = {cause.id for cause in ruleset.causes}
    flags = {flag.id for flag in ruleset.red_flags}
    for cause_id in (case.leading_cause, *case.expect.top, *case.expect.top_two):
        if cause_id not in causes:
            yield f"unknown cause '{cause_id}'"
    for flag_id in case.expect.red_flags:
        if flag_id not in flags:
            yield f"unknown red flag '{flag_id}'"


def unmet_expectations(assessment: Assessment, expect: Expectation) -> list[str]:
    """What the assessment got wrong against the case, in words; empty when it passes."""
    ranking = [cause.id for cause in assessment.causes]
    raised = {flag.id for flag in assessment.red_flags}
    failures = []
    if ranking[0] not in expect.top:
        failures.append(f"top cause is {ranking[0]}, expected {' or '.join(expect.top)}")
    for cause_id in expect.top_two:
        if cause_id not in ranking[:2]:
            failures.append(f"{cause_id} ranks {ranking.index(cause_id) + 1}, expected top two")
    for flag_id in expect.red_flags:
        if flag_id not in raised:
            failures.append(f"red flag {flag_id} was not raised")
    return failures
