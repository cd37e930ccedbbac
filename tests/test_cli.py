"""The `nmt-assess score` command, driven as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from nmt_assess.cli.app import app
from tests.conftest import CASES_DIR, DATA, MINI_PACK

runner = CliRunner()
CTS = str(CASES_DIR / "cts-keyboard-worker.yaml")
CAUDA = str(CASES_DIR / "cauda-equina-after-house-move.yaml")


def test_text_output_shows_flags_then_ranking_then_the_disclaimer() -> None:
    result = runner.invoke(app, ["score", CAUDA])
    assert result.exit_code == 0
    out = result.stdout
    flags, ranking, footer = (
        out.index("RED FLAGS: refer before any treatment"),
        out.index("Causes, ranked (secondary to the referral above)"),
        out.index("supports, and does not replace, clinical judgement"),
    )
    assert flags < ranking < footer
    assert out.index("EMERGENCY") < out.index("URGENT")


def test_text_output_explains_each_cause_with_reasons_and_next_checks() -> None:
    out = runner.invoke(app, ["score", CTS]).stdout
    assert "1. Nerve compression" in out
    assert "Flick sign" in out
    assert "Check next" in out
    assert "Muscles to palpate" in out
    for title in ("Ischemia", "Trigger points", "Postural distortion", "Biomechanical dysfunction"):
        assert title in out


def test_top_limits_the_explanations_but_not_the_ranking() -> None:
    out = runner.invoke(app, ["score", CTS, "--top", "1"]).stdout
    assert "1. Nerve compression" in out
    assert "\n2. " not in out
    assert out.count("Biomechanical dysfunction") == 1  # in the ranking table only


def test_json_output_is_the_documented_stable_document() -> None:
    result = runner.invoke(app, ["score", CAUDA, "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 3
    assert doc["intake_id"] == "cauda-equina-after-house-move"
    assert set(doc["ruleset"]) == {"name", "version", "sha256", "packs"}
    assert doc["ruleset"]["packs"][0]["name"] == "nmt-default"
    assert doc["red_flags"][0]["id"] == "cauda_equina"
    assert doc["red_flags"][0]["action"] == "emergency"
    assert {"id", "action", "findings", "advice"} <= set(doc["red_flags"][0])
    assert [c["rank"] for c in doc["causes"]] == [1, 2, 3, 4, 5]
    probabilities = [c["probability"] for c in doc["causes"]]
    assert probabilities == sorted(probabilities, reverse=True)
    first = doc["causes"][0]
    assert {"id", "title", "rank", "probability", "band", "contributions", "check_next"} <= set(
        first
    )
    assert {"rule", "findings", "factor", "because"} <= set(first["contributions"][0])


def test_json_output_is_byte_identical_between_runs() -> None:
    one = runner.invoke(app, ["score", CTS, "--format", "json"]).stdout
    two = runner.invoke(app, ["score", CTS, "--format", "json"]).stdout
    assert one == two


def test_bad_intake_exits_2_with_located_problems_on_stderr() -> None:
    path = DATA / "intakes" / "many_problems.yaml"
    result = runner.invoke(app, ["score", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}:3: finding 'tinglng': unknown finding (did you mean 'tingling'?)"
    assert lines[-1] == f"nmt-assess: 5 problems in {path}; nothing was scored."
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2() -> None:
    result = runner.invoke(app, ["score", "no-such-intake.yaml"])
    assert result.exit_code == 2
    assert "no-such-intake.yaml: path: no such file or folder" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["score", CTS, "--format", "xml"])
    assert result.exit_code == 2
    assert "xml" in result.stderr


def test_rules_option_scores_with_another_pack() -> None:
    result = runner.invoke(
        app, ["score", str(DATA / "intakes" / "mini.yaml"), "--rules", str(MINI_PACK), "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["ruleset"]["name"] == "mini"
    assert [c["id"] for c in doc["causes"]] == ["beta", "alpha"]  # beta 0.88, alpha 0.5


def test_broken_rule_pack_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pack.yaml").write_text("name: broken\nextends: none\n")
    result = runner.invoke(app, ["score", CTS, "--rules", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}/findings.yaml: file: missing" in result.stderr


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nmt_assess", "score", CTS, "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["causes"][0]["id"] == "nerve_compression"


def test_json_scoring_does_not_import_rich() -> None:
    code = (
        "import sys; from nmt_assess.cli.app import app\n"
        f"try: app(['score', {CTS!r}, '--format', 'json'])\n"
        "except SystemExit: pass\n"
        "print('rich' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stderr.strip().endswith("False")


def test_fail_on_gates_a_single_intake_too() -> None:
    assert runner.invoke(app, ["score", CAUDA, "-f", "json", "--fail-on", "urgent"]).exit_code == 3
    assert runner.invoke(app, ["score", CTS, "-f", "json", "--fail-on", "refer"]).exit_code == 0
