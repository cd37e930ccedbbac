"""The batch evaluator: the compiled pack's node table evaluated with numpy over many intakes.

It fills, for each intake, the Result the scalar evaluator fills for it (the differential test
compares them), and the one document builder (engine.document) explains it: nothing here knows
the document's shape.

It takes the plain case only: a mapping of `id`, `findings` and an ISO `date`, every finding
known to the catalog and of the right type. Anything else comes back as None, and the caller
validates and scores that record one by one, so every error message has one source.

A three-valued condition is a pair of boolean arrays: `yes` where it holds, `no` where it
definitely does not; an intake whose answer is unknown is in neither.

Floating point: unit contributions are folded from 0 in unit order, as the scalar evaluator
folds them, and probabilities are left to the builder (math.exp on the same ln odds), so bands,
ranks and rounded figures are the same by construction.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nmt_assess.engine.document import (
    AssessmentDocument,
    Detail,
    DocumentBuilder,
    SummaryDocument,
)
from nmt_assess.engine.scalar import CauseResult, FlagState, Result
from nmt_assess.engine.scalar import State as State3
from nmt_assess.models import Finding, FindingType
from nmt_assess.ruleset.compile import CompiledCause, CompiledPack, CompiledRule, Node

Array = np.ndarray[Any, Any]
State = tuple[Any, Any]  # (yes, no): boolean arrays, or numpy bools for a fixed answer
Columns = dict[str, Array]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_PLAIN_KEYS = frozenset({"id", "date", "findings"})
_NUMERIC = (FindingType.scale_0_10, FindingType.number)


_YES_NO_BYTES = {True: 1, False: 0, None: 255}


class Unsupported(Exception):
    """The ruleset uses a test this module does not vectorise: score with `Engine`."""


# --- encoding: the findings of a batch as one array per finding -----------------------------


def _encode_column(finding: Finding, column: list[Any]) -> tuple[Array, set[int]]:
    """The finding's answers as an array (unknown: -1, or NaN for numbers) and the rows whose
    answer the fast path does not accept (the reference validator judges those)."""
    kind = finding.type
    if kind is FindingType.yes_no:
        if set(map(type, column)) <= {bool, type(None)}:  # the usual case: bytes, in C
            codes = bytes(map(_YES_NO_BYTES.__getitem__, column))
            return np.frombuffer(codes, dtype=np.int8), set()  # 255 reads as -1: unknown
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
    # beyond 62 choices the masks are Python integers: slower, never wrong
    return np.array(codes, dtype=np.int64 if len(choices) <= 62 else object), bad


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
    if column.dtype.kind == "f":
        return np.isnan(column)
    return np.asarray(column < 0, dtype=bool)


def _leaf_state(node: Node, finding: Finding, column: Array) -> State:
    """Where a leaf test holds and where it fails, from the finding's encoded column."""
    known = ~_unknown(column)
    if node.codes is not None:  # a small domain: the compiled pack lists the codes it holds for
        yes = _any_code(column, node.codes)
    elif finding.type is FindingType.multi_choice and node.op in ("any_of", "all_of"):
        if node.mask is None:  # all_of a choice the finding does not have
            yes = np.zeros(column.shape, dtype=bool)
        else:
            overlap = column & node.mask
            yes = known & ((overlap != 0) if node.op == "any_of" else (overlap == node.mask))
            yes = np.asarray(yes, dtype=bool)
    elif finding.type in _NUMERIC and node.op in _COMPARISONS:
        with np.errstate(invalid="ignore"):  # NaN (unknown) compares False, as wanted
            yes = _COMPARISONS[node.op](column, node.operand)
    else:
        raise Unsupported(f"{node.finding}: {node.op} on a {finding.type.value} finding")
    return yes, known & ~yes


_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "gt": np.greater,
    "gte": np.greater_equal,
    "lt": np.less,
    "lte": np.less_equal,
}


def _any_code(column: Array, codes: Sequence[int]) -> Array:
    result = np.zeros(column.shape, dtype=bool)
    for code in codes:
        result |= column == code
    return result


def _fixed_state(node: Node, value: Any) -> State:
    """The leaf's state for every intake when its finding is given `value` (check-next)."""
    holds = node.holds(value)
    return np.bool_(holds), np.bool_(not holds)


def _combine_states(node: Node, parts: list[State]) -> State:
    op = node.op
    if op == "not":
        yes, no = parts[0]
        return no, yes
    if op == "all":
        return _every([p[0] for p in parts]), _some([p[1] for p in parts])
    if op == "any":
        return _some([p[0] for p in parts]), _every([p[1] for p in parts])
    if op == "any_known":
        yes = _some([p[0] for p in parts])
        return yes, np.logical_and(np.logical_not(yes), _some([p[1] for p in parts]))
    assert op == "at_least", op
    held: Any = 0
    open_: Any = 0
    for yes, no in parts:
        held = held + np.asarray(yes, dtype=np.int32)
        open_ = open_ + np.asarray(~yes & ~no, dtype=np.int32)
    return held >= node.operand, held + open_ < node.operand


def _every(items: list[Any]) -> Any:
    """Elementwise AND. A fixed part (a numpy bool, from a simulated answer) decides the
    result or drops out, without an array operation."""
    arrays = []
    for item in items:
        if isinstance(item, np.bool_):
            if not item:
                return np.False_
        else:
            arrays.append(item)
    return _reduce(np.logical_and, arrays) if arrays else np.True_


def _some(items: list[Any]) -> Any:
    """Elementwise OR, with fixed parts as in `_every`."""
    arrays = []
    for item in items:
        if isinstance(item, np.bool_):
            if item:
                return np.True_
        else:
            arrays.append(item)
    return _reduce(np.logical_or, arrays) if arrays else np.False_


def _reduce(operation: Callable[[Any, Any], Any], arrays: list[Any]) -> Any:
    result = arrays[0]
    for array in arrays[1:]:
        result = operation(result, array)
    return result


class _Batch:
    """One batch's encoded columns, with each node's state computed once."""

    def __init__(self, pack: CompiledPack, columns: Columns) -> None:
        self.pack = pack
        self.nodes = pack.nodes
        self.catalog = pack.ruleset.findings
        self.columns = columns
        self._states: dict[int, State] = {}
        self._rest: dict[tuple[int, str], list[State]] = {}

    def state(self, index: int) -> State:
        cached = self._states.get(index)
        if cached is None:
            node = self.nodes[index]
            if node.children:
                cached = _combine_states(node, [self.state(c) for c in node.children])
            else:
                assert node.finding is not None
                finding = self.catalog[node.finding]
                cached = _leaf_state(node, finding, self.columns[node.finding])
            self._states[index] = cached
        return cached

    def witness_codes(self, root: int, size: int) -> Array:
        """Per intake, one bit per leaf test that decided the condition (in the order of
        CompiledRule.leaves): int64, or Python integers for a condition of over 62 tests."""
        nodes = self.nodes
        leaves = 0

        def count(index: int) -> int:
            node = nodes[index]
            return 1 if not node.children else sum(count(c) for c in node.children)

        codes = np.zeros(size, dtype=np.int64 if count(root) <= 62 else object)

        def visit(index: int, reach: Any) -> None:
            nonlocal leaves
            node = nodes[index]
            if not node.children:
                yes, no = self.state(index)
                codes[reach & (yes | no)] |= 1 << leaves
                leaves += 1
            elif node.op == "not":
                visit(node.children[0], reach)
            else:
                yes, no = self.state(index)
                for child in node.children:
                    child_yes, child_no = self.state(child)
                    if node.op == "at_least":
                        decides = child_yes | child_no
                    else:
                        decides = (child_yes & yes) | (child_no & no)
                    visit(child, reach & decides)

        visit(root, np.ones(size, dtype=bool))
        return codes

    def state_if(self, index: int, finding_id: str, value: Any) -> State:
        """The node's state were every intake to answer `finding_id` with `value`."""
        node = self.nodes[index]
        if finding_id not in node.reads:
            return self.state(index)
        if not node.children:
            return _fixed_state(node, value)
        children = node.children
        if node.op not in ("all", "any"):
            return _combine_states(node, [self.state_if(c, finding_id, value) for c in children])
        # AND and OR group freely: the parts that do not read the finding are combined once
        # per finding and reused for each simulated answer
        key = (index, finding_id)
        rest = self._rest.get(key)
        if rest is None:
            fixed = [self.state(c) for c in children if finding_id not in self.nodes[c].reads]
            rest = self._rest[key] = [_combine_states(node, fixed)] if fixed else []
        varying = [
            self.state_if(c, finding_id, value)
            for c in children
            if finding_id in self.nodes[c].reads
        ]
        return _combine_states(node, rest + varying)


# --- rules, units and causes -----------------------------------------------------------------


class _RulePlan:
    """One compiled rule as the batch evaluates it."""

    def __init__(self, rule: CompiledRule, pack: CompiledPack) -> None:
        self.rule = rule
        self.log_lr = rule.log_lr
        self.log_absent = rule.log_absent
        #: the one leaf a rule without `unless` tests, if that is all it tests
        when = pack.nodes[rule.when]
        self.leaf = when if rule.unless is None and not when.children else None
        self._fixed: dict[Any, float] = {}

    def fixed_value(self, value: Any) -> float:
        """ln of the factor a one-test rule applies when its finding is `value`; NaN for none."""
        found = self._fixed.get(value)
        if found is None:
            assert self.leaf is not None
            absent = math.nan if self.log_absent is None else self.log_absent
            found = self._fixed[value] = self.log_lr if self.leaf.holds(value) else absent
        return found

    def values(self, when: State, unless: State | None) -> Any:
        """ln of the factor the rule applies to each intake; NaN where it applies none."""
        yes, no = when
        if unless is None and isinstance(yes, np.bool_) and isinstance(no, np.bool_):
            # a simulated answer decided it for every intake
            absent = math.nan if self.log_absent is None else self.log_absent
            return self.log_lr if yes else (absent if no else math.nan)
        values = np.where(yes, self.log_lr, math.nan)
        if self.log_absent is not None:
            values = np.where(no, self.log_absent, values)
        return values if unless is None else np.where(unless[0], math.nan, values)


def _combine(values: Iterable[Any]) -> Any:
    """The unit's ln contribution: its strongest factor for plus its strongest against."""
    high, low = _extremes(values)
    return high + low


def _extremes(values: Iterable[Any]) -> tuple[Any, Any]:
    """The strongest factor for (at least 0) and the strongest against (at most 0)."""
    high: Any = 0.0
    low: Any = 0.0
    for value in values:
        high = np.fmax(high, value)  # fmax skips NaN (no factor)
        low = np.fmin(low, value)
    return high, low


def _probability(log_odds: Any) -> Any:
    with np.errstate(over="ignore"):  # odds below e^-709: 1 / (1 + inf) is 0, as the engine
        return 1.0 / (1.0 + np.exp(-log_odds))


#: The codes of a state matrix (0 fails, 1 holds, 2 unknown) as node and flag states.
_STATE_OF: tuple[State3, ...] = (False, True, None)
_FLAG_STATE: tuple[FlagState, ...] = ("clear", "raised", "unscreened")


class BatchEvaluator:
    """A compiled pack prepared for evaluating batches with numpy: each intake's Result is the
    scalar evaluator's for it, so one document builder explains both."""

    def __init__(self, pack: CompiledPack) -> None:
        self.pack = pack
        self.builder = DocumentBuilder(pack)
        self.catalog = pack.ruleset.findings
        self.rule_plans = [[_RulePlan(rule, pack) for rule in cause.rules] for cause in pack.causes]
        self._check_supported()

    def _check_supported(self) -> None:
        """Raise Unsupported now, not mid-batch, when a test cannot be vectorised."""
        empty = {fid: _encode_column(f, [None])[0] for fid, f in self.catalog.items()}
        batch = _Batch(self.pack, empty)
        for index in range(len(self.pack.nodes)):
            batch.state(index)

    def evaluate(
        self, documents: Sequence[Any], check_next: bool = True
    ) -> Iterator[tuple[Any, Result] | None]:
        """For each plain, valid intake document, its (id, date) and Result, in order; None
        for every other document (the caller validates and scores those one by one). Without
        `check_next` the Results hold no check-next ranges (a summary does not need them)."""
        envelopes = [_plain_envelope(d, self.catalog) for d in documents]
        rows = [i for i, envelope in enumerate(envelopes) if envelope is not None]
        findings = [documents[i]["findings"] for i in rows]
        columns, bad = self._encode(findings)
        results = self._results(columns, len(findings), check_next) if rows else []
        position = 0
        for envelope in envelopes:
            if envelope is None:
                yield None
                continue
            yield None if position in bad else (envelope, results[position])
            position += 1

    def assess_documents(
        self, documents: Sequence[Any], detail: Detail = "full"
    ) -> Iterator[AssessmentDocument | SummaryDocument | None]:
        """Each plain, valid intake document's assessment at that detail, None for every other
        document: the batch is evaluated at once, each document built (by the one builder) as
        taken."""
        full = detail == "full"
        build = self.builder.build if full else self.builder.summarize
        for document, item in zip(documents, self.evaluate(documents, full), strict=True):
            if item is None:
                yield None
            else:
                (intake_id, intake_date), result = item
                yield build(result, document["findings"], intake_id, intake_date)

    def results(self, documents: Sequence[Any]) -> list[Result | None]:
        """Each plain, valid intake document's Result, None for every other document."""
        return [None if item is None else item[1] for item in self.evaluate(documents)]

    def _encode(self, findings: list[dict[str, Any]]) -> tuple[Columns, set[int]]:
        columns: Columns = {}
        bad: set[int] = set()
        ids = list(self.catalog)
        by_finding = zip(*(list(map(f.get, ids)) for f in findings), strict=True)
        for finding_id, column in zip(ids, by_finding, strict=True):
            columns[finding_id], rejected = _encode_column(self.catalog[finding_id], list(column))
            bad |= rejected
        return columns, bad

    def _results(self, columns: Columns, size: int, check_next: bool = True) -> list[Result]:
        batch = _Batch(self.pack, columns)
        states = _state_table(batch, range(len(self.pack.nodes)), size)
        flags = _state_table(batch, [flag.when for flag in self.pack.flags], size)
        causes = [self._cause_rows(cause, batch, size, check_next) for cause in self.pack.causes]
        nodes, count = len(self.pack.nodes), len(self.pack.flags)
        return [
            Result(
                _StateRow(states[row * nodes : (row + 1) * nodes]),
                tuple(map(_FLAG_STATE.__getitem__, flags[row * count : (row + 1) * count])),
                tuple(cause[row] for cause in causes),
            )
            for row in range(size)
        ]

    def _cause_rows(
        self, cause: CompiledCause, batch: _Batch, size: int, check_next: bool
    ) -> list[CauseResult]:
        """The cause's result for every intake of the batch. Its rule values and check-next
        ranges are made for an intake only when read: the builder reads them only for the
        compiled causes that stand for a cause (one site of several)."""
        unit_values = [
            [self.rule_values(cause, i, batch) for i in unit.rules] for unit in cause.units
        ]
        combined = [_combine(values) for values in unit_values]
        subtotal: Any = np.zeros(size)
        for value in combined:  # unit by unit from 0, as the scalar evaluator folds them
            subtotal = subtotal + value
        total = cause.prior_log_odds + subtotal
        table = _CauseTable(size, len(cause.rules))
        for unit, values in zip(cause.units, unit_values, strict=True):
            for index, value in zip(unit.rules, values, strict=True):
                table.values[:, index] = value
        if check_next:
            for finding_id, options in cause.candidates.items():
                unknown = _unknown(batch.columns[finding_id])
                if unknown.any():
                    lowest, highest = self._gain_range(
                        cause, batch, unit_values, combined, finding_id, options
                    )
                    table.add_candidate(finding_id, unknown, total + lowest, total + highest)
        totals = total.tolist()
        lows, highs = (x.tolist() for x in self._log_odds_range(cause, batch, unit_values, size))
        rule_values, ranges = table.rule_values, table.ranges
        return [
            CauseResult(
                totals[row],
                lows[row],
                highs[row],
                _RowView(rule_values, row),
                _RowView(ranges, row),
            )
            for row in range(size)
        ]

    def _log_odds_range(
        self, cause: CompiledCause, batch: _Batch, unit_values: list[list[Any]], size: int
    ) -> tuple[Array, Array]:
        """scalar.unit_range over the batch, folded in the scalar evaluator's order."""
        low_total: Any = np.zeros(size)
        high_total: Any = np.zeros(size)
        for unit, values in zip(cause.units, unit_values, strict=True):
            ends = []
            for pick, start, sign in ((np.fmax, -np.inf, 1), (np.fmin, np.inf, -1)):
                low: Any = start
                high: Any = start
                for index, value in zip(unit.rules, values, strict=True):
                    rule = cause.rules[index]
                    present = np.broadcast_to(batch.state(rule.when)[0], (size,))
                    side = (value > 0) if sign > 0 else (value < 0)
                    rule_low = np.where(present, rule.lr_bounds[0], rule.absent_bounds[0])
                    rule_high = np.where(present, rule.lr_bounds[1], rule.absent_bounds[1])
                    low = pick(low, np.where(side, rule_low, start))
                    high = pick(high, np.where(side, rule_high, start))
                ends.append(
                    (np.where(np.isinf(low), 0.0, low), np.where(np.isinf(high), 0.0, high))
                )
            (for_low, for_high), (against_low, against_high) = ends
            low_total = low_total + (for_low + against_low)
            high_total = high_total + (for_high + against_high)
        return cause.prior_log_odds + low_total, cause.prior_log_odds + high_total

    def _gain_range(
        self,
        cause: CompiledCause,
        batch: _Batch,
        unit_values: list[list[Any]],
        combined: list[Any],
        finding_id: str,
        options: Sequence[Any],
    ) -> tuple[Any, Any]:
        """The lowest and highest change in ln odds that answering the finding can make."""
        touched = cause.units_of[finding_id]
        before: Any = 0.0
        for u in touched:
            before = before + combined[u]
        # Each touched unit's strongest factors among the rules that do not read the finding,
        # taken once: only the rules that read it change with the answer (max and min are
        # exact, so folding in any order gives the scalar path's values).
        partial = []
        for u in touched:
            unit = cause.units[u]
            using = unit.rules_using[finding_id]
            others = [v for i, v in enumerate(unit_values[u]) if i not in using]
            partial.append((*_extremes(others), [unit.rules[i] for i in using]))
        lowest = highest = None
        for option in options:
            after: Any = 0.0
            for high, low, rules in partial:
                for index in rules:
                    value = self.rule_values(cause, index, batch, (finding_id, option))
                    high, low = np.fmax(high, value), np.fmin(low, value)
                after = after + (high + low)
            gain = after - before
            lowest = gain if lowest is None else np.minimum(lowest, gain)
            highest = gain if highest is None else np.maximum(highest, gain)
        return lowest, highest

    def rule_values(
        self,
        cause: CompiledCause,
        index: int,
        batch: _Batch,
        override: tuple[str, Any] | None = None,
    ) -> Any:
        """ln of the factor the rule applies to each intake (NaN: none); with `override`,
        were every intake to answer that finding with that value."""
        plan = self.rule_plans[cause.index][index]
        rule = plan.rule
        if override is not None and plan.leaf is not None:
            return plan.fixed_value(override[1])  # the rule reads only the overridden finding
        if override is None:
            when = batch.state(rule.when)
            unless = None if rule.unless is None else batch.state(rule.unless)
        else:
            when = batch.state_if(rule.when, *override)
            unless = None if rule.unless is None else batch.state_if(rule.unless, *override)
        return plan.values(when, unless)


def _state_table(batch: _Batch, nodes: Sequence[int], size: int) -> bytes:
    """Each node's state for every intake, intake by intake (row-major), as codes of _STATE_OF
    (0 fails, 1 holds, 2 unknown)."""
    codes = np.full((size, len(nodes)), 2, dtype=np.int8)
    for position, index in enumerate(nodes):
        yes, no = batch.state(index)
        column = codes[:, position]
        column[np.broadcast_to(yes, (size,))] = 1
        column[np.broadcast_to(no, (size,))] = 0
    return codes.tobytes()


class _CauseTable:
    """One compiled cause's rule values and check-next ranges over a batch, read intake by
    intake (see _RowView)."""

    def __init__(self, size: int, rules: int) -> None:
        self.values = np.empty((size, rules))
        self._size = size
        self._candidates: list[str] = []
        self._unknown: list[Array] = []
        self._least: list[Array] = []
        self._most: list[Array] = []
        self._by_row: tuple[list[int], list[str], list[float], list[float]] | None = None

    def add_candidate(self, finding_id: str, unknown: Array, least: Any, most: Any) -> None:
        self._candidates.append(finding_id)
        self._unknown.append(unknown)
        self._least.append(np.broadcast_to(least, (self._size,)))
        self._most.append(np.broadcast_to(most, (self._size,)))

    def rule_values(self, row: int) -> tuple[float | None, ...]:
        return tuple([None if value != value else value for value in self.values[row].tolist()])

    def ranges(self, row: int) -> tuple[tuple[str, float, float], ...]:
        if not self._candidates:
            return ()
        if self._by_row is None:
            self._by_row = self._ranges_by_row()
        bounds, findings, lows, highs = self._by_row
        start, end = bounds[row], bounds[row + 1]
        return tuple(zip(findings[start:end], lows[start:end], highs[start:end], strict=True))

    def _ranges_by_row(self) -> tuple[list[int], list[str], list[float], list[float]]:
        """Every intake's ranges at once, intake after intake (candidates in catalog order),
        and where the ranges of each intake start."""
        unknown = np.stack(self._unknown, axis=1)
        rows, columns = np.nonzero(unknown)  # row-major: by intake, then by candidate
        least = np.stack(self._least, axis=1)[rows, columns].tolist()
        most = np.stack(self._most, axis=1)[rows, columns].tolist()
        findings = list(map(self._candidates.__getitem__, columns.tolist()))
        bounds = np.searchsorted(rows, np.arange(self._size + 1)).tolist()
        return bounds, findings, least, most


class _AsTuple(Sequence[Any]):
    """A row that reads, compares and prints as the tuple it stands for, so a Result made of
    rows equals (and prints as) the scalar evaluator's."""

    __slots__ = ()

    def _tuple(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._tuple())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._tuple())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._tuple() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._tuple())


class _StateRow(_AsTuple):
    """One intake's node states, read from their codes when asked: the builder reads only the
    few nodes it explains."""

    __slots__ = ("_codes",)

    def __init__(self, codes: bytes) -> None:
        self._codes = codes

    def _tuple(self) -> tuple[State3, ...]:
        return tuple(map(_STATE_OF.__getitem__, self._codes))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(map(_STATE_OF.__getitem__, self._codes[index]))
        return _STATE_OF[self._codes[index]]

    def __len__(self) -> int:
        return len(self._codes)


class _RowView(_AsTuple):
    """One intake's row of a batch table, made when first read."""

    __slots__ = ("_items", "_make", "_row")

    def __init__(self, make: Callable[[int], tuple[Any, ...]], row: int) -> None:
        self._make = make
        self._row = row
        self._items: tuple[Any, ...] | None = None

    def _tuple(self) -> tuple[Any, ...]:
        items = self._items
        if items is None:
            items = self._items = self._make(self._row)
        return items

    def __getitem__(self, index: Any) -> Any:
        return self._tuple()[index]
