"""The bundled pack keeps the public vocabulary and covers what the clinical brief asks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from nmt_assess.engine import score
from nmt_assess.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    FindingTest,
    FindingType,
    Not,
    RedFlag,
    Ruleset,
)
from tests.conftest import DATA, intake

VOCABULARY = yaml.safe_load((DATA / "intake-vocabulary.yaml").read_text())
CAUSE_IDS = [
    "ischemia",
    "trigger_points",
    "postural_distortion",
    "nerve_compression",
    "biomechanical_dysfunction",
]


def test_the_five_causes_have_their_exact_ids(ruleset: Ruleset) -> None:
    assert sorted(c.id for c in ruleset.causes) == sorted(CAUSE_IDS)


@pytest.mark.parametrize("entry", VOCABULARY["findings"], ids=lambda e: e["id"])
def test_catalog_keeps_every_vocabulary_finding_unchanged(
    ruleset: Ruleset, entry: dict[str, Any]
) -> None:
    finding = ruleset.findings[entry["id"]]
    assert finding.type.value == entry["type"]
    assert finding.meaning == entry["meaning"]
    assert finding.asked_of == entry["asked_of"]
    assert finding.choices == (tuple(entry["choices"]) if "choices" in entry else None)
    assert (finding.unit, finding.min, finding.max) == (
        entry.get("unit"),
        entry.get("min"),
        entry.get("max"),
    )


def test_every_catalog_finding_is_used_by_a_rule_red_flag_or_screen(ruleset: Ruleset) -> None:
    used = {f for c in ruleset.causes for r in c.rules for f in r.findings()}
    used |= {f for flag in ruleset.red_flags for f in flag.when.findings()}
    used |= set(ruleset.site_findings)  # where the client has pain or symptoms: the sites
    used |= {f for screen in ruleset.screens for f in screen.findings()}
    assert set(ruleset.findings) - used == set()


def test_every_cause_has_at_least_eight_rules_each_with_a_reason(ruleset: Ruleset) -> None:
    for cause in ruleset.causes:
        assert len(cause.rules) >= 8, cause.id
        assert all(rule.because.strip() for rule in cause.rules)


def test_every_screening_finding_is_covered_by_a_red_flag(ruleset: Ruleset) -> None:
    screening = {f.id for f in ruleset.findings.values() if f.section == "screening"}
    flagged = {f for flag in ruleset.red_flags for f in flag.when.findings()}
    assert screening - flagged == set()


def test_red_flags_cover_every_action_level(ruleset: Ruleset) -> None:
    actions = {flag.action.value for flag in ruleset.red_flags}
    assert actions == {"emergency", "urgent", "refer", "caution", "local"}


def test_trigger_point_referral_covers_every_body_region(ruleset: Ruleset) -> None:
    regions = ruleset.findings["pain_locations"].choices or ()
    assert set(ruleset.referral) == set(regions)
    assert all(ruleset.referral[region].muscles for region in regions)


def _satisfy(condition: Condition, ruleset: Ruleset) -> dict[str, Any]:
    """Answers that make the condition hold."""
    if isinstance(condition, FindingTest):
        return {condition.finding: _satisfying_value(condition, ruleset)}
    if isinstance(condition, AllOf):
        answers: dict[str, Any] = {}
        for part in condition.all:
            for key, value in _satisfy(part, ruleset).items():
                both = isinstance(value, list) and isinstance(answers.get(key), list)
                answers[key] = sorted({*answers[key], *value}) if both else value
        return answers
    if isinstance(condition, AnyOf):
        return _satisfy(condition.any[0], ruleset)
    if isinstance(condition, AtLeast):
        parts = condition.of[: condition.at_least]
        return {k: v for part in parts for k, v in _satisfy(part, ruleset).items()}
    assert isinstance(condition, Not)
    raise AssertionError("red flags do not use 'not'")


def _satisfying_value(test: FindingTest, ruleset: Ruleset) -> Any:
    finding = ruleset.findings[test.finding]
    if test.gt is not None:
        return int(test.gt) + 1
    if test.gte is not None:
        return int(test.gte)
    if test.lt is not None:
        return int(test.lt) - 1
    if test.lte is not None:
        return int(test.lte)
    if test.in_:
        return test.in_[0]
    if test.any_of or test.all_of:
        return list(test.any_of or test.all_of or ())
    if finding.type is FindingType.yes_no:
        return True if test.is_ is None else test.is_
    return test.is_


def _flags() -> Iterator[RedFlag]:
    from nmt_assess.ruleset import load_ruleset

    yield from load_ruleset().red_flags


@pytest.mark.parametrize("flag", list(_flags()), ids=lambda f: f.id)
def test_every_red_flag_fires_on_its_own_findings(ruleset: Ruleset, flag: RedFlag) -> None:
    answers = _satisfy(flag.when, ruleset)
    result = score(ruleset, intake(**answers))
    raised = {f.id: f for f in result.red_flags}
    assert flag.id in raised
    assert raised[flag.id].action == flag.action
    assert result.referral_first is any(f.action.is_referral_first for f in result.red_flags)


def test_emergency_flag_is_listed_first_and_ranking_still_computed(ruleset: Ruleset) -> None:
    result = score(ruleset, intake(anticoagulant_use=True, saddle_numbness=True, tingling=True))
    assert [f.id for f in result.red_flags] == ["cauda_equina", "anticoagulants"]
    assert result.referral_first is True
    assert len(result.causes) == 5


def test_progressive_weakness_is_a_flag_not_nerve_compression_evidence(ruleset: Ruleset) -> None:
    base = score(ruleset, intake(tingling=True))
    flagged = score(ruleset, intake(tingling=True, progressive_weakness=True))
    nerve = [
        c.probability for r in (base, flagged) for c in r.causes if c.id == "nerve_compression"
    ]
    assert nerve[0] == nerve[1]
    assert [f.id for f in flagged.red_flags] == ["progressive_neurological_deficit"]


def test_readme_worked_example(ruleset: Ruleset) -> None:
    """README 'How the scoring works': computed by hand, reproduced by the engine."""
    result = score(
        ruleset,
        intake(
            pain_locations=("wrist_hand",),
            tingling=True,
            katz_hand_diagram="classic",
            phalen_positive=True,
        ),
    )
    nerve = next(c for c in result.causes if c.id == "nerve_compression")
    prior_odds = 0.20 / 0.80
    odds = prior_odds * 2.5 * 2.4 * 1.7  # tingling (small), Katz classic, Phalen
    low = prior_odds * 2.0 * 1.6 * 1.7  # the small band's low end, Katz's CI, Phalen's point
    high = prior_odds * 5.0 * 3.5 * 1.7
    assert nerve.probability == round(odds / (1 + odds), 4) == 0.7183
    assert nerve.range == (round(low / (1 + low), 4), round(high / (1 + high), 4))
    assert nerve.range == (0.5763, 0.8815)
    assert nerve.band == "likely"
    assert nerve.site is not None and nerve.site.id == "median_wrist"
    assert {c.rule: c.counted for c in nerve.contributions} == {
        "nerve_compression.tingling": True,
        "nerve_compression.katz_classic_probable": True,
        "nerve_compression.phalen": True,
    }
