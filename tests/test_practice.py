"""Students' case practice: grading, non-interactive and classroom use, progress stats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nmt_assess.cli.app import app
from nmt_assess.engine import score
from nmt_assess.models import Ruleset
from nmt_assess.readers.intake_file import read_intake_file
from nmt_assess.teaching.grading import grade, kendall_tau
from tests.conftest import DATA, MINI_PACK

runner = CliRunner()
# Grading is checked on the mini pack's one case, whose answer is easy to work out by hand:
# alpha leads beta; A past 60 (old_a, urgent) and C (c_flag, caution) are raised; C (x6), A (x4)
# and severe pain (x2) are alpha's strongest findings.
CASE = "alpha-with-c"
MINI = ["--rules", str(MINI_PACK)]


def mini_assessment(mini: Ruleset):  # type: ignore[no-untyped-def]
    return score(mini, read_intake_file(MINI_PACK / "cases" / f"{CASE}.yaml", mini))


def test_kendall_tau_by_hand() -> None:
    same = ["a", "b", "c", "d", "e"]
    assert kendall_tau(same, same) == (1.0, 10, 10)
    assert kendall_tau(same[::-1], same) == (-1.0, 0, 10)
    # one adjacent swap: 9 of 10 pairs agree, tau = (9 - 1) / 10
    assert kendall_tau(["b", "a", "c", "d", "e"], same) == (0.8, 9, 10)


def test_a_right_answer_with_every_flag_passes(mini: Ruleset) -> None:
    assessment = mini_assessment(mini)
    result = grade(CASE, assessment, ["alpha", "beta"], ["old_a", "c_flag"], ["c", "age"])
    assert (result.top_expected, result.top_given, result.top_correct) == ("alpha", "alpha", True)
    assert (result.kendall_tau, result.pairs_agreeing, result.pairs_total) == (1.0, 1, 1)
    assert result.flags_caught == ["old_a", "c_flag"]
    assert result.flags_missed == [] and result.flags_extra == []
    assert not result.serious_miss
    assert result.support_expected == [
        "c",
        "a",
    ]  # strongest first; pain is outweighed by a (both the client's)
    assert result.support_matched == ["c"]
    assert result.passed


def test_a_missed_urgent_flag_is_a_serious_miss_whatever_the_ranking(mini: Ruleset) -> None:
    assessment = mini_assessment(mini)
    missed = grade(CASE, assessment, ["alpha", "beta"], ["c_flag"])
    assert missed.top_correct and missed.kendall_tau == 1.0
    assert missed.flags_caught == ["c_flag"] and missed.flags_missed == ["old_a"]
    assert missed.serious_miss and not missed.passed


def test_a_missed_caution_flag_is_not_serious(mini: Ruleset) -> None:
    result = grade(CASE, mini_assessment(mini), ["alpha", "beta"], ["old_a"])
    assert result.flags_missed == ["c_flag"] and not result.serious_miss


def test_a_flag_named_but_not_raised_is_extra(mini: Ruleset) -> None:
    intake = read_intake_file(MINI_PACK / "cases" / f"{CASE}.yaml", mini)
    without_c = intake.model_copy(  # with C unknown the caution flag is not raised
        update={"findings": {k: v for k, v in intake.findings.items() if k != "c"}}
    )
    result = grade(CASE, score(mini, without_c), ["alpha", "beta"], ["old_a", "c_flag"])
    assert result.flags_caught == ["old_a"] and result.flags_extra == ["c_flag"]


def test_non_interactive_practice_grades_without_prompts(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    args = ["practice", *MINI, "--case", CASE, "--answer", "beta,alpha", "--flags", "c_flag"]
    result = runner.invoke(app, [*args, "--format", "json", "--log", str(log)])
    assert result.exit_code == 0, result.stderr
    graded = json.loads(result.stdout)
    assert {key: graded[key] for key in graded if key != "rank_agreement"} == {
        "case": "1",  # cases by number, never by id
        "top_expected": "alpha",
        "top_given": "beta",
        "top_correct": False,
        "kendall_tau": -1.0,
        "pairs_agreeing": 0,
        "pairs_total": 1,
        "flags_caught": ["c_flag"],
        "flags_missed": ["old_a"],
        "flags_extra": [],
        "serious_miss": True,
        "support_given": [],
        "support_expected": ["c", "a"],
        "support_matched": [],
        "passed": False,
    }
    assert graded["rank_agreement"].startswith("0 of the 1 pairs of causes are in the same order")
    assert "Kendall's tau -1.00" in graded["rank_agreement"]
    assert json.loads(log.read_text())["case"] == CASE  # the attempt is logged


def test_practice_never_shows_the_expected_answer(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["practice", *MINI, "--case", CASE, "--log", str(tmp_path / "l")], input=""
    )
    out = result.stdout
    assert "A past 60" not in out  # the flags are offered only after the ranking
    assert "  A: yes\n" in out and "  Where: x\n" in out  # findings in words
    assert "leading_cause" not in out and "expect" not in out and CASE not in out
    assert "Teaching note" not in out  # input ended before any answer


def interactive(tmp_path: Path, *answers: str) -> Result:
    args = ["practice", *MINI, "--case", CASE, "--log", str(tmp_path / "l")]
    return runner.invoke(app, args, input="\n".join(answers) + "\n")


def test_an_interactive_session_with_a_wrong_top_and_a_missed_urgent_flag(tmp_path: Path) -> None:
    result = interactive(
        tmp_path,
        "2",  # incomplete ranking: asked again
        "2,1",  # beta first
        "c_flag",
        "a",
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "rank all 2 causes" in out
    assert "SERIOUS MISS" in out
    assert "Top cause: Beta is not the rules' choice; the rules lead with Alpha." in out
    assert "0 of the 1 pairs of causes" in out and "Kendall's tau -1.00" in out
    assert "Red flags caught: C present\n" in out
    assert "Red flags missed: A past 60\n" in out
    assert "Your supporting findings: a; the rules' strongest: c, a; matched: a." in out
    assert "Teaching note" in out


def test_an_interactive_session_with_the_right_answer(tmp_path: Path) -> None:
    result = interactive(tmp_path, "1,2", "1,2", "")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "SERIOUS MISS" not in out
    assert "Top cause: Alpha is right; the rules lead with Alpha." in out
    assert "1 of the 1 pairs of causes" in out and "Kendall's tau +1.00" in out
    assert "Red flags caught: A past 60, C present\n" in out
    assert "Red flags missed" not in out


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


def test_classroom_grading_of_a_csv() -> None:
    answers = DATA / "practice" / "mini-class.csv"
    result = runner.invoke(app, ["practice", *MINI, "--answers", str(answers)])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["student"] for row in rows] == ["ana", "ben", "cy"]
    assert rows[0]["passed"] == "True" and rows[0]["kendall_tau"] == "1.0"
    assert rows[1]["top_correct"] == "False" and rows[1]["kendall_tau"] == "-1.0"
    assert rows[1]["serious_miss"] == "True" and rows[1]["flags_missed"] == "old_a"
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
        ("alpah,beta", "did you mean 'alpha'?"),
        ("1,1", "ranked twice"),
    ],
)
def test_bad_rankings_are_explained(tmp_path: Path, answer: str, message: str) -> None:
    result = runner.invoke(
        app, ["practice", *MINI, "--case", CASE, "--answer", answer, "--log", str(tmp_path / "l")]
    )
    assert result.exit_code == 2
    assert message in result.stderr
