"""The catalog and the pack: findings, causes, rules and their weights, red flags, referral,
sources, and the validated Ruleset they make."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic.json_schema import JsonSchemaValue, SkipJsonSchema

from nmt_assess.models.base import (
    LR_MAX,
    LR_MIN,
    PRIOR_MAX,
    PRIOR_MIN,
    FileForm,
    Frozen,
    LikelihoodRatio,
    PackNumber,
    only_id_required,
)
from nmt_assess.models.conditions import Condition, expand_shorthand
from nmt_assess.models.screens import Screen


class FindingType(str, Enum):
    yes_no = "yes_no"
    scale_0_10 = "scale_0_10"
    number = "number"
    choice = "choice"
    multi_choice = "multi_choice"


#: A finding's `hands_on`: the body regions where the test puts the therapist's hands (or an
#: instrument) on the client, `[]` when it puts them nowhere (observation, or the client moves
#: alone), or `anywhere` when it goes wherever the area examined is (palpating the painful area
#: or a muscle): a restriction of any region then withholds it.
HandsOn = Literal["anywhere"] | tuple[str, ...]
#: The body regions a muscle lies in: where hands go to palpate it.
MuscleRegions = Annotated[tuple[str, ...], Field(min_length=1)]


def _choices_in_file(schema: JsonSchemaValue) -> JsonSchemaValue:
    named = {"type": "string", "description": "The name of a list under choice_lists."}
    return {"anyOf": [schema, named]}


class Finding(Frozen):
    """A question or test of the catalog; its id is part of the shared intake vocabulary."""

    id: str = Field(description="The finding's id, as intakes and conditions name it.")
    type: FindingType = Field(description="What kind of answer it takes.")
    label: str = Field(description="A short name, as reports show it.")
    question: str = Field(description="The question as the client or therapist is asked it.")
    asked_of: Literal["client", "therapist"] = Field(description="Who answers it.")
    section: Literal["screening", "history", "complaint", "examination"]
    meaning: str = Field(description="What a positive answer means.")
    how_to: str | None = Field(
        default=None, description="For an examination: how to test, and what is positive."
    )
    unit: str | None = Field(default=None, description="The unit of a number finding.")
    min: PackNumber | None = Field(default=None, description="A number finding's lowest value.")
    max: PackNumber | None = Field(default=None, description="A number finding's highest value.")
    choices: Annotated[tuple[str, ...] | None, FileForm(_choices_in_file)] = Field(
        default=None,
        description="The choices of a choice or multi_choice finding, or the name of a list "
        "under choice_lists.",
    )
    sites: tuple[str, ...] | None = Field(
        default=None,
        description="The body regions where the finding has meaning (a test or symptom of one "
        "site). A rule reading it counts, and it is suggested, only for a client with pain or "
        "symptoms in one of them. Left out: it has meaning anywhere.",
    )
    hands_on: HandsOn | None = Field(
        default=None,
        description="For a finding the therapist answers: the body regions where the test puts "
        "hands (or an instrument) on the client; [] when nowhere (observation only, or the "
        "client moves alone); anywhere when wherever the area examined is. A red flag that "
        "restricts one of these regions withholds the test.",
        json_schema_extra={"examples": [["buttock", "hip", "thigh", "knee"], [], "anywhere"]},
    )

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
        if self.asked_of == "client" and self.hands_on is not None:
            raise ValueError("hands_on is for a finding the therapist answers, not a question")
        return self

    @property
    def hands_on_regions(self) -> tuple[str, ...] | None:
        """The regions the test puts hands on; None when it may be anywhere (`anywhere`, or a
        therapist finding that does not say, read the safe way)."""
        if self.asked_of == "client":
            return ()
        if not isinstance(self.hands_on, tuple):  # anywhere, or not given
            return None
        return self.hands_on

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
    #: The range the figure is uncertain over: a published confidence interval, or the band
    #: of a named strength on the pack's scale. None: known no better than the point.
    low: LikelihoodRatio | None = None
    high: LikelihoodRatio | None = None

    @model_validator(mode="after")
    def _range_holds_the_point(self) -> Weight:
        if (self.low is None) != (self.high is None):
            raise ValueError("give a range as [low, high]")
        if self.low is not None and self.high is not None and not self.low <= self.lr <= self.high:
            raise ValueError(
                f"the range {self.low:g}-{self.high:g} does not hold the value {self.lr:g}"
            )
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """The range the weight is uncertain over (the point when none is known)."""
        if self.low is None or self.high is None:
            return (self.lr, self.lr)
        return (self.low, self.high)

    @property
    def basis(self) -> str:
        return f"scale: {self.strength}" if self.strength else "published"


def _weight_in_file(schema: JsonSchemaValue) -> JsonSchemaValue:
    """A file gives a weight as a number or a strength name; the loader makes it a Weight."""
    return {
        "anyOf": [
            {"type": "number", "minimum": LR_MIN, "maximum": LR_MAX},
            {"type": "string", "description": "A named strength of pack.yaml's strengths."},
        ]
    }


WeightInFile = Annotated[Weight, FileForm(_weight_in_file)]


class Rule(Frozen):
    """One piece of evidence for or against a cause. In a cause file of a later pack, an id
    that exists overrides the keys given and keeps the others."""

    model_config = ConfigDict(json_schema_extra=only_id_required)

    id: str = Field(description="CAUSE.NAME, unique in the ruleset.")
    #: The cause the rule belongs to: the loader takes it from the cause file.
    cause: SkipJsonSchema[str]
    when: Condition = Field(description="When the rule applies.")
    unless: Condition | None = Field(
        default=None,
        description="The rule is set aside when this definitely holds (an unknown answer does "
        "not set it aside).",
    )
    lr: WeightInFile = Field(
        description="Likelihood ratio when the condition holds: a number or a strength."
    )
    lr_absent: WeightInFile | None = Field(
        default=None, description="Likelihood ratio when answered and the condition does not hold."
    )
    lr_range: tuple[LikelihoodRatio, LikelihoodRatio] | None = Field(
        default=None,
        description="The 95% confidence interval of a published lr, [low, high]. A named "
        "strength takes its band on the pack's scale instead.",
    )
    lr_absent_range: tuple[LikelihoodRatio, LikelihoodRatio] | None = Field(
        default=None, description="The 95% confidence interval of a published lr_absent."
    )
    population: str | None = Field(
        default=None,
        description="Who a published figure was measured in (study, setting, reference "
        "standard), so a reader can judge whether it fits the client.",
    )
    site: str | None = Field(
        default=None,
        description="One of the cause's sites: the rule is evidence for that site only.",
    )
    group: str | None = Field(
        default=None, description="A group of the cause: its rules count once each way."
    )
    because: str = Field(
        default="", description="One sentence: why the finding bears on the cause."
    )
    source: tuple[str, ...] = Field(default=(), description="Tags from sources.yaml.")
    lint_ignore: tuple[str, ...] = Field(
        default=(),
        description="Warnings about this rule it departs from on purpose (its because says why).",
        json_schema_extra={"examples": [["lr-extreme"]]},
    )

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
    """Rules that are not independent (say, tests of one nerve): they count once each way."""

    id: str
    because: str = Field(description="Why the group's rules are not independent.")


class Site(Frozen):
    """Where a cause can arise (say, the median nerve at the wrist): its own territory and
    evidence. A cause with sites is as likely as its most likely site."""

    id: str
    title: str = Field(description="As the report names it: 'median nerve at the wrist'.")
    territory: tuple[str, ...] = Field(
        min_length=1, description="The body regions where it gives pain or symptoms."
    )
    because: str = Field(default="", description="What the site is and why it matters.")
    source: tuple[str, ...] = Field(default=(), description="Tags from sources.yaml.")


class Cause(Frozen):
    """A cause of pain and its rules. In a later pack, a cause file gives the id and what it
    adds or changes."""

    model_config = ConfigDict(json_schema_extra=only_id_required)

    id: str = Field(description="The cause's id: the file's name.")
    title: str
    description: str
    prior: PackNumber = Field(
        ge=PRIOR_MIN,
        le=PRIOR_MAX,
        description="The share of NMT clients in whom the cause is present.",
    )
    prior_note: str = Field(description="Why this prior.")
    groups: tuple[Group, ...] = ()
    sites: tuple[Site, ...] = Field(
        default=(), description="Where the cause can arise, each with its own evidence."
    )
    rules: tuple[Rule, ...]


class Action(str, Enum):
    """What a raised red flag asks of the therapist, most severe first: emergency (now:
    emergency services), urgent (a doctor the same day), refer (a doctor within days, before
    treating the area), caution (treat with a named modification), local (avoid one area)."""

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


class PackReferral(Frozen):
    """Which cause the referral map serves, and which finding holds the body regions."""

    cause: str | None = None
    finding: str | None = None


class PackSettings(Frozen):
    """pack.yaml. The loader checks each key where it stands; a pack that stands alone must set
    name, version, disclaimer, bands and causes."""

    name: str
    version: str = Field(description="Quoted, so that YAML keeps it as text.")
    description: str | None = None
    extends: Literal["default", "none"] | None = Field(
        default=None,
        description="default: layered over the default pack; none: stands alone. Left out, a "
        "pack that sets causes, bands and disclaimer stands alone, any other is layered.",
    )
    disable: tuple[str, ...] = Field(default=(), description="Rule ids to switch off.")
    disclaimer: str | None = None
    causes: tuple[str, ...] = Field(default=(), description="Cause ids, in tie-break order.")
    bands: tuple[Band, ...] | None = None
    strengths: dict[str, LikelihoodRatio] = Field(
        default_factory=dict, description="Named likelihood ratios rules may give as lr."
    )
    strength_ranges: dict[str, tuple[LikelihoodRatio, LikelihoodRatio]] = Field(
        default_factory=dict,
        description="Each named strength's band on the scale, [low, high]: the range a "
        "hand-set weight is uncertain over.",
    )
    site_findings: tuple[str, ...] = Field(
        default=(),
        description="The findings that say where the client has pain or symptoms (body "
        "regions): a site-specific rule counts only when one of them names its site.",
    )
    referral: PackReferral | None = None
    client_information: tuple[str, ...] = ()
    lint_ignore: tuple[str, ...] = Field(
        default=(),
        description="Warnings silenced in this pack's own files (rules lint --ignore, kept).",
        json_schema_extra={"examples": [["unused-finding"]]},
    )


class FindingsFile(Frozen):
    """findings.yaml: the findings a pack adds, the first key the one a file must give."""

    findings: tuple[Finding, ...]
    choice_lists: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Lists of choices, declared once, named by findings."
    )


class RedFlagsFile(Frozen):
    """red_flags.yaml."""

    red_flags: tuple[RedFlag, ...]


class ReferralFile(Frozen):
    """referral.yaml: the trigger-point referral map, and where each of its muscles lies."""

    regions: dict[str, Referral] = Field(description="Body region -> the muscles to palpate.")
    muscles: dict[str, MuscleRegions] = Field(
        default_factory=dict,
        description="Muscle -> the body regions it lies in (where hands go to palpate it). Every "
        "muscle of the referral lists needs one; a red flag that restricts one of these regions "
        "withholds the muscle wherever the pain is.",
    )


class SourcesFile(Frozen):
    """sources.yaml."""

    sources: dict[str, str] = Field(description="Source tag -> citation.")


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
    #: Screening questionnaires (screens.yaml): each its own section of the report.
    screens: tuple[Screen, ...] = ()
    referral_cause: str | None = None
    referral_finding: str | None = None
    site_findings: tuple[str, ...] = ()
    referral: dict[str, Referral] = Field(default_factory=dict)
    #: muscle -> the body regions it lies in (referral.yaml's `muscles`).
    muscle_locations: dict[str, MuscleRegions] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    #: Plain-words paragraphs for the client (what a session involves, soreness afterwards).
    client_information: tuple[str, ...] = ()
    #: The packs layered into this ruleset, base first.
    packs: tuple[PackInfo, ...] = ()
    #: rule id -> the pack that defined it last; rule id -> the pack whose rule it overrides.
    rule_packs: dict[str, str] = Field(default_factory=dict)
    overridden: dict[str, str] = Field(default_factory=dict)

    def band_of_range(self, low: float, high: float) -> str:
        """The band a probability known only within [low, high] is shown in: that of the
        range's point nearest even odds, so a range that spans 0.5 claims neither way and
        thin evidence cannot look certain. A range of one point is that point's band."""
        if low >= 0.5:
            return self.band(low)
        if high < 0.5:
            return self.band(high)
        return self.band(math.nextafter(0.5, 0.0))

    def band(self, probability: float) -> str:
        for band in self.bands:
            if band.below is None or probability < band.below:
                return band.label
        return self.bands[-1].label
