"""The scalar evaluator: one intake in plain Python (no numpy), walking the compiled pack.

Each cause is assessed on its own (a client can have several at once):

    posterior odds = prior odds x product of the likelihood ratios of the rules that apply

A rule applies its `lr` when its condition holds and its `lr_absent` (if any) when the condition
is answered and does not hold; a rule that depends on an unknown finding contributes nothing.
Rules in one group are not independent, so a group contributes only its strongest factor for
the cause and its strongest factor against it.

Floating point: sums are folded left to right from 0 (never builtin `sum`, which compensates
from Python 3.12), in the order the batch evaluator folds them, so both give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

from nmt_assess.models import Condition
from nmt_assess.ruleset.compile import CompiledCause, CompiledPack, Node, compile_condition

State = bool | None
FlagState = Literal["raised", "unscreened", "clear"]
#: Entries a cause's check-next memo may hold before it starts afresh (keeps memory flat).
_MEMO_LIMIT = 20_000


class CauseResult(NamedTuple):  # a tuple: the batch evaluator makes millions of them
    #: ln posterior odds: the prior's plus each unit's strongest factor for and against.
    log_odds: float
    #: The lowest and highest ln odds the factors' ranges allow (see `unit_range`).
    low: float
    high: float
    #: Per rule (CompiledCause.rules order): ln of the factor it applies, or None.
    values: Sequence[float | None]
    #: Per unanswered check-next candidate (catalog order): the lowest and highest ln odds an
    #: answer could give.
    ranges: Sequence[tuple[str, float, float]]


class Result(NamedTuple):
    """What evaluating one intake decides; the document builder explains it."""

    #: Per condition node (CompiledPack.nodes): holds, fails, or unknown.
    states: Sequence[State]
    #: Per red flag, in pack order.
    flags: tuple[FlagState, ...]
    causes: tuple[CauseResult, ...]


def probability(log_odds: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-log_odds))
    except OverflowError:  # odds below about e^-709: what numpy's 1 / (1 + inf) gives
        return 0.0


def combine(node: Node, parts: Sequence[State]) -> State:
    """An inner node's state from its children's (three-valued logic)."""
    op = node.op
    if op == "not":
        state = parts[0]
        return None if state is None else not state
    if op == "all":
        return False if False in parts else (None if None in parts else True)
    if op == "any":
        return True if True in parts else (None if None in parts else False)
    if op == "any_known":
        return True if True in parts else (False if False in parts else None)
    assert op == "at_least", op
    held = parts.count(True)
    if held >= node.operand:
        return True
    return False if held + parts.count(None) < node.operand else None


def node_states(nodes: Sequence[Node], findings: Mapping[str, Any]) -> list[State]:
    """Every node's state, children before parents."""
    states: list[State] = []
    for node in nodes:
        if node.children:
            states.append(combine(node, [states[c] for c in node.children]))
        else:
            value = findings.get(node.finding)  # type: ignore[arg-type]
            states.append(None if value is None else node.holds(value))
    return states


def condition_state(condition: Condition, findings: Mapping[str, Any]) -> State:
    """A condition's state for the answers given: True, False or None (unknown)."""
    nodes, root = compile_condition(condition)
    return node_states(nodes, findings)[root]


def unit_total(values: Sequence[float | None]) -> float:
    """ln of what a unit contributes: its strongest factor for plus its strongest against."""
    high = low = 0.0
    for value in values:
        if value is None:
            continue
        if value > high:
            high = value
        elif value < low:
            low = value
    return high + low


def unit_range(
    values: Sequence[float | None], bounds: Sequence[tuple[float, float] | None]
) -> tuple[float, float]:
    """The lowest and highest ln contribution of a unit whose factors are uncertain: the
    strongest factor for is the largest of those for (its range: from the largest low end to
    the largest high end), the strongest against likewise. Which factors are for and against
    is decided by their values, as `unit_total` decides it."""
    for_low = for_high = against_low = against_high = None
    for value, bound in zip(values, bounds, strict=True):
        if value is None or bound is None or value == 0:
            continue
        low, high = bound
        if value > 0:
            for_low = low if for_low is None or low > for_low else for_low
            for_high = high if for_high is None or high > for_high else for_high
        else:
            against_low = low if against_low is None or low < against_low else against_low
            against_high = high if against_high is None or high < against_high else against_high
    return (
        (for_low or 0.0) + (against_low or 0.0),
        (for_high or 0.0) + (against_high or 0.0),
    )


def rule_value(when: State, unless: State, log_lr: float, log_absent: float | None) -> float | None:
    if unless:
        return None
    if when:
        return log_lr
    return log_absent if when is False else None


class ScalarEvaluator:
    """A compiled pack prepared for evaluating intakes one at a time."""

    def __init__(self, pack: CompiledPack) -> None:
        self.pack = pack
        self.nodes = pack.nodes
        # What an unanswered finding can do to a cause depends only on the answers to the
        # other inputs of the units it touches: memoised on them, bounded.
        self._gains: list[dict[tuple[Any, ...], tuple[float, float]]] = [{} for _ in pack.causes]

    def states(self, findings: Mapping[str, Any]) -> list[State]:
        """Every node's state, children before parents."""
        return node_states(self.nodes, findings)

    def state_if(self, index: int, states: Sequence[State], finding: str, value: Any) -> State:
        """A node's state were `finding` answered `value`."""
        node = self.nodes[index]
        if finding not in node.reads:
            return states[index]
        if not node.children:
            return node.holds(value)
        return combine(node, [self.state_if(c, states, finding, value) for c in node.children])

    def values(self, cause: CompiledCause, states: Sequence[State]) -> list[float | None]:
        return [
            rule_value(
                states[rule.when],
                None if rule.unless is None else states[rule.unless],
                rule.log_lr,
                rule.log_absent,
            )
            for rule in cause.rules
        ]

    def bounds(
        self, cause: CompiledCause, states: Sequence[State], values: Sequence[float | None]
    ) -> list[tuple[float, float] | None]:
        """Per rule, the ln range of the factor it applies (None: it applies none)."""
        return [
            None if value is None else rule.lr_bounds if states[rule.when] else rule.absent_bounds
            for rule, value in zip(cause.rules, values, strict=True)
        ]

    def log_odds_range(
        self,
        cause: CompiledCause,
        values: Sequence[float | None],
        bounds: Sequence[tuple[float, float] | None],
    ) -> tuple[float, float]:
        low = high = 0.0
        for unit in cause.units:
            unit_low, unit_high = unit_range(
                [values[i] for i in unit.rules], [bounds[i] for i in unit.rules]
            )
            low += unit_low
            high += unit_high
        return cause.prior_log_odds + low, cause.prior_log_odds + high

    def log_odds(self, cause: CompiledCause, values: Sequence[float | None]) -> float:
        subtotal = 0.0
        for unit in cause.units:
            subtotal += unit_total([values[i] for i in unit.rules])
        return cause.prior_log_odds + subtotal

    def probabilities(self, findings: Mapping[str, Any]) -> dict[str, float]:
        """Each cause's probability, without the explanation (adaptive questioning)."""
        states = self.states(findings)
        log_odds = [self.log_odds(cause, self.values(cause, states)) for cause in self.pack.causes]
        causes = self.pack.causes
        return {
            causes[i].id: probability(log_odds[i])
            for i in standing_for_causes(self.pack, states, log_odds)
        }

    def flag_states(self, states: Sequence[State]) -> tuple[FlagState, ...]:
        return tuple(
            "raised" if state else "clear" if state is False else "unscreened"
            for state in (states[flag.when] for flag in self.pack.flags)
        )

    def evaluate(self, findings: Mapping[str, Any], check_next: bool = True) -> Result:
        """What the findings decide; without `check_next`, no check-next ranges (a summary
        does not need them)."""
        states = self.states(findings)
        causes = []
        for cause in self.pack.causes:
            values = self.values(cause, states)
            total = self.log_odds(cause, values)
            lowest, highest = self.log_odds_range(cause, values, self.bounds(cause, states, values))
            ranges = tuple(
                (finding, total + low, total + high)
                for finding in (cause.candidates if check_next else ())
                if findings.get(finding) is None
                for low, high in (self.gain_range(cause, finding, findings, states, values),)
            )
            causes.append(CauseResult(total, lowest, highest, tuple(values), ranges))
        return Result(tuple(states), self.flag_states(states), tuple(causes))

    def gain_range(
        self,
        cause: CompiledCause,
        finding: str,
        findings: Mapping[str, Any],
        states: Sequence[State],
        values: Sequence[float | None],
    ) -> tuple[float, float]:
        """The lowest and highest change in ln odds that answering the finding can make."""
        memo = self._gains[cause.index]
        key = (finding, *(findings.get(g) for g in cause.context[finding]))
        cached = memo.get(key)
        if cached is not None:
            return cached
        touched = cause.units_of[finding]
        before = 0.0
        for u in touched:
            before += unit_total([values[i] for i in cause.units[u].rules])
        gains = []
        for candidate in cause.candidates[finding]:
            after = 0.0
            for u in touched:
                unit = cause.units[u]
                changed = [values[i] for i in unit.rules]
                for position in unit.rules_using[finding]:
                    rule = cause.rules[unit.rules[position]]
                    changed[position] = rule_value(
                        self.state_if(rule.when, states, finding, candidate),
                        None
                        if rule.unless is None
                        else self.state_if(rule.unless, states, finding, candidate),
                        rule.log_lr,
                        rule.log_absent,
                    )
                after += unit_total(changed)
            gains.append(after - before)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = result = (min(gains), max(gains))
        return result


def standing_for_causes(
    pack: CompiledPack, states: Sequence[State], log_odds: Sequence[float]
) -> list[int]:
    """For each cause of the ruleset, in pack order, the compiled cause that stands for it: the
    cause itself, or its most likely site among those whose territory the client's regions do
    not rule out (the first such on a tie), or its shared rules when they rule out every one."""
    chosen: list[int] = []
    best: dict[int, int] = {}
    fallback: dict[int, int] = {}
    for cause in pack.causes:
        if cause.site is None:
            fallback[cause.model] = cause.index
            continue
        if cause.territory is not None and states[cause.territory] is False:
            continue
        leader = best.get(cause.model)
        if leader is None or log_odds[cause.index] > log_odds[leader]:
            best[cause.model] = cause.index
    for model in dict.fromkeys(cause.model for cause in pack.causes):
        chosen.append(best.get(model, fallback.get(model, -1)))
    return chosen
