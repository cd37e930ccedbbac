"""The adaptive policy: the next question, the stop rule, and a replay of a bundled case."""

from __future__ import annotations

from nmt_assess.adaptive import (
    could_reorder_top_two,
    information_gain,
    next_question,
    replay_quick_intake,
    screening_findings,
)
from nmt_assess.engine import Engine
from nmt_assess.models import Intake, Ruleset
from nmt_assess.readers.intake_file import read_intake_file
from tests.conftest import CASES_DIR


def test_a_question_no_rule_reads_gains_nothing(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    assert information_gain(engine, {}, "saddle_numbness") == 0.0  # only a red flag reads it
    assert information_gain(engine, {}, "spot_tenderness") > 0.0


def test_the_next_question_has_the_largest_information_gain(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    candidates = ["sedentary_work", "shaking_hand_relieves", "stiffness"]
    gains = {f: information_gain(engine, {}, f) for f in candidates}
    assert next_question(engine, {}, candidates) == max(gains, key=gains.__getitem__)


def test_an_answered_question_is_not_asked_again_by_the_stop_rule(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    assert could_reorder_top_two(engine, {}, ["shaking_hand_relieves"]) is True
    assert could_reorder_top_two(engine, {}, []) is False


def test_screening_includes_every_finding_a_red_flag_reads(ruleset: Ruleset) -> None:
    screening = set(screening_findings(Engine(ruleset)))
    assert {"age", "pain_intensity", "recent_trauma", "saddle_numbness"} <= screening


def test_replaying_a_case_asks_fewer_questions_and_keeps_the_top_cause(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    case = read_intake_file(CASES_DIR / "cts-keyboard-worker.yaml", ruleset)
    gathered, asked = replay_quick_intake(engine, case.findings)
    full = len(ruleset.findings) - len(screening_findings(engine))
    assert len(asked) < full
    quick = engine.score(Intake.model_validate({"findings": gathered}))
    assert quick.causes[0].id == engine.score(case).causes[0].id == "nerve_compression"
