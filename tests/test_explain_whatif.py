"""`explain` for each kind of target, and what-if scoring with --set / --unset."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from nmt_assess.cli.app import app
from tests.conftest import CASES_DIR

runner = CliRunner()
CTS = str(CASES_DIR / "cts-keyboard-worker.yaml")


def explain(target: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["explain", target, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_explain_a_finding() -> None:
    data = explain("ultt_positive")
    assert data["kind"] == "finding" and data["asked_of"] == "therapist"
    assert data["how_to"]
    rules = {rule["rule"]: rule for rule in data["rules"]}
    assert rules["nerve_compression.ultt_negative"]["if_it_holds"] == (
        "moderate evidence against (x0.14)"
    )
    assert rules["nerve_compression.ultt"]["source"][0].startswith("[S49]")


def test_explain_a_body_region_names_the_muscles() -> None:
    data = explain("head_temple")
    assert data["kind"] == "body region"
    assert "upper trapezius" in data["muscles"]


def test_explain_a_cause() -> None:
    data = explain("nerve_compression")
    assert data["prior"] == 0.2
    assert data["rules"][0]["rule"] == "nerve_compression.flick_sign"  # strongest first
    assert "cts-keyboard-worker" in data["cases"]
    assert any(flag["id"] == "bilateral_neurological_signs" for flag in data["red_flag_neighbours"])


def test_explain_a_rule() -> None:
    data = explain("nerve_compression.slump_negative")
    assert data["kind"] == "rule"
    assert data["unless"] == "Piriformis test positive: yes"
    assert "Slump test positive: no" in data["when"]


def test_explain_text_view() -> None:
    out = runner.invoke(app, ["explain", "trigger_points"]).stdout
    assert "Rules, strongest first" in out and "Bundled cases it leads" in out


def test_explain_unknown_target_suggests_a_spelling() -> None:
    result = runner.invoke(app, ["explain", "tinglng"])
    assert result.exit_code == 2
    assert (
        "'tinglng' is not a finding, cause, rule, red flag, body region or source "
        "(did you mean 'tingling'?)"
    ) in (result.stderr)


def test_what_if_shows_how_each_cause_moved_and_which_rule_did_it() -> None:
    result = runner.invoke(
        app,
        [
            "score",
            CTS,
            "--set",
            "shaking_hand_relieves=no",
            "--unset",
            "numbness",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["changes"] == {"shaking_hand_relieves": False, "numbness": None}
    nerve = next(d for d in doc["deltas"] if d["cause"] == "nerve_compression")
    assert nerve["probability_after"] < nerve["probability_before"]
    assert "nerve_compression.flick_sign" in nerve["rules_removed"]
    assert "nerve_compression.no_flick_sign" in nerve["rules_added"]
    unchanged = next(d for d in doc["deltas"] if d["cause"] == "ischemia")
    assert unchanged["change"] == 0 and unchanged["rules_added"] == []


def test_what_if_text_view() -> None:
    out = runner.invoke(app, ["score", CTS, "--set", "tingling=n"]).stdout
    assert "What if Tingling: no" in out
    assert "Rules that moved it" in out


def test_what_if_bad_answers_are_reported() -> None:
    result = runner.invoke(app, ["score", CTS, "--set", "tinglin=y", "--set", "age=old"])
    assert result.exit_code == 2
    assert "--set: finding 'tinglin': unknown finding (did you mean 'tingling'?)" in result.stderr
    assert "--set: finding 'age': type a number from 0 to 120" in result.stderr
