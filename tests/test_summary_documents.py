"""`--detail summary`: the full document's figures and ids without its text, from both
evaluators, in every path that writes JSON (one intake, a batch in one process and in worker
processes, the Python API), described by its own JSON Schema; other formats refuse it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from nmt_assess.batch import ChunkScorer
from nmt_assess.cli.app import app
from nmt_assess.engine import Engine
from nmt_assess.models import AssessmentSummary, Intake, Ruleset
from nmt_assess.models.assessment import document_schemas
from nmt_assess.readers.records import Origin, RawRecord
from nmt_assess.scoring import DetailUnavailable, score_inputs
from nmt_assess.validation import validate_intake
from tests.conftest import CASES_DIR, DATA
from tests.test_batch_evaluator import random_intakes
from tests.test_evaluators import case_documents

SCHEMAS = Path(__file__).parent.parent / "docs" / "schema"
UPDATE = os.environ.get("NMT_UPDATE_SNAPSHOTS") == "1"
runner = CliRunner()


def summary_of(full: dict[str, Any]) -> dict[str, Any]:
    """What the summary must say, read off the full document (an independent derivation: the
    builder makes the summary without building the full document)."""
    return {
        "intake_id": full["intake_id"],
        "intake_date": full["intake_date"],
        "ruleset": full["ruleset"],
        "referral_first": full["referral_first"],
        "red_flags": [
            [flag["id"], flag["action"], list(flag["findings"]), flag["restricts"]]
            for flag in full["red_flags"]
        ],
        "unscreened_red_flags": full["unscreened_red_flags"],
        "screens": [
            [screen["id"], screen["result"] and screen["result"]["id"], screen["unanswered"]]
            for screen in full["screens"]
        ],
        "causes": [
            [
                cause["id"],
                cause["rank"],
                cause["probability"],
                list(cause["range"]),
                cause["band"],
                cause["site"] and cause["site"]["id"],
                [c["rule"] for c in cause["contributions"] if c["counted"]],
            ]
            for cause in full["causes"]
        ],
        "disclaimer": full["disclaimer"],
    }


def as_summary(summary: dict[str, Any]) -> dict[str, Any]:
    assert summary["detail"] == "summary"
    return {
        **{key: summary[key] for key in ("intake_id", "intake_date", "ruleset", "disclaimer")},
        "referral_first": summary["referral_first"],
        "red_flags": [
            [flag["id"], flag["action"], list(flag["findings"]), flag["restricts"]]
            for flag in summary["red_flags"]
        ],
        "unscreened_red_flags": summary["unscreened_red_flags"],
        "screens": [
            [screen["id"], screen["result"], screen["unanswered"]] for screen in summary["screens"]
        ],
        "causes": [
            [
                cause["id"],
                cause["rank"],
                cause["probability"],
                list(cause["range"]),
                cause["band"],
                cause["site"],
                list(cause["counted"]),
            ]
            for cause in summary["causes"]
        ],
    }


def plain(document: Any) -> Any:
    return json.loads(json.dumps(document))


def documents(ruleset: Ruleset) -> list[dict[str, Any]]:
    return case_documents() + random_intakes(ruleset, 300, seed=31)


def test_the_summary_says_what_the_full_document_says(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    for document in documents(ruleset):
        intake = validate_intake(document, ruleset.findings)
        assert isinstance(intake, Intake)
        full = plain(engine.assess(intake))
        summary = plain(engine.assess(intake, "summary"))
        assert as_summary(summary) == summary_of(full), document.get("id")


def test_the_batch_evaluator_gives_the_same_summaries(ruleset: Ruleset) -> None:
    records = [
        RawRecord(Origin("x.jsonl", n, n), plain(d)) for n, d in enumerate(documents(ruleset), 1)
    ]
    one_by_one = list(ChunkScorer(ruleset, vectorise=False, detail="summary").score(records))
    batched = list(ChunkScorer(ruleset, vectorise=True, detail="summary").score(records))
    assert plain(batched) == plain(one_by_one)
    assert all(record["detail"] == "summary" for record in batched)


def keys_in(document: Any) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {key for value in document.values() for key in keys_in(value)}
    if isinstance(document, list | tuple):
        return {key for value in document for key in keys_in(value)}
    return set()


def test_a_summary_drops_the_text(ruleset: Ruleset) -> None:
    engine = Engine(ruleset)
    for document in case_documents()[:20]:
        intake = validate_intake(document, ruleset.findings)
        assert isinstance(intake, Intake)
        full, summary = engine.assess(intake), engine.assess(intake, "summary")
        texts = {"title", "advice", "because", "question", "source", "contributions"}
        assert {"title", "because", "contributions"} <= keys_in(full)
        assert not texts & keys_in(summary)
        assert len(json.dumps(summary)) < len(json.dumps(full))


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_the_committed_schema_is_the_models(detail: str) -> None:
    name = f"assessment-{detail}.schema.json"
    schema = document_schemas()[name]
    if UPDATE:
        SCHEMAS.mkdir(exist_ok=True)
        (SCHEMAS / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    committed = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    assert committed == schema, "run NMT_UPDATE_SNAPSHOTS=1 pytest tests/test_summary_documents.py"


def schema_for(detail: str) -> Any:
    schema = json.loads((SCHEMAS / f"assessment-{detail}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_each_level_validates_against_its_schema_only(detail: str, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["score", str(DATA / "batch" / "intakes.jsonl"), "-o", str(out), "--detail", detail],
    )
    assert result.exit_code in (0, 1), result.output  # 1: the file holds records that fail
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert any("errors" in record for record in records)
    assert any("causes" in record for record in records)
    other = "summary" if detail == "full" else "full"
    for record in records:
        schema_for(detail).validate(record)
        if "causes" in record:
            assert not schema_for(other).is_valid(record)


def test_one_intake_with_detail_summary_is_one_json_summary(tmp_path: Path) -> None:
    intake = CASES_DIR / "cts-keyboard-worker.yaml"
    result = runner.invoke(app, ["score", str(intake), "--detail", "summary"])
    assert result.exit_code == 0, result.output
    summary = AssessmentSummary.model_validate_json(result.stdout)
    assert summary.detail == "summary"
    assert [cause.rank for cause in summary.causes] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("output_format", ["csv", "markdown", "html", "fhir", "table", "text"])
def test_formats_that_explain_refuse_a_summary(output_format: str, tmp_path: Path) -> None:
    intakes = str(DATA / "batch" / "intakes.jsonl")
    result = runner.invoke(app, ["score", intakes, "-f", output_format, "--detail", "summary"])
    assert result.exit_code == 2
    assert "--detail summary is for the json and jsonl formats" in result.stderr
    assert result.stdout == ""


def test_the_python_api_refuses_a_summary_in_csv_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(DetailUnavailable):
        score_inputs([DATA / "batch" / "intakes.jsonl"], _ruleset(), out, "csv", detail="summary")
    assert not out.exists()


def test_the_python_api_writes_summaries(tmp_path: Path) -> None:
    text = io.StringIO()
    tally = score_inputs([DATA / "batch" / "intakes.jsonl"], _ruleset(), text, detail="summary")
    records = [json.loads(line) for line in text.getvalue().splitlines()]
    assert len(records) == tally.scored + tally.failed
    assert all(r["detail"] == "summary" for r in records if "errors" not in r)


def test_worker_processes_write_summaries(ruleset: Ruleset, tmp_path: Path) -> None:
    source = tmp_path / "many.jsonl"
    rows = random_intakes(ruleset, 4500, seed=32)
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        result = runner.invoke(
            app, ["score", str(source), "-o", str(out), "--detail", "summary", "-j", jobs]
        )
        assert result.exit_code == 0, result.output
        outputs[jobs] = out.read_bytes()
    assert outputs["1"] == outputs["2"]
    assert outputs["1"].count(b'"detail":"summary"') == 4500


def test_what_if_refuses_a_summary() -> None:
    case = str(CASES_DIR / "cts-keyboard-worker.yaml")
    result = runner.invoke(app, ["score", case, "--set", "age=40", "--detail", "summary"])
    assert result.exit_code == 2
    assert "--set and --unset explain in full" in result.stderr


def _ruleset() -> Ruleset:
    from nmt_assess.ruleset import load_ruleset

    return load_ruleset()
