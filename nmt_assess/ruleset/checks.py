"""Cross-checks that a single file's schema cannot see: ids that must exist, choices and
numbers that a finding can actually take, groups that must be declared, unique ids."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from nmt_assess.marked_yaml import line_of
from nmt_assess.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Finding,
    FindingTest,
    FindingType,
    Not,
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


def check_ruleset(ruleset: Ruleset, raw: Mapping[str, Any], root: str) -> list[Problem]:
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}

    def place(relative: str, path: tuple[Any, ...]) -> tuple[str, int | None]:
        return f"{root}/{relative}", line_of(raw.get(relative), path)

    def unique(kind: str, item_id: str, relative: str, path: tuple[Any, ...]) -> None:
        if item_id in seen_ids:
            file, line = place(relative, (*path, "id"))
            problems.append(
                Problem(file, line, "id", f"{kind} id '{item_id}' is used twice", seen_ids[item_id])
            )
        seen_ids[item_id] = f"first used in {relative}"

    for cause in ruleset.causes:
        relative = f"causes/{cause.id}.yaml"
        groups = {group.id for group in cause.groups}
        for index, rule in enumerate(cause.rules):
            path = ("rules", index)
            unique("rule", rule.id, relative, path)
            if rule.group is not None and rule.group not in groups:
                file, line = place(relative, (*path, "group"))
                hint = did_you_mean(rule.group, groups) or "declare it under 'groups'"
                problems.append(Problem(file, line, "group", f"unknown group '{rule.group}'", hint))
            problems.extend(
                _check_sources(ruleset, rule.source, *place(relative, (*path, "source")))
            )
            file, _ = place(relative, path)
            for key in ("when", "unless"):
                condition = getattr(rule, key)
                if condition is not None:
                    problems.extend(
                        _check_condition(
                            ruleset.findings, condition, raw.get(relative), (*path, key), file
                        )
                    )

    for index, flag in enumerate(ruleset.red_flags):
        path = ("red_flags", index)
        unique("red flag", flag.id, "red_flags.yaml", path)
        problems.extend(
            _check_sources(ruleset, flag.source, *place("red_flags.yaml", (*path, "source")))
        )
        for cause_id in flag.related_causes:
            if cause_id not in {cause.id for cause in ruleset.causes}:
                file, line = place("red_flags.yaml", (*path, "related_causes"))
                problems.append(
                    Problem(file, line, "related_causes", f"unknown cause '{cause_id}'")
                )
        file, _ = place("red_flags.yaml", path)
        problems.extend(
            _check_condition(
                ruleset.findings, flag.when, raw.get("red_flags.yaml"), (*path, "when"), file
            )
        )

    problems.extend(_check_referral(ruleset, place))
    problems.extend(_check_bands(ruleset, *place("pack.yaml", ("bands",))))
    return problems


def _check_sources(
    ruleset: Ruleset, tags: tuple[str, ...], file: str, line: int | None
) -> Iterator[Problem]:
    if not ruleset.sources:
        return
    for tag in tags:
        if tag not in ruleset.sources:
            yield Problem(file, line, "source", f"unknown source '{tag}'", "add it to sources.yaml")


def _check_condition(
    catalog: Mapping[str, Finding], condition: Condition, raw: Any, path: tuple[Any, ...], file: str
) -> Iterator[Problem]:
    if isinstance(condition, FindingTest):
        line = line_of(raw, path)
        yield from (
            Problem(file, line, f"finding '{condition.finding}'", message, hint)
            for message, hint in _finding_test_problems(catalog, condition)
        )
        return
    if isinstance(condition, Not):
        yield from _check_condition(catalog, condition.not_, raw, (*path, "not"), file)
        return
    key, parts = _parts(condition)
    for index, part in enumerate(parts):
        yield from _check_condition(catalog, part, raw, (*path, key, index), file)


def _parts(condition: AllOf | AnyOf | AtLeast) -> tuple[str, tuple[Condition, ...]]:
    if isinstance(condition, AllOf):
        return "all", condition.all
    if isinstance(condition, AnyOf):
        return "any", condition.any
    return "of", condition.of


def _finding_test_problems(
    catalog: Mapping[str, Finding], test: FindingTest
) -> Iterator[tuple[str, str | None]]:
    finding = catalog.get(test.finding)
    if finding is None:
        yield "unknown finding", did_you_mean(test.finding, catalog)
        return
    operators = test.operators() or ["is"]
    allowed = _OPERATORS_BY_TYPE[finding.type]
    for operator in operators:
        if operator not in allowed:
            yield (
                f"'{operator}' does not fit a {finding.type.value} finding",
                "use one of: " + ", ".join(sorted(allowed)),
            )
            return
    if (
        finding.type is FindingType.yes_no
        and test.is_ is not None
        and not isinstance(test.is_, bool)
    ):
        yield f"expected true or false, got {test.is_!r}", None
    if (
        finding.type is FindingType.choice
        and test.is_ is not None
        and not isinstance(test.is_, str)
    ):
        yield f"expected one of the choices, got {test.is_!r}", None
    choices = finding.choices or ()
    named = [test.is_] if finding.type is FindingType.choice and isinstance(test.is_, str) else []
    for choice in [*named, *(test.in_ or ()), *(test.any_of or ()), *(test.all_of or ())]:
        if choice not in choices:
            yield f"'{choice}' is not a choice of this finding", did_you_mean(choice, choices)
    yield from _threshold_problems(finding, test)


def _threshold_problems(finding: Finding, test: FindingTest) -> Iterator[tuple[str, str | None]]:
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
            )


def _check_referral(ruleset: Ruleset, place: Any) -> Iterator[Problem]:
    if ruleset.referral_cause is not None and ruleset.referral_cause not in {
        cause.id for cause in ruleset.causes
    }:
        file, line = place("pack.yaml", ("referral", "cause"))
        yield Problem(file, line, "referral.cause", f"unknown cause '{ruleset.referral_cause}'")
    regions = ruleset.findings.get(ruleset.referral_finding or "")
    for region, referral in ruleset.referral.items():
        file, line = place("referral.yaml", ("regions", region))
        if regions is None or region not in (regions.choices or ()):
            choices = regions.choices if regions else ()
            yield Problem(
                file,
                line,
                f"regions.{region}",
                "not a body region of the catalog",
                did_you_mean(region, choices or ()),
            )
        yield from _check_sources(ruleset, referral.source, file, line)


def _check_bands(ruleset: Ruleset, file: str, line: int | None) -> Iterator[Problem]:
    limits = [band.below for band in ruleset.bands]
    if not limits or limits[-1] is not None or None in limits[:-1]:
        yield Problem(file, line, "bands", "every band but the last needs 'below'; the last none")
        return
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if bounded != sorted(set(bounded)):
        yield Problem(file, line, "bands", "'below' limits must rise from band to band")


__all__ = ["check_ruleset"]
