"""Rules, conditions and likelihood ratios in plain words (pure), for explain and practice."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nmt_assess.models import AllOf, AnyOf, AtLeast, Condition, Finding, FindingTest, Not

_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def condition_words(condition: Condition, catalog: Mapping[str, Finding]) -> str:
    if isinstance(condition, FindingTest):
        return _test_words(condition, catalog)
    if isinstance(condition, Not):
        return f"not ({condition_words(condition.not_, catalog)})"
    if isinstance(condition, AllOf):
        return " and ".join(_grouped(part, catalog) for part in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(_grouped(part, catalog) for part in condition.any)
    assert isinstance(condition, AtLeast)
    parts = "; ".join(condition_words(part, catalog) for part in condition.of)
    return f"at least {condition.at_least} of ({parts})"


def _grouped(condition: Condition, catalog: Mapping[str, Finding]) -> str:
    words = condition_words(condition, catalog)
    return f"({words})" if isinstance(condition, AllOf | AnyOf) else words


def _test_words(test: FindingTest, catalog: Mapping[str, Finding]) -> str:
    label = catalog[test.finding].label if test.finding in catalog else test.finding
    for name, symbol in _OPERATORS.items():
        value = getattr(test, name)
        if value is not None:
            return f"{label} {symbol} {value:g}"
    if test.in_ is not None:
        return f"{label} is {' or '.join(value_words(v) for v in test.in_)}"
    if test.any_of is not None:
        return f"{label} include any of {', '.join(value_words(v) for v in test.any_of)}"
    if test.all_of is not None:
        return f"{label} include all of {', '.join(value_words(v) for v in test.all_of)}"
    if test.is_ is None or test.is_ is True:
        return f"{label}: yes"
    if test.is_ is False:
        return f"{label}: no"
    return f"{label} is {value_words(test.is_)}"


def value_words(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_words(v) for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("_", " ")


def strength_words(lr: float) -> str:
    """The Jaeschke/Guyatt/Sackett band of a likelihood ratio, in words."""
    if math.isclose(lr, 1.0):
        return "no effect"
    size = lr if lr > 1 else 1 / lr
    band = (
        "large" if size >= 10 else "moderate" if size >= 5 else "small" if size >= 2 else "minimal"
    )
    direction = "for" if lr > 1 else "against"
    return f"{band} evidence {direction} (x{lr:g})"
