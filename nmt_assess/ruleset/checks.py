"""The lint checks, as a registry: each check id with its severity, a one-line description and,
for the checks of a whole ruleset, the one function that runs it.

Some checks are found while reading (a file that is not YAML, a field of the wrong type, a case
that is not a valid intake): the loader and the case reader report those, and the registry only
names them. The others run here, on a ruleset that did load: errors (ids that must exist,
choices and numbers a finding can actually take) and authoring warnings (a rule without a reason
or a source, an extreme likelihood ratio, a finding nothing reads).

docs/rules.md carries the table `checks_table()` renders; regenerate it with
`python -m nmt_assess.ruleset.checks --docs` (a test keeps the two in step).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nmt_assess.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Cause,
    Condition,
    Finding,
    FindingTest,
    FindingType,
    Not,
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

Severity = Literal["error", "warning"]
Where = Callable[[str, str], Any]  # (kind, id) -> Place | None


class _Reporter:
    def __init__(self, where: Where, check: Check) -> None:
        self.where = where
        self.check = check
        self.problems: list[Problem] = []

    def add(
        self,
        kind: str,
        item_id: str,
        subpath: tuple[Any, ...],
        field: str,
        message: str,
        hint: str | None = None,
    ) -> None:
        place = self.where(kind, item_id)
        file, (line, col) = (
            ("?", (None, None)) if place is None else (place.file, place.position(*subpath))
        )
        self.problems.append(
            Problem(
                file,
                line,
                field,
                message,
                hint,
                col=col,
                check=self.check.id,
                severity=self.check.severity,
            )
        )


Run = Callable[[Ruleset, _Reporter], None]


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    #: One line for the docs table: what the check finds.
    description: str
    #: Runs the check on a loaded ruleset; None when the loader or the case reader finds it.
    run: Run | None = None
    #: A warning about one rule, which that rule's `lint_ignore` may silence.
    about_one_rule: bool = False


#: Every check, by id, in the order of the docs table.
REGISTRY: dict[str, Check] = {}


def _register(check: Check) -> None:
    if check.id in REGISTRY:
        raise ValueError(f"check '{check.id}' is registered twice")
    REGISTRY[check.id] = check


def found_while_reading(check_id: str, severity: Severity, description: str) -> None:
    """Register a check that the loader or the case reader reports."""
    _register(Check(check_id, severity, description))


def check(
    check_id: str, severity: Severity, description: str, *, about_one_rule: bool = False
) -> Callable[[Run], Run]:
    """Register the decorated function as the one that runs this check on a ruleset."""

    def register(run: Run) -> Run:
        _register(Check(check_id, severity, description, run, about_one_rule))
        return run

    return register


def check_ruleset(ruleset: Ruleset, where: Where) -> list[Problem]:
    """The errors of a loaded ruleset that one file's schema cannot see."""
    return _run_checks(ruleset, where, "error")


def warnings(ruleset: Ruleset, where: Where) -> list[Problem]:
    """Authoring warnings: none of them stops a pack from loading."""
    return _run_checks(ruleset, where, "warning")


def _run_checks(ruleset: Ruleset, where: Where, severity: Severity) -> list[Problem]:
    problems = []
    for registered in REGISTRY.values():
        if registered.severity == severity and registered.run is not None:
            report = _Reporter(where, registered)
            registered.run(ruleset, report)
            problems.extend(report.problems)
    return problems


def unknown_check_message(check_id: str, allowed: Iterable[str], what: str) -> str | None:
    """Why `check_id` cannot be ignored (None when it can): `allowed` are the ids that may be,
    and `what` names who ignores them, for the message."""
    allowed = list(allowed)
    if check_id in allowed:
        return None
    registered = REGISTRY.get(check_id)
    if registered is None:
        return f"unknown check '{check_id}'"
    if registered.severity == "error":
        return f"'{check_id}' is an error; errors cannot be ignored"
    return f"'{check_id}' is not about one rule; {what} cannot ignore it"


def warning_ids() -> list[str]:
    return [c.id for c in REGISTRY.values() if c.severity == "warning"]


def rule_ignorable_ids() -> list[str]:
    return [c.id for c in REGISTRY.values() if c.about_one_rule]


# --- found while reading -------------------------------------------------------------------

found_while_reading(
    "yaml-syntax",
    "error",
    "not YAML, or a value YAML cannot build",
)
found_while_reading(
    "duplicate-key",
    "error",
    "a key given twice in one mapping (YAML would keep the last silently)",
)
found_while_reading("encoding", "error", "a file that is not UTF-8 text")
found_while_reading("unreadable", "error", "a file that cannot be read, or is not a regular file")


def _schema(ruleset: Ruleset, report: _Reporter) -> None:
    for finding in ruleset.findings.values():
        if finding.min is not None and finding.max is not None and finding.min >= finding.max:
            report.add(
                "finding",
                finding.id,
                ("min",),
                "min",
                f"min {finding.min:g} is not below max {finding.max:g}",
            )
    _check_bands(report, ruleset)


_register(
    Check(
        "schema",
        "error",
        "an empty file, a missing or unknown field, a wrong type, a number that is not a finite "
        "number or lies outside its range, a red flag without action or advice, bands out of "
        "order",
        _schema,
    )
)
found_while_reading("missing-file", "error", "a file the pack needs is missing")
found_while_reading("duplicate-file", "error", "the same file as .yaml and .yml")
found_while_reading(
    "unlisted-cause", "error", "a cause file not listed under `causes` in pack.yaml"
)
found_while_reading("cause-id", "error", "a cause file whose `id` is not the file's name")


# --- names that must exist -----------------------------------------------------------------


@check("unknown-finding", "error", "a condition names a finding the catalog does not have")
def unknown_finding(ruleset: Ruleset, report: _Reporter) -> None:
    for kind, item_id, path, test in _finding_tests(ruleset):
        if test.finding not in ruleset.findings:
            report.add(
                kind,
                item_id,
                path,
                f"finding '{test.finding}'",
                "unknown finding",
                did_you_mean(test.finding, ruleset.findings),
            )
    for screen in ruleset.screens:
        for index, score in enumerate(screen.scores):
            given = ruleset.findings.get(score.given) if score.given is not None else None
            if score.given is not None and (given is None or given.type is not FindingType.number):
                report.add(
                    "screen",
                    screen.id,
                    ("scores", index, "given"),
                    "given",
                    f"'{score.given}' is not a number finding of the catalog",
                    did_you_mean(score.given, ruleset.findings),
                )


@check("unknown-group", "error", "a rule names a group its cause does not declare")
def unknown_group(ruleset: Ruleset, report: _Reporter) -> None:
    for cause in ruleset.causes:
        groups = {group.id for group in cause.groups}
        for rule in cause.rules:
            if rule.group is not None and rule.group not in groups:
                report.add(
                    "rule",
                    rule.id,
                    ("group",),
                    "group",
                    f"unknown group '{rule.group}'",
                    did_you_mean(rule.group, groups) or "declare it under 'groups'",
                )


@check("unknown-source", "error", "a source tag that sources.yaml does not have")
def unknown_source(ruleset: Ruleset, report: _Reporter) -> None:
    if not ruleset.sources:
        return
    cited: list[tuple[str, str, tuple[str, ...]]] = [
        ("rule", rule.id, rule.source) for cause in ruleset.causes for rule in cause.rules
    ]
    cited += [("flag", flag.id, flag.source) for flag in ruleset.red_flags]
    cited += [("screen", screen.id, screen.source) for screen in ruleset.screens]
    cited += [("region", region, entry.source) for region, entry in ruleset.referral.items()]
    for kind, item_id, tags in cited:
        for tag in tags:
            if tag not in ruleset.sources:
                report.add(
                    kind,
                    item_id,
                    ("source",),
                    "source",
                    f"unknown source '{tag}'",
                    "add it to sources.yaml",
                )


@check(
    "unknown-cause",
    "error",
    "a red flag's `related_causes` or the pack's `referral.cause` names no cause",
)
def unknown_cause(ruleset: Ruleset, report: _Reporter) -> None:
    cause_ids = {cause.id for cause in ruleset.causes}
    for flag in ruleset.red_flags:
        for cause_id in flag.related_causes:
            if cause_id not in cause_ids:
                report.add(
                    "flag",
                    flag.id,
                    ("related_causes",),
                    "related_causes",
                    f"unknown cause '{cause_id}'",
                    did_you_mean(cause_id, cause_ids),
                )
    if ruleset.referral_cause is not None and ruleset.referral_cause not in cause_ids:
        report.add(
            "pack",
            _top_pack(ruleset),
            ("referral", "cause"),
            "referral.cause",
            f"unknown cause '{ruleset.referral_cause}'",
        )


@check(
    "unknown-region",
    "error",
    "a referral region, a red flag's restricted region, a region a muscle lies in (referral.yaml's "
    "`muscles`) or a region a finding's `hands_on` names that is not a body region of the catalog; "
    "a finding's `sites` or a cause site's `territory` that is not a choice of the pack's "
    "`site_findings`",
)
def unknown_region(ruleset: Ruleset, report: _Reporter) -> None:
    regions = ruleset.findings.get(ruleset.referral_finding or "")
    choices = (regions.choices or ()) if regions else ()
    for muscle, lies_in in ruleset.muscle_locations.items():
        for index, region in enumerate(lies_in):
            if region not in choices:
                report.add(
                    "muscle",
                    muscle,
                    (index,),
                    f"muscles.{muscle}",
                    f"'{region}' is not a body region of the catalog",
                    did_you_mean(region, choices) or "one of: " + ", ".join(choices),
                )
    for finding in ruleset.findings.values():
        if not isinstance(finding.hands_on, tuple):
            continue
        for index, region in enumerate(finding.hands_on):
            if region not in choices:
                report.add(
                    "finding",
                    finding.id,
                    ("hands_on", index),
                    "hands_on",
                    f"'{region}' is not a body region of the catalog",
                    did_you_mean(region, choices) or "one of: " + ", ".join(choices),
                )
    for region in ruleset.referral:
        if region not in choices:
            report.add(
                "region",
                region,
                (),
                f"regions.{region}",
                "not a body region of the catalog",
                did_you_mean(region, choices),
            )
    for flag in ruleset.red_flags:
        if not isinstance(flag.restricts, RegionRestriction):
            continue
        for index, region in enumerate(flag.restricts.regions):
            if region not in choices:
                report.add(
                    "flag",
                    flag.id,
                    ("restricts", "regions", index),
                    "restricts.regions",
                    f"'{region}' is not a body region of the catalog",
                    did_you_mean(region, choices) or "one of: " + ", ".join(choices),
                )
    _unknown_site_regions(ruleset, report)


def _unknown_site_regions(ruleset: Ruleset, report: _Reporter) -> None:
    """A finding's `sites` and a cause site's `territory` must name regions the client can mark in
    the site findings; otherwise the rule or the site could never count."""
    regions = _site_regions(ruleset)
    if not regions:
        return  # no region finding to compare with: site-findings reports a broken one
    hint_all = "one of: " + ", ".join(regions)
    for finding in ruleset.findings.values():
        for index, region in enumerate(finding.sites or ()):
            if region not in regions:
                report.add(
                    "finding",
                    finding.id,
                    ("sites", index),
                    "sites",
                    f"'{region}' is not a region of the site findings",
                    did_you_mean(region, regions) or hint_all,
                )
    for cause in ruleset.causes:
        for site_index, site in enumerate(cause.sites):
            for index, region in enumerate(site.territory):
                if region not in regions:
                    report.add(
                        "cause",
                        cause.id,
                        ("sites", site_index, "territory", index),
                        f"sites.{site.id}.territory",
                        f"'{region}' is not a region of the site findings",
                        did_you_mean(region, regions) or hint_all,
                    )


@check(
    "unlocated-muscle",
    "error",
    "a muscle of the referral lists without the body regions it lies in (referral.yaml's "
    "`muscles`), so a red flag that restricts a region could not withhold it",
)
def unlocated_muscle(ruleset: Ruleset, report: _Reporter) -> None:
    for region, entry in ruleset.referral.items():
        for index, muscle in enumerate(entry.muscles):
            if muscle not in ruleset.muscle_locations:
                report.add(
                    "region",
                    region,
                    ("muscles", index),
                    f"regions.{region}.muscles",
                    f"muscle '{muscle}' has no location",
                    did_you_mean(muscle, ruleset.muscle_locations)
                    or f"add it under 'muscles:' with the body regions it lies in, e.g. "
                    f"'{muscle}: [neck]'",
                )


@check(
    "unknown-site",
    "error",
    "a rule's `site` that is not one of its cause's `sites`",
)
def unknown_site(ruleset: Ruleset, report: _Reporter) -> None:
    for cause in ruleset.causes:
        sites = [site.id for site in cause.sites]
        for rule in cause.rules:
            if rule.site is not None and rule.site not in sites:
                report.add(
                    "rule",
                    rule.id,
                    ("site",),
                    "site",
                    f"cause '{cause.id}' has no site '{rule.site}'",
                    did_you_mean(rule.site, sites)
                    or ("one of: " + ", ".join(sites) if sites else "declare it under 'sites'"),
                )


@check(
    "site-findings",
    "error",
    "a pack's `site_findings` that names no finding, or one that is not a multi_choice of body "
    "regions",
)
def site_findings(ruleset: Ruleset, report: _Reporter) -> None:
    for index, finding_id in enumerate(ruleset.site_findings):
        finding = ruleset.findings.get(finding_id)
        if finding is None:
            message, hint = "unknown finding", did_you_mean(finding_id, ruleset.findings)
        elif finding.type is not FindingType.multi_choice:
            message = f"a {finding.type.value} finding cannot say where the client has symptoms"
            hint = "name a multi_choice finding whose choices are body regions"
        else:
            continue
        report.add(
            "pack",
            _top_pack(ruleset),
            ("site_findings", index),
            f"site_findings.{index}",
            f"'{finding_id}': {message}",
            hint,
        )


@check(
    "client-only-ceiling",
    "error",
    "a cause (or one of its sites) that the client's own answers could take into the top band "
    "with no examination: the band is chosen from the probability range, so its prior odds "
    "times the largest low end of a client-only factor of each of its two history units (where "
    "the symptoms are, and the rest) must stay below the top band",
)
def client_only_ceiling(ruleset: Ruleset, report: _Reporter) -> None:
    from nmt_assess.ruleset.compile import history_unit

    ceiling = _top_band_floor(ruleset)
    if ceiling is None:
        return
    top_label = ruleset.bands[-1].label
    reported: set[str] = set()
    for cause in ruleset.causes:
        for site_title, rules in _site_rule_sets(cause):
            strongest: dict[str, Any] = {}
            for rule in rules:
                unit = history_unit(rule, ruleset.findings)
                if unit is None or rule.lr.lr <= 1:
                    continue
                if unit not in strongest or rule.lr.bounds[0] > strongest[unit].lr.bounds[0]:
                    strongest[unit] = rule
            if not strongest:
                continue
            factor = math.prod(rule.lr.bounds[0] for rule in strongest.values())
            reach = _posterior(cause.prior, factor)
            named = max(strongest.values(), key=lambda rule: rule.lr.bounds[0])
            if reach < ceiling or named.id in reported:
                continue
            reported.add(named.id)
            where = f" ({site_title})" if site_title else ""
            rules_text = " x ".join(f"{r.lr.bounds[0]:g} ('{r.id}')" for r in strongest.values())
            report.add(
                "rule",
                named.id,
                ("lr",),
                "lr",
                f"the client's own answers alone take the low end of '{cause.id}'{where} to "
                f"{reach:.2f}: prior {cause.prior:g} x {rules_text} reaches '{top_label}' "
                f"(from {ceiling:g}) with no examination",
                "a form cannot establish a cause: lower the weight to what the literature "
                "supports, or make the rule read an examination finding",
            )


found_while_reading("unknown-rule", "error", "`disable` names a rule no pack below defines")
found_while_reading("unknown-strength", "error", "a rule's weight names a strength the pack lacks")


@check(
    "unknown-check",
    "error",
    "`lint_ignore` names something other than a warning it may silence",
)
def unknown_check(ruleset: Ruleset, report: _Reporter) -> None:
    ignorable = rule_ignorable_ids()
    for cause in ruleset.causes:
        for rule in cause.rules:
            for index, check_id in enumerate(rule.lint_ignore):
                message = unknown_check_message(check_id, ignorable, "a rule")
                if message is not None:
                    report.add(
                        "rule",
                        rule.id,
                        ("lint_ignore", index),
                        f"lint_ignore.{index}",
                        message,
                        did_you_mean(check_id, ignorable)
                        or "a rule can ignore: " + ", ".join(ignorable),
                    )


found_while_reading("duplicate-id", "error", "a rule, red flag or finding id used twice")


@check(
    "impossible-condition",
    "error",
    "a choice the finding does not have, a threshold it can never reach, an operator that does "
    "not fit its type",
)
def impossible_condition(ruleset: Ruleset, report: _Reporter) -> None:
    for kind, item_id, path, test in _finding_tests(ruleset):
        finding = ruleset.findings.get(test.finding)
        if finding is None:
            continue  # unknown-finding
        for message, hint in _impossible(finding, test):
            report.add(kind, item_id, path, f"finding '{test.finding}'", message, hint)


found_while_reading(
    "protected-red-flag",
    "error",
    "an attempt to disable or weaken a red flag of the base pack",
)
found_while_reading("case-schema", "error", "a case file that is not a valid case")
found_while_reading("case-id", "error", "a case whose `id` is not the file's name")
found_while_reading(
    "case-unknown-id",
    "error",
    "a case whose leading cause or expectations name a cause or red flag the pack lacks",
)
found_while_reading("case-finding", "error", "a case whose findings are not a valid intake")


# --- warnings ------------------------------------------------------------------------------


@check(
    "missing-because",
    "warning",
    "a rule without its reason (`because`)",
    about_one_rule=True,
)
def missing_because(ruleset: Ruleset, report: _Reporter) -> None:
    for rule in _rules_not_ignoring(ruleset, "missing-because"):
        if not rule.because.strip():
            report.add(
                "rule",
                rule.id,
                (),
                "because",
                "rule has no 'because'",
                "say in one sentence why the finding bears on the cause",
            )


@check("missing-source", "warning", "a rule without its `source`", about_one_rule=True)
def missing_source(ruleset: Ruleset, report: _Reporter) -> None:
    for rule in _rules_not_ignoring(ruleset, "missing-source"):
        if not rule.source:
            report.add(
                "rule",
                rule.id,
                (),
                "source",
                "rule has no 'source'",
                "cite a tag from sources.yaml where one exists",
            )


@check(
    "lr-extreme",
    "warning",
    f"an LR above {LR_HIGH:g} or below {LR_LOW:g}; add `lint_ignore: [lr-extreme]` to the "
    "rule, with the reason in `because`, when the figure is published",
    about_one_rule=True,
)
def lr_extreme(ruleset: Ruleset, report: _Reporter) -> None:
    for rule in _rules_not_ignoring(ruleset, "lr-extreme"):
        for key, weight in (("lr", rule.lr), ("lr_absent", rule.lr_absent)):
            if weight is not None and not LR_LOW <= weight.lr <= LR_HIGH:
                report.add(
                    "rule",
                    rule.id,
                    (key,),
                    key,
                    f"likelihood ratio {weight.lr:g} is outside {LR_LOW:g}-{LR_HIGH:g}",
                    "check the source, or add lint_ignore: [lr-extreme] with the reason",
                )


@check("unused-finding", "warning", "no rule, red flag or screen reads the finding")
def unused_finding(ruleset: Ruleset, report: _Reporter) -> None:
    used = {f for cause in ruleset.causes for rule in cause.rules for f in rule.findings()}
    used.update(f for flag in ruleset.red_flags for f in flag.when.findings())
    used.update(ruleset.site_findings)  # the engine reads where the client has pain or symptoms
    used.update(f for screen in ruleset.screens for f in screen.findings())
    for finding_id in ruleset.findings:
        if finding_id not in used:
            report.add(
                "finding",
                finding_id,
                ("id",),
                "id",
                f"no rule, red flag or screen reads '{finding_id}'",
            )


@check(
    "missing-hands-on",
    "warning",
    "a finding the therapist answers without `hands_on` (where the test puts hands on the "
    "client); until it says, any region restriction withholds it",
)
def missing_hands_on(ruleset: Ruleset, report: _Reporter) -> None:
    for finding in ruleset.findings.values():
        if finding.asked_of == "therapist" and finding.hands_on is None:
            report.add(
                "finding",
                finding.id,
                ("id",),
                "hands_on",
                f"finding '{finding.id}' does not say where it puts hands on the client",
                "add hands_on: [regions], [] for observation only, or anywhere",
            )


@check(
    "group-conflict",
    "warning",
    "two rules of a group read the same answer but argue in opposite directions",
    about_one_rule=True,
)
def group_conflict(ruleset: Ruleset, report: _Reporter) -> None:
    for cause in ruleset.causes:
        for message, rule in _group_conflicts(cause.rules):
            if "group-conflict" not in rule.lint_ignore:
                report.add("rule", rule.id, ("group",), "group", message)


@check(
    "missing-lr-absent",
    "warning",
    "a rule whose lr is above 1 that does not say what a 'no' does (`lr_absent`: a published "
    "figure, a strength, or `uninformative` with the reason in `because`)",
    about_one_rule=True,
)
def missing_lr_absent(ruleset: Ruleset, report: _Reporter) -> None:
    for rule in _rules_not_ignoring(ruleset, "missing-lr-absent"):
        if rule.lr.lr > 1 and rule.lr_absent is None:
            report.add(
                "rule",
                rule.id,
                ("lr",),
                "lr_absent",
                f"lr {rule.lr.lr:g} raises the cause, but the rule does not say what a 'no' does",
                "add lr_absent: the published LR-, a strength such as minimal_against, or "
                "uninformative (and say why in because)",
            )


@check(
    "missing-population",
    "warning",
    "a published (numeric) lr or lr_absent without the `population` it was measured in",
    about_one_rule=True,
)
def missing_population(ruleset: Ruleset, report: _Reporter) -> None:
    for rule in _rules_not_ignoring(ruleset, "missing-population"):
        if rule.population and rule.population.strip():
            continue
        for key, weight in (("lr", rule.lr), ("lr_absent", rule.lr_absent)):
            if weight is not None and weight.strength is None:
                report.add(
                    "rule",
                    rule.id,
                    (key,),
                    "population",
                    f"{key} {weight.lr:g} is a published figure, but the rule does not say who it "
                    "was measured in",
                    "add population: study, size, setting and reference standard; or use a "
                    "named strength if the figure is hand-set",
                )
                break


@check(
    "few-rules",
    "warning",
    f"a cause with fewer than {FEW_RULES} rules (its first rule may ignore it)",
    about_one_rule=True,
)
def few_rules(ruleset: Ruleset, report: _Reporter) -> None:
    for cause in ruleset.causes:
        if len(cause.rules) >= FEW_RULES or not cause.rules:
            continue
        first = cause.rules[0]
        if "few-rules" not in first.lint_ignore:
            report.add(
                "rule",
                first.id,
                (),
                "cause",
                f"cause '{cause.id}' has only {len(cause.rules)} rules",
                f"at least {FEW_RULES} make its explanation useful",
            )


#: What a rule's `lint_ignore` may name: the warnings about one rule. Errors are never ignored.
RULE_IGNORABLE = tuple(rule_ignorable_ids())
#: Every check, by id, with its severity.
CHECKS: dict[str, str] = {c.id: c.severity for c in REGISTRY.values()}


# --- the docs table ------------------------------------------------------------------------

DOCS_BEGIN = "<!-- checks table: generated by `python -m nmt_assess.ruleset.checks --docs` -->"
DOCS_END = "<!-- end of checks table -->"


def checks_table() -> str:
    """The Markdown table of every check, as docs/rules.md carries it between its markers."""
    lines = [DOCS_BEGIN, "", "| check | severity | what |", "|---|---|---|"]
    lines += [f"| {c.id} | {c.severity} | {c.description} |" for c in REGISTRY.values()]
    return "\n".join([*lines, "", DOCS_END])


def with_checks_table(document: str) -> str:
    """The document with the text between its checks-table markers replaced by the table."""
    pattern = re.compile(re.escape(DOCS_BEGIN) + r".*?" + re.escape(DOCS_END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError("the document has no checks-table markers")
    return pattern.sub(lambda _: checks_table(), document, count=1)


def main(argv: Sequence[str]) -> int:
    """`python -m nmt_assess.ruleset.checks --docs [FILE]`: rewrite the checks table of FILE
    (default docs/rules.md) from the registry."""
    from pathlib import Path

    if not argv or argv[0] != "--docs" or len(argv) > 2:
        print(
            "usage: python -m nmt_assess.ruleset.checks --docs [FILE, default docs/rules.md]",
            file=sys.stderr,
        )
        return 2
    path = Path(argv[1] if len(argv) == 2 else "docs/rules.md")
    document = path.read_text(encoding="utf-8")
    updated = with_checks_table(document)
    if updated != document:
        path.write_text(updated, encoding="utf-8")
    print(f"{path}: {'updated' if updated != document else 'up to date'}")
    return 0


# --- helpers -------------------------------------------------------------------------------


def _top_pack(ruleset: Ruleset) -> str:
    return ruleset.packs[-1].name if ruleset.packs else ""


def _rules_not_ignoring(ruleset: Ruleset, check_id: str) -> Iterator[Rule]:
    for cause in ruleset.causes:
        for rule in cause.rules:
            if check_id not in rule.lint_ignore:
                yield rule


def _finding_tests(
    ruleset: Ruleset,
) -> Iterator[tuple[str, str, tuple[Any, ...], FindingTest]]:
    """Every finding test of every rule, red flag and screen: (kind, id, path to the test, test)."""
    for cause in ruleset.causes:
        for rule in cause.rules:
            for key in ("when", "unless"):
                condition = getattr(rule, key)
                if condition is not None:
                    for path, test in _tests_of(condition, (key,)):
                        yield "rule", rule.id, path, test
    for flag in ruleset.red_flags:
        for path, test in _tests_of(flag.when, ("when",)):
            yield "flag", flag.id, path, test
    for screen in ruleset.screens:
        for path, test in _tests_of(screen.applies_when, ("applies_when",)):
            yield "screen", screen.id, path, test
        for index, item in enumerate(screen.items):
            yield "screen", screen.id, ("items", index), item


def _tests_of(
    condition: Condition, path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], FindingTest]]:
    if isinstance(condition, FindingTest):
        yield path, condition
    elif isinstance(condition, Not):
        yield from _tests_of(condition.not_, (*path, "not"))
    else:
        key, parts = _parts(condition)
        for index, part in enumerate(parts):
            yield from _tests_of(part, (*path, key, index))


def _parts(condition: AllOf | AnyOf | AtLeast) -> tuple[str, tuple[Condition, ...]]:
    if isinstance(condition, AllOf):
        return "all", condition.all
    if isinstance(condition, AnyOf):
        return "any", condition.any
    return "of", condition.of


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


def _impossible(finding: Finding, test: FindingTest) -> Iterator[tuple[str, str | None]]:
    allowed = _OPERATORS_BY_TYPE[finding.type]
    for operator in test.operators() or ["is"]:
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


def _check_bands(report: _Reporter, ruleset: Ruleset) -> None:
    pack = _top_pack(ruleset)
    limits = [band.below for band in ruleset.bands]
    if not limits or limits[-1] is not None or None in limits[:-1]:
        report.add(
            "pack",
            pack,
            ("bands",),
            "bands",
            "every band but the last needs 'below'; the last none",
        )
        return
    bounded = [limit for limit in limits[:-1] if limit is not None]
    if bounded != sorted(set(bounded)):
        report.add("pack", pack, ("bands",), "bands", "'below' limits must rise from band to band")


def _site_regions(ruleset: Ruleset) -> tuple[str, ...]:
    """The regions a client can mark in the pack's site findings (the multi_choice ones)."""
    regions: dict[str, None] = {}
    for finding_id in ruleset.site_findings:
        finding = ruleset.findings.get(finding_id)
        if finding is not None and finding.type is FindingType.multi_choice:
            regions.update(dict.fromkeys(finding.choices or ()))
    return tuple(regions)


def _client_only(ruleset: Ruleset, rule: Rule) -> bool:
    """The rule reads only findings the client answers (unknown findings are reported apart)."""
    findings = [ruleset.findings.get(f) for f in rule.findings()]
    return all(f is not None and f.asked_of == "client" for f in findings)


def _site_rule_sets(cause: Cause) -> Iterator[tuple[str, list[Rule]]]:
    """Each way the cause is scored: its sites (shared rules plus the site's own), or the whole
    cause when it has none: (site title or '', rules)."""
    if not cause.sites:
        yield "", list(cause.rules)
        return
    for site in cause.sites:
        yield site.title, [r for r in cause.rules if r.site in (None, site.id)]


def _top_band_floor(ruleset: Ruleset) -> float | None:
    """Where the top band begins: the `below` of the band before it."""
    if len(ruleset.bands) < 2:
        return None
    return ruleset.bands[-2].below


def _posterior(prior: float, lr: float) -> float:
    """The probability from a prior and one likelihood ratio: sigma(logit(prior) + ln(lr))."""
    log_odds = math.log(prior / (1 - prior)) + math.log(lr)
    return 1 / (1 + math.exp(-log_odds))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
