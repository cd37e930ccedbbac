"""Coverage v2 (issue 12, CLINICAL-REVIEW.md section 5): each new or extended flag fires on its own
minimal intake and not on its look-alike; headache types, the neck movement fault and the
ischemia corrections move the causes the way their sources say; every rule that raises a cause
states what a "no" does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nmt_assess.engine import score
from nmt_assess.models import Ruleset
from tests.conftest import intake

RULES = Path(__file__).parent.parent / "rules"
SOFT_TISSUE = ("ischemia", "trigger_points", "postural_distortion", "biomechanical_dysfunction")
HEADACHE = {"headaches": True, "pain_locations": ["head_temple", "head_forehead", "neck"]}


def raised(ruleset: Ruleset, **findings: Any) -> dict[str, str]:
    return {f.id: f.action.value for f in score(ruleset, intake(**findings)).red_flags}


def probability(ruleset: Ruleset, cause: str, **findings: Any) -> float:
    assessment = score(ruleset, intake(**findings))
    return next(c.probability for c in assessment.causes if c.id == cause)


# --- each new flag: one intake that raises it, one look-alike that must not --------------------

PAIRS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "medication_overuse_headache",
        "refer",
        {**HEADACHE, "headache_days_per_month": 25, "analgesic_days_per_month": 20},
        # Frequent headache, painkillers only now and then: chronic headache, not overuse.
        {**HEADACHE, "headache_days_per_month": 20, "analgesic_days_per_month": 4},
    ),
    (
        "frequent_analgesic_use",
        "caution",
        {**HEADACHE, "analgesic_days_per_month": 12},
        {**HEADACHE, "analgesic_days_per_month": 3},
    ),
    (
        "widespread_sensitisation",
        "caution",
        {"motor_vehicle_accident": True, "widespread_hypersensitivity": True},
        # Tender over the neck only: local tenderness, not sensitisation.
        {
            "motor_vehicle_accident": True,
            "tender_to_light_palpation": True,
            "widespread_hypersensitivity": False,
        },
    ),
    (
        "muscle_tendon_rupture_suspected",
        "refer",
        {"sports_injury": True, "palpable_defect": True, "pain_locations": ["thigh"]},
        # A bruised, strained hamstring with no gap: a local precaution, no referral.
        {
            "sports_injury": True,
            "palpable_defect": False,
            "bruising_over_area": True,
            "pain_on_resisted_contraction": True,
            "pain_locations": ["thigh"],
        },
    ),
    (
        "fresh_haematoma",
        "local",
        {"bruising_over_area": True, "days_since_injury": 4, "pain_locations": ["thigh"]},
        # Injured, no bruise.
        {"sports_injury": True, "bruising_over_area": False, "pain_locations": ["thigh"]},
    ),
    (
        "upper_limb_vascular_compromise",
        "urgent",
        {"arm_swelling_or_discolouration": True, "pain_locations": ["shoulder", "upper_arm"]},
        # Arm symptoms overhead without swelling or colour change: neurogenic, not vascular.
        {
            "arm_swelling_or_discolouration": False,
            "tingling": True,
            "pain_locations": ["shoulder", "upper_arm"],
        },
    ),
    (
        "head_injury_unassessed",
        "urgent",
        {
            "head_injury_loss_of_consciousness": True,
            "recent_trauma": True,
            "medically_assessed_for_complaint": False,
        },
        # Knocked out, but already assessed in the emergency department.
        {
            "head_injury_loss_of_consciousness": True,
            "recent_trauma": True,
            "medically_assessed_for_complaint": True,
        },
    ),
    (
        "inflammatory_back_pain",
        "refer",
        # Berlin criteria, 3 of 4 (Rudwaleit 2006).
        {
            "pain_locations": ["low_back", "buttock"],
            "pain_duration": "chronic",
            "morning_stiffness_minutes": 60,
            "alternating_buttock_pain": True,
            "night_pain_eases_on_getting_up": True,
        },
        # Mechanical back pain: short stiffness, eased by rest, no night pattern.
        {
            "pain_locations": ["low_back", "buttock"],
            "pain_duration": "chronic",
            "morning_stiffness_minutes": 10,
            "eased_by_rest": True,
            "eased_by_movement": False,
            "alternating_buttock_pain": False,
            "night_pain_eases_on_getting_up": False,
        },
    ),
    (
        "peripheral_arterial_disease",
        "refer",
        {"pedal_pulses_reduced": True, "smoker": True, "pain_locations": ["calf"]},
        # A smoker's calf trigger point with normal foot pulses.
        {
            "pedal_pulses_reduced": False,
            "smoker": True,
            "taut_band": True,
            "spot_tenderness": True,
            "pain_locations": ["calf"],
        },
    ),
    (
        "septic_arthritis_suspected",
        "urgent",
        {"recent_joint_injection": True, "fever_or_chills": True, "pain_locations": ["knee"]},
        # An injected knee, no fever, not hot or swollen.
        {
            "recent_joint_injection": True,
            "fever_or_chills": False,
            "hot_swollen_joint": False,
            "pain_locations": ["knee"],
        },
    ),
    (
        "spinal_infection_suspected",
        "urgent",
        {"pain_locations": ["low_back"], "night_sweats": True, "immunosuppression": True},
        # Night sweats without an infection risk factor.
        {
            "pain_locations": ["low_back"],
            "night_sweats": True,
            "immunosuppression": False,
            "injecting_drug_use": False,
            "recent_spinal_procedure": False,
        },
    ),
    (
        "post_traumatic_neurological_deficit",
        "urgent",
        {
            "motor_vehicle_accident": True,
            "qtf_whiplash_grade": "III",
            "medically_assessed_for_complaint": False,
        },
        # Whiplash grade II: musculoskeletal signs only.
        {
            "motor_vehicle_accident": True,
            "qtf_whiplash_grade": "II",
            "medically_assessed_for_complaint": False,
        },
    ),
    (
        "suspected_fracture",
        "urgent",
        {"motor_vehicle_accident": True, "qtf_whiplash_grade": "IV"},
        {"motor_vehicle_accident": True, "qtf_whiplash_grade": "I"},
    ),
    (
        "pregnancy",
        "caution",
        {"pregnancy_weeks": 33},
        {"pregnancy": False},
    ),
    (
        "investigated_stable_dizziness",
        "caution",
        {
            "dizziness_positional_brief": True,
            "medically_assessed_for_complaint": True,
            "symptoms_changed_since_assessment": False,
            "pain_locations": ["neck"],
        },
        {
            "dizziness_positional_brief": False,
            "dizziness": False,
            "medically_assessed_for_complaint": True,
            "symptoms_changed_since_assessment": False,
            "pain_locations": ["neck"],
        },
    ),
]


@pytest.mark.parametrize(("flag", "tier", "fires", "look_alike"), PAIRS, ids=[p[0] for p in PAIRS])
def test_a_new_flag_fires_on_its_intake_and_not_on_its_look_alike(
    ruleset: Ruleset, flag: str, tier: str, fires: dict[str, Any], look_alike: dict[str, Any]
) -> None:
    assert raised(ruleset, **fires).get(flag) == tier
    assert flag not in raised(ruleset, **look_alike)


def test_medication_overuse_is_not_an_emergency(ruleset: Ruleset) -> None:
    flags = raised(ruleset, **HEADACHE, headache_days_per_month=25, analgesic_days_per_month=20)
    assert not {action for action in flags.values()} & {"emergency", "urgent"}


def test_the_new_flags_state_what_they_restrict(ruleset: Ruleset) -> None:
    flags = {f.id: f for f in ruleset.red_flags}
    assert flags["medication_overuse_headache"].restricts != "none"
    assert flags["muscle_tendon_rupture_suspected"].restricts == "body"
    haematoma = flags["fresh_haematoma"].restricts
    assert haematoma not in ("body", "none")
    assert "thigh" in haematoma.regions  # type: ignore[union-attr]


def test_a_fresh_bruise_withholds_palpation_over_the_thigh(ruleset: Ruleset) -> None:
    def trigger_points(bruised: bool) -> Any:
        assessment = score(
            ruleset,
            intake(
                sports_injury=True,
                bruising_over_area=bruised,
                days_since_injury=3,
                pain_locations=["thigh"],
                taut_band=True,
                spot_tenderness=True,
            ),
        )
        return next(c for c in assessment.causes if c.id == "trigger_points")

    assert "hamstrings" in trigger_points(False).muscles_to_palpate["thigh"]
    bruised = trigger_points(True)
    assert "thigh" not in bruised.muscles_to_palpate
    assert ("muscles_to_palpate", "thigh", "fresh_haematoma") in {
        (w.kind, w.item, w.flag) for w in bruised.withheld
    }


# --- causes -----------------------------------------------------------------------------------


def test_migraine_features_lower_trigger_points_and_the_neck_fault(ruleset: Ruleset) -> None:
    migraine = {
        **HEADACHE,
        "headache_nausea": True,
        "headache_photophobia": True,
        "headache_phonophobia": True,
        "headache_worse_routine_activity": True,
        "headache_side": "one_side_varies",
    }
    tension = {
        **HEADACHE,
        "headache_nausea": False,
        "headache_photophobia": False,
        "headache_phonophobia": False,
        "headache_worse_routine_activity": False,
        "headache_side": "both_sides",
    }
    for cause in ("trigger_points", "biomechanical_dysfunction"):
        assert probability(ruleset, cause, **migraine) < probability(ruleset, cause, **tension)


def test_an_aura_lowers_trigger_points(ruleset: Ruleset) -> None:
    assert probability(ruleset, "trigger_points", **HEADACHE, headache_aura=True) < probability(
        ruleset, "trigger_points", **HEADACHE, headache_aura=False
    )


def test_a_positive_flexion_rotation_test_raises_the_neck_fault_and_a_negative_lowers_it(
    ruleset: Ruleset,
) -> None:
    base = probability(ruleset, "biomechanical_dysfunction", **HEADACHE)
    positive = probability(
        ruleset, "biomechanical_dysfunction", **HEADACHE, flexion_rotation_test_positive=True
    )
    negative = probability(
        ruleset, "biomechanical_dysfunction", **HEADACHE, flexion_rotation_test_positive=False
    )
    assert negative < base < positive


def test_the_flexion_rotation_test_counts_only_for_a_head_or_neck_complaint(
    ruleset: Ruleset,
) -> None:
    knee = {"pain_locations": ["knee"]}
    assert probability(
        ruleset, "biomechanical_dysfunction", **knee, flexion_rotation_test_positive=True
    ) == pytest.approx(probability(ruleset, "biomechanical_dysfunction", **knee))


def test_referred_pain_and_neck_headache_count_once(ruleset: Ruleset) -> None:
    neck = {"pain_locations": ["neck"], "headaches": True}
    both = probability(ruleset, "trigger_points", **neck, referred_pain_reported=True)
    one = probability(ruleset, "trigger_points", **neck, referred_pain_reported=False)
    assert both == pytest.approx(one)


def test_a_no_to_sensitive_to_touch_lowers_ischemia(ruleset: Ruleset) -> None:
    prior = probability(ruleset, "ischemia")
    assert probability(ruleset, "ischemia", sensitive_to_touch=False) < prior
    assert probability(ruleset, "ischemia", sensitive_to_touch=True) > prior


def test_claudication_and_widespread_sensitisation_argue_against_soft_tissue_ischemia(
    ruleset: Ruleset,
) -> None:
    prior = probability(ruleset, "ischemia")
    assert probability(ruleset, "ischemia", walking_leg_pain_eased_by_rest=True) < prior
    tender = probability(ruleset, "ischemia", tender_to_light_palpation=True)
    assert (
        probability(
            ruleset, "ischemia", tender_to_light_palpation=True, widespread_hypersensitivity=True
        )
        < tender
    )


def test_light_palpation_tenderness_no_longer_cites_the_latent_trigger_point_study(
    ruleset: Ruleset,
) -> None:
    rule = next(
        r for c in ruleset.causes for r in c.rules if r.id == "ischemia.tender_to_light_palpation"
    )
    assert "S9" not in rule.source
    assert "hand-set" in rule.because


def test_every_rule_that_raises_a_soft_tissue_cause_says_what_a_no_does() -> None:
    strengths = yaml.safe_load((RULES / "pack.yaml").read_text())["strengths"]
    for cause in SOFT_TISSUE:
        for rule in yaml.safe_load((RULES / "causes" / f"{cause}.yaml").read_text())["rules"]:
            lr = strengths.get(rule["lr"], rule["lr"])
            if lr > 1:
                assert "lr_absent" in rule, rule["id"]


def test_client_only_rules_declare_no_group(ruleset: Ruleset) -> None:
    for cause in ruleset.causes:
        if cause.id not in SOFT_TISSUE:
            continue
        for rule in cause.rules:
            read = set(rule.when.findings())
            if all(ruleset.findings[f].asked_of == "client" for f in read):
                assert rule.group is None, rule.id


def test_ischemia_texts_say_the_model_is_nmt_theory(ruleset: Ruleset) -> None:
    ischemia = next(c for c in ruleset.causes if c.id == "ischemia")
    assert "theory" in ischemia.description
    for rule in ischemia.rules:
        assert "starved" not in rule.because and "restores blood flow" not in rule.because
