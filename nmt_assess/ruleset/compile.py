"""A rule pack compiled once into the immutable form every evaluator walks.

This is the only place that reads the YAML condition language. A condition becomes nodes of
one table, children before parents, so an evaluator fills the states of a table in one pass:

    op          leaf: is, in, gt, gte, lt, lte, any_of, all_of;
                inner: all, any, not, at_least, any_known
    finding     the finding a leaf tests
    operand     a leaf's value (threshold, choices, expected answer); at_least's count
    children    the nodes an inner node combines

`any_known` is not in the YAML language: it is how a rule's site is compiled. It holds when a
child holds, fails when a child fails and none holds, and is unknown only when every child is:
a client who marked pain on the body chart but left the symptom chart blank is off-site for a
hand test, not unknown.

Identical sub-conditions share one node. A leaf also says how it reads an encoded answer
(`codes`, `mask`), so the numpy evaluator never interprets an operator itself.

Adding an operator: a leaf operator is a case of `_leaf` (its meaning, `holds`) and of the
batch evaluator's `_leaf_state` when it is not a small-domain test; an inner one is a case of
`_inner` here and of both evaluators' combine step.

The compiled pack is cached per Ruleset object (`compiled`), not stored on the model: the
model is frozen pydantic data another part of the code owns, and compiling stays lazy, so
commands that never score (lint, explain) never pay for it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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
    RedFlag,
    Rule,
    Ruleset,
    Site,
    Value,
)

LEAF_OPS = frozenset({"is", "in", "gt", "gte", "lt", "lte", "any_of", "all_of"})
#: Every finite positive double has |ln| below 745, so clamping here changes no finite factor;
#: an infinite one (a hostile pack) becomes large but finite, and no sum of them is NaN.
LOG_LIMIT = 1000.0


def log_factor(lr: float) -> float:
    """ln of a likelihood ratio, kept finite."""
    return max(-LOG_LIMIT, min(LOG_LIMIT, math.log(lr)))


def _never(value: Any) -> bool:
    raise AssertionError("an inner node tests no answer")


def leaf_test(op: str, operand: Any) -> Callable[[Any], bool]:
    """The one meaning of each leaf operator: does an answered finding pass the test?"""
    if op == "is":
        return lambda value: bool(value == operand)
    if op == "gt":
        return lambda value: bool(value > operand)
    if op == "gte":
        return lambda value: bool(value >= operand)
    if op == "lt":
        return lambda value: bool(value < operand)
    if op == "lte":
        return lambda value: bool(value <= operand)
    if op == "in":
        members = frozenset(operand)
        return lambda value: value in members
    if op == "any_of":
        wanted = frozenset(operand)
        return lambda value: not wanted.isdisjoint(value)
    assert op == "all_of", op
    needed = frozenset(operand)
    return lambda value: needed.issubset(value)


@dataclass(frozen=True, slots=True)
class Node:
    op: str
    finding: str | None
    operand: Any
    children: tuple[int, ...]
    #: Every finding the node's subtree reads.
    reads: frozenset[str]
    #: A leaf on a yes/no or choice finding: the encoded answers (Encoding.codes) it holds for.
    codes: tuple[int, ...] | None = None
    #: A leaf any_of/all_of on a multi-choice finding: the bits of its choices (None: a choice
    #: the finding does not have, so all_of never holds).
    mask: int | None = None
    #: A leaf's test of an answered finding (see `leaf_test`).
    holds: Callable[[Any], bool] = field(default=_never, compare=False, repr=False)

    @property
    def is_leaf(self) -> bool:
        return self.op in LEAF_OPS

    def __reduce__(self) -> tuple[Any, ...]:
        # `holds` is a closure, which pickle cannot carry: it is made again from op and operand
        fields = (self.op, self.finding, self.operand, self.children, self.reads)
        return (_unpickled_node, (*fields, self.codes, self.mask))


def _unpickled_node(
    op: str,
    finding: str | None,
    operand: Any,
    children: tuple[int, ...],
    reads: frozenset[str],
    codes: tuple[int, ...] | None,
    mask: int | None,
) -> Node:
    holds = leaf_test(op, operand) if op in LEAF_OPS else _never
    return Node(op, finding, operand, children, reads, codes, mask, holds)


@dataclass(frozen=True, slots=True)
class Encoding:
    """How the numpy evaluator holds a finding's answers: a code per answer (yes/no: 0 and 1;
    choice: its position), bits of choices (multi-choice), or the number itself."""

    kind: Literal["codes", "bits", "number"]
    #: The answer each code stands for ("codes" findings).
    domain: tuple[Value, ...] = ()
    #: The bit of each choice ("bits" findings).
    bits: Mapping[str, int] | None = None
    #: Whether the bits fit a 64-bit integer; more choices are held as Python integers.
    wide: bool = False


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    when: int
    #: The rule is set aside where this holds: its own `unless`, or the client's pain and
    #: symptoms lying off the rule's site.
    unless: int | None
    log_lr: float
    log_absent: float | None
    #: The leaf findings of `when` in the order a witness walk meets them.
    leaves: tuple[str, ...]
    #: ln of the range each factor is uncertain over (the point when none is known).
    lr_bounds: tuple[float, float] = (0.0, 0.0)
    absent_bounds: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Unit:
    """An ungrouped rule, or a group: its rules share one strongest-for/against slot."""

    rules: tuple[int, ...]  # indices into CompiledCause.rules
    #: finding -> the unit's rules (positions in `rules`) that read it
    rules_using: Mapping[str, tuple[int, ...]]
    reads: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledCause:
    """A cause, or one site of a cause with sites: each site is scored as a cause of its own
    (the cause's prior, its shared rules and the site's), and the document builder shows the
    most likely site of those the client's regions allow."""

    index: int
    id: str
    #: The cause's position in Ruleset.causes (shared by the compiled causes of its sites).
    model: int
    #: The site, for a cause with sites (None: the cause itself, or its shared rules alone).
    site: Site | None
    #: The node that holds when the client's regions fall in the site's territory.
    territory: int | None
    prior_log_odds: float
    rules: tuple[CompiledRule, ...]  # unit after unit
    units: tuple[Unit, ...]
    units_of: Mapping[str, tuple[int, ...]]
    #: finding -> the answers worth simulating for check-next, in catalog order
    candidates: Mapping[str, tuple[Value, ...]]
    #: finding -> the other findings its units read (what its check-next range depends on)
    context: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class CompiledFlag:
    flag: RedFlag
    when: int
    leaves: tuple[str, ...]
    #: The findings the flag reads, without repeats, in pack order.
    reads: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledPack:
    ruleset: Ruleset
    nodes: tuple[Node, ...]
    causes: tuple[CompiledCause, ...]
    flags: tuple[CompiledFlag, ...]
    #: raised flags are listed most severe first (a stable sort): the flags in that order
    by_severity: tuple[int, ...]
    encodings: Mapping[str, Encoding]


def compile_pack(ruleset: Ruleset) -> CompiledPack:
    builder = _Builder(ruleset.findings)
    causes: list[CompiledCause] = []
    for model, cause in enumerate(ruleset.causes):
        for site, rules in _scored_as(cause):
            causes.append(_cause(len(causes), model, cause, site, rules, builder, ruleset))
    flags = tuple(
        CompiledFlag(
            flag,
            builder.add(flag.when),
            tuple(_leaves(flag.when)),
            tuple(dict.fromkeys(flag.when.findings())),
        )
        for flag in ruleset.red_flags
    )
    by_severity = tuple(sorted(range(len(flags)), key=lambda i: flags[i].flag.action.severity))
    encodings = {fid: _encoding(finding) for fid, finding in ruleset.findings.items()}
    return CompiledPack(ruleset, tuple(builder.nodes), tuple(causes), flags, by_severity, encodings)


def _scored_as(cause: Cause) -> Iterator[tuple[Site | None, tuple[Rule, ...]]]:
    """What is scored for a cause: itself, or each of its sites (its shared rules and the
    site's own) and, for a client none of whose regions any site covers, the shared rules."""
    shared = tuple(rule for rule in cause.rules if rule.site is None)
    if not cause.sites:
        yield None, cause.rules
        return
    for site in cause.sites:
        yield site, tuple(rule for rule in cause.rules if rule.site in (None, site.id))
    yield None, shared


_cache: dict[int, tuple[weakref.ref[Ruleset], CompiledPack]] = {}


def compiled(ruleset: Ruleset) -> CompiledPack:
    """The ruleset's compiled pack, compiled on first use and kept while the ruleset lives."""
    key = id(ruleset)
    found = _cache.get(key)
    if found is not None and found[0]() is ruleset:
        return found[1]
    pack = compile_pack(ruleset)
    _cache[key] = (weakref.ref(ruleset, _forget(_cache, key)), pack)
    return pack


def remember(pack: CompiledPack) -> None:
    """Take `pack` as its ruleset's compiled pack (one compiled at build time: prebuilt.py)."""
    key = id(pack.ruleset)
    _cache[key] = (weakref.ref(pack.ruleset, _forget(_cache, key)), pack)


def _forget(
    cache: dict[int, tuple[weakref.ref[Ruleset], CompiledPack]], key: int
) -> Callable[[weakref.ref[Ruleset]], None]:
    def forget(ref: weakref.ref[Ruleset]) -> None:
        found = cache.get(key)
        if found is not None and found[0] is ref:  # not a newer ruleset at the same address
            del cache[key]

    return forget


class _Builder:
    def __init__(self, catalog: Mapping[str, Finding]) -> None:
        self.catalog = catalog
        self.nodes: list[Node] = []
        self.index: dict[tuple[Any, ...], int] = {}

    def add(self, condition: Condition) -> int:
        if isinstance(condition, FindingTest):
            node = _leaf(condition, self.catalog.get(condition.finding))
        else:
            node = _inner(
                condition, tuple(self.add(part) for part in condition.parts()), self.nodes
            )
        return self.add_node(node)

    def combine(self, op: str, children: tuple[int, ...]) -> int:
        reads = frozenset().union(*(self.nodes[child].reads for child in children))
        return self.add_node(Node(op, None, None, children, reads))

    def on_site(self, regions: frozenset[str], site_findings: tuple[str, ...]) -> int | None:
        """The node that holds when the client's pain or symptoms lie in one of the regions."""
        known = [f for f in site_findings if f in self.catalog]
        if not known:
            return None
        tests = tuple(
            self.add(FindingTest(finding=f, any_of=tuple(sorted(regions)))) for f in known
        )
        return self.combine("any_known", tests)

    def add_node(self, node: Node) -> int:
        key = (node.op, node.finding, _hashable(node.operand), node.children)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.nodes)
            self.nodes.append(node)
        return found


def compile_condition(
    condition: Condition, catalog: Mapping[str, Finding] | None = None
) -> tuple[tuple[Node, ...], int]:
    """One condition's node table, children before parents, and the index of its root."""
    builder = _Builder(catalog or {})
    root = builder.add(condition)
    return tuple(builder.nodes), root


def _hashable(operand: Any) -> Any:
    # True == 1 and 1.0 == 1 as keys: keep the type so `is: true` and `gt: 1` never merge
    return (type(operand).__name__, operand)


def _leaf(test: FindingTest, finding: Finding | None) -> Node:
    op = test.operators()[0] if test.operators() else "is"
    operand: Any = {
        "is": True if test.is_ is None else test.is_,
        "gt": test.gt,
        "gte": test.gte,
        "lt": test.lt,
        "lte": test.lte,
        "in": test.in_,
        "any_of": test.any_of,
        "all_of": test.all_of,
    }[op]
    holds = leaf_test(op, operand)
    reads = frozenset({test.finding})
    node = Node(op, test.finding, operand, (), reads, holds=holds)
    if finding is None:
        return node
    if finding.type in (FindingType.yes_no, FindingType.choice):
        try:
            codes = tuple(code for code, value in enumerate(_domain(finding)) if holds(value))
        except TypeError:  # e.g. `gt` on a choice: the evaluators fail on it alike
            return node
        return Node(op, test.finding, operand, (), reads, codes=codes, holds=holds)
    if finding.type is FindingType.multi_choice and op in ("any_of", "all_of"):
        choices = finding.choices or ()
        if op == "all_of" and any(item not in choices for item in operand):
            return Node(op, test.finding, operand, (), reads, mask=None, holds=holds)
        mask = 0
        for item in set(operand):
            if item in choices:
                mask |= 1 << choices.index(item)
        return Node(op, test.finding, operand, (), reads, mask=mask, holds=holds)
    return node


def _inner(condition: Condition, children: tuple[int, ...], nodes: list[Node]) -> Node:
    reads = frozenset().union(*(nodes[child].reads for child in children))
    if isinstance(condition, AllOf):
        return Node("all", None, None, children, reads)
    if isinstance(condition, AnyOf):
        return Node("any", None, None, children, reads)
    if isinstance(condition, Not):
        return Node("not", None, None, children, reads)
    assert isinstance(condition, AtLeast)
    return Node("at_least", None, condition.at_least, children, reads)


def _leaves(condition: Condition) -> Iterator[str]:
    """The leaf findings in the order a witness walk meets them (repeats kept: one per leaf)."""
    if isinstance(condition, FindingTest):
        yield condition.finding
    for part in condition.parts():
        yield from _leaves(part)


def _domain(finding: Finding) -> tuple[Value, ...]:
    return (False, True) if finding.type is FindingType.yes_no else tuple(finding.choices or ())


def _encoding(finding: Finding) -> Encoding:
    if finding.type in (FindingType.yes_no, FindingType.choice):
        return Encoding("codes", domain=_domain(finding))
    if finding.type is FindingType.multi_choice:
        choices = finding.choices or ()
        bits = {choice: 1 << index for index, choice in enumerate(choices)}
        return Encoding("bits", bits=bits, wide=len(choices) > 62)
    return Encoding("number")


def _cause(
    index: int,
    model: int,
    cause: Cause,
    site: Site | None,
    cause_rules: tuple[Rule, ...],
    builder: _Builder,
    ruleset: Ruleset,
) -> CompiledCause:
    # Ungrouped rules are units of one; a group's rules form one unit where it first appears.
    # What the client reports is not independent evidence: its rules form two units (where the
    # symptoms are, and the rest), whatever their group, so a form without an examination
    # moves a cause by at most two factors each way (history_unit).
    catalog = ruleset.findings
    members: dict[str, list[Rule]] = {}
    for rule in cause_rules:
        key = history_unit(rule, catalog) or rule.group or f"\0{rule.id}"
        members.setdefault(key, []).append(rule)
    territories = {s.id: frozenset(s.territory) for s in cause.sites}
    rules: list[CompiledRule] = []
    units: list[Unit] = []
    for group in members.values():
        start = len(rules)
        for rule in group:
            rules.append(_rule(rule, builder, ruleset, territories.get(rule.site or "")))
        reads_of = [
            frozenset().union(
                *(builder.nodes[n].reads for n in (r.when, r.unless) if n is not None)
            )
            for r in rules[start:]
        ]
        reads = frozenset().union(*reads_of)
        units.append(
            Unit(
                tuple(range(start, len(rules))),
                {f: tuple(i for i, r in enumerate(reads_of) if f in r) for f in reads},
                reads,
            )
        )
    units_of: dict[str, list[int]] = {}
    for position, unit in enumerate(units):
        for finding in unit.reads:
            units_of.setdefault(finding, []).append(position)
    nodes = builder.nodes
    # in the pack's rule order, as the values a number is simulated at depend on it
    tests = [
        nodes[n]
        for rule in rules
        for root in (rule.when, rule.unless)
        if root is not None
        for n in _subtree(nodes, root)
        if nodes[n].is_leaf
    ]
    candidates = {fid: _candidate_values(catalog[fid], tests) for fid in catalog if fid in units_of}
    context = {
        fid: tuple(sorted({g for u in ids for g in units[u].reads} - {fid}))
        for fid, ids in units_of.items()
    }
    territory = (
        None if site is None else builder.on_site(territories[site.id], ruleset.site_findings)
    )
    return CompiledCause(
        index,
        cause.id,
        model,
        site,
        territory,
        math.log(cause.prior / (1.0 - cause.prior)),
        tuple(rules),
        tuple(units),
        {f: tuple(ids) for f, ids in units_of.items()},
        candidates,
        context,
    )


HISTORY_UNIT = "\0history"
SITE_HISTORY_UNIT = "\0history at the site"


def history_unit(rule: Rule, catalog: Mapping[str, Finding]) -> str | None:
    """The unit of a rule that reads only what the client answers: where the symptoms are
    (a site's own rule, or a finding with `sites`) is one line of evidence, everything else the
    client says another; None for a rule that reads an examination finding."""
    if not _client_only(rule, catalog):
        return None
    located = rule.site is not None or any(
        catalog[f].sites is not None for f in rule.when.findings() if f in catalog
    )
    return SITE_HISTORY_UNIT if located else HISTORY_UNIT


def _client_only(rule: Rule, catalog: Mapping[str, Finding]) -> bool:
    """Whether the rule reads only what the client answers (no examination finding)."""
    asked = [catalog[f].asked_of if f in catalog else None for f in rule.findings()]
    return bool(asked) and all(who == "client" for who in asked)


def _rule(
    rule: Rule, builder: _Builder, ruleset: Ruleset, territory: frozenset[str] | None
) -> CompiledRule:
    when = builder.add(rule.when)
    unless = None if rule.unless is None else builder.add(rule.unless)
    regions = rule_regions(rule, ruleset.findings, territory)
    on_site = None if regions is None else builder.on_site(regions, ruleset.site_findings)
    if on_site is not None:
        off_site = builder.combine("not", (on_site,))
        unless = off_site if unless is None else builder.combine("any", (unless, off_site))
    absent = rule.lr_absent
    return CompiledRule(
        rule,
        when,
        unless,
        log_factor(rule.lr.lr),
        None if absent is None else log_factor(absent.lr),
        tuple(_leaves(rule.when)),
        _log_bounds(rule.lr.bounds),
        (0.0, 0.0) if absent is None else _log_bounds(absent.bounds),
    )


def rule_regions(
    rule: Rule, catalog: Mapping[str, Finding], territory: frozenset[str] | None = None
) -> frozenset[str] | None:
    """The body regions where the rule has meaning: those every site-specific finding of its
    condition shares, within its site's territory; None where it has meaning anywhere."""
    regions = territory
    for finding_id in rule.when.findings():
        sites = catalog[finding_id].sites if finding_id in catalog else None
        if sites is not None:
            regions = frozenset(sites) if regions is None else regions & frozenset(sites)
    return regions


def _log_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    return (log_factor(bounds[0]), log_factor(bounds[1]))


def _subtree(nodes: list[Node], root: int) -> Iterator[int]:
    yield root
    for child in nodes[root].children:
        yield from _subtree(nodes, child)


def _candidate_values(finding: Finding, tests: list[Node]) -> tuple[Value, ...]:
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
        if test.finding == finding.id and test.op in ("gt", "gte", "lt", "lte"):
            threshold = test.operand
            values.update({threshold - 1, threshold, threshold + 1})
    return tuple(sorted(v for v in values if low <= v <= high))
