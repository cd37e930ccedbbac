"""The scoring maths, checked by hand on the tiny pack in tests/data/packs/mini."""

from __future__ import annotations

import functools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nmt_assess.engine import score
from nmt_assess.models import Assessment, CauseAssessment, Ruleset
from nmt_assess.ruleset import load_ruleset
from tests.conftest import MINI_PACK, intake


def cause(assessment: Assessment, cause_id: str) -> CauseAssessment:
    return next(c for c in assessment.causes if c.id == cause_id)


def odds_to_p(odds: float) -> float:
    return odds / (1 + odds)


def test_no_answers_leave_the_prior(mini: Ruleset) -> None:
    result = score(mini, intake())
    assert cause(result, "alpha").probability == 0.2
    assert cause(result, "beta").probability == 0.5
    assert all(not c.contributions for c in result.causes)


def test_posterior_is_prior_odds_times_likelihood_ratios(mini: Ruleset) -> None:
    # alpha: prior odds 0.2/0.8 = 0.25; a (the client's, x4) and test c (x6): 0.25 * 4 * 6 = 6
    result = score(mini, intake(a=True, c=True))
    assert cause(result, "alpha").probability == round(odds_to_p(0.25 * 4 * 6), 4) == 0.8571


def test_what_the_client_says_counts_as_one_line_of_evidence(mini: Ruleset) -> None:
    # a (x4) and pain >= 7 (x2) are both the client's own answers: only x4 counts, not 8
    alpha = cause(score(mini, intake(a=True, pain=8)), "alpha")
    assert alpha.probability == round(odds_to_p(0.25 * 4), 4) == 0.5
    assert {c.rule: c.counted for c in alpha.contributions} == {
        "alpha.a": True,
        "alpha.pain": False,
    }


def test_explicit_no_applies_lr_absent_but_unknown_contributes_nothing(mini: Ruleset) -> None:
    absent = cause(score(mini, intake(a=False)), "alpha")
    unknown = cause(score(mini, intake()), "alpha")
    assert absent.probability == round(odds_to_p(0.25 * 0.5), 4)
    assert [c.rule for c in absent.contributions] == ["alpha.a"]
    assert unknown.probability == 0.2


def test_a_group_counts_only_its_strongest_factor_for(mini: Ruleset) -> None:
    # b (x3) and c (x6) share group g: only x6 counts, not 18
    alpha = cause(score(mini, intake(b=True, c=True)), "alpha")
    assert alpha.probability == round(odds_to_p(0.25 * 6), 4)
    counted = {c.rule: c.counted for c in alpha.contributions}
    assert counted == {"alpha.c": True, "alpha.b": False}
    assert next(c for c in alpha.contributions if c.rule == "alpha.b").outweighed_by == "alpha.c"


def test_a_group_counts_its_strongest_for_and_against_once_each(mini: Ruleset) -> None:
    # b (x3) for, c explicitly no (x0.25) against: 0.25 * 3 * 0.25
    alpha = cause(score(mini, intake(b=True, c=False)), "alpha")
    assert alpha.probability == round(odds_to_p(0.25 * 3 * 0.25), 4)


def test_shares_are_signed_parts_of_the_total_log_evidence(mini: Ruleset) -> None:
    alpha = cause(score(mini, intake(a=False, pain=9)), "alpha")
    total = abs(math.log(0.5)) + abs(math.log(2.0))
    shares = {c.rule: c.share for c in alpha.contributions}
    assert shares == {
        "alpha.pain": round(math.log(2.0) / total, 4),
        "alpha.a": round(math.log(0.5) / total, 4),
    }


def test_named_strength_resolves_from_the_pack_scale(mini: Ruleset) -> None:
    beta = cause(score(mini, intake(where=("x", "y"))), "beta")
    assert beta.probability == round(odds_to_p(1 * 2.5), 4)
    assert beta.contributions[0].basis == "scale: small"


def test_unless_sets_a_rule_aside_only_when_it_definitely_holds(mini: Ruleset) -> None:
    assert cause(score(mini, intake(a=True, b=True)), "beta").probability == 0.5
    assert cause(score(mini, intake(a=True)), "beta").probability == 0.75
    assert cause(score(mini, intake(a=True, b=False)), "beta").probability == 0.75


def test_causes_are_ranked_by_probability(mini: Ruleset) -> None:
    result = score(mini, intake(a=True, pain=8, where=("z",)))  # alpha 0.667, beta 0.75
    assert [c.id for c in result.causes] == ["beta", "alpha"]
    assert [c.rank for c in result.causes] == [1, 2]


def test_ties_are_broken_by_the_pack_order_of_causes(mini: Ruleset) -> None:
    alpha, beta = mini.causes
    even = (alpha, beta.model_copy(update={"prior": alpha.prior}))
    forward = mini.model_copy(update={"causes": even})
    backward = mini.model_copy(update={"causes": even[::-1]})
    assert [c.id for c in score(forward, intake()).causes] == ["alpha", "beta"]
    assert [c.id for c in score(backward, intake()).causes] == ["beta", "alpha"]


def test_bands_follow_the_pack_thresholds(mini: Ruleset) -> None:
    assert mini.band(0.19) == "unlikely"
    assert mini.band(0.2) == "possible"
    assert mini.band(0.79) == "likely"
    assert mini.band(0.8) == "very likely"


def test_check_next_names_the_unknown_finding_that_moves_the_cause_most(mini: Ruleset) -> None:
    alpha = cause(score(mini, intake(a=True)), "alpha")
    # c could move alpha to 0.25*4*6 = 6 (p .857) or 0.25*4*0.25 = .25 (p .2): the largest swing
    first = alpha.check_next[0]
    assert first.finding == "c"
    assert first.question == "Test C"
    assert first.could_raise_to == round(odds_to_p(6.0), 4)
    assert first.could_lower_to == round(odds_to_p(0.25), 4)
    assert "a" not in {item.finding for item in alpha.check_next}


def test_scoring_is_deterministic(mini: Ruleset) -> None:
    one = score(mini, intake(a=True, b=True, where=("x",))).model_dump_json()
    two = score(mini, intake(where=("x",), b=True, a=True)).model_dump_json()
    assert one == two


@given(
    base=st.fixed_dictionaries(
        {},
        optional={
            "a": st.booleans(),
            "b": st.booleans(),
            "c": st.booleans(),
            "pain": st.integers(0, 10),
        },
    )
)
def test_answering_a_supporting_finding_yes_never_lowers_its_cause(base: dict[str, object]) -> None:
    pack = _mini_pack()
    for finding in ("a", "b", "c"):
        without = {**base, finding: False}
        with_yes = {**base, finding: True}
        low = cause(score(pack, intake(**without)), "alpha").probability
        high = cause(score(pack, intake(**with_yes)), "alpha").probability
        assert high >= low


@functools.cache
def _mini_pack() -> Ruleset:
    """Hypothesis runs many examples per test, so the pack is loaded once, not per example."""
    return load_ruleset(MINI_PACK)


@pytest.mark.parametrize("age", [61, 90])
def test_red_flag_raised_and_referral_first_for_urgent(mini: Ruleset, age: int) -> None:
    result = score(mini, intake(a=True, age=age, c=True))
    assert [f.id for f in result.red_flags] == ["old_a", "c_flag"]  # most severe first
    assert result.referral_first is True
    assert result.red_flags[0].findings == ("a", "age")


def test_a_flag_that_depends_on_unknown_answers_is_reported_unscreened(mini: Ruleset) -> None:
    result = score(mini, intake(a=True))
    assert result.red_flags == ()
    assert [(f.id, f.unanswered) for f in result.unscreened_red_flags] == [
        ("old_a", ("age",)),
        ("c_flag", ("c",)),
    ]
    assert result.referral_first is False
