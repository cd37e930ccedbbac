"""Cross-checks that one file's schema cannot see (errors), and the authoring warnings.

Errors: ids that must exist, choices and numbers a finding can actually take, groups that must
be declared. Warnings: a rule without a reason or a source, an extreme likelihood ratio, a
finding nothing reads, a group whose members contradict each other, a cause with few rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nmt_assess.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Finding,
    FindingTest,
    FindingType,
    Not,
    RedFlag,
    RegionRestriction,
    Rule,
    Ruleset,
)
from nmt_assess.problems import Problem, did_you_mean

_OPERATORS_BY_TYPE: dict[FindingType, set[str]] = {
    FindingType.yes_no: {"is"},
    FindingType.scale_0_10: {"gt", "gte", "lt", "lte"},
    FindingType.number: {"gt", "gte", "lt", "lte"},
    FindingType.choice: {"is", "in"},
    FindingType.multi_choice: {"any_of", "all_of"},
}
LR_HIGH, LR_LOW = 20.0, 0.05
FEW_RULES = 5

#: Every check lint runs, by id, with its severity. docs/rules.md describes each (a test keeps
#: the two in step); `lint_ignore` names them.
CHECKS: dict[str, str] = {
    **dict.fromkeys(
        (
            "yaml-syntax",
            "duplicate-key",
            "encoding",
            "unreadable",
            "schema",
            "missing-file",
            "duplicate-file",
            "unlisted-cause",
            "cause-id",
            "unknown-finding",
            "unknown-group",
            "unknown-source",
            "unknown-cause",
            "unknown-region",
            "unknown-rule",
            "unknown-strength",
            "unknown-check",
            "duplicate-id",
            "impossible-condition",
            "protected-red-flag",
            "case-schema",
            "case-id",
            "case-unknown-id",
            "case-finding",
        ),
        "error",
    ),
    **dict.fromkeys(
        (
            "missing-because",
            "missing-source",
            "lr-extreme",
            "unused-finding",
            "group-conflict",
            "few-rules",
        ),
        "warning",
    ),
}
#: What a rule's `lint_ignore` may name: the warnings about one rule. Errors are never ignored.
RULE_IGNORABLE = ("missing-because", "missing-source", "lr-extreme", "group-conflict", "few-rules")

Where = Callable[[str, str], Any]  # (kind, id) -> Place | None


class _Reporter:
    def __init__(self, where: Where) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def add(
        self,
        kind: str,
        item_id: str,
        subpath: tuple[Any, ...],
        field: str,
        message: str,
        *,
        check: str,
        hint: str | None = None,
        severity: str = "error",
    ) -> None:
        place = self.where(kind, item_id)
        file, (line, col) = (
            ("?", (None, None)) if place is None else (place.file, place.position(*subpath))
        )
        self.problems.append(
            Problem(file, line, field, message, hint, col=col, check=check, severity=severity)
        )


def check_ruleset(ruleset: Ruleset, where: Where) -> list[Problem]:
    report = _Reporter(where)
    cause_ids = {cause.id for cause in ruleset.causes}
    for finding in ruleset.findings.values():
        if finding.min is not None and finding.max is not None and finding.min >= finding.max:
            report.add(
                "finding",
                finding.id,
                ("min",),
                "min",
                f"min {finding.min:g} is not below max {finding.max:g}",
                check="schema",
            )
    for cause in ruleset.causes:
        groups = {group.id for group in cause.groups}
        for rule in cause.rules:
            _check_lint_ignore(report, rule)
            if rule.group is not None and rule.group not in groups:
                report.add(
                    "rule",
                    rule.id,
                    ("group",),
                    "group",
                    f"unknown group '{rule.group}'",
                    check="unknown-group",
                    hint=did_you_mean(rule.group, groups) or "declare it under 'groups'",
                )
            _check_sources(report, ruleset, "rule", rule.id, rule.source)
            for key in ("when", "unless"):
                condition = getattr(rule, key)
                if condition is not None:
                    _check_condition(report, ruleset.findings, condition, "rule", rule.id, (key,))
    for flag in ruleset.red_flags:
        _check_sources(report, ruleset, "flag", flag.id, flag.source)
        for cause_id in flag.related_causes:
            if cause_id not in cause_ids:
                report.add(
                    "flag",
                    flag.id,
                    ("related_causes",),
                    "related_causes",
                    f"unknown cause '{cause_id}'",
                    check="unknown-cause",
                    hint=did_you_mean(cause_id, cause_ids),
                )
        _check_condition(report, ruleset.findings, flag.when, "flag", flag.id, ("when",))
        _check_restricts(report, ruleset, flag)
    _check_referral(report, ruleset, cause_ids)
    _check_bands(report, ruleset)
    return report.problems


def warnings(ruleset: Ruleset, where: Where) -> list[Problem]:
    """Authoring warnings: none of them stops a pack from loading."""
    report = _Reporter(where)

    def warn(
        kind: str,
        item_id: str,
        subpath: tuple[Any, ...],
        field: str,
        message: str,
        check: str,
        hint: str | None = None,
    ) -> None:
        report.add(
            kind, item_id, subpath, field, message, check=check, hint=hint, severity="warning"
        )

    used: set[str] = set()
    for cause in ruleset.causes:
        if len(cause.rules) < FEW_RULES:
            first = cause.rules[0] if cause.rules else None
            if first and "few-rules" not in first.lint_ignore:
                warn(
                    "rule",
                    first.id,
                    (),
                    "cause",
                    f"cause '{cause.id}' has only {len(cause.rules)} rules",
                    "few-rules",
                    f"at least {FEW_RULES} make its explanation useful",
                )
        for rule in cause.rules:
            used.update(rule.findings())
            if not rule.because.strip() and "missing-because" not in rule.lint_ignore:
                warn(
                    "rule",
                    rule.id,
                    (),
                    "because",
                    "rule has no 'because'",
                    "missing-because",
                    "say in one sentence why the finding bears on the cause",
                )
            if not rule.source and "missing-source" not in rule.lint_ignore:
                warn(
                    "rule",
                    rule.id,
                    (),
                    "source",
                    "rule has no 'source'",
                    "missing-source",
                    "cite a tag from sources.yaml where one exists",
                )
            if "lr-extreme" not in rule.lint_ignore:
                for key, weight in (("lr", rule.lr), ("lr_absent", rule.lr_absent)):
                    if weight is not None and not LR_LOW <= weight.lr <= LR_HIGH:
                        warn(
                            "rule",
                            rule.id,
                            (key,),
                            key,
                            f"likelihood ratio {weight.lr:g} is outside {LR_LOW:g}-{LR_HIGH:g}",
                            "lr-extreme",
                            "check the source, or add lint_ignore: [lr-extreme] with the reason",
                        )
        for message, rule in _group_conflicts(cause.rules):
            if "group-conflict" not in rule.lint_ignore:
                warn("rule", rule.id, ("group",), "group", message, "group-conflict")
    used.update(f for flag in ruleset.red_flags for f in flag.when.findings())
    for finding_id in ruleset.findings:
        if finding_id not in used:
            warn(
                "finding",
                finding_id,
                ("id",),
                "id",
                f"no rule or red flag reads '{finding_id}'",
                "unused-finding",
            )
    return report.problems


def _check_lint_ignore(report: _Reporter, rule: Rule) -> None:
    for index, check in enumerate(rule.lint_ignore):
        if check in RULE_IGNORABLE:
            continue
        severity = CHECKS.get(check)
        if severity == "error":
            message = f"'{check}' is an error; errors cannot be ignored"
        elif severity == "warning":
            message = f"'{check}' is not about one rule; a rule cannot ignore it"
        else:
            message = f"unknown check '{check}'"
        report.add(
            "rule",
            rule.id,
            ("lint_ignore", index),
            f"lint_ignore.{index}",
            message,
            check="unknown-check",
            hint=did_you_mean(check, RULE_IGNORABLE)
            or "a rule can ignore: " + ", ".join(RULE_IGNORABLE),
        )


def _group_conflicts(rules: tuple[Rule, ...]) -> Iterator[tuple[str, Rule]]:
    """Two rules of one group that test the same answer and argue in opposite directions."""
    seen: dict[tuple[str, str, Any], Rule] = {}
    for rule in rules:
        if rule.group is None or not isinstance(rule.when, FindingTest):
            continue
        test = rule.when
        key = (rule.group, test.finding, repr(test.model_dump(exclude={"finding"})))
        other = seen.get(key)
        if other is not None and (other.lr.lr > 1) != (rule.lr.lr > 1):
            yield (
                (
                    f"'{rule.id}' and '{other.id}' read the same answer and argue in opposite "
                    f"directions in group '{rule.group}'"
                ),
                rule,
            )
        seen.setdefault(key, rule)


def _check_sources(
    report: _Reporter, ruleset: Ruleset, kind: str, item_id: str, tags: tuple[str, ...]
) -> None:
    if not ruleset.sources:
        return
    for tag in tags:
        if tag not in ruleset.sources:
            report.add(
                kind,
                item_id,
                ("source",),
                "source",
                f"unknown source '{tag}'",
                check="unknown-source",
                hint="add it to sources.yaml",
            )


def _check_condition(
    report: _Reporter,
    catalog: Mapping[str, Finding],
    condition: Condition,
    kind: str,
    item_id: str,
    path: tuple[Any, ...],
) -> None:
    if isinstance(condition, FindingTest):
        for message, hint, check in _finding_test_problems(catalog, condition):
            report.add(
                kind,
                item_id,
                path,
                f"finding '{condition.finding}'",
                message,
                check=check,
                hint=hint,
            )
        return
    if isinstance(condition, Not):
        _check_condition(report, catalog, condition.not_, kind, item_id, (*path, "not"))
        return
    key, parts = _parts(condition)
    for index, part in enumerate(parts):
        _check_condition(report, catalog, part, kind, item_id, (*path, key, index))


def _parts(condition: AllOf | AnyOf | AtLeast) -> tuple[str, tuple[Condition, ...]]:
    if isinstance(condition, AllOf):
        return "all", condition.all
    if isinstance(condition, AnyOf):
        return "any", condition.any
    return "of", condition.of


def _finding_test_problems(
    catalog: Mapping[str, Finding], test: FindingTest
) -> Iterator[tuple[str, str | None, str]]:
    finding = catalog.get(test.finding)
    if finding is None:
        yield "unknown finding", did_you_mean(test.finding, catalog), "unknown-finding"
        return
    allowed = _OPERATORS_BY_TYPE[finding.type]
    for operator in test.operators() or ["is"]:
        if operator not in allowed:
            yield (
                f"'{operator}' does not fit a {finding.type.value} finding",
                "use one of: " + ", ".join(sorted(allowed)),
                "impossible-condition",
            )
            return
    if (
        finding.type is FindingType.yes_no
        and test.is_ is not None
        and not isinstance(test.is_, bool)
    ):
        yield f"expected true or false, got {test.is_!r}", None, "impossible-condition"
    if (
        finding.type is FindingType.choice
        and test.is_ is not None
        and not isinstance(test.is_, str)
    ):
        yield f"expected one of the choices, got {test.is_!r}", None, "impossible-condition"
    choices = finding.choices or ()
    named = [test.is_] if finding.type is FindingType.choice and isinstance(test.is_, str) else []
    for choice in [*named, *(test.in_ or ()), *(test.any_of or ()), *(test.all_of or ())]:
        if choice not in choices:
            yield (
                f"'{choice}' is not a choice of this finding",
                did_you_mean(choice, choices),
                "impossible-condition",
            )
    bounds = finding.bounds
    if bounds is None:
        return
    low, high = bounds
    for operator, value in (("gt", test.gt), ("gte", test.gte), ("lt", test.lt), ("lte", test.lte)):
        if value is None:
            continue
        never = (
            (operator == "gt" and value >= high)
            or (operator == "gte" and value > high)
            or (operator == "lt" and value <= low)
            or (operator == "lte" and value < low)
        )
        if never:
            yield (
                f"'{operator} {value:g}' can never hold for a value from {low:g} to {high:g}",
                None,
                "impossible-condition",
            )


def _check_referral(report: _Reporter, ruleset: Ruleset, cause_ids: set[str]) -> None:
    pack = ruleset.packs[-1].name if ruleset.packs else ""
    if ruleset.referral_cause is not None and ruleset.referral_cause not in cause_ids:
        report.add(
            "pack",
            pack,
            ("referral", "cause"),
            "referral.cause",
            f"unknown cause '{ruleset.referral_cause}'",
            check="unknown-cause",
        )
    regions = ruleset.findings.get(ruleset.referral_finding or "")
    choices = (regions.choices or ()) if regions else ()
    for region, referral in ruleset.referral.items():
        if region not in choices:
            report.add(
                "region",
                region,
                (),
                f"regions.{region}",
                "not a body region of the catalog",
                check="unknown-region",
                hint=did_you_mean(region, choices),
            )
        _check_sources(report, ruleset, "region", region, referral.source)


def _check_restricts(report: _Reporter, ruleset: Ruleset, flag: RedFlag) -> None:
    """A red flag's restricted regions must be body regions of the catalog."""
    if not isinstance(flag.restricts, RegionRestriction):
        return
    regions = ruleset.findings.get(ruleset.referral_finding or "")
    choices = (regions.choices or ()) if regions else ()
    for index, region in enumerate(flag.restricts.regions):
        if region not in choices:
            report.add(
                "flag",
                flag.id,
                ("restricts", "regions", index),
                "restricts.regions",
                f"'{region}' is not a body region of the catalog",
                check="unknown-region",
                hint=did_you_mean(region, choices) or "one of: " + ", ".join(choices),
            )


def _check_bands(report: _Reporter, ruleset: Ruleset) -> None:
    pack = ruleset.packs[-1].name if ruleset.packs else ""
    limits = [band.below for band in ruleset.bands]
    if not limits or limits[-1] is not None or None in limits[:-1]:
        report.add(
            "pack",
            pack,
            ("bands",),
            "bands",
            "every band but the last needs 'below'; the last none",
            check="schema",
        )
        return
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if bounded != sorted(set(bounded)):
        report.add(
            "pack",
            pack,
            ("bands",),
            "bands",
            "'below' limits must rise from band to band",
            check="schema",
        )
