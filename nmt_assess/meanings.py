"""What a finding, a cause, a rule, a red flag or a source means, as plain data for the
explain command (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from nmt_assess.models import Cause, RedFlag, Rule, Ruleset
from nmt_assess.plain_words import condition_words, strength_words, value_words
from nmt_assess.problems import did_you_mean


class UnknownTarget(LookupError):
    def __init__(self, target: str, hint: str | None) -> None:
        super().__init__(target)
        self.target = target
        self.hint = hint


def explain(ruleset: Ruleset, target: str, case_leaders: Mapping[str, str]) -> dict[str, Any]:
    """`case_leaders` maps bundled case ids to the cause each is led by."""
    rules = {rule.id: rule for cause in ruleset.causes for rule in cause.rules}
    causes = {cause.id: cause for cause in ruleset.causes}
    regions = ruleset.referral
    if target in ruleset.findings:
        return explain_finding(ruleset, target)
    if target in causes:
        return explain_cause(ruleset, causes[target], case_leaders)
    if target in rules:
        return explain_rule(ruleset, rules[target])
    if target in regions:
        return explain_region(ruleset, target)
    flags = {flag.id: flag for flag in ruleset.red_flags}
    if target in flags:
        return explain_red_flag(ruleset, flags[target])
    tag = source_tag(target)
    if tag in ruleset.sources:
        return explain_source(ruleset, tag)
    known = [*ruleset.findings, *causes, *rules, *regions, *flags, *ruleset.sources]
    raise UnknownTarget(target, did_you_mean(tag, known))


def source_tag(text: str) -> str:
    """A source tag as cited ("[S25]") or as listed ("S25")."""
    text = text.strip()
    return text[1:-1].strip() if text.startswith("[") and text.endswith("]") else text


def explain_red_flag(ruleset: Ruleset, flag: RedFlag) -> dict[str, Any]:
    return {
        "kind": "red flag",
        "id": flag.id,
        "title": flag.title,
        "action": flag.action.value,
        "when": condition_words(flag.when, ruleset.findings),
        "advice": flag.advice,
        "findings": list(dict.fromkeys(flag.when.findings())),
        "related_causes": list(flag.related_causes),
        "source": [_citation(ruleset, tag) for tag in flag.source],
    }


def explain_source(ruleset: Ruleset, tag: str) -> dict[str, Any]:
    """A source and everything in the rules that cites it."""
    return {
        "kind": "source",
        "id": tag,
        "citation": ruleset.sources[tag],
        "cited_by_rules": [
            rule.id for cause in ruleset.causes for rule in cause.rules if tag in rule.source
        ],
        "cited_by_red_flags": [flag.id for flag in ruleset.red_flags if tag in flag.source],
        "cited_by_regions": [
            region for region, referral in ruleset.referral.items() if tag in referral.source
        ],
    }


def rule_summary(ruleset: Ruleset, rule: Rule) -> dict[str, Any]:
    cause = next(c for c in ruleset.causes if c.id == rule.cause)
    return {
        "rule": rule.id,
        "cause": rule.cause,
        "cause_title": cause.title,
        "when": condition_words(rule.when, ruleset.findings),
        "unless": None if rule.unless is None else condition_words(rule.unless, ruleset.findings),
        "if_it_holds": strength_words(rule.lr.lr),
        "if_answered_and_not": None
        if rule.lr_absent is None
        else strength_words(rule.lr_absent.lr),
        "lr": rule.lr.lr,
        "lr_absent": None if rule.lr_absent is None else rule.lr_absent.lr,
        "basis": rule.lr.basis,
        "group": rule.group,
        "because": rule.because,
        "source": [_citation(ruleset, tag) for tag in rule.source],
    }


def explain_finding(ruleset: Ruleset, finding_id: str) -> dict[str, Any]:
    finding = ruleset.findings[finding_id]
    used_by = [
        rule
        for cause in ruleset.causes
        for rule in cause.rules
        if finding_id in set(rule.findings())
    ]
    flags = [flag for flag in ruleset.red_flags if finding_id in set(flag.when.findings())]
    return {
        "kind": "finding",
        "id": finding_id,
        "label": finding.label,
        "meaning": finding.meaning,
        "question": finding.question,
        "asked_of": finding.asked_of,
        "how_to": finding.how_to,
        "type": finding.type.value,
        "choices": [value_words(c) for c in finding.choices or ()],
        "rules": [rule_summary(ruleset, rule) for rule in _strongest_first(used_by)],
        "red_flags": [{"id": f.id, "title": f.title, "action": f.action.value} for f in flags],
        "muscles_by_region": {
            region: list(ruleset.referral[region].muscles)
            for region in finding.choices or ()
            if finding_id == ruleset.referral_finding and region in ruleset.referral
        },
    }


def explain_cause(
    ruleset: Ruleset, cause: Cause, case_leaders: Mapping[str, str]
) -> dict[str, Any]:
    neighbours = [flag for flag in ruleset.red_flags if cause.id in flag.related_causes]
    return {
        "kind": "cause",
        "id": cause.id,
        "title": cause.title,
        "description": cause.description,
        "prior": cause.prior,
        "prior_note": cause.prior_note,
        "rules": [rule_summary(ruleset, rule) for rule in _strongest_first(cause.rules)],
        "red_flag_neighbours": [
            {"id": f.id, "title": f.title, "action": f.action.value} for f in neighbours
        ],
        "cases": sorted(case for case, leader in case_leaders.items() if leader == cause.id),
    }


def explain_rule(ruleset: Ruleset, rule: Rule) -> dict[str, Any]:
    return {"kind": "rule", "id": rule.id, **rule_summary(ruleset, rule)}


def explain_region(ruleset: Ruleset, region: str) -> dict[str, Any]:
    referral = ruleset.referral[region]
    return {
        "kind": "body region",
        "id": region,
        "label": value_words(region),
        "muscles": list(referral.muscles),
        "note": referral.note,
        "source": [_citation(ruleset, tag) for tag in referral.source],
    }


def _strongest_first(rules: Sequence[Rule]) -> list[Rule]:
    def weight(rule: Rule) -> float:
        factors = [rule.lr.lr] + ([rule.lr_absent.lr] if rule.lr_absent else [])
        return max(abs(math.log(f)) for f in factors)

    return sorted(rules, key=lambda rule: -weight(rule))


def _citation(ruleset: Ruleset, tag: str) -> str:
    return f"[{tag}] {ruleset.sources[tag]}" if tag in ruleset.sources else f"[{tag}]"
