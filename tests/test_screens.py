"""Screens (STarT Back): their own section of the report, never a cause.

Scoring after Hill 2008 (Arthritis Rheum 59:632): nine items, total 0-9; items 5-9 are the
psychosocial subscale (0-5). Psychosocial 4-5: high risk; otherwise total 0-3: low, 4-9: medium.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.engine import Engine
from nmt_assess.engine.screens import ScreenEvaluator
from nmt_assess.models import Ruleset
from nmt_assess.models.screens import Screen
from nmt_assess.ruleset import load_ruleset
from tests.conftest import intake

runner = CliRunner()

#: The nine items in the tool's order; the last five are the psychosocial subscale.
PHYSICAL = (
    "start_back_leg_pain",
    "start_back_shoulder_neck_pain",
    "start_back_walked_short_distances",
    "start_back_dressed_slowly",
)
PSYCHOSOCIAL_YES_NO = (
    "start_back_not_safe_to_be_active",
    "start_back_worrying_thoughts",
    "start_back_pain_terrible_never_better",
    "start_back_not_enjoying",
)
BOTHER = "start_back_bothersomeness"


def form(physical: int, psychosocial: int, **more: Any) -> dict[str, Any]:
    """A low-back client who agreed to the first `physical` physical items and the first
    `psychosocial` psychosocial ones (the fifth: very much bothered), no to the rest."""
    answers: dict[str, Any] = {"pain_locations": ["low_back"]}
    answers.update({f: i < physical for i, f in enumerate(PHYSICAL)})
    answers.update({f: i < psychosocial for i, f in enumerate(PSYCHOSOCIAL_YES_NO)})
    answers[BOTHER] = "very_much" if psychosocial >= 5 else "moderately"
    answers.update(more)
    return answers


@pytest.fixture(scope="module")
def engine(ruleset: Ruleset) -> Engine:
    return Engine(ruleset)


def screen_of(engine: Engine, **findings: Any) -> dict[str, Any]:
    (screen,) = engine.assess(intake(**findings))["screens"]
    assert screen["id"] == "start_back"
    return dict(screen)


def result_of(engine: Engine, **findings: Any) -> str | None:
    result = screen_of(engine, **findings)["result"]
    return None if result is None else str(result["id"])


def scores_of(screen: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {s["id"]: (s["low"], s["high"]) for s in screen["scores"]}


# --- the bands at their edges ----------------------------------------------------------------


def test_a_total_of_3_is_low_risk_and_4_is_medium(engine: Engine) -> None:
    assert result_of(engine, **form(3, 0)) == "low"
    assert scores_of(screen_of(engine, **form(3, 0)))["total"] == (3, 3)
    assert result_of(engine, **form(4, 0)) == "medium"
    assert result_of(engine, **form(2, 1)) == "low"
    assert result_of(engine, **form(3, 1)) == "medium"


def test_a_psychosocial_score_of_4_is_high_risk_and_3_is_not(engine: Engine) -> None:
    three = screen_of(engine, **form(0, 3))
    assert scores_of(three) == {"total": (3, 3), "psychosocial": (3, 3)}
    assert three["result"]["id"] == "low"
    assert result_of(engine, **form(1, 3)) == "medium"  # total 4, psychosocial 3
    assert result_of(engine, **form(4, 3)) == "medium"  # total 7, psychosocial 3
    assert result_of(engine, **form(0, 4)) == "high"
    assert result_of(engine, **form(4, 5)) == "high"


def test_bothersomeness_scores_only_for_very_much_or_extremely(engine: Engine) -> None:
    for answer, scored in [
        ("not_at_all", 0),
        ("slightly", 0),
        ("moderately", 0),
        ("very_much", 1),
        ("extremely", 1),
    ]:
        screen = screen_of(engine, **form(0, 3, **{BOTHER: answer}))
        assert scores_of(screen)["psychosocial"] == (3 + scored, 3 + scored), answer
    assert result_of(engine, **form(0, 3, **{BOTHER: "extremely"})) == "high"


def test_the_result_carries_its_advice_and_sources(engine: Engine) -> None:
    screen = screen_of(engine, **form(0, 5))
    assert "psychological" in screen["result"]["advice"]
    assert "Hill2008" in screen["source"]


# --- totals given on paper -------------------------------------------------------------------


def test_given_totals_are_used_directly(engine: Engine) -> None:
    given = {"pain_locations": ["low_back"], "start_back_total": 8, "start_back_psychosocial": 5}
    screen = screen_of(engine, **given)
    assert screen["result"]["id"] == "high"
    assert screen["scores"][0] == {
        "id": "total",
        "title": "total",
        "low": 8,
        "high": 8,
        "given": True,
    }
    assert screen["unanswered"] == ()  # the items are not needed


def test_a_given_total_wins_over_the_items(engine: Engine) -> None:
    # the items add up to 0, but the clinic's paper form said 5 (psychosocial 2): medium
    findings = form(0, 0, start_back_total=5, start_back_psychosocial=2)
    assert result_of(engine, **findings) == "medium"
    assert result_of(engine, **form(0, 0, start_back_total=3, start_back_psychosocial=3)) == "low"


def test_a_given_total_alone_leaves_the_subscale_to_its_items(engine: Engine) -> None:
    screen = screen_of(engine, pain_locations=["low_back"], start_back_total=6)
    assert scores_of(screen) == {"total": (6, 6), "psychosocial": (0, 5)}
    assert screen["result"] is None  # high or medium: the psychosocial items decide
    assert screen["unanswered"] == (*PSYCHOSOCIAL_YES_NO, BOTHER)


def test_the_vignette_totals_give_their_expected_risk(engine: Engine) -> None:
    # docs/clinical-vignettes: supervisor (8, psychosocial 5: high) and sales rep (1, 0: low)
    high = {"pain_locations": ["low_back", "buttock", "thigh"]}
    assert result_of(engine, **high, start_back_total=8, start_back_psychosocial=5) == "high"
    low = {"pain_locations": ["low_back"]}
    assert result_of(engine, **low, start_back_total=1, start_back_psychosocial=0) == "low"


# --- whom it concerns, and what is missing ---------------------------------------------------


def test_it_does_not_apply_to_a_neck_only_client(engine: Engine) -> None:
    neck = form(4, 5, pain_locations=["neck"])
    assert engine.assess(intake(**neck))["screens"] == []
    assert engine.score(intake(**neck)).screens == ()


def test_it_applies_to_buttock_pain_and_when_the_region_is_unknown_but_answered(
    engine: Engine,
) -> None:
    assert result_of(engine, **form(4, 0, pain_locations=["buttock"])) == "medium"
    assert engine.assess(intake(age=40))["screens"] == []  # nothing says it concerns them
    assert screen_of(engine, start_back_total=2, start_back_psychosocial=0)["result"]["id"] == "low"


def test_unanswered_items_are_listed_and_hold_the_result_open(engine: Engine) -> None:
    screen = screen_of(engine, pain_locations=["low_back"], start_back_leg_pain=True)
    assert screen["result"] is None
    assert scores_of(screen) == {"total": (1, 9), "psychosocial": (0, 5)}
    assert screen["unanswered"] == (*PHYSICAL[1:], *PSYCHOSOCIAL_YES_NO, BOTHER)


def test_a_result_no_answer_can_change_is_given_with_the_items_still_listed(
    engine: Engine,
) -> None:
    findings = form(0, 4)
    del findings[BOTHER]  # psychosocial already 4 of 5: high whatever the last answer
    screen = screen_of(engine, **findings)
    assert screen["result"]["id"] == "high"
    assert screen["unanswered"] == (BOTHER,)


def test_a_low_back_client_who_has_not_done_it_is_asked_all_nine(engine: Engine) -> None:
    screen = screen_of(engine, pain_locations=["low_back"])
    assert screen["result"] is None
    assert len(screen["unanswered"]) == 9


def test_the_evaluator_never_raises_on_an_answer_of_the_wrong_kind(ruleset: Ruleset) -> None:
    evaluator = ScreenEvaluator(ruleset.screens, ruleset.findings)
    (screen,) = evaluator.entries(
        {"pain_locations": 5, "start_back_leg_pain": True, BOTHER: ["very_much"]}
    )
    assert BOTHER in screen["unanswered"]


def test_the_assessment_model_reads_the_section_back(engine: Engine) -> None:
    assessment = engine.score(intake(**form(4, 1)))
    (screen,) = assessment.screens
    assert screen.result is not None and screen.result.id == "medium"
    assert list(assessment.model_dump()).index("screens") == (
        list(assessment.model_dump()).index("unscreened_red_flags") + 1
    )


# --- the pack file ---------------------------------------------------------------------------


def test_a_band_naming_no_score_is_refused() -> None:
    with pytest.raises(ValueError, match="reads no score"):
        Screen.model_validate(
            {
                "id": "s",
                "title": "S",
                "applies_when": "a",
                "items": ["a"],
                "scores": [{"id": "total", "title": "total"}],
                "bands": [{"id": "x", "title": "x", "score": "other", "advice": "-"}],
            }
        )


def test_a_pack_whose_screen_reads_an_unknown_finding_does_not_lint(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text('name: extra\nversion: "1"\n')
    (tmp_path / "screens.yaml").write_text(
        "screens:\n"
        "  - id: start_back\n"
        "    title: replaced\n"
        "    applies_when: {finding: pain_locations, any_of: [low_back]}\n"
        "    items: [no_such_item]\n"
        "    scores: [{id: total, title: total, given: age_typo}]\n"
        "    bands: [{id: any, title: any, score: total, advice: '-'}]\n"
    )
    result = runner.invoke(app, ["rules", "lint", str(tmp_path)])
    assert result.exit_code == 2  # errors
    assert "unknown finding" in result.stdout + result.stderr
    assert "'age_typo' is not a number finding" in result.stdout + result.stderr


def test_a_later_pack_replaces_a_screen_of_the_same_id(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text('name: extra\nversion: "1"\n')
    (tmp_path / "screens.yaml").write_text(
        "screens:\n"
        "  - id: start_back\n"
        "    title: Back screen\n"
        "    applies_when: {finding: pain_locations, any_of: [neck]}\n"
        "    items: [start_back_leg_pain]\n"
        "    scores: [{id: total, title: total}]\n"
        "    bands: [{id: any, title: any, score: total, advice: '-'}]\n"
    )
    layered = load_ruleset([tmp_path])
    assert [s.title for s in layered.screens] == ["Back screen"]
    neck = Engine(layered).assess(intake(pain_locations=["neck"], start_back_leg_pain=True))
    assert neck["screens"][0]["result"]["id"] == "any"


# --- every format, and both scoring paths ----------------------------------------------------


@pytest.fixture()
def medium_file(tmp_path: Path) -> Path:
    path = tmp_path / "back.json"
    path.write_text(json.dumps({"id": "B-1", "findings": form(4, 1)}))
    return path


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("text", "STarT Back Screening Tool: medium risk (total 5, psychosocial subscale 1)"),
        (
            "markdown",
            "**STarT Back Screening Tool: medium risk (total 5, psychosocial subscale 1)**",
        ),
        ("html", "<strong>STarT Back Screening Tool: medium risk (total 5, psychosocial"),
        ("csv", "start_back:medium"),
        ("json", '"title": "medium risk"'),
    ],
)
def test_every_format_shows_the_section_before_the_causes(
    medium_file: Path, fmt: str, expected: str
) -> None:
    result = runner.invoke(app, ["score", str(medium_file), "--format", fmt], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert expected in out
    if fmt != "csv":
        assert "Screens (prognosis, not a cause)" in out or fmt == "json"
        causes = {"text": "Causes, ranked", "markdown": "| Rank |", "html": "Causes, ranked"}
        marker = causes.get(fmt, '"causes"')
        assert out.index(expected) < out.index(marker)


def test_the_csv_lists_the_unanswered_items(tmp_path: Path) -> None:
    path = tmp_path / "open.json"
    path.write_text(json.dumps({"id": "O", "findings": {"pain_locations": ["low_back"]}}))
    out = runner.invoke(app, ["score", str(path), "--format", "csv"]).stdout
    header, row = out.splitlines()[:2]
    assert header.endswith(",screens,screen_unanswered")
    assert row.endswith(
        ",start_back:not_complete," + ";".join((*PHYSICAL, *PSYCHOSOCIAL_YES_NO, BOTHER))
    )


def test_a_neck_client_gets_no_section_in_any_format(tmp_path: Path) -> None:
    path = tmp_path / "neck.json"
    path.write_text(json.dumps({"id": "N", "findings": form(4, 5, pain_locations=["neck"])}))
    for fmt in ("text", "markdown", "html"):
        assert "Screens" not in runner.invoke(app, ["score", str(path), "--format", fmt]).stdout


def test_an_open_screen_says_what_to_ask_in_the_report(tmp_path: Path) -> None:
    path = tmp_path / "open.json"
    path.write_text(json.dumps({"id": "O", "findings": {"pain_locations": ["low_back"]}}))
    out = runner.invoke(app, ["score", str(path), "--format", "markdown"]).stdout
    assert "STarT Back Screening Tool: not complete (total 0-9, psychosocial subscale 0-5)" in out
    assert "Ask to complete it:" in out and "start\\_back\\_not\\_enjoying" in out


def test_batch_and_single_scoring_give_the_same_section(tmp_path: Path, engine: Engine) -> None:
    intakes = [
        {"id": "low", "findings": form(3, 0)},
        {"id": "medium", "findings": form(4, 0)},
        {"id": "high", "findings": form(0, 4)},
        {
            "id": "given",
            "findings": {
                "pain_locations": ["low_back"],
                "start_back_total": 8,
                "start_back_psychosocial": 5,
            },
        },
        {"id": "open", "findings": {"pain_locations": ["low_back"], "start_back_leg_pain": True}},
        {"id": "neck", "findings": form(4, 5, pain_locations=["neck"])},
    ]
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in intakes))
    result = runner.invoke(app, ["score", str(path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    batch = [json.loads(line) for line in result.stdout.splitlines()]
    for item, record in zip(intakes, batch, strict=True):
        single = engine.score(intake(**item["findings"])).model_dump(mode="json")
        assert record["screens"] == single["screens"], item["id"]
    assert [
        r["screens"][0]["result"]["id"] if r["screens"] and r["screens"][0]["result"] else None
        for r in batch
    ] == ["low", "medium", "high", "high", None, None]


# --- the intake asks the screen only of a client it concerns ---------------------------------


def _asked(ruleset: Ruleset, **findings: Any) -> set[str]:
    from nmt_assess.session import IntakeSession

    session = IntakeSession(ruleset, adaptive=False)
    session.findings.update(findings)
    return {f.id for f in session.asked_findings("history")}


def test_the_intake_asks_the_questions_only_when_the_screen_may_concern_the_client(
    ruleset: Ruleset,
) -> None:
    items = {*PHYSICAL, *PSYCHOSOCIAL_YES_NO, BOTHER, "start_back_total"}
    assert items <= _asked(ruleset, pain_locations=["low_back"])
    assert items <= _asked(ruleset)  # where the pain is, is not known yet
    assert not items & _asked(ruleset, pain_locations=["neck"])
