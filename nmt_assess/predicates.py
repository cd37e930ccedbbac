"""Conditions compiled into plain functions for the hot loop of scoring.

Each predicate takes the findings mapping and returns True, False or None (unknown), exactly
as the condition models' `evaluate` does; the models stay the readable reference, and a
property test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nmt_assess.models import AllOf, AnyOf, AtLeast, Condition, FindingTest, Not

Predicate = Callable[[Mapping[str, Any]], "bool | None"]


def compile_condition(condition: Condition) -> Predicate:
    if isinstance(condition, FindingTest):
        return _finding_test(condition)
    if isinstance(condition, Not):
        inner = compile_condition(condition.not_)
        return lambda findings: None if (state := inner(findings)) is None else not state
    if isinstance(condition, AllOf):
        return _all([compile_condition(part) for part in condition.all])
    if isinstance(condition, AnyOf):
        return _any([compile_condition(part) for part in condition.any])
    assert isinstance(condition, AtLeast)
    return _at_least(condition.at_least, [compile_condition(part) for part in condition.of])


def _finding_test(test: FindingTest) -> Predicate:
    key = test.finding
    if test.gt is not None:
        limit = test.gt
        return lambda f: None if (v := f.get(key)) is None else v > limit
    if test.gte is not None:
        limit = test.gte
        return lambda f: None if (v := f.get(key)) is None else v >= limit
    if test.lt is not None:
        limit = test.lt
        return lambda f: None if (v := f.get(key)) is None else v < limit
    if test.lte is not None:
        limit = test.lte
        return lambda f: None if (v := f.get(key)) is None else v <= limit
    if test.in_ is not None:
        members = frozenset(test.in_)
        return lambda f: None if (v := f.get(key)) is None else v in members
    if test.any_of is not None:
        wanted = frozenset(test.any_of)
        return lambda f: None if (v := f.get(key)) is None else not wanted.isdisjoint(v)
    if test.all_of is not None:
        needed = frozenset(test.all_of)
        return lambda f: None if (v := f.get(key)) is None else needed.issubset(v)
    expected = True if test.is_ is None else test.is_
    return lambda f: None if (v := f.get(key)) is None else v == expected


def _all(parts: list[Predicate]) -> Predicate:
    def predicate(findings: Mapping[str, Any]) -> bool | None:
        unknown = False
        for part in parts:
            state = part(findings)
            if state is False:
                return False
            if state is None:
                unknown = True
        return None if unknown else True

    return predicate


def _any(parts: list[Predicate]) -> Predicate:
    def predicate(findings: Mapping[str, Any]) -> bool | None:
        unknown = False
        for part in parts:
            state = part(findings)
            if state is True:
                return True
            if state is None:
                unknown = True
        return None if unknown else False

    return predicate


def _at_least(needed: int, parts: list[Predicate]) -> Predicate:
    def predicate(findings: Mapping[str, Any]) -> bool | None:
        held = unknown = 0
        for part in parts:
            state = part(findings)
            if state:
                held += 1
            elif state is None:
                unknown += 1
        if held >= needed:
            return True
        return False if held + unknown < needed else None

    return predicate
