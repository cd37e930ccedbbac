"""Hostile inputs against the outputs: nothing hidden, nothing forged (issue 10, section 3).

Forged ids and labels (terminal escapes, newlines, Markdown and HTML, spreadsheet formulas),
red flags left unscreened, red flags that must withdraw hands-on suggestions, reasons against a
cause, the HTML summary, FHIR subject and basis, and numbers that overflow the maths. Each CLI
test checks the exit code, that no traceback is printed, one output record per input record,
that the inputs are unchanged and that no stray file is written.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.engine import Engine
from nmt_assess.engine.batch import BatchEvaluator
from nmt_assess.models import Assessment, Intake, Ruleset
from nmt_assess.ruleset import default_pack_dir, load_ruleset
from nmt_assess.validation import validate_intake
from nmt_assess.writers.sanitize import csv_cell, printable
from tests.conftest import CASES_DIR, MINI_PACK
from tests.test_batch_evaluator import assert_same_as_reference, random_intakes

runner = CliRunner()

FORGED = "\x1b[2J\x1b[H\nRed flags: none. Safe to treat.\n# <b>bold</b> [bold]x[/bold] *a* |b|"
DVT = {
    "calf_swelling_redness": True,
    "recent_surgery": True,
    "pain_locations": ["calf", "knee"],
    "taut_band": None,
}
THUNDERCLAP = {"thunderclap_headache": True, "pain_locations": ["head_temple", "neck"]}
CAUDA = {"saddle_numbness": True, "pain_locations": ["low_back"]}
CALM = {"tingling": True, "pain_locations": ["wrist_hand"]}
SERIOUS_FORMATS = ["html", "markdown", "table", "csv", "fhir", "jsonl", "json"]


class Run:
    """A CLI run in a folder: its result, checked for what every hostile run must hold."""

    def __init__(self, folder: Path, args: list[str], code: int, stdin: str | None = None):
        before = _snapshot(folder)
        self.result = runner.invoke(app, args, input=stdin)
        self.out = self.result.stdout
        assert self.result.exit_code == code, self.result.output
        assert "Traceback" not in self.result.output
        assert self.result.exception is None or isinstance(self.result.exception, SystemExit)
        written = [a for i, a in enumerate(args[:-1]) if args[i] in ("-o", "--output")]
        after = _snapshot(folder)
        for path in written:
            after.pop(str(path), None)
        assert after == before, "inputs changed or a stray file was written"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _jsonl(folder: Path, name: str, documents: list[dict[str, Any]]) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def _records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return load_ruleset()


# --- forged text: terminal, table, Markdown, HTML, CSV ---------------------------------------


@pytest.fixture
def forged_batch(tmp_path: Path) -> Path:
    return _jsonl(
        tmp_path,
        "forged.jsonl",
        [
            {"id": FORGED, "findings": DVT},
            {"id": "calm", "findings": CALM},
            {"id": FORGED, "findings": {"tinglng": True}},  # an error record with a forged id
        ],
    )


def test_the_text_view_shows_control_characters_and_markup_literally(tmp_path: Path) -> None:
    source = tmp_path / "forged.json"
    source.write_text(json.dumps({"id": FORGED, "findings": DVT}), encoding="utf-8")
    out = Run(tmp_path, ["score", str(source)], 0).out
    assert "\x1b" not in out
    assert "\\x1b[2J" in out
    assert "[bold]x[/bold]" in out  # rich markup stays literal
    assert not any(line.startswith("Red flags: none") for line in out.splitlines())
    assert "URGENT" in out


def test_the_table_keeps_each_forged_id_on_its_row(forged_batch: Path) -> None:
    run = Run(forged_batch.parent, ["score", str(forged_batch), "-f", "table"], 1)
    lines = run.out.splitlines()
    assert len(lines) == 1 + 3  # the header and one row per record
    assert "\x1b" not in run.out and "\r" not in run.out
    assert " URGENT " in lines[1]
    assert "ERROR" in lines[3]


def test_markdown_escapes_html_and_markdown_and_keeps_ids_on_one_line(
    forged_batch: Path,
) -> None:
    out = Run(forged_batch.parent, ["score", str(forged_batch), "-f", "markdown"], 1).out
    assert "\x1b" not in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "[bold]" not in out and "\\[bold\\]" in out
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert len(headings) == 3  # one heading per record, each on one line
    assert not any(line.startswith(("Red flags: none", "# <b>")) for line in out.splitlines())
    assert "**URGENT** Possible deep-vein thrombosis" in out


def test_html_escapes_every_forged_text(forged_batch: Path) -> None:
    out = Run(forged_batch.parent, ["score", str(forged_batch), "-f", "html"], 1).out
    assert "<b>bold</b>" not in out and "&lt;b&gt;bold&lt;/b&gt;" in out
    assert out.count('<section id="intake-') == 3


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_start_like_a_formula_are_neutralised(tmp_path: Path, start: str) -> None:
    hostile = f'{start}HYPERLINK("http://x","y")'
    source = _jsonl(
        tmp_path,
        "formula.jsonl",
        [
            {"id": hostile, "findings": CALM},
            {"id": hostile, "findings": {"tinglng": True}},
        ],
    )
    out = Run(tmp_path, ["score", str(source), "-f", "csv"], 1).out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    for row in rows:
        # a tab or CR is shown as its escape: it neither hides a formula nor splits a row
        assert row["id"] == ("'" + hostile if start.isprintable() else printable(hostile))
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_the_sanitisers_cover_every_control_and_formula_start() -> None:
    assert printable("a\x1b[2J\nb\u202e\x9b") == "a\\x1b[2J\\nb\\u202e\\x9b"
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("ok") == "ok"


# --- unscreened red flags, in every format -------------------------------------------------


@pytest.mark.parametrize("output_format", SERIOUS_FORMATS)
def test_every_format_names_the_unanswered_screening_questions(
    tmp_path: Path, output_format: str
) -> None:
    source = _jsonl(tmp_path, "open.jsonl", [{"id": "open", "findings": CALM}] * 2)
    out = Run(tmp_path, ["score", str(source), "-f", output_format], 0).out
    engine = Engine(load_ruleset())
    document = engine.assess(Intake.model_validate({"findings": CALM}))
    questions = dict.fromkeys(
        f for flag in document["unscreened_red_flags"] for f in flag["unanswered"]
    )
    assert len(questions) > 10
    for finding_id in questions:
        assert finding_id.replace("_", "\\_" if output_format == "markdown" else "_") in out


def test_the_text_view_names_every_unanswered_question(tmp_path: Path) -> None:
    source = tmp_path / "open.yaml"
    source.write_text("id: open\nfindings:\n  tingling: true\n", encoding="utf-8")
    out = Run(tmp_path, ["score", str(source)], 0).out
    flat = " ".join(out.split())
    for label in ("Saddle numbness", "Thunderclap headache", "Swollen or red calf"):
        assert label in flat


# --- red flags govern the report -----------------------------------------------------------


def _assess(ruleset: Ruleset, findings: dict[str, Any]) -> dict[str, Any]:
    intake = validate_intake({"id": "x", "findings": findings}, ruleset.findings)
    assert isinstance(intake, Intake)
    return Engine(ruleset).assess(intake)


def _hands_on(ruleset: Ruleset, document: dict[str, Any]) -> list[str]:
    return [
        item["finding"]
        for cause in document["causes"]
        for item in cause["check_next"]
        if ruleset.findings[item["finding"]].asked_of == "therapist"
    ]


@pytest.mark.parametrize(
    ("findings", "flag", "regions"),
    [(DVT, "deep_vein_thrombosis", {"calf", "knee"}), (THUNDERCLAP, "thunderclap_headache", None)],
)
def test_an_urgent_or_emergency_flag_withholds_every_hands_on_suggestion(
    ruleset: Ruleset, findings: dict[str, Any], flag: str, regions: set[str] | None
) -> None:
    document = _assess(ruleset, findings)
    assert document["referral_first"] is True
    assert all(not cause["muscles_to_palpate"] for cause in document["causes"])
    assert _hands_on(ruleset, document) == []
    withheld = [w for cause in document["causes"] for w in cause["withheld"]]
    palpation = {w["item"] for w in withheld if w["kind"] == "muscles_to_palpate"}
    assert palpation == (regions or set(findings["pain_locations"]))
    assert all(w["flag"] == flag for w in withheld)
    assert any(w["kind"] == "check_next" and w["region"] == "body" for w in withheld)
    raised = {f["id"]: f for f in document["red_flags"]}
    assert raised[flag]["restricts"] == "body"
    Assessment.model_validate(document)


def test_without_a_restricting_flag_nothing_is_withheld(ruleset: Ruleset) -> None:
    document = _assess(ruleset, {**CALM, "taut_band": None})
    trigger = next(c for c in document["causes"] if c["id"] == "trigger_points")
    assert "wrist_hand" in trigger["muscles_to_palpate"]
    assert all(cause["withheld"] == [] for cause in document["causes"])


def test_a_region_flag_withholds_only_its_regions(ruleset: Ruleset) -> None:
    findings = {"walking_leg_pain_eased_by_rest": True, "pain_locations": ["calf", "neck"]}
    document = _assess(ruleset, findings)
    assert document["referral_first"] is False
    trigger = next(c for c in document["causes"] if c["id"] == "trigger_points")
    assert list(trigger["muscles_to_palpate"]) == ["neck"]
    assert [w for w in trigger["withheld"] if w["kind"] == "muscles_to_palpate"] == [
        {
            "kind": "muscles_to_palpate",
            "item": "calf",
            "flag": "peripheral_arterial_disease",
            "region": "calf",
        }
    ]
    # a hands-on test outside the restricted regions stays (a neck test under a leg flag)
    arm = {**findings, "tingling": True, "pain_radiates_along_limb": True}
    assert "neck_distraction_relieves" in _hands_on(ruleset, _assess(ruleset, arm))


@pytest.mark.parametrize("output_format", ["text", *SERIOUS_FORMATS])
def test_every_format_shows_what_was_withheld_and_the_secondary_ranking(
    tmp_path: Path, output_format: str
) -> None:
    source = tmp_path / "dvt.json"
    source.write_text(json.dumps({"id": "dvt", "findings": DVT}), encoding="utf-8")
    out = Run(tmp_path, ["score", str(source), "-f", output_format], 0).out
    flat = " ".join(out.split()).replace("\\_", "_")
    assert "upper trapezius" not in flat and "gastrocnemius" not in flat.lower()
    if output_format in ("json", "jsonl"):
        document = json.loads(out)
        assert document["referral_first"] is True
        assert any(cause["withheld"] for cause in document["causes"])
        return
    assert "secondary to the referral" in flat
    assert "withheld" in flat.lower()
    if output_format != "table":  # a row names the action, not the flag
        assert "deep_vein_thrombosis" in flat


def test_the_dvt_case_lists_no_calf_muscles(tmp_path: Path) -> None:
    case = CASES_DIR / "dvt-after-knee-replacement.yaml"
    copy = tmp_path / case.name
    shutil.copy(case, copy)
    out = Run(tmp_path, ["score", str(copy), "-f", "json"], 0).out
    document = json.loads(out)
    assert all(not cause["muscles_to_palpate"] for cause in document["causes"])
    trigger = next(c for c in document["causes"] if c["id"] == "trigger_points")
    assert {
        "kind": "muscles_to_palpate",
        "item": "calf",
        "flag": "deep_vein_thrombosis",
        "region": "calf",
    } in (trigger["withheld"])


def test_the_html_client_section_becomes_the_referral_advice(tmp_path: Path) -> None:
    source = _jsonl(
        tmp_path, "two.jsonl", [{"id": "dvt", "findings": DVT}, {"id": "calm", "findings": CALM}]
    )
    out = Run(tmp_path, ["score", str(source), "-f", "html"], 0).out
    dvt, calm = out.split('<section id="intake-')[1:]
    assert "Before any treatment" in dvt and "clot that massage may dislodge" in dvt
    assert "soreness or discomfort after the first session" not in dvt
    assert "soreness or discomfort after the first session" in calm


def test_the_fast_path_withholds_exactly_as_the_engine(ruleset: Ruleset) -> None:
    documents = random_intakes(ruleset, 300, seed=11)
    for number, findings in enumerate((DVT, THUNDERCLAP, CAUDA, CALM) * 10):
        documents.append({"id": f"F-{number}", "findings": {**findings, "taut_band": None}})
    assert_same_as_reference(ruleset, documents)
    fast = list(BatchEvaluator(Engine(ruleset).pack).assess_documents(documents))
    assert any(cause["withheld"] for doc in fast if doc for cause in doc["causes"])


def _pack(tmp_path: Path, red_flags: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: clinic\nversion: '1'\n", encoding="utf-8")
    (pack / "red_flags.yaml").write_text(red_flags, encoding="utf-8")
    return pack


def test_an_unknown_restricted_region_is_a_located_lint_error(tmp_path: Path) -> None:
    pack = _pack(
        tmp_path,
        "red_flags:\n"
        "  - id: clinic_flag\n"
        "    title: A clinic flag\n"
        "    when: tingling\n"
        "    action: caution\n"
        "    restricts: {regions: [calff]}\n"
        "    advice: Go gently.\n",
    )
    run = Run(tmp_path, ["rules", "lint", str(pack)], 2)
    line = next(line for line in run.out.splitlines() if "restricts" in line)
    assert "red_flags.yaml:6" in line and "unknown-region" in line and "'calf'" in line


def test_a_pack_cannot_loosen_what_a_base_flag_restricts(tmp_path: Path) -> None:
    pack = _pack(
        tmp_path,
        "red_flags:\n"
        "  - id: peripheral_arterial_disease\n"
        "    title: Possible peripheral arterial disease\n"
        "    when: walking_leg_pain_eased_by_rest\n"
        "    action: refer\n"
        "    restricts: none\n"
        "    advice: Nothing to see.\n",
    )
    run = Run(tmp_path, ["rules", "lint", str(pack)], 2)
    assert "cannot be changed or weakened" in run.out


def test_every_default_flag_says_what_it_restricts(ruleset: Ruleset) -> None:
    text = (default_pack_dir() / "red_flags.yaml").read_text(encoding="utf-8")
    assert text.count("    restricts: ") == len(ruleset.red_flags)


# --- a reason against a cause reads as what was found ---------------------------------------


def test_a_reason_against_reads_as_the_negative_finding(tmp_path: Path) -> None:
    source = tmp_path / "negative.yaml"
    source.write_text(
        "id: N\nfindings:\n  pain_recognition: false\n  pain_locations: [neck]\n",
        encoding="utf-8",
    )
    out = " ".join(Run(tmp_path, ["score", str(source)], 0).out.split())
    assert "Pain recognition: no" in out
    assert "Pain recognition: yes" not in out
    markdown = Run(tmp_path, ["score", str(source), "-f", "markdown"], 0).out
    assert "x0.4 against: Pain recognition: no" in markdown


# --- HTML summary, FHIR subject and basis ----------------------------------------------------


def test_the_html_report_of_many_intakes_opens_with_a_linked_summary(tmp_path: Path) -> None:
    source = _jsonl(
        tmp_path,
        "day.jsonl",
        [
            {"id": "calm", "findings": CALM},
            {"id": "dvt", "findings": DVT},
            {"id": "bad", "findings": {"tinglng": True}},
            {"id": "cauda", "findings": CAUDA},
        ],
    )
    out = Run(tmp_path, ["score", str(source), "-f", "html"], 1).out
    summary = out[out.index('id="summary"') : out.index('id="intake-1"')]
    assert "4 intakes: 3 scored, 1 not scored" in summary
    links = re.findall(r'href="#(intake-\d+)">([^<]*)<', summary)
    assert links == [("intake-4", "cauda"), ("intake-2", "dvt"), ("intake-3", "bad")]
    for anchor, _ in links:
        assert f'<section id="{anchor}">' in out


def test_a_single_html_report_has_no_summary(tmp_path: Path) -> None:
    source = _jsonl(tmp_path, "one.jsonl", [{"id": "calm", "findings": CALM}])
    out = Run(tmp_path, ["score", str(source), "-f", "html"], 0).out
    assert 'id="summary"' not in out and 'id="intake-1"' in out


def _response(response_id: str | None, subject: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "tingling", "answer": [{"valueBoolean": True}]}],
    }
    if response_id:
        response["id"] = response_id
    if subject:
        response["subject"] = {"reference": subject}
    return response


def test_fhir_risk_assessments_point_at_the_response_and_its_subject(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": _response("QR-7", "Patient/p-7")},
            {"resource": _response("QR-8", None)},
        ],
    }
    source = tmp_path / "bundle.json"
    source.write_text(json.dumps(bundle), encoding="utf-8")
    out = Run(tmp_path, ["score", str(source), "-f", "fhir"], 0).out
    first, second = (entry["resource"] for entry in json.loads(out)["entry"])
    assert first["subject"] == {"reference": "Patient/p-7"}
    assert first["basis"] == [{"reference": "QuestionnaireResponse/QR-7"}]
    assert second["basis"] == [{"reference": "QuestionnaireResponse/QR-8"}]
    assert "reference" not in second["subject"]


def test_fhir_output_of_a_plain_intake_has_no_basis(tmp_path: Path) -> None:
    source = _jsonl(tmp_path, "plain.jsonl", [{"id": "P-1", "findings": CALM}])
    out = Run(tmp_path, ["score", str(source), "-f", "fhir"], 0).out
    (entry,) = json.loads(out)["entry"]
    assert "basis" not in entry["resource"]
    notes = " ".join(note["text"] for note in entry["resource"]["note"])
    assert "Not screened" in notes and "saddle_numbness" in notes


# --- numbers that overflow the maths ---------------------------------------------------------


@pytest.fixture
def extreme_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "extreme"
    shutil.copytree(MINI_PACK, pack)
    alpha = pack / "causes" / "alpha.yaml"
    # the extremes a pack may hold, enough of them (ln 1000 x 105 > 709) that their product
    # overflows a float, and few enough that the batch path still takes the pack
    rules = "".join(
        f"  - {{id: alpha.tiny{n}, when: a, lr: 0.001, because: Tiny.}}\n"
        f"  - {{id: alpha.huge{n}, when: b, lr: 1000, because: Huge.}}\n"
        for n in range(105)
    ) + "".join(
        f"  - {{id: alpha.least{n}, when: {{finding: pain, gte: 1}}, lr: 0.001, because: L.}}\n"
        for n in range(20)
    )
    alpha.write_text(alpha.read_text(encoding="utf-8") + rules, encoding="utf-8")
    return pack


def _finite(value: Any) -> Iterator[float]:
    if isinstance(value, float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _finite(item)
    elif isinstance(value, list):
        for item in value:
            yield from _finite(item)


def test_extreme_likelihood_ratios_never_raise_or_give_nan(extreme_pack: Path) -> None:
    pack = load_ruleset(extreme_pack)
    engine = Engine(pack)
    for findings in ({"a": True}, {"b": True}, {"a": True, "b": True, "pain": 9}, {}):
        document = engine.assess(Intake.model_validate({"findings": findings}))
        json.dumps(document, allow_nan=False)
        assert all(math.isfinite(v) for v in _finite(document))
        alpha = next(c for c in document["causes"] if c["id"] == "alpha")
        assert 0.0 <= alpha["probability"] <= 1.0
    assert_same_as_reference(pack, random_intakes(pack, 300, seed=4))


def test_a_batch_on_an_extreme_pack_scores_every_record(tmp_path: Path, extreme_pack: Path) -> None:
    documents = [
        {"id": f"E-{n}", "findings": {"a": n % 2 == 0, "b": n % 3 == 0, "pain": n % 11}}
        for n in range(250)
    ]
    source = _jsonl(tmp_path, "extreme.jsonl", documents)
    args = ["score", str(source), "--rules", str(extreme_pack), "-f", "jsonl", "-j", "1"]
    records = _records(Run(tmp_path, args, 0).out)
    assert len(records) == 250
    assert all("errors" not in record for record in records)
