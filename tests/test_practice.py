"""Students' case practice: grading, non-interactive and classroom use, progress stats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.engine import score
from nmt_assess.grading import grade, kendall_tau
from nmt_assess.models import Ruleset
from nmt_assess.readers.intake_file import read_intake_file
from tests.conftest import CASES_DIR, DATA

runner = CliRunner()
CTS = "cts-keyboard-worker"
CAUDA = "cauda-equina-after-house-move"


def assessment_of(ruleset: Ruleset, case: str):  # type: ignore[no-untyped-def]
    return score(ruleset, read_intake_file(CASES_DIR / f"{case}.yaml", ruleset))


def test_kendall_tau_by_hand() -> None:
    same = ["a", "b", "c", "d", "e"]
    assert kendall_tau(same, same) == (1.0, 10, 10)
    assert kendall_tau(same[::-1], same) == (-1.0, 0, 10)
    # one adjacent swap: 9 of 10 pairs agree, tau = (9 - 1) / 10
    assert kendall_tau(["b", "a", "c", "d", "e"], same) == (0.8, 9, 10)


def test_grade_top_cause_flags_and_support(ruleset: Ruleset) -> None:
    assessment = assessment_of(ruleset, CTS)
    ranking = [c.id for c in assessment.causes]
    result = grade(CTS, assessment, ranking, [], ["shaking_hand_relieves", "age"])
    assert result.top_correct and result.kendall_tau == 1.0
    assert result.flags_missed == [] and not result.serious_miss
    assert result.support_matched == ["shaking_hand_relieves"]
    assert result.passed


def test_a_missed_emergency_flag_is_a_serious_miss_whatever_the_ranking(ruleset: Ruleset) -> None:
    assessment = assessment_of(ruleset, CAUDA)
    perfect = [c.id for c in assessment.causes]
    missed = grade(CAUDA, assessment, perfect, [])
    assert missed.top_correct and missed.kendall_tau == 1.0
    assert "cauda_equina" in missed.flags_missed
    assert missed.serious_miss and not missed.passed
    caught = grade(CAUDA, assessment, perfect, [f.id for f in assessment.red_flags])
    assert not caught.serious_miss and caught.passed


def test_a_missed_caution_flag_is_not_serious(ruleset: Ruleset) -> None:
    assessment = assessment_of(ruleset, "anticoagulated-hip-gait")
    result = grade("x", assessment, [c.id for c in assessment.causes], [])
    assert result.flags_missed and not result.serious_miss


def test_non_interactive_practice_grades_without_prompts(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    result = runner.invoke(
        app,
        [
            "practice",
            "--case",
            CTS,
            "--answer",
            "trigger_points,nerve_compression,ischemia,"
            "postural_distortion,biomechanical_dysfunction",
            "--flags",
            "none",
            "--format",
            "json",
            "--log",
            str(log),
        ],
    )
    assert result.exit_code == 0, result.stderr
    graded = json.loads(result.stdout)
    assert graded["top_correct"] is False
    assert graded["top_expected"] == "nerve_compression"
    assert "pairs of causes are in the same order" in graded["rank_agreement"]
    assert json.loads(log.read_text())["case"] == CTS  # the attempt is logged


def test_practice_never_shows_the_expected_answer(tmp_path: Path) -> None:
    result = runner.invoke(app, ["practice", "--case", CTS, "--log", str(tmp_path / "l")], input="")
    out = result.stdout
    assert "Night waking" in out or "Flick sign" in out  # findings in words
    assert "leading_cause" not in out and "expect" not in out
    assert "Teaching note" not in out  # input ended before any answer


def test_an_interactive_session(tmp_path: Path) -> None:
    answers = (
        "\n".join(
            [
                "5,1",  # incomplete ranking: asked again
                "4,5,3,1,2",  # nerve_compression first
                "none",
                "shaking_hand_relieves",
            ]
        )
        + "\n"
    )
    result = runner.invoke(
        app, ["practice", "--case", CTS, "--log", str(tmp_path / "l")], input=answers
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "rank all 5 causes" in out
    assert "Top cause: Nerve compression is right" in out
    assert "Teaching note" in out


def test_seeded_choice_by_cause_and_level_is_repeatable(tmp_path: Path) -> None:
    args = [
        "practice",
        "--cause",
        "ischemia",
        "--level",
        "1",
        "--seed",
        "7",
        "--log",
        str(tmp_path / "l"),
    ]
    first = " ".join(runner.invoke(app, args, input="").stdout.split())
    second = " ".join(runner.invoke(app, args, input="").stdout.split())
    assert first == second
    assert "level 1)" in first


def test_classroom_grading_of_a_csv(tmp_path: Path) -> None:
    result = runner.invoke(app, ["practice", "--answers", str(DATA / "practice" / "class.csv")])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["student"] for row in rows] == ["ana", "ben", "cy"]
    assert rows[0]["passed"] == "True"
    assert rows[1]["serious_miss"] == "True" and "cauda_equina" in rows[1]["flags_missed"]
    assert rows[2]["error"].startswith("no case 'no-such-case'")
    assert result.exit_code == 1  # a row that could not be graded


def test_stats_from_a_prepared_log() -> None:
    log = DATA / "practice" / "log.jsonl"
    result = runner.invoke(app, ["practice", "--stats", "--log", str(log), "--format", "json"])
    summary = json.loads(result.stdout)
    assert summary["attempts"] == 4
    assert summary["top_cause_accuracy"] == 0.5
    assert summary["by_cause"]["trigger_points"] == {"attempts": 2, "accuracy": 0.0}
    assert summary["by_day"]["2026-11-21"] == {"attempts": 2, "accuracy": 0.5}
    assert summary["most_missed"] == ["trigger_points"]
    assert summary["serious_misses"] == 1
    assert f"{log}:5: not a practice attempt" in result.stderr


def test_stats_as_a_chart() -> None:
    log = DATA / "practice" / "log.jsonl"
    out = runner.invoke(app, ["practice", "--stats", "--log", str(log)]).stdout
    assert "4 attempt(s)" in out and "Most often missed: trigger_points" in out
    assert "█" in out


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("nerve_compresion,1,2,3,4", "did you mean 'nerve_compression'?"),
        ("1,1,2,3,4", "ranked twice"),
    ],
)
def test_bad_rankings_are_explained(tmp_path: Path, answer: str, message: str) -> None:
    result = runner.invoke(
        app, ["practice", "--case", CTS, "--answer", answer, "--log", str(tmp_path / "l")]
    )
    assert result.exit_code == 2
    assert message in result.stderr
