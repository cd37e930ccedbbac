"""The evidence engine: (Ruleset, Intake) -> Assessment. Pure: no I/O, no terminal.

Each cause is assessed on its own (a client can have several at once):

    posterior odds = prior odds x product of the likelihood ratios of the rules that apply

A rule applies its `lr` when its condition holds and its `lr_absent` (if any) when the condition
is answered and does not hold; a rule that depends on an unknown finding contributes nothing.
Rules in one group are not independent, so a group contributes only its strongest factor for
the cause and its strongest factor against it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from nmt_assess.models import (
    AllOf,
    AnyOf,
    Assessment,
    AtLeast,
    Cause,
    CauseAssessment,
    CheckNext,
    Condition,
    Contribution,
    Finding,
    Findings,
    FindingTest,
    FindingType,
    Intake,
    Not,
    RaisedFlag,
    Rule,
    Ruleset,
    RulesetInfo,
    UnscreenedFlag,
    Value,
)

CHECK_NEXT_LIMIT = 3
#: The smallest change in probability worth suggesting a question for.
CHECK_NEXT_MIN_SHIFT = 0.01
_DIGITS = 4


def score(ruleset: Ruleset, intake: Intake) -> Assessment:
    """Screen red flags, then assess and rank every cause, with the reasons."""
    return Engine(ruleset).score(intake)


def probability(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


def log_odds(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class _Firing:
    """One rule evaluated against an intake: the factor it would apply, if any."""

    rule: Rule
    state: bool | None
    factor: float | None


class _Unit:
    """An ungrouped rule, or a group whose members share one strongest-for/against slot."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.findings = {f for rule in rules for f in rule.findings()}

    def fire(self, findings: Findings) -> list[_Firing]:
        firings = []
        for rule in self.rules:
            if rule.unless is not None and rule.unless.evaluate(findings):
                firings.append(_Firing(rule, None, None))
                continue
            state = rule.when.evaluate(findings)
            weight = rule.lr if state else rule.lr_absent if state is False else None
            firings.append(_Firing(rule, state, None if weight is None else weight.lr))
        return firings

    def counted(self, firings: list[_Firing]) -> tuple[_Firing | None, _Firing | None]:
        """The strongest firing for the cause and the strongest against it."""
        best_for = max(
            (f for f in firings if f.factor is not None and f.factor > 1),
            key=lambda f: f.factor or 0,
            default=None,
        )
        best_against = min(
            (f for f in firings if f.factor is not None and f.factor < 1),
            key=lambda f: f.factor or 0,
            default=None,
        )
        return best_for, best_against

    def log_factor(self, findings: Findings) -> float:
        return sum(
            math.log(f.factor)
            for f in self.counted(self.fire(findings))
            if f is not None and f.factor is not None
        )


class _With:
    """The intake's findings with one more answer, without copying them."""

    __slots__ = ("base", "finding", "value")

    def __init__(self, base: Findings, finding: str, value: Value) -> None:
        self.base, self.finding, self.value = base, finding, value

    def get(self, key: str, /) -> Value | None:
        return self.value if key == self.finding else self.base.get(key)


class _CausePlan:
    def __init__(self, cause: Cause, catalog: Mapping[str, Finding]) -> None:
        self.cause = cause
        # Ungrouped rules are units of one; a group's rules form one unit where it first appears.
        members: dict[str, list[Rule]] = {}
        for rule in cause.rules:
            members.setdefault(rule.group or f"\0{rule.id}", []).append(rule)
        self.units = [_Unit(rules) for rules in members.values()]
        self.units_of: dict[str, list[_Unit]] = {}
        for unit in self.units:
            for finding in unit.findings:
                self.units_of.setdefault(finding, []).append(unit)
        tests = [
            test
            for rule in cause.rules
            for condition in (rule.when, rule.unless)
            if condition is not None
            for test in _finding_tests(condition)
        ]
        self.candidates = {
            finding_id: _candidate_values(catalog[finding_id], tests)
            for finding_id in catalog
            if finding_id in self.units_of
        }


class Engine:
    """A ruleset prepared for scoring many intakes."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.plans = [_CausePlan(cause, ruleset.findings) for cause in ruleset.causes]
        self.info = RulesetInfo(name=ruleset.name, version=ruleset.version, sha256=ruleset.sha256)

    def score(self, intake: Intake) -> Assessment:
        findings = intake.findings
        raised, unscreened = self.screen(findings)
        assessed = [self._assess(plan, findings) for plan in self.plans]
        order = {plan.cause.id: index for index, plan in enumerate(self.plans)}
        assessed.sort(key=lambda c: (-c.probability, order[c.id]))
        ranked = tuple(c.model_copy(update={"rank": rank}) for rank, c in enumerate(assessed, 1))
        return Assessment(
            intake_id=intake.id,
            intake_date=intake.date,
            ruleset=self.info,
            referral_first=any(flag.action.is_referral_first for flag in raised),
            red_flags=raised,
            unscreened_red_flags=unscreened,
            causes=ranked,
            disclaimer=self.ruleset.disclaimer,
        )

    def screen(
        self, findings: Findings
    ) -> tuple[tuple[RaisedFlag, ...], tuple[UnscreenedFlag, ...]]:
        """Raised flags, most severe first, and flags that unanswered questions leave open."""
        raised, unscreened = [], []
        for flag in self.ruleset.red_flags:
            state = flag.when.evaluate(findings)
            if state:
                raised.append(
                    RaisedFlag(
                        id=flag.id,
                        title=flag.title,
                        action=flag.action,
                        findings=tuple(_witnesses(flag.when, findings)),
                        advice=flag.advice,
                        source=flag.source,
                    )
                )
            elif state is None:
                unanswered = tuple(
                    dict.fromkeys(f for f in flag.when.findings() if findings.get(f) is None)
                )
                unscreened.append(
                    UnscreenedFlag(id=flag.id, action=flag.action, unanswered=unanswered)
                )
        raised.sort(key=lambda flag: flag.action.severity)
        return tuple(raised), tuple(unscreened)

    def _assess(self, plan: _CausePlan, findings: Findings) -> CauseAssessment:
        cause = plan.cause
        contributions = list(self._contributions(plan, findings))
        total = log_odds(cause.prior) + sum(math.log(c.factor) for c in contributions if c.counted)
        p = probability(total)
        return CauseAssessment(
            id=cause.id,
            title=cause.title,
            rank=0,
            probability=round(p, _DIGITS),
            band=self.ruleset.band(p),
            prior=cause.prior,
            contributions=tuple(_with_shares(contributions)),
            check_next=tuple(self._check_next(plan, findings, total)),
            muscles_to_palpate=self._muscles(cause, findings),
        )

    def _contributions(self, plan: _CausePlan, findings: Findings) -> Iterator[Contribution]:
        for unit in plan.units:
            firings = unit.fire(findings)
            best_for, best_against = unit.counted(firings)
            for firing in firings:
                if firing.factor is None or firing.factor == 1:
                    continue
                leader = best_for if firing.factor > 1 else best_against
                counted = leader is firing
                yield Contribution(
                    rule=firing.rule.id,
                    findings=tuple(_witnesses(firing.rule.when, findings)),
                    direction="for" if firing.factor > 1 else "against",
                    factor=firing.factor,
                    basis=(
                        firing.rule.lr if firing.state else firing.rule.lr_absent or firing.rule.lr
                    ).basis,
                    counted=counted,
                    share=0.0,
                    group=firing.rule.group,
                    because=firing.rule.because,
                    source=firing.rule.source,
                    outweighed_by=None if counted or leader is None else leader.rule.id,
                )

    def _check_next(
        self, plan: _CausePlan, findings: Findings, total: float
    ) -> Iterator[CheckNext]:
        p = probability(total)
        options = []
        for finding_id, values in plan.candidates.items():
            if findings.get(finding_id) is not None:
                continue
            units = plan.units_of[finding_id]
            before = sum(unit.log_factor(findings) for unit in units)
            reachable = [
                probability(
                    total
                    - before
                    + sum(u.log_factor(_With(findings, finding_id, v)) for u in units)
                )
                for v in values
            ]
            low, high = min(reachable), max(reachable)
            shift = max(high - p, p - low)
            if shift >= CHECK_NEXT_MIN_SHIFT:
                options.append((shift, finding_id, low, high))
        options.sort(key=lambda option: -option[0])  # stable: catalog order breaks ties
        for _, finding_id, low, high in options[:CHECK_NEXT_LIMIT]:
            finding = self.ruleset.findings[finding_id]
            yield CheckNext(
                finding=finding_id,
                question=finding.question,
                asked_of=finding.asked_of,
                could_lower_to=round(low, _DIGITS),
                could_raise_to=round(high, _DIGITS),
            )

    def _muscles(self, cause: Cause, findings: Findings) -> dict[str, tuple[str, ...]]:
        if cause.id != self.ruleset.referral_cause or not self.ruleset.referral_finding:
            return {}
        regions = findings.get(self.ruleset.referral_finding) or ()
        referral = self.ruleset.referral
        return {
            region: referral[region].muscles
            for region in regions  # type: ignore[union-attr]
            if region in referral
        }


def _with_shares(contributions: list[Contribution]) -> Iterator[Contribution]:
    """Each counted contribution's signed share of the evidence (sum of |log LR| = 1)."""
    total = sum(abs(math.log(c.factor)) for c in contributions if c.counted)
    ordered = sorted(contributions, key=lambda c: (not c.counted, -abs(math.log(c.factor))))
    for c in ordered:
        share = math.log(c.factor) / total if c.counted and total else 0.0
        yield c.model_copy(update={"share": round(share, _DIGITS)})


def _finding_tests(condition: Condition) -> Iterator[FindingTest]:
    if isinstance(condition, FindingTest):
        yield condition
    elif isinstance(condition, Not):
        yield from _finding_tests(condition.not_)
    else:
        parts = (
            condition.all
            if isinstance(condition, AllOf)
            else (condition.any if isinstance(condition, AnyOf) else condition.of)
        )
        for part in parts:
            yield from _finding_tests(part)


def _witnesses(condition: Condition, findings: Findings) -> Iterator[str]:
    """The answered findings that decided the condition, without repeats."""
    seen: set[str] = set()
    for finding in _deciding(condition, findings):
        if finding not in seen:
            seen.add(finding)
            yield finding


def _deciding(condition: Condition, findings: Findings) -> Iterator[str]:
    state = condition.evaluate(findings)
    if isinstance(condition, FindingTest):
        if state is not None:
            yield condition.finding
        return
    if isinstance(condition, Not):
        yield from _deciding(condition.not_, findings)
        return
    parts: Iterable[Condition]
    if isinstance(condition, AllOf):
        parts = condition.all
    elif isinstance(condition, AnyOf):
        parts = condition.any
    else:
        assert isinstance(condition, AtLeast)
        parts = condition.of
    for part in parts:
        part_state = part.evaluate(findings)
        if part_state is not None and (part_state == state or isinstance(condition, AtLeast)):
            yield from _deciding(part, findings)


def _candidate_values(finding: Finding, tests: list[FindingTest]) -> tuple[Value, ...]:
    """Answers worth simulating for an unknown finding: enough to reach every outcome."""
    if finding.type is FindingType.yes_no:
        return (True, False)
    if finding.type is FindingType.choice:
        return tuple(finding.choices or ())
    if finding.type is FindingType.multi_choice:
        return ((), *((choice,) for choice in finding.choices or ()))
    low, high = finding.bounds or (0.0, 10.0)
    values: set[float] = {low, high}
    for test in tests:
        if test.finding != finding.id:
            continue
        for threshold in (test.gt, test.gte, test.lt, test.lte):
            if threshold is not None:
                values.update({threshold - 1, threshold, threshold + 1})
    return tuple(sorted(v for v in values if low <= v <= high))
