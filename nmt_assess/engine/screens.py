"""Screens: an intake's answers as each screen's scores, result and unanswered items. Pure, and
it never raises on an answer it cannot read (that item counts as unanswered).

A screen is reported when its `applies_when` holds, or, when that is unknown, when any of its
items or given scores is answered. A score is its `given` finding when answered (the form
scored on paper); otherwise the number of its items that hold, known as a range while items
are unanswered (each may add 0 or 1). The result is the first band, in order, whose score range
surely holds; while an unanswered item could still change which band that is, there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, TypedDict

from nmt_assess.engine.scalar import State, node_states
from nmt_assess.models import Finding
from nmt_assess.models.screens import Screen, ScreenBand, ScreenScore
from nmt_assess.ruleset.compile import Node, compile_condition, leaf_test


class ScreenScoreEntry(TypedDict):
    id: str
    title: str
    low: int | float
    high: int | float
    given: bool


class ScreenOutcomeEntry(TypedDict):
    id: str
    title: str
    advice: str


class ScreenEntry(TypedDict):
    id: str
    title: str
    scores: list[ScreenScoreEntry]
    result: ScreenOutcomeEntry | None
    unanswered: tuple[str, ...]
    source: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Item:
    finding: str
    holds: Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class _CompiledScreen:
    screen: Screen
    nodes: tuple[Node, ...]
    root: int
    items: tuple[_Item, ...]
    #: per score, the positions in `items` of the items it adds up
    members: tuple[tuple[int, ...], ...]
    #: every finding whose answer shows the screen was taken (its items and given scores)
    answers: tuple[str, ...]


class ScreenEvaluator:
    """The screens of a ruleset, compiled once."""

    def __init__(self, screens: Sequence[Screen], catalog: Mapping[str, Finding]) -> None:
        self.screens = tuple(_compile(screen, catalog) for screen in screens)

    def entries(self, findings: Mapping[str, Any]) -> list[ScreenEntry]:
        """Each screen that concerns the client, in pack order."""
        return [
            _entry(compiled, findings) for compiled in self.screens if _applies(compiled, findings)
        ]

    def not_to_ask(self, findings: Mapping[str, Any], elsewhere: Set[str]) -> set[str]:
        """The questions of screens that do not concern the client (their `applies_when` is
        answered and fails), less any that a screen that may concern them, or `elsewhere` (what
        rules and red flags read), still needs: an intake does not ask them."""
        needed: set[str] = set(elsewhere)
        skipped: set[str] = set()
        for compiled in self.screens:
            try:
                state = node_states(compiled.nodes, findings)[compiled.root]
            except (TypeError, ValueError):
                state = None
            (skipped if state is False else needed).update(compiled.answers)
        return skipped - needed


def screen_entries(
    screens: Sequence[Screen], catalog: Mapping[str, Finding], findings: Mapping[str, Any]
) -> list[ScreenEntry]:
    """Each screen that concerns the client, for one intake."""
    return ScreenEvaluator(screens, catalog).entries(findings)


def _compile(screen: Screen, catalog: Mapping[str, Finding]) -> _CompiledScreen:
    nodes, root = compile_condition(screen.applies_when, catalog)
    items = []
    for item in screen.items:
        op = item.operators()[0] if item.operators() else "is"
        operand = {"is": True if item.is_ is None else item.is_, "in": item.in_}.get(
            op, getattr(item, op, None)
        )
        items.append(_Item(item.finding, leaf_test(op, operand)))
    position = {item.finding: index for index, item in enumerate(screen.items)}
    members = tuple(
        tuple(position[f] for f in screen.score_items(score)) for score in screen.scores
    )
    answers = [item.finding for item in screen.items]
    answers += [score.given for score in screen.scores if score.given is not None]
    return _CompiledScreen(screen, nodes, root, tuple(items), members, tuple(answers))


def _applies(compiled: _CompiledScreen, findings: Mapping[str, Any]) -> bool:
    try:
        state = node_states(compiled.nodes, findings)[compiled.root]
    except (TypeError, ValueError):  # an answer of the wrong kind: unknown
        state = None
    if state is not None:
        return state
    return any(findings.get(f) is not None for f in compiled.answers)


def _item_state(item: _Item, findings: Mapping[str, Any]) -> State:
    value = findings.get(item.finding)
    if value is None:
        return None
    try:
        return item.holds(value)
    except (TypeError, ValueError):  # an answer of the wrong kind: unanswered
        return None


def _given(score: ScreenScore, findings: Mapping[str, Any]) -> int | float | None:
    value = findings.get(score.given) if score.given is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _entry(compiled: _CompiledScreen, findings: Mapping[str, Any]) -> ScreenEntry:
    screen = compiled.screen
    states = [_item_state(item, findings) for item in compiled.items]
    scores: list[ScreenScoreEntry] = []
    open_items: set[int] = set()
    for score, members in zip(screen.scores, compiled.members, strict=True):
        given = _given(score, findings)
        if given is not None:
            low: int | float = given
            high: int | float = given
        else:
            low = sum(1 for i in members if states[i])
            unknown = [i for i in members if states[i] is None]
            high = low + len(unknown)
            open_items.update(unknown)
        scores.append(
            {
                "id": score.id,
                "title": score.title,
                "low": low,
                "high": high,
                "given": given is not None,
            }
        )
    band = _band(screen.bands, {s["id"]: (s["low"], s["high"]) for s in scores})
    return {
        "id": screen.id,
        "title": screen.title,
        "scores": scores,
        "result": None
        if band is None
        else {"id": band.id, "title": band.title, "advice": band.advice},
        "unanswered": tuple(compiled.items[i].finding for i in sorted(open_items)),
        "source": screen.source,
    }


def _band(
    bands: Sequence[ScreenBand], ranges: Mapping[str, tuple[float, float]]
) -> ScreenBand | None:
    """The first band whose score range surely holds; None when one before it may or may not
    hold (an unanswered item decides), or when none holds."""
    for band in bands:
        low, high = ranges[band.score]
        if band.holds(low) and band.holds(high):  # a band is an interval: all between hold
            return band
        below = band.at_least is not None and high < band.at_least
        above = band.at_most is not None and low > band.at_most
        if not (below or above):
            return None
    return None
