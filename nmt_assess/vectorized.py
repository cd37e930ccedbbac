"""Batch scoring with numpy: `Engine.assess`'s arithmetic, run over many intakes at once.

The reference engine (`engine.Engine`) scores one intake at a time in plain Python. This module
evaluates each rule once per batch over numpy arrays and then builds each intake's document
from the results, in the same order with the same floating-point operations, so the documents
are the same as `Engine.assess` gives (a differential test compares them).

It takes the plain case only: a mapping of `id`, `findings` and an ISO `date`, every finding
known to the catalog and of the right type. Anything else comes back as None, and the caller
validates and scores that record one by one, so every error message has one source.

A three-valued condition is a pair of boolean arrays: `yes` where it holds, `no` where it
definitely does not; an intake whose answer is unknown is in neither.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nmt_assess.engine import CHECK_NEXT_LIMIT, CHECK_NEXT_MIN_SHIFT, Document, Engine
from nmt_assess.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Finding,
    FindingTest,
    FindingType,
    Not,
    Rule,
    Value,
)

Array = np.ndarray[Any, Any]
State = tuple[Any, Any]  # (yes, no): boolean arrays, or numpy bools for a fixed answer
Columns = dict[str, Array]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_PLAIN_KEYS = frozenset({"id", "date", "findings"})
_NUMERIC = (FindingType.scale_0_10, FindingType.number)


class Unsupported(Exception):
    """The ruleset uses a test this module does not vectorise: score with `Engine`."""


# --- encoding: the findings of a batch as one array per finding -----------------------------


def _encode_column(finding: Finding, column: list[Any]) -> tuple[Array, set[int]]:
    """The finding's answers as an array (unknown: -1, or NaN for numbers) and the rows whose
    answer the fast path does not accept (the reference validator judges those)."""
    kind = finding.type
    if kind is FindingType.yes_no:
        return _encode_by_table(column, {True: 1, False: 0}, bool, np.int8)
    if kind is FindingType.choice:
        table = {choice: index for index, choice in enumerate(finding.choices or ())}
        return _encode_by_table(column, table, str, np.int16)
    if kind is FindingType.multi_choice:
        return _encode_multi(column, finding.choices or ())
    return _encode_number(column, finding)


def _encode_by_table(
    column: list[Any], table: dict[Any, int], kind: type, dtype: Any
) -> tuple[Array, set[int]]:
    if set(map(type, column)) <= {kind, type(None)}:  # the usual case: one pass in C
        codes = list(map({**table, None: -1}.get, column))
        if None not in codes:
            return np.array(codes, dtype=dtype), set()
    bad = {row for row, value in enumerate(column) if value is not None and type(value) is not kind}
    codes = [
        -1 if value is None or row in bad else table.get(value, -2)
        for row, value in enumerate(column)
    ]
    bad.update(row for row, code in enumerate(codes) if code == -2)
    return np.array(codes, dtype=dtype), bad


def _encode_multi(column: list[Any], choices: Sequence[str]) -> tuple[Array, set[int]]:
    bits = {choice: 1 << index for index, choice in enumerate(choices)}
    codes, bad = [], set()
    for row, value in enumerate(column):
        mask = _choice_mask(value, bits)
        if mask is None:
            bad.add(row)
            mask = -1
        codes.append(mask)
    return np.array(codes, dtype=np.int64), bad


def _choice_mask(value: Any, bits: Mapping[str, int]) -> int | None:
    if value is None:
        return -1
    if type(value) is not list and type(value) is not tuple:
        return None
    mask = 0
    for item in value:
        bit = bits.get(item) if type(item) is str else None
        if bit is None or mask & bit:  # not a choice, or listed twice
            return None
        mask |= bit
    return mask


def _encode_number(column: list[Any], finding: Finding) -> tuple[Array, set[int]]:
    kinds = {int} if finding.type is FindingType.scale_0_10 else {int, float}
    low, high = finding.bounds or (-math.inf, math.inf)
    if set(map(type, column)) <= kinds | {type(None)}:  # the usual case: checked as an array
        try:
            values = np.array(column, dtype=np.float64)
        except OverflowError:  # an integer too large for a float: out of range anyway
            pass
        else:
            unknown = int(np.isnan(values).sum())
            in_range = not ((values < low) | (values > high)).any()
            if in_range and unknown == column.count(None):  # no NaN given as an answer
                return values, set()
    bad = {
        row
        for row, value in enumerate(column)
        if value is not None
        and (type(value) not in kinds or not low <= value <= high)  # NaN fails the range too
    }
    values = np.array([None if row in bad else value for row, value in enumerate(column)], float)
    return values, bad


def _plain_envelope(document: Any, catalog: Mapping[str, Finding]) -> tuple[Any, Any] | None:
    """(intake_id, intake_date) when the document is a plain intake, else None."""
    if type(document) is not dict or not document.keys() <= _PLAIN_KEYS:
        return None
    findings = document.get("findings")
    if type(findings) is not dict or not findings.keys() <= catalog.keys():
        return None
    intake_id = document.get("id")
    if intake_id is not None and type(intake_id) is not str and type(intake_id) is not int:
        return None
    date = document.get("date")
    if date is not None:
        if type(date) is not str or not _ISO_DATE.match(date):
            return None
        try:
            date = dt.date.fromisoformat(date).isoformat()
        except ValueError:
            return None
    return (None if intake_id is None else str(intake_id)), date


# --- conditions over a batch -----------------------------------------------------------------


def _unknown(column: Array) -> Array:
    return np.isnan(column) if column.dtype.kind == "f" else column < 0


def _test_state(test: FindingTest, finding: Finding, column: Array) -> State:
    """Where the test holds and where it fails, from the finding's encoded column."""
    known = ~_unknown(column)
    if finding.type in _NUMERIC:
        yes = _compare(test, column)
    elif finding.type is FindingType.multi_choice:
        yes = known & _overlap(test, finding, column)
    else:
        # a small domain: ask the reference test which answers hold
        domain: Sequence[Value] = (
            (False, True) if finding.type is FindingType.yes_no else finding.choices or ()
        )
        try:
            held = [
                code for code, value in enumerate(domain) if test.evaluate({test.finding: value})
            ]
        except TypeError as error:  # e.g. 'gt' on a choice: the reference engine would fail too
            raise Unsupported(f"{test.finding}: {error}") from None
        yes = _any_code(column, held)
    return yes, known & ~yes


def _any_code(column: Array, codes: list[int]) -> Array:
    result = np.zeros(column.shape, dtype=bool)
    for code in codes:
        result |= column == code
    return result


def _compare(test: FindingTest, column: Array) -> Array:
    result: Array
    with np.errstate(invalid="ignore"):  # NaN (unknown) compares False, as wanted
        if test.gt is not None:
            result = column > test.gt
        elif test.gte is not None:
            result = column >= test.gte
        elif test.lt is not None:
            result = column < test.lt
        elif test.lte is not None:
            result = column <= test.lte
        else:
            raise Unsupported(
                f"{test.finding}: only gt, gte, lt and lte are vectorised for numbers"
            )
    return result


def _overlap(test: FindingTest, finding: Finding, column: Array) -> Array:
    choices = finding.choices or ()
    wanted = test.any_of if test.any_of is not None else test.all_of
    if wanted is None:
        raise Unsupported(f"{test.finding}: only any_of and all_of are vectorised for lists")
    mask = sum(1 << choices.index(item) for item in set(wanted) if item in choices)
    overlap: Array = column & mask
    if test.any_of is not None:
        return overlap != 0
    if any(item not in choices for item in wanted):
        return np.zeros(column.shape, dtype=bool)
    return overlap == mask


def _fixed_state(test: FindingTest, value: Any) -> State:
    """The test's state for every intake when its finding is given `value` (check-next)."""
    holds = bool(test.evaluate({test.finding: value}))
    return np.bool_(holds), np.bool_(not holds)


def _combine_states(condition: Condition, parts: list[State]) -> State:
    if isinstance(condition, Not):
        yes, no = parts[0]
        return no, yes
    if isinstance(condition, AllOf):
        return _reduce(np.logical_and, [p[0] for p in parts]), _reduce(
            np.logical_or, [p[1] for p in parts]
        )
    if isinstance(condition, AnyOf):
        return _reduce(np.logical_or, [p[0] for p in parts]), _reduce(
            np.logical_and, [p[1] for p in parts]
        )
    assert isinstance(condition, AtLeast)
    held = sum(np.asarray(yes, dtype=np.int16) for yes, _ in parts)
    open_ = sum(np.asarray(~yes & ~no, dtype=np.int16) for yes, no in parts)
    return held >= condition.at_least, held + open_ < condition.at_least


def _reduce(operation: Callable[[Any, Any], Any], arrays: list[Any]) -> Any:
    result = arrays[0]
    for array in arrays[1:]:
        result = operation(result, array)
    return result


def _children(condition: Condition) -> tuple[Condition, ...]:
    if isinstance(condition, Not):
        return (condition.not_,)
    if isinstance(condition, AllOf):
        return condition.all
    if isinstance(condition, AnyOf):
        return condition.any
    assert isinstance(condition, AtLeast)
    return condition.of


class _Batch:
    """One batch's encoded columns, with each condition's state computed once."""

    def __init__(
        self,
        catalog: Mapping[str, Finding],
        findings_of: Mapping[int, frozenset[str]],
        columns: Columns,
    ) -> None:
        self.catalog = catalog
        #: the findings each condition node reads, by node identity (the ruleset keeps them alive)
        self.findings_of = findings_of
        self.columns = columns
        self._states: dict[int, State] = {}

    def state(self, condition: Condition) -> State:
        key = id(condition)
        cached = self._states.get(key)
        if cached is None:
            if isinstance(condition, FindingTest):
                finding = self.catalog[condition.finding]
                cached = _test_state(condition, finding, self.columns[condition.finding])
            else:
                cached = _combine_states(condition, [self.state(c) for c in _children(condition)])
            self._states[key] = cached
        return cached

    def witness_codes(self, condition: Condition, size: int) -> tuple[Array, list[str]]:
        """Per intake, one bit per leaf test that decided the condition (engine._witnesses),
        with the leaves' findings in the order the reference walks them."""
        leaves: list[str] = []
        codes = np.zeros(size, dtype=np.int64)

        def visit(node: Condition, reach: Any) -> None:
            if isinstance(node, FindingTest):
                if len(leaves) == 62:
                    raise Unsupported("a condition with more than 62 tests")
                yes, no = self.state(node)
                codes[reach & (yes | no)] |= 1 << len(leaves)
                leaves.append(node.finding)
            elif isinstance(node, Not):
                visit(node.not_, reach)
            else:
                yes, no = self.state(node)
                for part in _children(node):
                    part_yes, part_no = self.state(part)
                    if isinstance(node, AtLeast):
                        decides = part_yes | part_no
                    else:
                        decides = (part_yes & yes) | (part_no & no)
                    visit(part, reach & decides)

        visit(condition, np.ones(size, dtype=bool))
        return codes, leaves

    def state_if(self, condition: Condition, finding_id: str, value: Any) -> State:
        """The condition's state were every intake to answer `finding_id` with `value`."""
        if finding_id not in self.findings_of[id(condition)]:
            return self.state(condition)
        if isinstance(condition, FindingTest):
            return _fixed_state(condition, value)
        parts = [self.state_if(c, finding_id, value) for c in _children(condition)]
        return _combine_states(condition, parts)


# --- rules, units and causes -----------------------------------------------------------------


class _RulePlan:
    """One rule's static parts: its logs and the fields of its contribution entries."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.log_lr = math.log(rule.lr.lr)
        self.log_absent = None if rule.lr_absent is None else math.log(rule.lr_absent.lr)
        absent_weight = rule.lr_absent or rule.lr
        # (direction, factor, basis) when the rule's lr applies, and when its lr_absent does
        self.present = ("for" if self.log_lr > 0 else "against", rule.lr.lr, rule.lr.basis)
        absent_log = self.log_absent if self.log_absent is not None else 0.0
        self.absent = (
            "for" if absent_log > 0 else "against",
            absent_weight.lr,
            absent_weight.basis,
        )
        self.source = list(rule.source)

    def values(self, when: State, unless: State | None) -> Any:
        """ln of the factor the rule applies to each intake; NaN where it applies none."""
        yes, no = when
        absent = math.nan if self.log_absent is None else self.log_absent
        values = np.where(yes, self.log_lr, np.where(no, absent, math.nan))
        return values if unless is None else np.where(unless[0], math.nan, values)


def _combine(values: Iterable[Any]) -> Any:
    """The unit's ln contribution: its strongest factor for plus its strongest against."""
    high: Any = 0.0
    low: Any = 0.0
    for value in values:
        high = np.fmax(high, value)  # fmax skips NaN (no factor)
        low = np.fmin(low, value)
    return high + low


class _Witnesses:
    """The witness list of each distinct code, built once and shared by the documents."""

    def __init__(self, leaves: list[str]) -> None:
        self.leaves = leaves
        self.lists: dict[int, list[str]] = {}

    def of(self, code: int) -> list[str]:
        found = self.lists.get(code)
        if found is None:
            chosen = (leaf for bit, leaf in enumerate(self.leaves) if code >> bit & 1)
            found = self.lists[code] = list(dict.fromkeys(chosen))
        return found


def _round4(values: Array) -> Array:
    """round(x, 4) for each element, exactly as Python's round gives it."""
    scaled = values * 1e4
    result: Array = np.rint(scaled) / 1e4
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():  # where x * 1e4 may have crossed .5: Python's correctly rounded answer
        for index in zip(*np.nonzero(near_half), strict=True):
            result[index] = round(float(values[index]), 4)
    return result


def _round4_keys(values: Array) -> Array:
    """Integers k with round(x, 4) == k / 1e4, for ordering as Python's round would."""
    keys: Array = np.rint(values * 1e4)
    scaled = values * 1e4
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        for index in zip(*np.nonzero(near_half), strict=True):
            keys[index] = round(round(float(values[index]), 4) * 1e4)
    return keys


def _probability(log_odds: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-log_odds))


class BatchEngine:
    """An Engine's ruleset, prepared for scoring batches with numpy."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ruleset = engine.ruleset
        self.catalog = ruleset.findings
        self.rule_plans = {
            id(rule): _RulePlan(rule) for plan in engine.plans for rule in plan.cause.rules
        }
        self.flags = ruleset.red_flags
        # raised flags are listed most severe first (a stable sort), open ones in pack order
        self.by_severity = sorted(
            range(len(self.flags)), key=lambda i: self.flags[i].action.severity
        )
        self.flag_findings = [list(dict.fromkeys(flag.when.findings())) for flag in self.flags]
        self.findings_of = {
            id(condition): frozenset(condition.findings()) for condition in self._conditions()
        }
        self._check_supported()

    def _conditions(self) -> Iterable[Condition]:
        """Every condition node of the ruleset, nested ones included."""
        roots: list[Condition] = [flag.when for flag in self.flags]
        for plan in self.engine.plans:
            for rule in plan.cause.rules:
                roots.append(rule.when)
                if rule.unless is not None:
                    roots.append(rule.unless)
        stack = roots
        while stack:
            condition = stack.pop()
            yield condition
            if not isinstance(condition, FindingTest):
                stack.extend(_children(condition))

    def _check_supported(self) -> None:
        """Raise Unsupported now, not mid-batch, when a test cannot be vectorised."""
        empty = {fid: _encode_column(f, [None])[0] for fid, f in self.catalog.items()}
        batch = _Batch(self.catalog, self.findings_of, empty)
        for plan in self.engine.plans:
            for rule in plan.cause.rules:
                batch.state(rule.when)
                if rule.unless is not None:
                    batch.state(rule.unless)
        for flag in self.flags:
            batch.state(flag.when)

    # --- the public entry point ---

    def assess_documents(self, documents: Sequence[Any]) -> list[Document | None]:
        """Each plain, valid intake document's assessment; None for every other document."""
        envelopes = [_plain_envelope(d, self.catalog) for d in documents]
        rows = [i for i, envelope in enumerate(envelopes) if envelope is not None]
        findings = [documents[i]["findings"] for i in rows]
        columns, bad = self._encode(findings)
        results: list[Document | None] = [None] * len(documents)
        if not rows:
            return results
        for position, document in enumerate(self._assess(findings, columns)):
            if position not in bad:
                intake_id, intake_date = envelopes[rows[position]]  # type: ignore[misc]
                document["intake_id"] = intake_id
                document["intake_date"] = intake_date
                results[rows[position]] = document
        return results

    def _encode(self, findings: list[dict[str, Any]]) -> tuple[Columns, set[int]]:
        columns: Columns = {}
        bad: set[int] = set()
        ids = list(self.catalog)
        by_finding = zip(*(list(map(f.get, ids)) for f in findings), strict=True)
        for finding_id, column in zip(ids, by_finding, strict=True):
            columns[finding_id], rejected = _encode_column(self.catalog[finding_id], list(column))
            bad |= rejected
        return columns, bad

    # --- scoring a batch ---

    def _assess(self, findings: list[dict[str, Any]], columns: Columns) -> list[Document]:
        batch = _Batch(self.catalog, self.findings_of, columns)
        size = len(findings)
        causes = [self._cause_columns(plan, batch, size) for plan in self.engine.plans]
        flag_parts = self._flag_columns(batch)
        documents = []
        for row, row_findings in enumerate(findings):
            documents.append(self._document(row, row_findings, causes, flag_parts))
        return documents

    def _flag_columns(self, batch: _Batch) -> tuple[list[list[int]], list[list[int]]]:
        """Per intake: the raised flags (most severe first) and the flags left open."""
        states = [batch.state(flag.when) for flag in self.flags]
        yes = np.array([s[0] for s in states])
        open_ = ~yes & ~np.array([s[1] for s in states])
        raised = [[self.by_severity[i] for i in row] for row in _row_lists(yes[self.by_severity].T)]
        witnessed = [batch.witness_codes(flag.when, len(raised)) for flag in self.flags]
        self.flag_witnesses = [_Witnesses(leaves) for _, leaves in witnessed]
        self.flag_codes = np.array([codes for codes, _ in witnessed]).T.tolist()
        return raised, _row_lists(open_.T)

    def _cause_columns(self, plan: Any, batch: _Batch, size: int) -> _CauseColumns:
        values = []  # per unit: the values of its rules
        for unit in plan.units:
            values.append([self._rule_values(rule, batch) for rule in unit.rules])
        return _CauseColumns(self, plan, batch, values, size)

    def _rule_values(
        self, rule: Rule, batch: _Batch, override: tuple[str, Any] | None = None
    ) -> Any:
        plan = self.rule_plans[id(rule)]
        if override is None:
            when = batch.state(rule.when)
            unless = None if rule.unless is None else batch.state(rule.unless)
        else:
            when = batch.state_if(rule.when, *override)
            unless = None if rule.unless is None else batch.state_if(rule.unless, *override)
        return plan.values(when, unless)

    # --- building one intake's document ---

    def _document(
        self,
        row: int,
        findings: dict[str, Any],
        causes: list[_CauseColumns],
        flag_parts: tuple[list[list[int]], list[list[int]]],
    ) -> Document:
        engine = self.engine
        raised = flag_parts[0][row]
        codes = self.flag_codes[row]
        cause_docs = [cause.document(row, findings) for cause in causes]
        cause_docs.sort(key=lambda c: (-c["probability"], engine.order[c["id"]]))
        for rank, cause_doc in enumerate(cause_docs, 1):
            cause_doc["rank"] = rank
        return {
            "schema_version": 1,
            "intake_id": None,
            "intake_date": None,
            "ruleset": engine.info,
            "referral_first": any(self.flags[i].action.is_referral_first for i in raised),
            "red_flags": [
                {
                    "id": self.flags[i].id,
                    "title": self.flags[i].title,
                    "action": self.flags[i].action.value,
                    "findings": self.flag_witnesses[i].of(codes[i]),
                    "advice": self.flags[i].advice,
                    "source": list(self.flags[i].source),
                }
                for i in raised
            ],
            "unscreened_red_flags": [
                {
                    "id": self.flags[i].id,
                    "action": self.flags[i].action.value,
                    "unanswered": [f for f in self.flag_findings[i] if findings.get(f) is None],
                }
                for i in flag_parts[1][row]
            ],
            "causes": cause_docs,
            "disclaimer": engine.ruleset.disclaimer,
        }


def _row_lists(matrix: Array) -> list[list[int]]:
    """For each row of a boolean matrix, the column indices that are set."""
    rows, cols = np.nonzero(matrix)
    counts = np.bincount(rows, minlength=matrix.shape[0]).tolist()
    flat = cols.tolist()
    result, start = [], 0
    for count in counts:
        result.append(flat[start : start + count])
        start += count
    return result


class _CauseColumns:
    """One cause over a batch: each intake's probability, contributions and check-next."""

    def __init__(
        self,
        engine: BatchEngine,
        plan: Any,
        batch: _Batch,
        unit_values: list[list[Any]],
        size: int,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.cause = plan.cause
        self.rules = [rule for unit in plan.units for rule in unit.rules]
        self.rule_plans = [engine.rule_plans[id(rule)] for rule in self.rules]
        combined = [_combine(values) for values in unit_values]
        subtotal: Any = np.zeros(size)
        for value in combined:
            subtotal = subtotal + value
        self.total = plan.prior_log_odds + subtotal
        probability = _probability(self.total)
        self.probability = _round4(probability).tolist()
        self.band = _bands(engine.engine.ruleset, probability)
        self._contributions(batch, unit_values, size)
        self._check_next(batch, unit_values, combined, probability, size)

    # contributions: which rules applied a factor, which of them counted, their shares
    def _contributions(self, batch: _Batch, unit_values: list[list[Any]], size: int) -> None:
        values = np.array([np.broadcast_to(v, (size,)) for vs in unit_values for v in vs])
        leader = np.empty(values.shape, dtype=np.int32)
        start = 0
        for unit_vals in unit_values:
            stop = start + len(unit_vals)
            leader[start:stop] = _unit_leaders(values[start:stop], start)
            start = stop
        applied = ~np.isnan(values) & (values != 0)
        counted = applied & (leader == np.arange(len(self.rules))[:, None])
        magnitude = np.where(applied, np.abs(values), 0.0)
        total: Any = np.zeros(size)
        for rule_index in range(len(self.rules)):  # in rule order, as the reference sums
            total = total + np.where(counted[rule_index], magnitude[rule_index], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(counted & (total > 0), _round4(values / total), 0.0)
        category = np.where(counted, 0, np.where(applied, 1, 2))
        order = np.lexsort((-magnitude, category), axis=0)
        entries = applied.sum(axis=0)
        keep = np.arange(len(self.rules))[:, None] < entries[None, :]
        present = values == np.array([p.log_lr for p in self.rule_plans])[:, None]
        witnesses = []
        self.witnesses = []
        for rule in self.rules:
            codes, leaves = batch.witness_codes(rule.when, size)
            witnesses.append(codes)
            self.witnesses.append(_Witnesses(leaves))
        columns = [order] + [
            np.take_along_axis(m, order, axis=0)
            for m in (present, counted, share, leader, np.array(witnesses))
        ]
        self.offsets = np.concatenate(([0], np.cumsum(entries))).tolist()
        # one tuple per contribution, intake by intake: (rule, present, counted, share, leader,
        # witness code)
        self.packed = list(zip(*(m.T[keep.T].tolist() for m in columns), strict=True))

    # check-next: the unanswered findings whose answer could move this cause most
    def _check_next(
        self,
        batch: _Batch,
        unit_values: list[list[Any]],
        combined: list[Any],
        probability: Array,
        size: int,
    ) -> None:
        plan = self.plan
        catalog = self.engine.catalog
        self.questions = [
            (finding_id, catalog[finding_id].question, catalog[finding_id].asked_of)
            for finding_id in plan.candidates
        ]
        shifts, lows, highs = [], [], []
        for finding_id, options in plan.candidates.items():
            lowest, highest = self._gain_range(batch, unit_values, combined, finding_id, options)
            low, high = _probability(self.total + lowest), _probability(self.total + highest)
            shift = np.maximum(high - probability, probability - low)
            unknown = _unknown(batch.columns[finding_id])
            shifts.append(np.where(unknown & (shift >= CHECK_NEXT_MIN_SHIFT), shift, -1.0))
            lows.append(np.broadcast_to(low, (size,)))
            highs.append(np.broadcast_to(high, (size,)))
        if not self.questions:
            self.picks: list[list[int]] = [[] for _ in range(size)]
            self.lows = self.highs = self.picks
            return
        shift_matrix = np.array(shifts)
        keys = np.where(shift_matrix >= 0, _round4_keys(shift_matrix), -1.0)
        top = np.argsort(-keys, axis=0, kind="stable")[:CHECK_NEXT_LIMIT]
        chosen = (np.take_along_axis(keys, top, axis=0) >= 0).sum(axis=0)
        self.picks = [
            picks[:count] for picks, count in zip(top.T.tolist(), chosen.tolist(), strict=True)
        ]
        self.lows = _round4(np.take_along_axis(np.array(lows), top, axis=0)).T.tolist()
        self.highs = _round4(np.take_along_axis(np.array(highs), top, axis=0)).T.tolist()

    def _gain_range(
        self,
        batch: _Batch,
        unit_values: list[list[Any]],
        combined: list[Any],
        finding_id: str,
        options: Sequence[Any],
    ) -> tuple[Any, Any]:
        """The lowest and highest change in ln odds that answering the finding can make."""
        touched = self.plan.units_of[finding_id]
        before: Any = 0
        for u in touched:
            before = before + combined[u]
        lowest = highest = None
        for option in options:
            after: Any = 0.0
            for u in touched:
                unit = self.plan.units[u]
                changed = list(unit_values[u])
                for index in unit.rules_using[finding_id]:
                    changed[index] = self.engine._rule_values(
                        unit.rules[index], batch, (finding_id, option)
                    )
                after = after + _combine(changed)
            gain = after - before
            lowest = gain if lowest is None else np.minimum(lowest, gain)
            highest = gain if highest is None else np.maximum(highest, gain)
        return lowest, highest

    def document(self, row: int, findings: dict[str, Any]) -> Document:
        cause = self.cause
        return {
            "id": cause.id,
            "title": cause.title,
            "rank": 0,
            "probability": self.probability[row],
            "band": self.band[row],
            "prior": cause.prior,
            "contributions": self._row_contributions(row),
            "check_next": self._row_check_next(row),
            "muscles_to_palpate": self.engine.engine._muscles(cause, findings),
        }

    def _row_contributions(self, row: int) -> list[Document]:
        rules, plans, witnesses = self.rules, self.rule_plans, self.witnesses
        entries = []
        for index, present, counted, share, leader, code in self.packed[
            self.offsets[row] : self.offsets[row + 1]
        ]:
            plan = plans[index]
            rule = plan.rule
            direction, factor, basis = plan.present if present else plan.absent
            entries.append(
                {
                    "rule": rule.id,
                    "findings": witnesses[index].of(code),
                    "direction": direction,
                    "factor": factor,
                    "basis": basis,
                    "counted": counted,
                    "share": share,
                    "group": rule.group,
                    "because": rule.because,
                    "source": plan.source,
                    "outweighed_by": None if counted else rules[leader].id,
                }
            )
        return entries

    def _row_check_next(self, row: int) -> list[Document]:
        return [
            {
                "finding": finding_id,
                "question": question,
                "asked_of": asked_of,
                "could_lower_to": low,
                "could_raise_to": high,
            }
            for (finding_id, question, asked_of), low, high in zip(
                [self.questions[pick] for pick in self.picks[row]],
                self.lows[row],
                self.highs[row],
                strict=False,  # lows and highs have a slot for every possible pick
            )
        ]


def _unit_leaders(values: Array, offset: int) -> Array:
    """For each rule of a unit, the index of the rule whose factor counts in its direction."""
    positive = np.where(values > 0, values, 0.0)
    negative = np.where(values < 0, values, 0.0)
    best_for = offset + np.argmax(positive, axis=0)
    best_against = offset + np.argmin(negative, axis=0)
    return np.where(values > 0, best_for, np.where(values < 0, best_against, -1))


def _bands(ruleset: Any, probability: Array) -> list[str]:
    labels = [band.label for band in ruleset.bands]
    index = np.full(probability.shape, len(labels) - 1)
    for position in reversed(range(len(ruleset.bands))):
        below = ruleset.bands[position].below
        index = np.where(
            np.ones(probability.shape, bool) if below is None else probability < below,
            position,
            index,
        )
    return [labels[i] for i in index.tolist()]
