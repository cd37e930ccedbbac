"""The shapes of the YAML files a rule author writes, for JSON Schema (editor completion and
checking). The loader validates with the models in nmt_assess.models; `rules schema` writes
these, and a test keeps the committed schemas in step with them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from nmt_assess.models import LR_MAX, LR_MIN, PRIOR_MAX, PRIOR_MIN

LikelihoodRatio = Annotated[float, Field(ge=LR_MIN, le=LR_MAX)]
#: The warnings a rule may ignore (nmt_assess.ruleset.checks.RULE_IGNORABLE).
IgnorableCheck = Literal[
    "missing-because", "missing-source", "lr-extreme", "group-conflict", "few-rules"
]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingTestFile(_File):
    finding: str = Field(description="A finding id of the catalog.")
    is_: bool | str | None = Field(default=None, alias="is", description="yes/no or a choice")
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    in_: list[str] | None = Field(default=None, alias="in", description="one of these choices")
    any_of: list[str] | None = Field(default=None, description="multi-choice overlap")
    all_of: list[str] | None = None


class AllFile(_File):
    all: list[When]


class AnyFile(_File):
    any: list[When]


class NotFile(_File):
    not_: When = Field(alias="not")


class AtLeastFile(_File):
    at_least: int = Field(ge=1)
    of: list[When]


When = Union[str, FindingTestFile, AllFile, AnyFile, NotFile, AtLeastFile]
Strength = Union[LikelihoodRatio, str]


class RuleFile(_File):
    id: str
    when: When
    unless: When | None = None
    lr: Strength = Field(description="Likelihood ratio when the condition holds, or a strength.")
    lr_absent: Strength | None = Field(
        default=None, description="Likelihood ratio when answered and the condition does not hold."
    )
    group: str | None = None
    because: str = Field(
        default="", description="One sentence: why the finding bears on the cause."
    )
    source: list[str] = Field(default_factory=list, description="Tags from sources.yaml.")
    lint_ignore: list[IgnorableCheck] = Field(
        default_factory=list, description="Warnings this rule departs from on purpose."
    )


class GroupFile(_File):
    id: str
    because: str


class CauseFile(_File):
    id: str
    title: str | None = None
    description: str | None = None
    prior: float | None = Field(default=None, ge=PRIOR_MIN, le=PRIOR_MAX)
    prior_note: str | None = None
    groups: list[GroupFile] = Field(default_factory=list)
    rules: list[RuleFile] = Field(default_factory=list)


class FindingFile(_File):
    id: str
    type: Literal["yes_no", "scale_0_10", "number", "choice", "multi_choice"]
    label: str
    question: str
    asked_of: Literal["client", "therapist"]
    section: Literal["screening", "history", "complaint", "examination"]
    meaning: str
    how_to: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | str | None = Field(
        default=None, description="The choices, or the name of a list under choice_lists."
    )


class FindingsFile(_File):
    choice_lists: dict[str, list[str]] = Field(default_factory=dict)
    findings: list[FindingFile]


class RegionsFile(_File):
    regions: list[str] = Field(
        min_length=1, description="Body regions of the catalog (the referral finding's choices)."
    )


class RedFlagFile(_File):
    id: str
    title: str
    when: When
    action: Literal["emergency", "urgent", "refer", "caution", "local"]
    restricts: Literal["body", "none"] | RegionsFile = Field(
        default="none",
        description="What the raised flag keeps hands off: the whole body, some regions, or "
        "nothing beyond its advice. Emergency and urgent flags restrict the whole body.",
    )
    advice: str
    source: list[str] = Field(default_factory=list)
    related_causes: list[str] = Field(default_factory=list)


class RedFlagsFile(_File):
    red_flags: list[RedFlagFile]


class BandFile(_File):
    label: str
    below: float | None = Field(default=None, gt=0, le=1)


class PackFile(_File):
    name: str
    version: str
    description: str | None = None
    extends: Literal["default", "none"] | None = Field(
        default=None,
        description="default: layered over the default pack; none: stands alone. Left out, a "
        "pack that sets causes, bands and disclaimer stands alone, any other is layered.",
    )
    disable: list[str] = Field(default_factory=list, description="Rule ids to switch off.")
    disclaimer: str | None = None
    causes: list[str] = Field(default_factory=list, description="Cause ids, in tie-break order.")
    bands: list[BandFile] | None = None
    strengths: dict[str, LikelihoodRatio] = Field(default_factory=dict)
    referral: dict[str, str] | None = None
    client_information: list[str] = Field(default_factory=list)


class ReferralEntryFile(_File):
    muscles: list[str]
    source: list[str] = Field(default_factory=list)
    note: str | None = None


class ReferralFile(_File):
    regions: dict[str, ReferralEntryFile]


class SourcesFile(_File):
    sources: dict[str, str]


class ExpectFile(_File):
    top: str | list[str]
    top_two: list[str] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)


class IntakeFile(_File):
    id: str | int | None = None
    date: dt.date | None = None
    findings: dict[str, Any] = Field(description="finding id -> answer; leave out what is unknown")


class CaseFile(IntakeFile):
    title: str
    level: int = Field(ge=1, le=3)
    leading_cause: str
    story: str
    expect: ExpectFile
    note: str


SCHEMAS: dict[str, type[BaseModel]] = {
    "pack": PackFile,
    "findings": FindingsFile,
    "cause": CauseFile,
    "red_flags": RedFlagsFile,
    "referral": ReferralFile,
    "sources": SourcesFile,
    "case": CaseFile,
    "intake": IntakeFile,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12), as `rules schema` writes them."""
    schemas = {}
    for name, model in SCHEMAS.items():
        schema = TypeAdapter(model).json_schema(by_alias=True)
        schemas[f"{name}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"nmt-assess {name.replace('_', ' ')} file",
            **schema,
        }
    return schemas


for _model in (
    AllFile,
    AnyFile,
    NotFile,
    AtLeastFile,
    RuleFile,
    CauseFile,
    RedFlagFile,
    RedFlagsFile,
):
    _model.model_rebuild()
