"""Clinical reasoning v2 (issue 12) on the default pack: reasoning by site, the corrected
likelihood ratios of CLINICAL-REVIEW.md section 2, and forms that cannot reach "very likely"."""

from __future__ import annotations

import random
from typing import Any

import pytest

from nmt_assess.engine import score
from nmt_assess.models import Assessment, FindingType, Intake, Ruleset


def assess(ruleset: Ruleset, **findings: Any) -> Assessment:
    return score(ruleset, Intake.model_validate({"findings": findings}))


def nerve(assessment: Assessment) -> Any:
    return next(c for c in assessment.causes if c.id == "nerve_compression")


def rule(ruleset: Ruleset, rule_id: str) -> Any:
    return next(r for c in ruleset.causes for r in c.rules if r.id == rule_id)


# --- by site -------------------------------------------------------------------------------


@pytest.mark.parametrize("flick", [True, False])
def test_a_hand_test_neither_counts_nor_is_suggested_for_a_low_back_client(
    ruleset: Ruleset, flick: bool
) -> None:
    back = {"pain_locations": ["low_back"], "symptom_locations": [], "tingling": True}
    without = assess(ruleset, **back)
    answered = assess(ruleset, **back, shaking_hand_relieves=flick)
    assert nerve(answered).probability == nerve(without).probability
    assert all(c.rule != "nerve_compression.flick_sign" for c in nerve(answered).contributions)
    for cause in without.causes:
        assert "shaking_hand_relieves" not in {c.finding for c in cause.check_next}


def test_the_same_hand_test_counts_for_a_hand_client(ruleset: Ruleset) -> None:
    hand = {"pain_locations": ["wrist_hand"], "tingling": True}
    before = nerve(assess(ruleset, **hand)).probability
    after = nerve(assess(ruleset, **hand, shaking_hand_relieves=True))
    assert after.probability > before
    assert after.site is not None and after.site.id == "median_wrist"


def test_the_report_names_the_most_likely_site(ruleset: Ruleset) -> None:
    neck_arm = assess(
        ruleset,
        pain_locations=["neck", "upper_arm", "forearm"],
        tingling=True,
        spurling_positive=True,
        ultt_positive=True,
        cervical_rotation_under_60=True,
        neck_distraction_relieves=True,
    )
    cause = nerve(neck_arm)
    assert cause.site is not None and cause.site.id == "cervical_root"
    assert cause.band == "very likely"  # the Wainner cluster, 4 of 4 (LR 30.3)


def test_a_site_whose_territory_misses_the_client_is_not_its_site(ruleset: Ruleset) -> None:
    cause = nerve(assess(ruleset, pain_locations=["foot_ankle"], tingling=True))
    assert cause.site is not None
    territory = next(s.territory for c in ruleset.causes for s in c.sites if s.id == cause.site.id)
    assert "foot_ankle" in territory


def _random_regions(rng: random.Random, ruleset: Ruleset) -> list[str]:
    choices = ruleset.findings["pain_locations"].choices or ()
    return rng.sample(list(choices), k=rng.randint(1, 2))


def test_check_next_never_suggests_a_question_off_the_clients_site(ruleset: Ruleset) -> None:
    rng = random.Random(12)
    for _ in range(60):
        regions = _random_regions(rng, ruleset)
        assessment = assess(ruleset, pain_locations=regions, symptom_locations=[], tingling=True)
        for cause in assessment.causes:
            for item in cause.check_next:
                sites = ruleset.findings[item.finding].sites
                assert sites is None or set(sites) & set(regions), (regions, item.finding)


# --- a client's own form ---------------------------------------------------------------------


def _random_answer(rng: random.Random, finding: Any) -> Any:
    if finding.type is FindingType.yes_no:
        return rng.random() < 0.5
    if finding.type is FindingType.choice:
        return rng.choice(finding.choices)
    if finding.type is FindingType.multi_choice:
        return rng.sample(list(finding.choices), k=rng.randint(0, min(3, len(finding.choices))))
    low, high = finding.bounds
    return rng.randint(int(low), int(high))


def test_a_clients_form_never_reaches_very_likely(ruleset: Ruleset) -> None:
    """By construction (two client units, bands from the range's low end), for any answers."""
    client = [f for f in ruleset.findings.values() if f.asked_of == "client"]
    rng = random.Random(7)
    for _ in range(300):
        answers = {f.id: _random_answer(rng, f) for f in client if rng.random() < 0.6}
        for cause in assess(ruleset, **answers).causes:
            assert cause.band != "very likely", (cause.id, cause.probability, answers)


def test_a_form_full_of_desk_work_symptoms_stays_below_very_likely(ruleset: Ruleset) -> None:
    desk = assess(
        ruleset,
        sedentary_work=True,
        repetitive_motion=True,
        stress_level=8,
        poor_sleep=True,
        worse_sustained_posture=True,
        pain_locations=["neck", "shoulder", "upper_back"],
        pain_quality=["aching"],
        referred_pain_reported=True,
        headaches=True,
    )
    assert all(cause.band in ("possible", "likely") for cause in desk.causes)


# --- likelihood ratios corrected (CLINICAL-REVIEW.md section 2) ----------------------------


def test_the_flick_sign_is_a_moderate_hand_set_weight_not_21(ruleset: Ruleset) -> None:
    flick = rule(ruleset, "nerve_compression.flick_sign")
    assert flick.lr.strength == "small" and flick.lr.lr <= 3
    assert flick.lr_absent is not None and flick.lr_absent.lr >= 0.5
    assert flick.site == "median_wrist"


def test_carpal_compression_is_close_to_uninformative(ruleset: Ruleset) -> None:
    carpal = rule(ruleset, "nerve_compression.carpal_compression")
    assert 1.0 <= carpal.lr.lr <= 1.5


def test_fair_is_hand_set_and_sets_no_neural_test_aside(ruleset: Ruleset) -> None:
    fair = rule(ruleset, "nerve_compression.piriformis")
    assert fair.lr.strength is not None and fair.lr.lr < 5.2
    for rule_id in ("nerve_compression.slump", "nerve_compression.straight_leg_raise"):
        unless = rule(ruleset, rule_id).unless
        assert unless is None or "piriformis_test_positive" not in set(unless.findings())


def test_a_negative_ultt_counts_only_at_the_cervical_root(ruleset: Ruleset) -> None:
    ultt = rule(ruleset, "nerve_compression.ultt")
    assert ultt.site == "cervical_root"
    cts = {"pain_locations": ["wrist_hand"], "tingling": True, "shaking_hand_relieves": True}
    before = nerve(assess(ruleset, **cts))
    after = nerve(assess(ruleset, **cts, ultt_positive=False))
    assert (after.probability, after.site) == (before.probability, before.site)


def test_sensory_loss_3_1_is_the_median_nerves_only(ruleset: Ruleset) -> None:
    published = [
        r
        for c in ruleset.causes
        for r in c.rules
        if r.lr.lr == 3.1 and "dermatomal_sensory_loss" in set(r.when.findings())
    ]
    assert [(r.id, r.site) for r in published] == [
        ("nerve_compression.sensory_loss_median", "median_wrist")
    ]


def test_the_straight_leg_raise_takes_the_mri_based_figures(ruleset: Ruleset) -> None:
    slr = rule(ruleset, "nerve_compression.straight_leg_raise")
    assert (slr.lr.lr, slr.lr_absent.lr) == (1.38, 0.87)
    assert slr.population and "Capra" in slr.population
    walking = {"pain_locations": ["calf"], "walking_leg_pain_eased_by_rest": True}
    assert nerve(assess(ruleset, **walking, straight_leg_raise_positive=False)).probability == (
        nerve(assess(ruleset, **walking)).probability
    )


def test_adson_alone_carries_the_published_outlet_figure(ruleset: Ruleset) -> None:
    adson = rule(ruleset, "nerve_compression.adson")
    roos = rule(ruleset, "nerve_compression.thoracic_outlet")
    assert adson.lr.lr == 3.3 and list(adson.when.findings()) == ["adson_test_positive"]
    assert roos.lr.lr < 2 and roos.group == adson.group is not None


def test_light_palpation_tenderness_no_longer_cites_a_trigger_point_study(
    ruleset: Ruleset,
) -> None:
    assert "S9" not in rule(ruleset, "ischemia.tender_to_light_palpation").source


def test_every_published_figure_names_its_population(ruleset: Ruleset) -> None:
    for cause in ruleset.causes:
        for item in cause.rules:
            weights = [w for w in (item.lr, item.lr_absent) if w is not None]
            if any(w.strength is None and w.lr != 1.0 for w in weights):
                assert item.population, item.id
