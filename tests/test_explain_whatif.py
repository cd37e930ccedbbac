"""`explain` for each kind of target, and what-if scoring with --set / --unset.

On the mini pack (tests/data/packs/mini), whose figures are worked out by hand in the comments.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from nmt_assess.cli.app import app
from tests.conftest import DATA, MINI_PACK

runner = CliRunner()
MINI = ["--rules", str(MINI_PACK)]
INTAKE = str(DATA / "intakes" / "mini.yaml")  # a: yes, where: [x]


def explain(target: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["explain", target, "--format", "json", *MINI])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_explain_a_finding() -> None:
    data = explain("c")
    assert data["kind"] == "finding" and data["asked_of"] == "therapist"
    rules = {rule["rule"]: rule for rule in data["rules"]}
    assert rules["alpha.c"]["if_it_holds"] == "moderate evidence for (x6)"
    assert rules["alpha.c_no"]["if_it_holds"] == "small evidence against (x0.25)"
    assert rules["alpha.c"]["source"][0].startswith("[M1]")
    assert [flag["id"] for flag in data["red_flags"]] == ["c_flag"]


def test_explain_a_body_region_names_the_muscles() -> None:
    data = explain("x")
    assert data["kind"] == "body region"
    assert data["muscles"] == ["muscle one", "muscle two"]


def test_explain_a_cause() -> None:
    data = explain("alpha")
    assert data["prior"] == 0.2
    # strongest first: x6, x4, x0.25 (1/4), x3, x2
    order = ["alpha.c", "alpha.a", "alpha.c_no", "alpha.b", "alpha.pain"]
    assert [rule["rule"] for rule in data["rules"]] == order
    assert data["cases"] == ["alpha-with-c"]


def test_explain_a_rule() -> None:
    data = explain("beta.a")
    assert data["kind"] == "rule"
    assert (data["when"], data["unless"]) == ("A: yes", "B: yes")
    assert data["lr"] == 3.0


def test_explain_text_view() -> None:
    out = runner.invoke(app, ["explain", "alpha", *MINI]).stdout
    assert "Rules, strongest first" in out and "Bundled cases it leads: alpha-with-c" in out


def test_explain_unknown_target_suggests_a_spelling() -> None:
    result = runner.invoke(app, ["explain", "alpah", *MINI])
    assert result.exit_code == 2
    assert (
        "'alpah' is not a finding, cause, rule, red flag, body region or source "
        "(did you mean 'alpha'?)"
    ) in (result.stderr)


def test_what_if_shows_how_each_cause_moved_and_which_rule_did_it() -> None:
    args = ["score", INTAKE, "--set", "c=no", "--unset", "a", "--format", "json", *MINI]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["changes"] == {"c": False, "a": None}
    deltas = {d["cause"]: d for d in doc["deltas"]}
    # alpha: odds 0.25 x 4 = 1 (0.5) -> 0.25 x 0.25 = 0.0625 (0.0588)
    alpha = deltas["alpha"]
    assert (alpha["probability_before"], alpha["probability_after"]) == (0.5, 0.0588)
    assert alpha["rules_removed"] == ["alpha.a"] and alpha["rules_added"] == ["alpha.c_no"]
    # beta: odds 1 x 3 x 2.5 = 7.5 (0.8824) -> 1 x 2.5 (0.7143)
    beta = deltas["beta"]
    assert (beta["probability_before"], beta["probability_after"]) == (0.8824, 0.7143)
    assert beta["rules_removed"] == ["beta.a"] and beta["rules_added"] == []


def test_what_if_that_changes_nothing_for_a_cause() -> None:
    args = ["score", INTAKE, "--set", "kind=p", "--format", "json", *MINI]
    deltas = {d["cause"]: d for d in json.loads(runner.invoke(app, args).stdout)["deltas"]}
    assert deltas["alpha"]["change"] == 0 and deltas["alpha"]["rules_added"] == []


def test_what_if_text_view() -> None:
    out = runner.invoke(app, ["score", INTAKE, "--set", "b=y", *MINI]).stdout
    assert "What if B: yes" in out
    assert "Rules that moved it" in out


def test_what_if_bad_answers_are_reported() -> None:
    args = ["score", INTAKE, "--set", "bb=y", "--set", "age=old", *MINI]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--set: finding 'bb': unknown finding (did you mean 'b'?)" in result.stderr
    assert "--set: finding 'age': type a number from 0 to 120" in result.stderr
