"""The data of nmt-assess: the finding catalog, rules, red flags, intakes and assessments.

Models are immutable once validated. Conditions evaluate with three-valued logic:
True (holds), False (answered and does not hold) or None (depends on an unknown finding).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, Literal, Protocol, Union

from pydantic import (
    AllowInfNan,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    field_validator,
    model_validator,
)

#: An answered finding: yes/no, a number, one choice or a list of choices.
Value = Union[bool, int, float, str, tuple[str, ...]]


#: A number a rule pack gives: an int or a float, never true/false or quoted text, never inf or nan.
PackNumber = Annotated[float, Strict(), AllowInfNan(False)]
#: Likelihood ratios and priors a pack may give. Beyond these a figure is a typo or a certainty
#: that odds cannot carry, and the products of a few dozen rules would leave floating point.
LR_MIN, LR_MAX = 0.001, 1000.0
PRIOR_MIN, PRIOR_MAX = 0.001, 0.999
LikelihoodRatio = Annotated[PackNumber, Field(ge=LR_MIN, le=LR_MAX)]


class Findings(Protocol):
    """What conditions read: the answer to a finding, or None when it is unknown."""

    def get(self, key: str, /) -> Value | None: ...


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- the finding catalog -------------------------------------------------------------------


class FindingType(str, Enum):
    yes_no = "yes_no"
    scale_0_10 = "scale_0_10"
    number = "number"
    choice = "choice"
    multi_choice = "multi_choice"


class Finding(Frozen):
    id: str
    type: FindingType
    label: str
    question: str
    asked_of: Literal["client", "therapist"]
    section: Literal["screening", "history", "complaint", "examination"]
    meaning: str
    how_to: str | None = None
    unit: str | None = None
    min: PackNumber | None = None
    max: PackNumber | None = None
    choices: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _type_fits(self) -> Finding:
        needs_choices = self.type in (FindingType.choice, FindingType.multi_choice)
        if needs_choices and not self.choices:
            raise ValueError(f"a {self.type.value} finding needs a list of choices")
        if not needs_choices and self.choices is not None:
            raise ValueError(f"a {self.type.value} finding takes no choices")
        if self.type is FindingType.number and (self.min is None or self.max is None):
            raise ValueError("a number finding needs min and max")
        if self.type is FindingType.scale_0_10 and (self.min, self.max) not in (
            (None, None),
            (0, 10),
        ):
            raise ValueError("a scale_0_10 finding always ranges 0 to 10")
        return self

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.type is FindingType.scale_0_10:
            return (0, 10)
        if self.type is FindingType.number:
            assert self.min is not None and self.max is not None
            return (self.min, self.max)
        return None


# --- conditions ----------------------------------------------------------------------------


class FindingTest(Frozen):
    """A test of one finding: yes (default), an explicit value, a comparison, or choice overlap."""

    finding: str
    is_: Annotated[bool, Strict()] | Annotated[str, Strict()] | None = Field(
        default=None, alias="is"
    )
    gt: PackNumber | None = None
    gte: PackNumber | None = None
    lt: PackNumber | None = None
    lte: PackNumber | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    any_of: tuple[str, ...] | None = None
    all_of: tuple[str, ...] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="after")
    def _one_operator(self) -> FindingTest:
        if len(self.operators()) > 1:
            raise ValueError("use one test per finding: " + ", ".join(self.operators()))
        return self

    def operators(self) -> list[str]:
        names = {"is_": "is", "in_": "in"}
        fields = ("is_", "gt", "gte", "lt", "lte", "in_", "any_of", "all_of")
        return [names.get(f, f) for f in fields if getattr(self, f) is not None]

    def findings(self) -> Iterator[str]:
        yield self.finding

    def parts(self) -> tuple[Condition, ...]:
        """The conditions this one combines (none: a test is a leaf)."""
        return ()

    def evaluate(self, findings: Findings) -> bool | None:
        value = findings.get(self.finding)
        if value is None:
            return None
        if self.gt is not None:
            return value > self.gt  # type: ignore[operator]
        if self.gte is not None:
            return value >= self.gte  # type: ignore[operator]
        if self.lt is not None:
            return value < self.lt  # type: ignore[operator]
        if self.lte is not None:
            return value <= self.lte  # type: ignore[operator]
        if self.in_ is not None:
            return value in self.in_
        if self.any_of is not None:
            return any(item in value for item in self.any_of)  # type: ignore[operator]
        if self.all_of is not None:
            return all(item in value for item in self.all_of)  # type: ignore[operator]
        expected = True if self.is_ is None else self.is_
        return value == expected


class AllOf(Frozen):
    all: tuple[Condition, ...] = Field(min_length=1)

    def parts(self) -> tuple[Condition, ...]:
        return self.all

    def findings(self) -> Iterator[str]:
        for part in self.all:
            yield from part.findings()

    def evaluate(self, findings: Findings) -> bool | None:
        unknown = False
        for part in self.all:
            state = part.evaluate(findings)
            if state is False:
                return False
            unknown = unknown or state is None
        return None if unknown else True


class AnyOf(Frozen):
    any: tuple[Condition, ...] = Field(min_length=1)

    def parts(self) -> tuple[Condition, ...]:
        return self.any

    def findings(self) -> Iterator[str]:
        for part in self.any:
            yield from part.findings()

    def evaluate(self, findings: Findings) -> bool | None:
        unknown = False
        for part in self.any:
            state = part.evaluate(findings)
            if state is True:
                return True
            unknown = unknown or state is None
        return None if unknown else False


class Not(Frozen):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    def findings(self) -> Iterator[str]:
        yield from self.not_.findings()

    def parts(self) -> tuple[Condition, ...]:
        return (self.not_,)

    def evaluate(self, findings: Findings) -> bool | None:
        state = self.not_.evaluate(findings)
        return None if state is None else not state


class AtLeast(Frozen):
    at_least: Annotated[int, Strict()] = Field(ge=1)
    of: tuple[Condition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _reachable(self) -> AtLeast:
        if self.at_least > len(self.of):
            raise ValueError(f"at_least {self.at_least} of only {len(self.of)} conditions")
        return self

    def findings(self) -> Iterator[str]:
        for part in self.of:
            yield from part.findings()

    def parts(self) -> tuple[Condition, ...]:
        return self.of

    def evaluate(self, findings: Findings) -> bool | None:
        states = [part.evaluate(findings) for part in self.of]
        held = states.count(True)
        if held >= self.at_least:
            return True
        if held + states.count(None) < self.at_least:
            return False
        return None


def _condition_kind(raw: Any) -> str | None:
    if isinstance(raw, str):
        return "finding"
    if isinstance(raw, Mapping):
        for key in ("finding", "all", "any", "not", "at_least"):
            if key in raw:
                return key
        return None
    if isinstance(raw, BaseModel):
        return {FindingTest: "finding", AllOf: "all", AnyOf: "any", Not: "not"}.get(
            type(raw), "at_least"
        )
    return None


def _shorthand(raw: Any) -> Any:
    """`tingling` is short for `{finding: tingling}` (the finding is answered yes)."""
    return {"finding": raw} if isinstance(raw, str) else raw


Condition = Annotated[
    Union[
        Annotated[FindingTest, Tag("finding")],
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[Not, Tag("not")],
        Annotated[AtLeast, Tag("at_least")],
    ],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message=(
            "expected a finding id or a mapping with one of: finding, all, any, not, at_least"
        ),
    ),
]


def _expand_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return _shorthand(value)
    if isinstance(value, Mapping):
        out = dict(value)
        for key in ("all", "any", "of"):
            if isinstance(out.get(key), list | tuple):
                out[key] = [_expand_shorthand(part) for part in out[key]]
        if "not" in out:
            out["not"] = _expand_shorthand(out["not"])
        return out
    return value


# --- causes, rules, red flags --------------------------------------------------------------


class Weight(Frozen):
    """A likelihood ratio, with the named strength it came from when it was hand-set."""

    lr: LikelihoodRatio
    strength: str | None = None

    @property
    def basis(self) -> str:
        return f"scale: {self.strength}" if self.strength else "published"


class Rule(Frozen):
    id: str
    cause: str
    when: Condition
    #: The rule is set aside when this definitely holds (an unknown answer does not set it aside).
    unless: Condition | None = None
    lr: Weight
    lr_absent: Weight | None = None
    group: str | None = None
    because: str = ""
    source: tuple[str, ...] = ()
    #: Lint checks this rule deliberately departs from (its `because` should say why).
    lint_ignore: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _conditions(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = {
                **data,
                **{key: _expand_shorthand(data[key]) for key in ("when", "unless") if key in data},
            }
        return data

    def findings(self) -> Iterator[str]:
        yield from self.when.findings()
        if self.unless is not None:
            yield from self.unless.findings()


class Group(Frozen):
    id: str
    because: str


class Cause(Frozen):
    id: str
    title: str
    description: str
    prior: PackNumber = Field(ge=PRIOR_MIN, le=PRIOR_MAX)
    prior_note: str
    groups: tuple[Group, ...] = ()
    rules: tuple[Rule, ...]


class Action(str, Enum):
    """What a raised red flag asks of the therapist, most severe first."""

    emergency = "emergency"
    urgent = "urgent"
    refer = "refer"
    caution = "caution"
    local = "local"

    @property
    def severity(self) -> int:
        return list(Action).index(self)

    @property
    def is_referral_first(self) -> bool:
        return self in (Action.emergency, Action.urgent)


class RegionRestriction(Frozen):
    """Hands off these body regions (the catalog's body-region choices)."""

    regions: tuple[str, ...] = Field(min_length=1)


class RedFlag(Frozen):
    id: str
    title: str
    when: Condition
    action: Action
    advice: str
    #: What the raised flag keeps hands off: the whole body, some regions, or nothing more than
    #: its action says. An emergency or urgent flag restricts the whole body whatever this says.
    restricts: Literal["body", "none"] | RegionRestriction = "none"
    source: tuple[str, ...] = ()
    #: Causes whose presentation this flag can hide behind (shown by `explain CAUSE`).
    related_causes: tuple[str, ...] = ()

    @property
    def restricts_body(self) -> bool:
        return self.action.is_referral_first or self.restricts == "body"

    @property
    def restricted_regions(self) -> tuple[str, ...]:
        """The regions it keeps hands off when it does not restrict the whole body."""
        if self.restricts_body or not isinstance(self.restricts, RegionRestriction):
            return ()
        return self.restricts.regions

    @model_validator(mode="before")
    @classmethod
    def _conditions(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "when" in data:
            data = {**data, "when": _expand_shorthand(data["when"])}
        return data


class Band(Frozen):
    label: str
    below: PackNumber | None = Field(default=None, gt=0, le=1)


class Referral(Frozen):
    muscles: tuple[str, ...]
    source: tuple[str, ...] = ()
    note: str | None = None


class PackInfo(Frozen):
    """Provenance: a pack that went into a ruleset, so a result can be reproduced."""

    name: str
    version: str
    sha256: str
    path: str


class Ruleset(Frozen):
    name: str
    version: str
    description: str
    sha256: str
    disclaimer: str
    bands: tuple[Band, ...]
    findings: dict[str, Finding]
    causes: tuple[Cause, ...]
    red_flags: tuple[RedFlag, ...]
    referral_cause: str | None = None
    referral_finding: str | None = None
    referral: dict[str, Referral] = {}
    sources: dict[str, str] = {}
    #: Plain-words paragraphs for the client (what a session involves, soreness afterwards).
    client_information: tuple[str, ...] = ()
    #: The packs layered into this ruleset, base first.
    packs: tuple[PackInfo, ...] = ()
    #: rule id -> the pack that defined it last; rule id -> the pack whose rule it overrides.
    rule_packs: dict[str, str] = {}
    overridden: dict[str, str] = {}

    def band(self, probability: float) -> str:
        for band in self.bands:
            if band.below is None or probability < band.below:
                return band.label
        return self.bands[-1].label


# --- intakes and assessments ---------------------------------------------------------------


class Intake(Frozen):
    """A validated intake: only answered findings are present; anything absent is unknown."""

    id: str | None = None
    date: dt.date | None = None
    findings: dict[str, Value]

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        """A date object or ISO text (YYYY-MM-DD) only: not a timestamp, not seconds since 1970."""
        if value is None or type(value) is dt.date:
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return value
        raise ValueError("expected an ISO date, YYYY-MM-DD")


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


class CauseAssessment(Frozen):
    id: str
    title: str
    rank: int
    probability: float
    band: str
    prior: float
    contributions: tuple[Contribution, ...]
    check_next: tuple[CheckNext, ...]
    muscles_to_palpate: dict[str, tuple[str, ...]] = {}
    withheld: tuple[Withheld, ...] = ()


class Assessment(Frozen):
    schema_version: Literal[2] = 2
    intake_id: str | None
    intake_date: dt.date | None
    ruleset: RulesetInfo
    referral_first: bool
    red_flags: tuple[RaisedFlag, ...]
    unscreened_red_flags: tuple[UnscreenedFlag, ...]
    causes: tuple[CauseAssessment, ...]
    #: The intake's answered findings, so that every format can say what was found.
    answers: dict[str, Value] = {}
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

    schema_version: Literal[2] = 2
    intake_id: str | None
    source: RecordSource
    errors: tuple[RecordError, ...] = Field(min_length=1)
