"""Conditions use three-valued logic: True, False, or None when an answer is unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from nmt_assess.engine.scalar import condition_state as state
from nmt_assess.models import Condition, _expand_shorthand

_adapter: TypeAdapter[Condition] = TypeAdapter(Condition)


def cond(raw: object) -> Condition:
    return _adapter.validate_python(_expand_shorthand(raw))


def test_bare_finding_means_answered_yes() -> None:
    assert state(cond("a"), {"a": True}) is True
    assert state(cond("a"), {"a": False}) is False
    assert state(cond("a"), {}) is None


def test_explicit_no() -> None:
    assert state(cond({"finding": "a", "is": False}), {"a": False}) is True
    assert state(cond({"finding": "a", "is": False}), {"a": True}) is False


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", 45, False), ("gte", 45, True), ("lt", 45, False), ("lte", 45, True), ("gt", 44, True)],
)
def test_numeric_comparison(op: str, value: int, expected: bool) -> None:
    assert state(cond({"finding": "age", op: value}), {"age": 45}) is expected


def test_choice_membership() -> None:
    c = cond({"finding": "pain_duration", "in": ["chronic", "subacute"]})
    assert state(c, {"pain_duration": "chronic"}) is True
    assert state(c, {"pain_duration": "acute"}) is False


def test_region_overlap_any_and_all() -> None:
    any_of = cond({"finding": "pain_locations", "any_of": ["neck", "head_temple"]})
    all_of = cond({"finding": "pain_locations", "all_of": ["neck", "head_temple"]})
    assert state(any_of, {"pain_locations": ("neck", "shoulder")}) is True
    assert state(any_of, {"pain_locations": ()}) is False
    assert state(all_of, {"pain_locations": ("neck",)}) is False
    assert state(all_of, {"pain_locations": ("head_temple", "neck")}) is True


def test_all_is_false_as_soon_as_one_part_is_false_even_with_unknowns() -> None:
    c = cond({"all": ["a", "b"]})
    assert state(c, {"a": False}) is False
    assert state(c, {"a": True}) is None
    assert state(c, {"a": True, "b": True}) is True


def test_any_is_true_as_soon_as_one_part_is_true_even_with_unknowns() -> None:
    c = cond({"any": ["a", "b"]})
    assert state(c, {"b": True}) is True
    assert state(c, {"a": False}) is None
    assert state(c, {"a": False, "b": False}) is False


def test_not_keeps_unknown_unknown() -> None:
    c = cond({"not": "a"})
    assert state(c, {"a": True}) is False
    assert state(c, {}) is None


def test_at_least_n_of() -> None:
    c = cond({"at_least": 2, "of": ["a", "b", "c"]})
    assert state(c, {"a": True, "b": True}) is True
    assert state(c, {"a": True}) is None
    assert state(c, {"a": True, "b": False, "c": False}) is False


def test_at_least_more_than_its_parts_is_rejected() -> None:
    with pytest.raises(ValidationError, match="at_least 3 of only 2"):
        cond({"at_least": 3, "of": ["a", "b"]})


def test_one_operator_per_finding_test() -> None:
    with pytest.raises(ValidationError, match="one test per finding"):
        cond({"finding": "age", "gt": 1, "lt": 9})


def test_unknown_condition_shape_is_rejected() -> None:
    with pytest.raises(ValidationError, match="one of: finding, all, any, not, at_least"):
        cond({"fnding": "a"})


def _answers() -> st.SearchStrategy[dict[str, object]]:
    value = st.one_of(st.booleans(), st.integers(0, 10))
    return st.dictionaries(st.sampled_from(["a", "b", "c"]), value)


_SHAPES = [
    "a",
    {"finding": "a", "is": False},
    {"finding": "a", "gte": 5},
    {"all": ["a", {"not": "b"}]},
    {"any": ["a", "b", {"finding": "c", "lt": 3}]},
    {"at_least": 2, "of": ["a", "b", "c"]},
    {"not": {"any": ["a", {"all": ["b", "c"]}]}},
]


def _kleene(shape: object, answers: dict[str, object]) -> bool | None:
    """Three-valued logic written out on the raw YAML shapes: the specification the compiled
    node table must meet."""
    if isinstance(shape, str):
        shape = {"finding": shape, "is": True}
    assert isinstance(shape, dict)
    if "finding" in shape:
        value = answers.get(shape["finding"])
        if value is None:
            return None
        if "gte" in shape:
            return bool(value >= shape["gte"])  # type: ignore[operator]
        if "lt" in shape:
            return bool(value < shape["lt"])  # type: ignore[operator]
        return bool(value == shape["is"])
    if "not" in shape:
        inner = _kleene(shape["not"], answers)
        return None if inner is None else not inner
    parts = [_kleene(part, answers) for part in shape.get("all", shape.get("any", shape.get("of")))]
    if "all" in shape:
        return False if False in parts else None if None in parts else True
    if "any" in shape:
        return True if True in parts else None if None in parts else False
    needed = shape["at_least"]
    if parts.count(True) >= needed:
        return True
    return False if parts.count(True) + parts.count(None) < needed else None


@given(answers=_answers())
def test_the_compiled_node_table_follows_three_valued_logic(answers: dict[str, object]) -> None:
    for shape in _SHAPES:
        assert state(cond(shape), answers) is _kleene(shape, answers), shape
