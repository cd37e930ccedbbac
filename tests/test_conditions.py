"""Conditions use three-valued logic: True, False, or None when an answer is unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from nmt_assess.models import Condition, _expand_shorthand

_adapter: TypeAdapter[Condition] = TypeAdapter(Condition)


def cond(raw: object) -> Condition:
    return _adapter.validate_python(_expand_shorthand(raw))


def test_bare_finding_means_answered_yes() -> None:
    assert cond("a").evaluate({"a": True}) is True
    assert cond("a").evaluate({"a": False}) is False
    assert cond("a").evaluate({}) is None


def test_explicit_no() -> None:
    assert cond({"finding": "a", "is": False}).evaluate({"a": False}) is True
    assert cond({"finding": "a", "is": False}).evaluate({"a": True}) is False


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", 45, False), ("gte", 45, True), ("lt", 45, False), ("lte", 45, True), ("gt", 44, True)],
)
def test_numeric_comparison(op: str, value: int, expected: bool) -> None:
    assert cond({"finding": "age", op: value}).evaluate({"age": 45}) is expected


def test_choice_membership() -> None:
    c = cond({"finding": "pain_duration", "in": ["chronic", "subacute"]})
    assert c.evaluate({"pain_duration": "chronic"}) is True
    assert c.evaluate({"pain_duration": "acute"}) is False


def test_region_overlap_any_and_all() -> None:
    any_of = cond({"finding": "pain_locations", "any_of": ["neck", "head_temple"]})
    all_of = cond({"finding": "pain_locations", "all_of": ["neck", "head_temple"]})
    assert any_of.evaluate({"pain_locations": ("neck", "shoulder")}) is True
    assert any_of.evaluate({"pain_locations": ()}) is False
    assert all_of.evaluate({"pain_locations": ("neck",)}) is False
    assert all_of.evaluate({"pain_locations": ("head_temple", "neck")}) is True


def test_all_is_false_as_soon_as_one_part_is_false_even_with_unknowns() -> None:
    c = cond({"all": ["a", "b"]})
    assert c.evaluate({"a": False}) is False
    assert c.evaluate({"a": True}) is None
    assert c.evaluate({"a": True, "b": True}) is True


def test_any_is_true_as_soon_as_one_part_is_true_even_with_unknowns() -> None:
    c = cond({"any": ["a", "b"]})
    assert c.evaluate({"b": True}) is True
    assert c.evaluate({"a": False}) is None
    assert c.evaluate({"a": False, "b": False}) is False


def test_not_keeps_unknown_unknown() -> None:
    c = cond({"not": "a"})
    assert c.evaluate({"a": True}) is False
    assert c.evaluate({}) is None


def test_at_least_n_of() -> None:
    c = cond({"at_least": 2, "of": ["a", "b", "c"]})
    assert c.evaluate({"a": True, "b": True}) is True
    assert c.evaluate({"a": True}) is None
    assert c.evaluate({"a": True, "b": False, "c": False}) is False


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


@given(answers=_answers())
def test_the_compiled_node_table_agrees_with_the_condition_models(
    answers: dict[str, object],
) -> None:
    from nmt_assess.engine.scalar import ScalarEvaluator
    from nmt_assess.ruleset.compile import _Builder

    for shape in _SHAPES:
        condition = cond(shape)
        builder = _Builder({})
        root = builder.add(condition)
        states = ScalarEvaluator.states(_Nodes(builder.nodes), answers)  # type: ignore[arg-type]
        assert states[root] is condition.evaluate(answers)  # type: ignore[arg-type]


class _Nodes:
    """Just enough of a compiled pack for ScalarEvaluator.states."""

    def __init__(self, nodes: list[object]) -> None:
        self.nodes = nodes
