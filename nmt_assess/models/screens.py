"""Screening questionnaires (rules/screens.yaml) and what they give in the assessment.

A screen is not a cause: it sorts a client by prognosis (the STarT Back tool: low, medium or
high risk of persistent disabling back pain) and says what that means for the plan. Its items
are findings, each scoring 1 when its test holds; its scores add items up (or are given, when a
clinic scored the form on paper); its result bands are read in order, the first whose score
range holds is the client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import Field, Strict, model_validator

from nmt_assess.models.base import FileForm, Frozen
from nmt_assess.models.conditions import Condition, FindingTest, expand_shorthand

#: A score value: a count of items, or a total given as a number finding.
ScoreValue = Union[int, float]


def _item_in_file(schema: dict[str, Any]) -> dict[str, Any]:
    shorthand = {"type": "string", "description": "A yes/no finding's id: it scores for a yes."}
    return {"anyOf": [shorthand, schema]}


#: An item: a test of one finding (the condition language's leaf), scoring 1 when it holds.
ScreenItem = Annotated[FindingTest, FileForm(_item_in_file)]


class ScreenScore(Frozen):
    """A score of the screen: the number of its items that score."""

    id: str
    title: str = Field(description="As the report names it: 'total', 'psychosocial subscale'.")
    items: Literal["all"] | tuple[str, ...] = Field(
        default="all", description="The findings of the items it adds up, or all (every item)."
    )
    given: str | None = Field(
        default=None,
        description="A number finding that holds this score already (the form scored on "
        "paper): when answered, it is used directly and the items are not added up.",
    )


class ScreenBand(Frozen):
    """One result band: it holds when its score lies in [at_least, at_most]."""

    id: str
    title: str = Field(description="As the report names it: 'low risk'.")
    score: str = Field(description="The id of the score it reads.")
    at_least: Annotated[float, Strict()] | None = None
    at_most: Annotated[float, Strict()] | None = None
    advice: str = Field(description="What the result means for the plan, in one or two lines.")

    def holds(self, value: float) -> bool:
        return (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )


class Screen(Frozen):
    """A screening questionnaire, reported in its own section (never a cause)."""

    id: str
    title: str
    description: str = Field(default="", description="What it screens for, in one line.")
    applies_when: Condition = Field(
        description="When the screen concerns the client (e.g. pain in the low back)."
    )
    items: tuple[ScreenItem, ...] = Field(min_length=1)
    scores: tuple[ScreenScore, ...] = Field(min_length=1)
    bands: tuple[ScreenBand, ...] = Field(
        min_length=1, description="Read in order: the first that holds is the client's."
    )
    source: tuple[str, ...] = Field(default=(), description="Tags from sources.yaml.")

    @model_validator(mode="before")
    @classmethod
    def _conditions(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            if "applies_when" in data:
                data["applies_when"] = expand_shorthand(data["applies_when"])
            if isinstance(data.get("items"), list | tuple):
                data["items"] = [expand_shorthand(item) for item in data["items"]]
        return data

    @model_validator(mode="after")
    def _names_hold(self) -> Screen:
        items = [item.finding for item in self.items]
        if len(set(items)) != len(items):
            raise ValueError("an item's finding is given twice")
        scores = [score.id for score in self.scores]
        if len(set(scores)) != len(scores):
            raise ValueError("a score id is given twice")
        for score in self.scores:
            if score.items != "all":
                unknown = [f for f in score.items if f not in items]
                if unknown:
                    raise ValueError(f"score '{score.id}' adds up no item {unknown[0]!r}")
        for band in self.bands:
            if band.score not in scores:
                raise ValueError(f"band '{band.id}' reads no score '{band.score}'")
        return self

    def score_items(self, score: ScreenScore) -> tuple[str, ...]:
        """The findings of the items a score adds up."""
        if score.items == "all":
            return tuple(item.finding for item in self.items)
        return score.items

    def findings(self) -> list[str]:
        """Every finding the screen reads, without repeats."""
        found = dict.fromkeys(self.applies_when.findings())
        found.update(dict.fromkeys(item.finding for item in self.items))
        found.update(dict.fromkeys(s.given for s in self.scores if s.given is not None))
        return list(found)


class ScreensFile(Frozen):
    """screens.yaml: screening questionnaires, each its own section of the report."""

    screens: tuple[Screen, ...]


# --- what a screen gives in the assessment -------------------------------------------------


class ScreenScoreValue(Frozen):
    """A score as far as the answers decide it: low == high when every item is answered."""

    id: str
    title: str
    low: ScoreValue
    high: ScoreValue
    #: Taken as given (the form scored on paper), not added up from the items.
    given: bool = False


class ScreenOutcome(Frozen):
    id: str
    title: str
    advice: str


class ScreenResult(Frozen):
    """A screen that concerns the client: its scores, its result (None while unanswered items
    could still change it), and the items not answered."""

    id: str
    title: str
    scores: tuple[ScreenScoreValue, ...]
    result: ScreenOutcome | None
    unanswered: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
