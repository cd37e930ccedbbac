"""The catalog and the pack: findings, causes, rules and their weights, red flags, referral,
sources, and the validated Ruleset they make."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, Literal

from pydantic import Field, model_validator

from nmt_assess.models.base import PRIOR_MAX, PRIOR_MIN, Frozen, LikelihoodRatio, PackNumber
from nmt_assess.models.conditions import Condition, expand_shorthand


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
                **{key: expand_shorthand(data[key]) for key in ("when", "unless") if key in data},
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
            data = {**data, "when": expand_shorthand(data["when"])}
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
    #: The warnings the pack silences in its own files (pack.yaml's `lint_ignore`).
    lint_ignore: tuple[str, ...] = ()


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
    referral: dict[str, Referral] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    #: Plain-words paragraphs for the client (what a session involves, soreness afterwards).
    client_information: tuple[str, ...] = ()
    #: The packs layered into this ruleset, base first.
    packs: tuple[PackInfo, ...] = ()
    #: rule id -> the pack that defined it last; rule id -> the pack whose rule it overrides.
    rule_packs: dict[str, str] = Field(default_factory=dict)
    overridden: dict[str, str] = Field(default_factory=dict)

    def band(self, probability: float) -> str:
        for band in self.bands:
            if band.below is None or probability < band.below:
                return band.label
        return self.bands[-1].label
