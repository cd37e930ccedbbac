"""The batch evaluator: the compiled pack's node table evaluated with numpy over many intakes.

It fills what the scalar evaluator fills for one intake (`row` gives any intake's Result: the
differential test compares them) and hands the document builder what it needs, with each
distinct contribution, check-next and red-flag entry built once and shared: the documents are
the ones the scalar path builds, byte for byte.

It takes the plain case only: a mapping of `id`, `findings` and an ISO `date`, every finding
known to the catalog and of the right type. Anything else comes back as None, and the caller
validates and scores that record one by one, so every error message has one source.

A three-valued condition is a pair of boolean arrays: `yes` where it holds, `no` where it
definitely does not; an intake whose answer is unknown is in neither.

Entries are cached by integer keys packing what decides them. Keys are int64 when their parts
fit 63 bits and Python integers (numpy object arrays) when a pack is larger, so no size of pack
leaves this path.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nmt_assess.engine.document import (
    CHECK_NEXT_LIMIT,
    CHECK_NEXT_MIN_SHIFT,
    AssessmentDocument,
    DocumentBuilder,
    Restriction,
    check_next_entry,
    contribution_entry,
    raised_flag_entry,
    unscreened_flag_entry,
)
from nmt_assess.engine.scalar import CauseResult, FlagState, Result, probability
from nmt_assess.models import Finding, FindingType
from nmt_assess.ruleset.compile import CompiledCause, CompiledPack, CompiledRule, Node

Array = np.ndarray[Any, Any]
State = tuple[Any, Any]  # (yes, no): boolean arrays, or numpy bools for a fixed answer
Columns = dict[str, Array]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_PLAIN_KEYS = frozenset({"id", "date", "findings"})
_NUMERIC = (FindingType.scale_0_10, FindingType.number)


#: Bits of a contribution key's share (see _contribution_keys).
_SHARE_BITS = 15
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


class _Witnesses:
    """The witness list of each distinct code, built once and shared by the documents."""

    def __init__(self, leaves: Sequence[str]) -> None:
        self.leaves = leaves
        self.lists: dict[int, tuple[str, ...]] = {}

    def of(self, code: int) -> tuple[str, ...]:
        found = self.lists.get(code)
        if found is None:
            chosen = (leaf for bit, leaf in enumerate(self.leaves) if code >> bit & 1)
            found = self.lists[code] = tuple(dict.fromkeys(chosen))
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
    keys: Array = np.rint(_round4(values) * 1e4)  # within an ulp of k, so rint gives k
    return keys


def _probability(log_odds: Any) -> Any:
    with np.errstate(over="ignore"):  # odds below e^-709: 1 / (1 + inf) is 0, as the engine
        return 1.0 / (1.0 + np.exp(-log_odds))


def _wide(bits: int) -> bool:
    """Whether keys of this many bits need Python integers rather than int64."""
    return bits > 63


class BatchEvaluator:
    """A compiled pack prepared for evaluating batches with numpy.

    `encode`, when a writer supplies one, turns each shared contribution and check-next entry
    into what that writer writes fastest (JSON Lines: the entry's JSON as an orjson Fragment,
    copied instead of encoded again); documents built with it are for that writer only.
    """

    def __init__(self, pack: CompiledPack, encode: Callable[[Any], Any] | None = None) -> None:
        self.pack = pack
        self.builder = DocumentBuilder(pack)
        self.encode = encode
        self.catalog = pack.ruleset.findings
        self.rule_plans = [[_RulePlan(rule, pack) for rule in cause.rules] for cause in pack.causes]
        flags = pack.flags
        self.flag_bits = max(1, len(flags).bit_length())
        self.flag_mask = (1 << self.flag_bits) - 1
        self.referral_first = [i for i, f in enumerate(flags) if f.flag.action.is_referral_first]
        self.flag_witnesses = [_Witnesses(flag.leaves) for flag in flags]
        self._flag_entries: dict[int, Any] = {}
        self._check_supported()
        # Documents share their contribution and check-next entries, cached by what decides
        # them (about nine in ten repeat): they are immutable (document.Entry).
        self.caches = [_EntryCaches(cause, self) for cause in pack.causes]

    def _check_supported(self) -> None:
        """Raise Unsupported now, not mid-batch, when a test cannot be vectorised."""
        empty = {fid: _encode_column(f, [None])[0] for fid, f in self.catalog.items()}
        batch = _Batch(self.pack, empty)
        for cause in self.pack.causes:
            for rule in cause.rules:
                batch.state(rule.when)
                if rule.unless is not None:
                    batch.state(rule.unless)
        for flag in self.pack.flags:
            batch.state(flag.when)

    def unanswered_codes(self, flag: int, batch: _Batch, size: int) -> Array:
        """Per intake, a bit for each of the flag's findings that is unanswered."""
        reads = self.pack.flags[flag].reads
        wide = _wide(len(reads) + self.flag_bits)
        codes = np.zeros(size, dtype=object if wide else np.int64)
        for bit, finding_id in enumerate(reads):
            unknown = _unknown(batch.columns[finding_id])
            if wide:
                codes[unknown] |= 1 << bit
            else:
                codes |= unknown.astype(np.int64) << bit
        return codes

    def raised_entry(self, key: int) -> Any:
        """A raised flag's entry, for a key packing (witness code, flag)."""
        entry = self._flag_entries.get(key << 1)
        if entry is None:
            index = key & self.flag_mask
            witnesses = self.flag_witnesses[index].of(key >> self.flag_bits)
            entry = raised_flag_entry(self.pack.flags[index].flag, witnesses)
            self._remember(key << 1, entry)
        return entry

    def open_entry(self, key: int) -> Any:
        """An unscreened flag's entry, for a key packing (unanswered findings, flag)."""
        entry = self._flag_entries.get(key << 1 | 1)
        if entry is None:
            index, code = key & self.flag_mask, key >> self.flag_bits
            flag = self.pack.flags[index]
            unanswered = tuple(f for bit, f in enumerate(flag.reads) if code >> bit & 1)
            entry = unscreened_flag_entry(flag.flag, unanswered)
            self._remember(key << 1 | 1, entry)
        return entry

    def _remember(self, key: int, entry: Any) -> None:
        if len(self._flag_entries) >= _EntryCaches.LIMIT:
            self._flag_entries = {}
        self._flag_entries[key] = entry

    # --- the public entry points ---

    def assess_documents(self, documents: Sequence[Any]) -> Iterator[AssessmentDocument | None]:
        """Each plain, valid intake document's assessment, in order; None for every other
        document. Scoring is done for the whole batch; documents are built as they are taken,
        so only the one in hand is held."""
        envelopes, findings, scored, bad = self._evaluate(documents)
        position = 0
        for envelope in envelopes:
            if envelope is None:
                yield None
                continue
            assert scored is not None
            if position in bad:
                yield None
            else:
                document = scored.document(position, findings[position])
                document["intake_id"], document["intake_date"] = envelope
                yield document
            position += 1

    def results(self, documents: Sequence[Any]) -> list[Result | None]:
        """Each plain, valid intake document's evaluation (what the scalar evaluator gives
        for it), None for every other document: for comparing the evaluators."""
        envelopes, _, scored, bad = self._evaluate(documents)
        results: list[Result | None] = []
        position = 0
        for envelope in envelopes:
            if envelope is None:
                results.append(None)
                continue
            assert scored is not None
            results.append(None if position in bad else scored.result(position))
            position += 1
        return results

    def _evaluate(
        self, documents: Sequence[Any]
    ) -> tuple[list[Any], list[dict[str, Any]], _Scored | None, set[int]]:
        envelopes = [_plain_envelope(d, self.catalog) for d in documents]
        rows = [i for i, envelope in enumerate(envelopes) if envelope is not None]
        findings = [documents[i]["findings"] for i in rows]
        columns, bad = self._encode(findings)
        scored = self._assess(findings, columns) if rows else None
        return envelopes, findings, scored, bad

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

    def _assess(self, findings: list[dict[str, Any]], columns: Columns) -> _Scored:
        batch = _Batch(self.pack, columns)
        size = len(findings)
        causes = []
        for cause, caches in zip(self.pack.causes, self.caches, strict=True):
            values = [
                [self.rule_values(cause, i, batch) for i in unit.rules] for unit in cause.units
            ]
            causes.append(_CauseColumns(self, cause, caches, batch, values, size))
        return _Scored(self, batch, causes, size)

    def rule_values(
        self,
        cause: CompiledCause,
        index: int,
        batch: _Batch,
        override: tuple[str, Any] | None = None,
    ) -> Any:
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


class _Scored:
    """A batch's scores, ready to be turned into documents one intake at a time."""

    def __init__(
        self, evaluator: BatchEvaluator, batch: _Batch, causes: list[_CauseColumns], size: int
    ) -> None:
        self.evaluator = evaluator
        self.batch = batch
        self.causes = causes
        self.size = size
        pack = evaluator.pack
        flags = pack.flags
        states = [batch.state(flag.when) for flag in flags]
        shape = (len(flags), size)  # also when a pack has no red flags
        self.yes = yes = np.array(
            [np.broadcast_to(s[0], (size,)) for s in states], dtype=bool
        ).reshape(shape)
        self.no = no = np.array(
            [np.broadcast_to(s[1], (size,)) for s in states], dtype=bool
        ).reshape(shape)
        open_ = ~yes & ~no
        bits = evaluator.flag_bits
        wide = any(_wide(len(flag.leaves) + bits) for flag in flags)
        dtype = object if wide else np.int64
        index = np.arange(len(flags), dtype=np.int64)[:, None].astype(dtype)
        witnesses = np.array(
            [batch.witness_codes(flag.when, size) for flag in flags], dtype=dtype
        ).reshape(shape)
        wide_open = any(_wide(len(flag.reads) + bits) for flag in flags)
        unanswered = np.array(
            [evaluator.unanswered_codes(i, batch, size) for i in range(len(flags))],
            dtype=object if wide_open else np.int64,
        ).reshape(shape)
        # raised flags most severe first (a stable sort), open ones in pack order
        severity = list(pack.by_severity)
        self.raised = _flat_rows((witnesses << bits | index)[severity], yes[severity])
        self.open = _flat_rows(unanswered << bits | index.astype(unanswered.dtype), open_)
        referral_first = np.any(yes[evaluator.referral_first], axis=0)
        self.referral_first: list[bool] = np.asarray(referral_first).tolist()
        # causes by rounded probability, highest first; ties keep pack order (a stable sort)
        probabilities = np.array([cause.probability for cause in causes]).reshape(len(causes), size)
        self.ranking = np.argsort(-probabilities, axis=0, kind="stable").T.tolist()

    def document(self, row: int, findings: dict[str, Any]) -> AssessmentDocument:
        evaluator = self.evaluator
        builder = evaluator.builder
        raised_keys, raised_at = self.raised
        open_keys, open_at = self.open
        raised = raised_keys[raised_at[row] : raised_at[row + 1]]
        mask = evaluator.flag_mask
        restriction = builder.restriction([key & mask for key in raised]) if raised else None
        causes = self.causes
        return builder.document(
            None,
            None,
            [evaluator.raised_entry(key) for key in raised],
            self.referral_first[row],
            [evaluator.open_entry(key) for key in open_keys[open_at[row] : open_at[row + 1]]],
            [
                causes[cause].entry(row, findings, rank, restriction)
                for rank, cause in enumerate(self.ranking[row], 1)
            ],
            findings,
        )

    def result(self, row: int) -> Result:
        """The row's evaluation, as the scalar evaluator's Result."""
        states = []
        for index in range(len(self.evaluator.pack.nodes)):
            yes, no = self.batch.state(index)
            yes = bool(np.broadcast_to(yes, (self.size,))[row])
            no = bool(np.broadcast_to(no, (self.size,))[row])
            states.append(True if yes else False if no else None)
        flags: list[FlagState] = [
            "raised" if yes else "clear" if no else "unscreened"
            for yes, no in zip(self.yes[:, row].tolist(), self.no[:, row].tolist(), strict=True)
        ]
        return Result(tuple(states), tuple(flags), tuple(c.result(row) for c in self.causes))


def _flat_rows(keys: Array, chosen: Array) -> tuple[list[int], list[int]]:
    """The chosen keys (flags by intake), intake after intake, and where each intake starts."""
    counts = chosen.sum(axis=0)
    return keys.T[chosen.T].tolist(), np.concatenate(([0], np.cumsum(counts))).tolist()


class _EntryCaches:
    """A cause's contribution and check-next entries built once per distinct key; bounded, so
    memory stays flat however long the batch."""

    LIMIT = 8192

    def __init__(self, cause: CompiledCause, evaluator: BatchEvaluator) -> None:
        self.pack = evaluator.pack
        self.rules = cause.rules
        #: bits of a rule's position in a key: no limit on the rules of a cause
        self.rule_bits = max(1, len(cause.rules).bit_length())
        self.spare = 2 * self.rule_bits + 2 + _SHARE_BITS
        self.log_lrs = np.array([rule.log_lr for rule in cause.rules])[:, None]
        self.witnesses = [_Witnesses(rule.leaves) for rule in cause.rules]
        self.questions = [
            (finding_id, self.pack.ruleset.findings[finding_id].asked_of)
            for finding_id in cause.candidates
        ]
        self._contributions: dict[int, Any] = {}
        self._checks: dict[int, Any] = {}
        encode = evaluator.encode
        self._finish: Callable[[Any], Any] = encode if encode is not None else _same

    def entries(
        self, contribution_keys: list[int], check_keys: list[int]
    ) -> tuple[dict[int, Any], dict[int, Any]]:
        """Mappings holding every entry a batch needs (contributions, check-next), so that its
        documents only look entries up. A full cache is replaced, never emptied, so a batch's
        mappings stay whole whatever later batches do."""
        self._contributions = _entries(
            self._contributions, contribution_keys, self._contribution, self._finish
        )
        self._checks = _entries(self._checks, check_keys, self._check, self._finish)
        return self._contributions, self._checks

    def asked_of(self, key: int) -> tuple[str, str]:
        return self.questions[key >> 28]

    def _contribution(self, key: int) -> Any:
        share_code = key & ((1 << _SHARE_BITS) - 1)
        key >>= _SHARE_BITS
        counted, present = bool(key & 1), bool(key >> 1 & 1)
        key >>= 2
        mask = (1 << self.rule_bits) - 1
        index, leader = key & mask, key >> self.rule_bits & mask
        code = key >> (2 * self.rule_bits)
        share = -0.0 if share_code == 0 else (share_code - (1 << (_SHARE_BITS - 1))) / 1e4
        return contribution_entry(
            self.rules[index],
            present,
            counted,
            share,
            self.witnesses[index].of(code),
            None if counted else self.rules[leader].rule.id,
        )

    def _check(self, key: int) -> Any:
        """The entry for a key packing (candidate, could lower to, could raise to), each
        probability as a count of 1e-4 (it is rounded to 4 places)."""
        finding_id = self.questions[key >> 28][0]
        return check_next_entry(
            self.pack, finding_id, (key >> 14 & 0x3FFF) / 1e4, (key & 0x3FFF) / 1e4
        )


def _entries(
    cache: dict[int, Any],
    keys: list[int],
    make: Callable[[int], Any],
    finish: Callable[[Any], Any],
) -> dict[int, Any]:
    """The cache with an entry for every key: the same one, or a new one when it would grow
    past the limit (so memory stays flat)."""
    wanted = set(keys)
    missing = wanted.difference(cache)
    if len(cache) + len(missing) > _EntryCaches.LIMIT:
        cache, missing = {}, wanted
    for key in missing:
        cache[key] = finish(make(key))
    return cache


def _same(entry: Any) -> Any:
    return entry


class _CauseColumns:
    """One cause over a batch: each intake's probability, contributions and check-next."""

    def __init__(
        self,
        evaluator: BatchEvaluator,
        cause: CompiledCause,
        caches: _EntryCaches,
        batch: _Batch,
        unit_values: list[list[Any]],
        size: int,
    ) -> None:
        self.evaluator = evaluator
        self.cause = cause
        self.caches = caches
        self.size = size
        self.unit_values = unit_values
        combined = [_combine(values) for values in unit_values]
        subtotal: Any = np.zeros(size)
        for value in combined:
            subtotal = subtotal + value
        self.total = cause.prior_log_odds + subtotal
        # the final probability with the scalar path's function (math.exp on Python floats),
        # so band, rank and the rounded figure are the same by construction
        exact = [probability(x) for x in self.total.tolist()]
        band = evaluator.pack.ruleset.band
        self.probability = [round(p, 4) for p in exact]
        self.band = [band(p) for p in exact]
        self._contributions(batch, unit_values, size)
        self._check_next(batch, unit_values, combined, np.array(exact), size)
        contributions, checks = caches.entries(self.keys, self.check_keys)
        self.contribution, self.check = contributions.__getitem__, checks.__getitem__

    # contributions: which rules applied a factor, which of them counted, their shares
    def _contributions(self, batch: _Batch, unit_values: list[list[Any]], size: int) -> None:
        rules = self.cause.rules
        values = np.array([np.broadcast_to(v, (size,)) for vs in unit_values for v in vs])
        values = values.reshape(len(rules), size)
        leader = np.empty(values.shape, dtype=np.int64)
        start = 0
        for unit_vals in unit_values:
            stop = start + len(unit_vals)
            if stop - start == 1:  # a unit of one rule: the rule leads wherever it applies
                leader[start] = start
            else:
                leader[start:stop] = _unit_leaders(values[start:stop], start)
            start = stop
        applied = ~np.isnan(values) & (values != 0)
        counted = applied & (leader == np.arange(len(rules))[:, None])
        magnitude = np.where(applied, np.abs(values), 0.0)
        total: Any = np.zeros(size)
        for rule_index in range(len(rules)):  # in rule order, as the scalar path sums
            total = total + np.where(counted[rule_index], magnitude[rule_index], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(counted & (total > 0), _round4(values / total), 0.0)
        # the scalar path's order: counted first, then by strength, then rule order (stable)
        category = np.where(counted, 0, np.where(applied, 1, 2))
        order = np.lexsort((-magnitude, category), axis=0)
        entries = applied.sum(axis=0)
        keep = (np.arange(len(rules))[:, None] < entries[None, :]).T
        spare = self.caches.spare
        wide = any(_wide(len(rule.leaves) + spare) for rule in rules)
        one = np.ones(size, dtype=object if wide else np.int64)  # a single test: its own witness
        nodes = batch.nodes
        witnesses = np.array(
            [
                one if not nodes[rule.when].children else batch.witness_codes(rule.when, size)
                for rule in rules
            ],
            dtype=object if wide else np.int64,
        ).reshape(len(rules), size)
        present = values == self.caches.log_lrs
        keys = _contribution_keys(
            present, counted, share, leader, witnesses, self.caches.rule_bits, wide
        )
        self.offsets = np.concatenate(([0], np.cumsum(entries))).tolist()
        #: one key per contribution, intake after intake (see _contribution_keys)
        self.keys = np.take_along_axis(keys, order, axis=0).T[keep].tolist()

    # check-next: the unanswered findings whose answer could move this cause most
    def _check_next(
        self,
        batch: _Batch,
        unit_values: list[list[Any]],
        combined: list[Any],
        probability: Array,
        size: int,
    ) -> None:
        shifts, lows, highs = [], [], []
        nothing = np.full(size, -1.0)
        #: per candidate: where it is unanswered, and the range of probability it could give
        self.ranges: list[tuple[str, Array, Array, Array]] = []
        for finding_id, options in self.cause.candidates.items():
            unknown = _unknown(batch.columns[finding_id])
            if not unknown.any():  # answered by every intake of the batch: nothing to suggest
                shifts.append(nothing)
                lows.append(nothing)
                highs.append(nothing)
                continue
            lowest, highest = self._gain_range(batch, unit_values, combined, finding_id, options)
            least, most = self.total + lowest, self.total + highest
            low, high = _probability(least), _probability(most)
            shift = np.maximum(high - probability, probability - low)
            shifts.append(np.where(unknown & (shift >= CHECK_NEXT_MIN_SHIFT), shift, -1.0))
            lows.append(np.broadcast_to(low, (size,)))
            highs.append(np.broadcast_to(high, (size,)))
            self.ranges.append((finding_id, unknown, least, most))
        if not shifts:
            self.check_offsets = [0] * (size + 1)
            self.check_keys: list[int] = []
            return
        keys = np.array(shifts)
        keys = np.where(keys >= 0, _round4_keys(keys), -1.0)
        # the scalar path sorts by rounded shift, largest first, ties in catalog order: argmax
        # takes the first of equal keys
        columns = np.arange(size)
        top = []
        for _ in range(min(CHECK_NEXT_LIMIT, len(keys))):
            best = np.argmax(keys, axis=0)
            top.append(np.where(keys[best, columns] >= 0, best, -1))
            keys[best, columns] = -2.0
        picks = np.array(top).T  # intake by slot; the valid slots come first
        valid = picks >= 0
        at = columns[:, None], np.where(valid, picks, 0)
        low_top, high_top = (_round4_keys(np.array(m).T[at][valid]) for m in (lows, highs))
        counts = valid.sum(axis=1)
        self.check_offsets = np.concatenate(([0], np.cumsum(counts))).tolist()
        #: one key per check-next entry, intake after intake (see _EntryCaches._check)
        keys = picks[valid] << 28 | low_top.astype(np.int64) << 14 | high_top.astype(np.int64)
        self.check_keys = keys.tolist()

    def _gain_range(
        self,
        batch: _Batch,
        unit_values: list[list[Any]],
        combined: list[Any],
        finding_id: str,
        options: Sequence[Any],
    ) -> tuple[Any, Any]:
        """The lowest and highest change in ln odds that answering the finding can make."""
        cause = self.cause
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
        evaluator = self.evaluator
        for option in options:
            after: Any = 0.0
            for high, low, rules in partial:
                for index in rules:
                    value = evaluator.rule_values(cause, index, batch, (finding_id, option))
                    high, low = np.fmax(high, value), np.fmin(low, value)
                after = after + (high + low)
            gain = after - before
            lowest = gain if lowest is None else np.minimum(lowest, gain)
            highest = gain if highest is None else np.maximum(highest, gain)
        return lowest, highest

    def entry(
        self, row: int, findings: dict[str, Any], rank: int, restriction: Restriction | None
    ) -> Any:
        check_keys = self.check_keys[self.check_offsets[row] : self.check_offsets[row + 1]]
        return self.evaluator.builder.cause_entry(
            self.cause,
            rank,
            self.probability[row],
            self.band[row],
            list(map(self.contribution, self.keys[self.offsets[row] : self.offsets[row + 1]])),
            check_keys,
            findings,
            restriction,
            self.caches.asked_of,
            self.check,
        )

    def result(self, row: int) -> CauseResult:
        values = [
            None if math.isnan(v) else v
            for vs in self.unit_values
            for v in (float(np.broadcast_to(x, (self.size,))[row]) for x in vs)
        ]
        ranges = tuple(
            (
                finding_id,
                float(np.broadcast_to(low, (self.size,))[row]),
                float(np.broadcast_to(high, (self.size,))[row]),
            )
            for finding_id, unknown, low, high in self.ranges
            if unknown[row]
        )
        return CauseResult(float(self.total[row]), tuple(values), ranges)


def _contribution_keys(
    present: Array,
    counted: Array,
    share: Array,
    leader: Array,
    witness: Array,
    rule_bits: int,
    wide: bool,
) -> Array:
    """Everything that decides a contribution entry, packed in one integer per rule and intake
    (hashing an int is much quicker than hashing a tuple): int64, or Python integers when the
    parts need more than 63 bits. The share is rounded to 4 places, so it is an integer count
    of 1e-4; -0.0 (an "against" share rounding to 0) gets its own."""
    rule_index = np.broadcast_to(np.arange(len(share))[:, None], share.shape)
    share_code = np.rint(share * 1e4).astype(np.int64) + (1 << (_SHARE_BITS - 1))
    share_code = np.where((share == 0) & np.signbit(share), 0, share_code)
    parts = [np.maximum(leader, 0), rule_index, present, counted, share_code]
    if wide:
        parts = [np.asarray(part, dtype=np.int64).astype(object) for part in parts]
    leader_, index_, present_, counted_, share_ = parts
    key = witness
    key = (key << rule_bits) | leader_
    key = (key << rule_bits) | index_
    key = (key << 1) | (present_ if wide else present_.astype(np.int64))
    key = (key << 1) | (counted_ if wide else counted_.astype(np.int64))
    keys: Array = (key << _SHARE_BITS) | share_
    return keys


def _unit_leaders(values: Array, offset: int) -> Array:
    """For each rule of a unit, the index of the rule whose factor counts in its direction."""
    positive = np.where(values > 0, values, 0.0)
    negative = np.where(values < 0, values, 0.0)
    best_for = offset + np.argmax(positive, axis=0)
    best_against = offset + np.argmin(negative, axis=0)
    return np.where(values > 0, best_for, np.where(values < 0, best_against, -1))
