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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nmt_assess.engine import (
    CHECK_NEXT_LIMIT,
    CHECK_NEXT_MIN_SHIFT,
    SCHEMA_VERSION,
    Document,
    Engine,
    Restriction,
    answers_entry,
    log_factor,
    restricts_entry,
)
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


#: Bits of a contribution key (see _contribution_keys), low to high.
_SHARE_BITS, _RULE_BITS, _WITNESS_BITS = 15, 8, 30
_MAX_RULES = 1 << _RULE_BITS
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
    held: Array
    if test.any_of is not None:
        held = overlap != 0
    elif any(item not in choices for item in wanted):
        held = np.zeros(column.shape, dtype=bool)
    else:
        held = overlap == mask
    return held


def _fixed_state(test: FindingTest, value: Any) -> State:
    """The test's state for every intake when its finding is given `value` (check-next)."""
    holds = bool(test.evaluate({test.finding: value}))
    return np.bool_(holds), np.bool_(not holds)


def _combine_states(condition: Condition, parts: list[State]) -> State:
    if isinstance(condition, Not):
        yes, no = parts[0]
        return no, yes
    if isinstance(condition, AllOf):
        return _every([p[0] for p in parts]), _some([p[1] for p in parts])
    if isinstance(condition, AnyOf):
        return _some([p[0] for p in parts]), _every([p[1] for p in parts])
    assert isinstance(condition, AtLeast)
    held = sum(np.asarray(yes, dtype=np.int16) for yes, _ in parts)
    open_ = sum(np.asarray(~yes & ~no, dtype=np.int16) for yes, no in parts)
    return held >= condition.at_least, held + open_ < condition.at_least


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
        self._rest: dict[tuple[int, str], list[State]] = {}

    def state(self, condition: Condition) -> State:
        key = id(condition)
        cached = self._states.get(key)
        if cached is None:
            if isinstance(condition, FindingTest):
                finding = self.catalog[condition.finding]
                cached = _test_state(condition, finding, self.columns[condition.finding])
            else:
                cached = _combine_states(condition, [self.state(c) for c in condition.parts()])
            self._states[key] = cached
        return cached

    def witness_codes(self, condition: Condition, size: int) -> tuple[Array, list[str]]:
        """Per intake, one bit per leaf test that decided the condition (engine._witnesses),
        with the leaves' findings in the order the reference walks them."""
        leaves: list[str] = []
        codes = np.zeros(size, dtype=np.int64)

        def visit(node: Condition, reach: Any) -> None:
            if isinstance(node, FindingTest):
                if len(leaves) == _WITNESS_BITS:  # the code must fit a contribution's key
                    raise Unsupported(f"a condition with more than {_WITNESS_BITS} tests")
                yes, no = self.state(node)
                codes[reach & (yes | no)] |= 1 << len(leaves)
                leaves.append(node.finding)
            elif isinstance(node, Not):
                visit(node.not_, reach)
            else:
                yes, no = self.state(node)
                for part in node.parts():
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
        children = condition.parts()
        if not isinstance(condition, AllOf | AnyOf):
            return _combine_states(
                condition, [self.state_if(c, finding_id, value) for c in children]
            )
        # AND and OR group freely: the parts that do not read the finding are combined once
        # per finding and reused for each simulated answer
        key = (id(condition), finding_id)
        rest = self._rest.get(key)
        if rest is None:
            fixed = [self.state(c) for c in children if finding_id not in self.findings_of[id(c)]]
            rest = self._rest[key] = [_combine_states(condition, fixed)] if fixed else []
        varying = [
            self.state_if(c, finding_id, value)
            for c in children
            if finding_id in self.findings_of[id(c)]
        ]
        return _combine_states(condition, rest + varying)


# --- rules, units and causes -----------------------------------------------------------------


class _RulePlan:
    """One rule's static parts: its logs and the fields of its contribution entries."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.log_lr = log_factor(rule.lr.lr)
        self.log_absent = None if rule.lr_absent is None else log_factor(rule.lr_absent.lr)
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
        self._fixed: dict[Any, float] = {}

    def fixed_value(self, finding_id: str, value: Any) -> float:
        """ln of the factor a one-test rule applies when its finding is `value`; NaN for none."""
        found = self._fixed.get(value)
        if found is None:
            holds = self.rule.when.evaluate({finding_id: value})
            absent = math.nan if self.log_absent is None else self.log_absent
            found = self._fixed[value] = self.log_lr if holds else absent
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
    keys: Array = np.rint(_round4(values) * 1e4)  # within an ulp of k, so rint gives k
    return keys


def _probability(log_odds: Any) -> Any:
    with np.errstate(over="ignore"):  # odds below e^-709: 1 / (1 + inf) is 0, as the engine
        return 1.0 / (1.0 + np.exp(-log_odds))


class BatchEngine:
    """An Engine's ruleset, prepared for scoring batches with numpy."""

    def __init__(self, engine: Engine, entries_as_json: bool = False) -> None:
        """With `entries_as_json`, each contribution and check-next entry is its serialized
        JSON (an `orjson.Fragment`), for documents that are only written as JSON Lines:
        orjson then copies the bytes instead of encoding the same entry again (half the
        writing time, measured)."""
        self.engine = engine
        self.entries_as_json = entries_as_json
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
        # limits of the integer keys entries are cached by
        if len(self.flags) > 255:
            raise Unsupported("more than 255 red flags")
        if any(len(findings) > 50 for findings in self.flag_findings):
            raise Unsupported("a red flag that reads more than 50 findings")
        if any(len(f.choices or ()) > 62 for f in self.catalog.values()):
            raise Unsupported("a finding with more than 62 choices")
        self.referral_first = [i for i, f in enumerate(self.flags) if f.action.is_referral_first]
        self._flag_entries: dict[int, Document] = {}
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
                stack.extend(condition.parts())

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
        self.flag_witnesses = [_Witnesses(batch.witness_codes(f.when, 1)[1]) for f in self.flags]
        leaves = {
            id(rule.when): batch.witness_codes(rule.when, 1)[1]
            for plan in self.engine.plans
            for rule in plan.cause.rules
        }
        # Documents share their contribution and check-next entries, cached by what decides
        # them (about nine in ten repeat): they are read-only, like every document.
        self.caches = [_EntryCaches(plan, self, leaves) for plan in self.engine.plans]

    def unanswered_codes(self, flag: int, batch: _Batch, size: int) -> Array:
        """Per intake, a bit for each of the flag's findings that is unanswered."""
        codes = np.zeros(size, dtype=np.int64)
        for bit, finding_id in enumerate(self.flag_findings[flag]):
            codes |= _unknown(batch.columns[finding_id]).astype(np.int64) << bit
        return codes

    def raised_entry(self, key: int) -> Document:
        """A raised flag's entry, for a key packing (witness code, flag)."""
        entry = self._flag_entries.get(key << 1)
        if entry is None:
            flag, code = self.flags[key & 0xFF], key >> 8
            entry = {
                "id": flag.id,
                "title": flag.title,
                "action": flag.action.value,
                "findings": self.flag_witnesses[key & 0xFF].of(code),
                "advice": flag.advice,
                "source": list(flag.source),
                "restricts": restricts_entry(flag),
            }
            self._remember(key << 1, entry)
        return entry

    def open_entry(self, key: int) -> Document:
        """An unscreened flag's entry, for a key packing (unanswered findings, flag)."""
        entry = self._flag_entries.get(key << 1 | 1)
        if entry is None:
            index, code = key & 0xFF, key >> 8
            findings = self.flag_findings[index]
            entry = {
                "id": self.flags[index].id,
                "action": self.flags[index].action.value,
                "unanswered": [f for bit, f in enumerate(findings) if code >> bit & 1],
            }
            self._remember(key << 1 | 1, entry)
        return entry

    def _remember(self, key: int, entry: Document) -> None:
        if len(self._flag_entries) >= _EntryCaches.LIMIT:
            self._flag_entries.clear()
        self._flag_entries[key] = entry

    # --- the public entry point ---

    def assess_documents(self, documents: Sequence[Any]) -> Iterator[Document | None]:
        """Each plain, valid intake document's assessment, in order; None for every other
        document. Scoring is done for the whole batch; documents are built as they are taken,
        so only the one in hand is held."""
        envelopes = [_plain_envelope(d, self.catalog) for d in documents]
        rows = [i for i, envelope in enumerate(envelopes) if envelope is not None]
        findings = [documents[i]["findings"] for i in rows]
        columns, bad = self._encode(findings)
        scored = self._assess(findings, columns) if rows else None
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
        batch = _Batch(self.catalog, self.findings_of, columns)
        size = len(findings)
        causes = []
        for plan, caches in zip(self.engine.plans, self.caches, strict=True):
            values = [
                [self._rule_values(rule, batch) for rule in unit.rules] for unit in plan.units
            ]
            causes.append(_CauseColumns(self, plan, caches, batch, values, size))
        return _Scored(self, batch, causes, size)

    def _rule_values(
        self, rule: Rule, batch: _Batch, override: tuple[str, Any] | None = None
    ) -> Any:
        plan = self.rule_plans[id(rule)]
        if override is not None and rule.unless is None and isinstance(rule.when, FindingTest):
            return plan.fixed_value(*override)  # the rule reads only the overridden finding
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
        self, engine: BatchEngine, batch: _Batch, causes: list[_CauseColumns], size: int
    ) -> None:
        self.engine = engine
        self.causes = causes
        flags = engine.flags
        states = [batch.state(flag.when) for flag in flags]
        shape = (len(flags), size)  # also when a pack has no red flags
        yes = np.array([state[0] for state in states], dtype=bool).reshape(shape)
        no = np.array([state[1] for state in states], dtype=bool).reshape(shape)
        open_ = ~yes & ~no
        index = np.arange(len(flags))[:, None]
        witnesses = np.array(
            [batch.witness_codes(flag.when, size)[0] for flag in flags], dtype=np.int64
        ).reshape(shape)
        unanswered = np.array(
            [engine.unanswered_codes(i, batch, size) for i in range(len(flags))], dtype=np.int64
        ).reshape(shape)
        # raised flags most severe first (a stable sort), open ones in pack order
        severity = engine.by_severity
        self.raised = _flat_rows((witnesses << 8 | index)[severity], yes[severity])
        self.open = _flat_rows(unanswered << 8 | index, open_)
        referral_first = np.any(yes[engine.referral_first], axis=0)
        self.referral_first: list[bool] = np.asarray(referral_first).tolist()
        # causes by rounded probability, highest first; ties keep pack order (a stable sort)
        probabilities = np.array([cause.rounded for cause in causes])
        self.ranking = np.argsort(-probabilities, axis=0, kind="stable").T.tolist()

    def document(self, row: int, findings: dict[str, Any]) -> Document:
        engine = self.engine
        causes = self.causes
        raised_keys, raised_at = self.raised
        open_keys, open_at = self.open
        raised = raised_keys[raised_at[row] : raised_at[row + 1]]
        restriction = (
            engine.engine.restriction(tuple(engine.flags[key & 0xFF] for key in raised))
            if raised
            else None
        )
        return {
            "schema_version": SCHEMA_VERSION,
            "intake_id": None,
            "intake_date": None,
            "ruleset": engine.engine.info,
            "referral_first": self.referral_first[row],
            "red_flags": [engine.raised_entry(key) for key in raised],
            "unscreened_red_flags": [
                engine.open_entry(key) for key in open_keys[open_at[row] : open_at[row + 1]]
            ],
            "causes": [
                causes[cause].document(row, findings, rank, restriction)
                for rank, cause in enumerate(self.ranking[row], 1)
            ],
            "answers": answers_entry(engine.catalog, findings),
            "disclaimer": engine.engine.ruleset.disclaimer,
        }


def _flat_rows(keys: Array, chosen: Array) -> tuple[list[int], list[int]]:
    """The chosen keys (flags by intake), intake after intake, and where each intake starts."""
    counts = chosen.sum(axis=0)
    return keys.T[chosen.T].tolist(), np.concatenate(([0], np.cumsum(counts))).tolist()


class _EntryCaches:
    """A cause's static parts, and its contribution and check-next entries built once per
    distinct key; bounded, so memory stays flat however long the batch."""

    LIMIT = 8192

    def __init__(self, plan: Any, engine: BatchEngine, leaves: Mapping[int, list[str]]) -> None:
        self.rules = [rule for unit in plan.units for rule in unit.rules]
        if len(self.rules) > _MAX_RULES:
            raise Unsupported(f"{plan.cause.id}: more than {_MAX_RULES} rules")
        self.rule_plans = [engine.rule_plans[id(rule)] for rule in self.rules]
        self.log_lrs = np.array([rule_plan.log_lr for rule_plan in self.rule_plans])[:, None]
        self.witnesses = [_Witnesses(leaves[id(rule.when)]) for rule in self.rules]
        catalog = engine.catalog
        self.questions = [
            (finding_id, catalog[finding_id].question, catalog[finding_id].asked_of)
            for finding_id in plan.candidates
        ]
        self._contributions: dict[int, Document] = {}
        self._checks: dict[int, Document] = {}
        self._finish: Callable[[Document], Any] = _as_json if engine.entries_as_json else _same

    def entries(
        self, contribution_keys: list[int], check_keys: list[int]
    ) -> tuple[dict[int, Document], dict[int, Document]]:
        """Mappings holding every entry a batch needs (contributions, check-next), so that its
        documents only look entries up. A full cache is replaced, never emptied, so a batch's
        mappings stay whole whatever later batches do."""
        self._contributions = _entries(
            self._contributions, contribution_keys, self._contribution, self._finish
        )
        self._checks = _entries(self._checks, check_keys, self._check, self._finish)
        return self._contributions, self._checks

    def _contribution(self, key: int) -> Document:
        share_code = key & ((1 << _SHARE_BITS) - 1)
        key >>= _SHARE_BITS
        counted, present = bool(key & 1), bool(key >> 1 & 1)
        key >>= 2
        index, leader = key & (_MAX_RULES - 1), key >> _RULE_BITS & (_MAX_RULES - 1)
        code = key >> (2 * _RULE_BITS)
        share = -0.0 if share_code == 0 else (share_code - (1 << (_SHARE_BITS - 1))) / 1e4
        rule_plan = self.rule_plans[index]
        rule = rule_plan.rule
        direction, factor, basis = rule_plan.present if present else rule_plan.absent
        return {
            "rule": rule.id,
            "findings": self.witnesses[index].of(code),
            "direction": direction,
            "factor": factor,
            "basis": basis,
            "counted": counted,
            "share": share,
            "group": rule.group,
            "because": rule.because,
            "source": rule_plan.source,
            "outweighed_by": None if counted else self.rules[leader].id,
        }

    def _check(self, key: int) -> Document:
        """The entry for a key packing (candidate, could lower to, could raise to), each
        probability as a count of 1e-4 (it is rounded to 4 places)."""
        finding_id, question, asked_of = self.questions[key >> 28]
        return {
            "finding": finding_id,
            "question": question,
            "asked_of": asked_of,
            "could_lower_to": (key >> 14 & 0x3FFF) / 1e4,
            "could_raise_to": (key & 0x3FFF) / 1e4,
        }


def _entries(
    cache: dict[int, Any],
    keys: list[int],
    make: Callable[[int], Document],
    finish: Callable[[Document], Any],
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


def _same(entry: Document) -> Document:
    return entry


def _as_json(entry: Document) -> Any:
    import orjson

    # a right-sized copy: the bytes orjson returns held about 4 KB each however short (RSS of
    # 100,000 of them, measured), and thousands are cached
    return orjson.Fragment(bytes(memoryview(orjson.dumps(entry))))


class _CauseColumns:
    """One cause over a batch: each intake's probability, contributions and check-next."""

    def __init__(
        self,
        engine: BatchEngine,
        plan: Any,
        caches: _EntryCaches,
        batch: _Batch,
        unit_values: list[list[Any]],
        size: int,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.cause = plan.cause
        self.caches = caches
        self.refers = plan.cause.id == engine.engine.ruleset.referral_cause  # has muscles
        combined = [_combine(values) for values in unit_values]
        subtotal: Any = np.zeros(size)
        for value in combined:
            subtotal = subtotal + value
        self.total = plan.prior_log_odds + subtotal
        probability = _probability(self.total)
        self.rounded = _round4(probability)
        self.probability = self.rounded.tolist()
        self.band = _bands(engine.engine.ruleset, probability)
        self._contributions(batch, unit_values, size)
        self._check_next(batch, unit_values, combined, probability, size)
        contributions, checks = caches.entries(self.keys, self.check_keys)
        self.contribution, self.check = contributions.__getitem__, checks.__getitem__

    # contributions: which rules applied a factor, which of them counted, their shares
    def _contributions(self, batch: _Batch, unit_values: list[list[Any]], size: int) -> None:
        rules = self.caches.rules
        values = np.array([np.broadcast_to(v, (size,)) for vs in unit_values for v in vs])
        leader = np.empty(values.shape, dtype=np.int32)
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
        for rule_index in range(len(rules)):  # in rule order, as the reference sums
            total = total + np.where(counted[rule_index], magnitude[rule_index], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(counted & (total > 0), _round4(values / total), 0.0)
        # the reference's order: counted first, then by strength, then rule order (stable)
        category = np.where(counted, 0, np.where(applied, 1, 2))
        order = np.lexsort((-magnitude, category), axis=0)
        entries = applied.sum(axis=0)
        keep = (np.arange(len(rules))[:, None] < entries[None, :]).T
        one = np.ones(size, dtype=np.int64)  # a single test is its own witness
        witnesses = np.array(
            [
                one
                if isinstance(rule.when, FindingTest)
                else batch.witness_codes(rule.when, size)[0]
                for rule in rules
            ]
        )
        present = values == self.caches.log_lrs
        keys = _contribution_keys(present, counted, share, leader, witnesses)
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
        for finding_id, options in self.plan.candidates.items():
            unknown = _unknown(batch.columns[finding_id])
            if not unknown.any():  # answered by every intake of the batch: nothing to suggest
                shifts.append(nothing)
                lows.append(nothing)
                highs.append(nothing)
                continue
            lowest, highest = self._gain_range(batch, unit_values, combined, finding_id, options)
            low, high = _probability(self.total + lowest), _probability(self.total + highest)
            shift = np.maximum(high - probability, probability - low)
            shifts.append(np.where(unknown & (shift >= CHECK_NEXT_MIN_SHIFT), shift, -1.0))
            lows.append(np.broadcast_to(low, (size,)))
            highs.append(np.broadcast_to(high, (size,)))
        if not shifts:
            self.check_offsets = [0] * (size + 1)
            self.check_keys: list[int] = []
            return
        keys = np.array(shifts)
        keys = np.where(keys >= 0, _round4_keys(keys), -1.0)
        # the reference sorts by rounded shift, largest first, ties in catalog order: argmax
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
        #: one key per check-next entry, intake after intake (see _EntryCaches.check)
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
        touched = self.plan.units_of[finding_id]
        before: Any = 0
        for u in touched:
            before = before + combined[u]
        # Each touched unit's strongest factors among the rules that do not read the finding,
        # taken once: only the rules that read it change with the answer (max and min are
        # exact, so folding in any order gives the reference's values).
        partial = []
        for u in touched:
            unit, using = self.plan.units[u], self.plan.units[u].rules_using[finding_id]
            others = [v for i, v in enumerate(unit_values[u]) if i not in using]
            partial.append((*_extremes(others), [unit.rules[i] for i in using]))
        lowest = highest = None
        for option in options:
            after: Any = 0.0
            for high, low, rules in partial:
                for rule in rules:
                    value = self.engine._rule_values(rule, batch, (finding_id, option))
                    high, low = np.fmax(high, value), np.fmin(low, value)
                after = after + (high + low)
            gain = after - before
            lowest = gain if lowest is None else np.minimum(lowest, gain)
            highest = gain if highest is None else np.maximum(highest, gain)
        return lowest, highest

    def document(
        self, row: int, findings: dict[str, Any], rank: int, restriction: Restriction | None
    ) -> Document:
        cause = self.cause
        check_keys = self.check_keys[self.check_offsets[row] : self.check_offsets[row + 1]]
        muscles = self.engine.engine._muscles(cause, findings) if self.refers else {}
        withheld: list[Document] = []
        if restriction is not None:
            items = []
            for key in check_keys:
                finding_id, _, asked_of = self.caches.questions[key >> 28]
                items.append((finding_id, asked_of, key))
            muscles, kept, withheld = restriction.apply(muscles, items)
            check_keys = [item[2] for item in kept]
        return {
            "id": cause.id,
            "title": cause.title,
            "rank": rank,
            "probability": self.probability[row],
            "band": self.band[row],
            "prior": cause.prior,
            "contributions": list(
                map(self.contribution, self.keys[self.offsets[row] : self.offsets[row + 1]])
            ),
            "check_next": list(map(self.check, check_keys)),
            "muscles_to_palpate": muscles,
            "withheld": withheld,
        }


def _contribution_keys(
    present: Array, counted: Array, share: Array, leader: Array, witness: Array
) -> Array:
    """Everything that decides a contribution entry, packed in one integer per rule and intake
    (hashing an int is much quicker than hashing a tuple). The share is rounded to 4 places,
    so it is an integer count of 1e-4; -0.0 (an "against" share rounding to 0) gets its own."""
    rule_index = np.arange(len(share))[:, None]
    share_code = np.rint(share * 1e4).astype(np.int64) + (1 << (_SHARE_BITS - 1))
    share_code = np.where((share == 0) & np.signbit(share), 0, share_code)
    key = witness
    key = (key << _RULE_BITS) | np.maximum(leader, 0)
    key = (key << _RULE_BITS) | rule_index
    key = (key << 1) | present
    key = (key << 1) | counted
    return (key << _SHARE_BITS) | share_code


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
