"""The evidence engine: (Ruleset, Intake) -> Assessment. Pure: no I/O, no terminal.

Each cause is assessed on its own (a client can have several at once):

    posterior odds = prior odds x product of the likelihood ratios of the rules that apply

A rule applies its `lr` when its condition holds and its `lr_absent` (if any) when the condition
is answered and does not hold; a rule that depends on an unknown finding contributes nothing.
Rules in one group are not independent, so a group contributes only its strongest factor for
the cause and its strongest factor against it.

`Engine.assess` builds the assessment as its JSON document (what batches write); `score` gives
the validated Assessment model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from nmt_assess.models import (
    Assessment,
    AtLeast,
    Cause,
    Condition,
    Finding,
    Findings,
    FindingTest,
    FindingType,
    Intake,
    Not,
    RedFlag,
    Rule,
    Ruleset,
    Value,
)
from nmt_assess.predicates import Predicate, compile_condition

#: The version of the assessment document (and of batch error records): 2 added `answers`,
#: each raised flag's `restricts` and each cause's `withheld` suggestions.
SCHEMA_VERSION = 2
CHECK_NEXT_LIMIT = 3
#: The smallest change in probability worth suggesting a question for.
CHECK_NEXT_MIN_SHIFT = 0.01
_DIGITS = 4
#: Entries a unit's check-next memo may hold before it starts afresh (keeps memory flat).
_MEMO_LIMIT = 20_000

Document = dict[str, Any]


def score(ruleset: Ruleset, intake: Intake) -> Assessment:
    """Screen red flags, then assess and rank every cause, with the reasons."""
    return Engine(ruleset).score(intake)


def probability(log_odds: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-log_odds))
    except OverflowError:  # odds below about e^-709: what numpy's 1 / (1 + inf) gives
        return 0.0


def log_odds(p: float) -> float:
    return math.log(p / (1.0 - p))


#: Every finite positive double has |ln| below 745, so clamping here changes no finite factor;
#: an infinite one (a hostile pack) becomes large but finite, and no sum of them is NaN.
_LOG_LIMIT = 1000.0


def log_factor(lr: float) -> float:
    """ln of a likelihood ratio, kept finite."""
    return max(-_LOG_LIMIT, min(_LOG_LIMIT, math.log(lr)))


class _Unit:
    """An ungrouped rule, or a group whose members share one strongest-for/against slot.

    A rule's value is the ln of the factor it applies, or None when it applies none.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.findings = {f for rule in rules for f in rule.findings()}
        # compiled once, logs taken once: value() runs in the hot loop
        self._compiled: list[tuple[Predicate, Predicate | None, float, float | None]] = [
            (
                compile_condition(rule.when),
                None if rule.unless is None else compile_condition(rule.unless),
                log_factor(rule.lr.lr),
                None if rule.lr_absent is None else log_factor(rule.lr_absent.lr),
            )
            for rule in rules
        ]
        self.rules_using = {
            finding: [i for i, rule in enumerate(rules) if finding in set(rule.findings())]
            for finding in self.findings
        }

    def value(self, index: int, findings: Findings) -> float | None:
        when, unless, log_lr, log_absent = self._compiled[index]
        if unless is not None and unless(findings):  # type: ignore[arg-type]
            return None
        state = when(findings)  # type: ignore[arg-type]
        if state:
            return log_lr
        return log_absent if state is False else None

    def values(self, findings: Findings) -> list[float | None]:
        return [self.value(index, findings) for index in range(len(self.rules))]

    @staticmethod
    def leaders(values: list[float | None]) -> tuple[int | None, int | None]:
        """The rule indices of the strongest factor for and the strongest against."""
        best_for = best_against = None
        high = low = 0.0
        for index, value in enumerate(values):
            if value is None:
                continue
            if value > high:
                best_for, high = index, value
            elif value < low:
                best_against, low = index, value
        return best_for, best_against

    @staticmethod
    def combine(values: list[float | None]) -> float:
        """ln of what the unit contributes: its strongest factor for plus its strongest against."""
        high = low = 0.0
        for value in values:
            if value is None:
                continue
            if value > high:
                high = value
            elif value < low:
                low = value
        return high + low


class _CausePlan:
    def __init__(self, cause: Cause, catalog: Mapping[str, Finding]) -> None:
        self.cause = cause
        self.prior_log_odds = log_odds(cause.prior)
        # Ungrouped rules are units of one; a group's rules form one unit where it first appears.
        members: dict[str, list[Rule]] = {}
        for rule in cause.rules:
            members.setdefault(rule.group or f"\0{rule.id}", []).append(rule)
        self.units = [_Unit(rules) for rules in members.values()]
        self.units_of: dict[str, list[int]] = {}
        for index, unit in enumerate(self.units):
            for finding in unit.findings:
                self.units_of.setdefault(finding, []).append(index)
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
        # What an unanswered finding can do to this cause depends only on the answers to the
        # other inputs of the units it touches: memoised on them, bounded to keep memory flat.
        self.context = {
            finding_id: tuple(
                sorted({g for u in units for g in self.units[u].findings} - {finding_id})
            )
            for finding_id, units in self.units_of.items()
        }
        self._gains: dict[tuple[Any, ...], tuple[float, float]] = {}

    def gain_range(
        self, finding_id: str, findings: Findings, values: list[list[float | None]]
    ) -> tuple[float, float]:
        """The lowest and highest change in ln odds that answering the finding can make."""
        key = (finding_id, *(findings.get(g) for g in self.context[finding_id]))
        cached = self._gains.get(key)
        if cached is not None:
            return cached
        touched = self.units_of[finding_id]
        before = sum(_Unit.combine(values[u]) for u in touched)
        view = dict(findings)  # type: ignore[call-overload]
        gains = []
        for candidate in self.candidates[finding_id]:
            view[finding_id] = candidate
            after = 0.0
            for u in touched:
                unit, changed = self.units[u], list(values[u])
                for index in unit.rules_using[finding_id]:
                    changed[index] = unit.value(index, view)
                after += _Unit.combine(changed)
            gains.append(after - before)
        if len(self._gains) >= _MEMO_LIMIT:
            self._gains.clear()
        self._gains[key] = result = (min(gains), max(gains))
        return result


def answers_entry(catalog: Iterable[str], findings: Findings) -> dict[str, Any]:
    """The answered findings as the document shows them: in catalog order (so the document
    does not depend on the order they were given in), a list of choices as a list."""
    answers = {}
    for finding in catalog:
        value = findings.get(finding)
        if value is not None:
            answers[finding] = list(value) if isinstance(value, tuple) else value
    return answers


def restricts_entry(flag: RedFlag) -> str | dict[str, list[str]] | None:
    """What a raised flag keeps hands off, as the document shows it: "body", the regions, or
    None (its action still applies)."""
    if flag.restricts_body:
        return "body"
    return {"regions": list(flag.restricted_regions)} if flag.restricted_regions else None


class Restriction:
    """What raised red flags keep hands off: the whole body (every emergency or urgent flag,
    and any flag that `restricts: body`), or regions.

    Withheld are the muscles to palpate in a restricted region, and, when the whole body is
    restricted, every check-next item the therapist answers (the catalog's `asked_of`): those
    are examinations with hands on the client. Questions for the client stay. The catalog does
    not say where a test puts hands, so a region restriction withholds palpation only.
    """

    def __init__(self, body: RedFlag | None, regions: dict[str, RedFlag]) -> None:
        self.body = body
        self.regions = regions

    def flag_for(self, region: str) -> RedFlag | None:
        return self.body or self.regions.get(region)

    def apply(
        self, muscles: dict[str, list[str]], check_next: list[Any]
    ) -> tuple[dict[str, list[str]], list[Any], list[Document]]:
        """The muscles and check-next items still suggested, and what was withheld and why.
        A check-next item is a document or a (finding id, asked_of, entry) triple."""
        withheld: list[Document] = []
        kept_muscles = {}
        for region, names in muscles.items():
            flag = self.flag_for(region)
            if flag is None:
                kept_muscles[region] = names
            else:
                withheld.append(_withheld("muscles_to_palpate", region, flag, region))
        if self.body is None:
            return kept_muscles, check_next, withheld
        kept_checks = []
        for item in check_next:
            finding_id, asked_of = (
                (item["finding"], item["asked_of"]) if isinstance(item, dict) else item[:2]
            )
            if asked_of == "client":
                kept_checks.append(item)
            else:
                withheld.append(_withheld("check_next", finding_id, self.body, "body"))
        return kept_muscles, kept_checks, withheld


def _withheld(kind: str, item: str, flag: RedFlag, region: str) -> Document:
    return {"kind": kind, "item": item, "flag": flag.id, "region": region}


class Engine:
    """A ruleset prepared for scoring many intakes."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.plans = [_CausePlan(cause, ruleset.findings) for cause in ruleset.causes]
        self.order = {plan.cause.id: index for index, plan in enumerate(self.plans)}
        self.flags = [(flag, compile_condition(flag.when)) for flag in ruleset.red_flags]
        self._restrictions: dict[tuple[RedFlag, ...], Restriction] = {}
        self.info = {
            "name": ruleset.name,
            "version": ruleset.version,
            "sha256": ruleset.sha256,
            "packs": [
                {"name": pack.name, "version": pack.version, "sha256": pack.sha256}
                for pack in ruleset.packs
            ],
        }

    def score(self, intake: Intake) -> Assessment:
        return Assessment.model_validate(self.assess(intake))

    def probabilities(self, findings: Findings) -> dict[str, float]:
        """Each cause's probability, without the explanation (for adaptive questioning)."""
        return {
            plan.cause.id: probability(
                plan.prior_log_odds
                + sum(_Unit.combine(unit.values(findings)) for unit in plan.units)
            )
            for plan in self.plans
        }

    def answer_options(self, finding_id: str) -> tuple[Value, ...]:
        """Answers that reach every outcome the rules distinguish for a finding."""
        options: dict[Value, None] = {}
        for plan in self.plans:
            options.update(dict.fromkeys(plan.candidates.get(finding_id, ())))
        return tuple(options)

    def raised_flags(self, findings: Findings) -> list[RedFlag]:
        """The red flags the findings raise, most severe first."""
        return [flag for flag, _ in self._screen(findings)[0]]

    def assess(self, intake: Intake) -> Document:
        """The assessment as its JSON document (schema_version 2)."""
        findings = intake.findings
        raised, unscreened = self._screen(findings)
        restriction = self.restriction(tuple(flag for flag, _ in raised))
        causes = [self._assess(plan, findings, restriction) for plan in self.plans]
        causes.sort(key=lambda c: (-c["probability"], self.order[c["id"]]))
        for rank, cause in enumerate(causes, 1):
            cause["rank"] = rank
        return {
            "schema_version": SCHEMA_VERSION,
            "intake_id": intake.id,
            "intake_date": None if intake.date is None else intake.date.isoformat(),
            "ruleset": self.info,
            "referral_first": any(flag.action.is_referral_first for flag, _ in raised),
            "red_flags": [
                {
                    "id": flag.id,
                    "title": flag.title,
                    "action": flag.action.value,
                    "findings": list(_witnesses(flag.when, findings)),
                    "advice": flag.advice,
                    "source": list(flag.source),
                    "restricts": restricts_entry(flag),
                }
                for flag, _ in raised
            ],
            "unscreened_red_flags": unscreened,
            "causes": causes,
            "answers": answers_entry(self.ruleset.findings, findings),
            "disclaimer": self.ruleset.disclaimer,
        }

    def restriction(self, raised: tuple[RedFlag, ...]) -> Restriction | None:
        """What the raised flags (most severe first) keep hands off, or None for nothing."""
        if not raised:
            return None
        found = self._restrictions.get(raised)
        if found is None:
            body = next((flag for flag in raised if flag.restricts_body), None)
            regions: dict[str, RedFlag] = {}
            for flag in raised:
                for region in flag.restricted_regions:
                    regions.setdefault(region, flag)
            found = self._restrictions[raised] = Restriction(body, regions)
        return found if found.body is not None or found.regions else None

    def _screen(self, findings: Findings) -> tuple[list[tuple[Any, bool]], list[Document]]:
        """Raised flags, most severe first, and flags that unanswered questions leave open."""
        raised, unscreened = [], []
        for flag, predicate in self.flags:
            state = predicate(findings)  # type: ignore[arg-type]
            if state:
                raised.append((flag, True))
            elif state is None:
                unanswered = list(
                    dict.fromkeys(f for f in flag.when.findings() if findings.get(f) is None)
                )
                unscreened.append(
                    {"id": flag.id, "action": flag.action.value, "unanswered": unanswered}
                )
        raised.sort(key=lambda pair: pair[0].action.severity)
        return raised, unscreened

    def _assess(
        self, plan: _CausePlan, findings: Findings, restriction: Restriction | None
    ) -> Document:
        cause = plan.cause
        values = [unit.values(findings) for unit in plan.units]
        total = plan.prior_log_odds + sum(_Unit.combine(v) for v in values)
        p = probability(total)
        check_next = list(self._check_next(plan, values, findings, total))
        muscles = self._muscles(cause, findings)
        withheld: list[Document] = []
        if restriction is not None:
            muscles, check_next, withheld = restriction.apply(muscles, check_next)
        return {
            "id": cause.id,
            "title": cause.title,
            "rank": 0,
            "probability": round(p, _DIGITS),
            "band": self.ruleset.band(p),
            "prior": cause.prior,
            "contributions": _with_shares(list(_contributions(plan, values, findings))),
            "check_next": check_next,
            "muscles_to_palpate": muscles,
            "withheld": withheld,
        }

    def _check_next(
        self,
        plan: _CausePlan,
        values: list[list[float | None]],
        findings: Findings,
        total: float,
    ) -> Iterator[Document]:
        """The unanswered findings whose answer could move this cause most, either way.

        Each candidate answer re-evaluates only the rules that read the finding (memoised).
        """
        p = probability(total)
        options = []
        for finding_id in plan.candidates:
            if findings.get(finding_id) is not None:
                continue
            lowest, highest = plan.gain_range(finding_id, findings, values)
            low, high = probability(total + lowest), probability(total + highest)
            shift = max(high - p, p - low)
            if shift >= CHECK_NEXT_MIN_SHIFT:
                options.append((round(shift, _DIGITS), finding_id, low, high))
        options.sort(key=lambda option: -option[0])  # stable: catalog order breaks ties
        for _, finding_id, low, high in options[:CHECK_NEXT_LIMIT]:
            finding = self.ruleset.findings[finding_id]
            yield {
                "finding": finding_id,
                "question": finding.question,
                "asked_of": finding.asked_of,
                "could_lower_to": round(low, _DIGITS),
                "could_raise_to": round(high, _DIGITS),
            }

    def _muscles(self, cause: Cause, findings: Findings) -> dict[str, list[str]]:
        if cause.id != self.ruleset.referral_cause or not self.ruleset.referral_finding:
            return {}
        regions = findings.get(self.ruleset.referral_finding) or ()
        referral = self.ruleset.referral
        return {
            region: list(referral[region].muscles)
            for region in regions  # type: ignore[union-attr]
            if region in referral
        }


def _contributions(
    plan: _CausePlan, values: list[list[float | None]], findings: Findings
) -> Iterator[Document]:
    for unit, unit_values in zip(plan.units, values, strict=True):
        leaders = _Unit.leaders(unit_values)
        for index, value in enumerate(unit_values):
            if not value:  # None (no factor) or ln 1 (no effect)
                continue
            rule = unit.rules[index]
            leader = leaders[0] if value > 0 else leaders[1]
            weight = rule.lr if value == log_factor(rule.lr.lr) else rule.lr_absent or rule.lr
            yield {
                "rule": rule.id,
                "findings": list(_witnesses(rule.when, findings)),
                "direction": "for" if value > 0 else "against",
                "factor": weight.lr,
                "basis": weight.basis,
                "counted": leader == index,
                "share": value,  # ln factor for now; _with_shares turns it into a share
                "group": rule.group,
                "because": rule.because,
                "source": list(rule.source),
                "outweighed_by": None if leader in (index, None) else unit.rules[leader].id,
            }


def _with_shares(contributions: list[Document]) -> list[Document]:
    """Each counted contribution's signed share of the evidence (sum of |ln LR| = 1); counted
    contributions first, strongest first."""
    total = sum(abs(c["share"]) for c in contributions if c["counted"])
    contributions.sort(key=lambda c: (not c["counted"], -abs(c["share"])))
    for c in contributions:
        c["share"] = round(c["share"] / total, _DIGITS) if c["counted"] and total else 0.0
    return contributions


def _finding_tests(condition: Condition) -> Iterator[FindingTest]:
    if isinstance(condition, FindingTest):
        yield condition
    for part in condition.parts():
        yield from _finding_tests(part)


def _witnesses(condition: Condition, findings: Findings) -> Iterator[str]:
    """The answered findings that decided the condition, without repeats."""
    seen: set[str] = set()
    for finding in _deciding(condition, findings):
        if finding not in seen:
            seen.add(finding)
            yield finding


def _deciding(condition: Condition, findings: Findings) -> Iterator[str]:
    if isinstance(condition, FindingTest):
        if findings.get(condition.finding) is not None:
            yield condition.finding
        return
    if isinstance(condition, Not):
        yield from _deciding(condition.not_, findings)
        return
    state = condition.evaluate(findings)
    for part in condition.parts():
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
