"""Batch scoring: every reader, every writer, order, one-in-one-out, atomic output, exit codes."""

from __future__ import annotations

import csv
import io
import json
import re
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.models import ErrorRecord, SourcedAssessment
from nmt_assess.writers.csv_writer import CsvWriter
from nmt_assess.writers.fhir_writer import FhirBundleWriter
from nmt_assess.writers.formats import WRITERS, OutputFormat, batch_writer_class
from nmt_assess.writers.html_report import HtmlWriter
from nmt_assess.writers.json_list import JsonListWriter
from nmt_assess.writers.jsonl import JsonlWriter
from nmt_assess.writers.markdown import MarkdownWriter
from nmt_assess.writers.table import TableWriter
from tests.conftest import CASES_DIR, DATA

BATCH = DATA / "batch"
runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["score", *args], input=stdin)


def jsonl(output: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    for record in records:  # every record is a valid assessment or a valid error record
        if "errors" in record:
            ErrorRecord.model_validate(record)
        else:
            SourcedAssessment.model_validate(record)
    return records


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_gives_one_output_record_per_input_record_in_order() -> None:
    result = run(str(BATCH / "intakes.jsonl"), "--format", "jsonl")
    records = jsonl(result.stdout)
    assert [r["intake_id"] for r in records] == ["J-1", "J-3", None, "J-2"]
    assert [r["source"]["line"] for r in records] == [1, 3, 4, 5]
    assert result.exit_code == 1  # some records failed
    assert "scored 2, failed 2" in result.stderr


def test_bad_jsonl_records_become_located_error_records() -> None:
    records = jsonl(run(str(BATCH / "intakes.jsonl"), "-f", "jsonl").stdout)
    unknown, truncated = records[1]["errors"][0], records[2]["errors"][0]
    assert unknown["field"] == "finding 'tinglng'"
    assert unknown["message"] == "unknown finding"
    assert unknown["hint"] == "did you mean 'tingling'?"
    assert truncated["line"] == 4
    assert truncated["field"] == "json"
    assert truncated["hint"] == "each line must be one complete JSON object"


def test_a_jsonl_line_that_is_not_utf8_is_an_error_record() -> None:
    records = jsonl(run(str(BATCH / "not_utf8.jsonl"), "-f", "jsonl").stdout)
    assert "errors" not in records[0]
    assert records[1]["errors"][0]["message"] == "not UTF-8 text (byte 8)"


def test_an_empty_jsonl_file_has_no_records() -> None:
    result = run(str(BATCH / "empty.jsonl"), "-f", "jsonl")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "scored 0, failed 0" in result.stderr


def test_stdin_jsonl() -> None:
    line = json.dumps({"id": "S-1", "findings": {"tingling": True}})
    records = jsonl(run("-", "-f", "jsonl", stdin=line + "\n").stdout)
    assert records[0]["intake_id"] == "S-1"
    assert records[0]["source"] == {"file": "<stdin>", "line": 1, "record": 1}


def test_stdin_in_an_unknown_format_is_a_usage_error() -> None:
    result = run("-", stdin="id,tingling\nX,true\n")
    assert result.exit_code == 2
    assert "<stdin>: input: cannot tell the format (give --input-format" in result.stderr


def test_stdin_csv_with_input_format() -> None:
    result = run("-", "--input-format", "csv", "-f", "jsonl", stdin="id,tingling\nX,true\n")
    assert jsonl(result.stdout)[0]["intake_id"] == "X"


# --- order and parallel --------------------------------------------------------------------


def test_parallel_scoring_keeps_the_input_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nmt_assess import batch

    # small chunks, so 650 records make several, each scored with numpy in a worker
    monkeypatch.setattr(batch, "CHUNK_SIZE", 100)
    monkeypatch.setattr(batch, "VECTORISE_FROM", 50)
    source = tmp_path / "many.jsonl"
    answers = [True, False, None]
    with source.open("w") as out:
        for n in range(650):  # more than three chunks
            findings = {"tingling": answers[n % 3], "age": n % 100}
            out.write(json.dumps({"id": f"R-{n}", "findings": findings}) + "\n")
    serial = jsonl(run(str(source), "-f", "jsonl", "--jobs", "1").stdout)
    parallel = jsonl(run(str(source), "-f", "jsonl", "--jobs", "2").stdout)
    assert [r["intake_id"] for r in parallel] == [f"R-{n}" for n in range(650)]
    assert parallel == serial


# --- CSV -----------------------------------------------------------------------------------


def test_csv_columns_named_by_finding_id() -> None:
    records = jsonl(run(str(BATCH / "form.csv"), "-f", "jsonl").stdout)
    assert [r["intake_id"] for r in records] == ["C-1", "C-2", "C-3", None]
    assert "errors" not in records[0] and "errors" not in records[1]
    c3 = {e["field"]: e["message"] for e in records[2]["errors"]}
    assert c3 == {
        "column 'tingling' (finding 'tingling')": "expected true or false, got 'maybe'",
        "column 'pain_intensity' (finding 'pain_intensity')": "11 is outside 0 to 10",
    }
    assert records[2]["errors"][0]["line"] == 4


def test_a_malformed_csv_row_is_an_error_record_with_its_line() -> None:
    records = jsonl(run(str(BATCH / "form.csv"), "-f", "jsonl").stdout)
    assert records[3]["errors"] == [
        {
            "line": 5,
            "field": "row",
            "message": "has 7 cells, the header has 6",
            "hint": "check for an unquoted comma or a missing cell",
        }
    ]


def test_a_blank_csv_cell_is_unknown() -> None:
    records = jsonl(run(str(BATCH / "form.csv"), "-f", "jsonl").stdout)
    unscreened = {flag["id"] for flag in records[1]["unscreened_red_flags"]}
    assert "secondary_headache_over_50" in unscreened  # needs age, left blank


def test_csv_export_with_a_column_map() -> None:
    result = run(str(BATCH / "export.csv"), "--map", str(BATCH / "export-map.yaml"), "-f", "jsonl")
    records = jsonl(result.stdout)
    assert [r["intake_id"] for r in records] == ["F-1", "F-2"]
    assert [f["id"] for f in records[1]["red_flags"]] == ["deep_vein_thrombosis", "recent_surgery"]
    assert result.exit_code == 0


def test_a_csv_column_that_names_no_finding_stops_before_scoring() -> None:
    result = run(str(BATCH / "unknown-column.csv"), "-f", "jsonl")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "column 'favourite_colour': not a finding id" in result.stderr


# --- FHIR ----------------------------------------------------------------------------------


def test_fhir_questionnaire_response_is_scored() -> None:
    records = jsonl(run(str(BATCH / "response.json"), "-f", "jsonl").stdout)
    assert records[0]["intake_id"] == "QR-1"
    assert records[0]["intake_date"] == "2026-11-20"
    assert records[0]["causes"][0]["id"] == "nerve_compression"


def test_fhir_bundle_scores_each_response_and_notes_other_resources() -> None:
    result = run(str(BATCH / "bundle.json"), "-f", "jsonl")
    records = jsonl(result.stdout)
    assert [r["intake_id"] for r in records] == ["QR-1", "QR-2"]
    assert records[1]["errors"][0]["field"] == "linkId tinglng (finding 'tinglng')"
    assert "not scored, not intakes: 1 Patient" in result.stderr


def test_a_fhir_resource_that_is_not_a_response_is_an_error_record() -> None:
    records = jsonl(run(str(BATCH / "patient.json"), "-f", "jsonl").stdout)
    assert records[0]["errors"][0]["message"] == (
        "expected QuestionnaireResponse or Bundle, got 'Patient'"
    )


def test_fhir_output_is_a_valid_bundle_of_risk_assessments() -> None:
    from fhir.resources.R4B.bundle import Bundle

    result = run(
        str(CASES_DIR / "cts-keyboard-worker.yaml"), str(BATCH / "intakes.jsonl"), "-f", "fhir"
    )
    bundle = Bundle.model_validate(json.loads(result.stdout))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds == ["RiskAssessment"] * 2 + ["OperationOutcome"] * 2 + ["RiskAssessment"]
    first = bundle.entry[0].resource
    assert len(first.prediction) == 5
    assert first.prediction[0].outcome.coding[0].code == "nerve_compression"


def test_questionnaire_export_is_a_valid_fhir_questionnaire_of_finding_ids() -> None:
    from fhir.resources.R4B.questionnaire import Questionnaire

    from nmt_assess.ruleset import load_ruleset

    result = runner.invoke(app, ["questionnaire", "--format", "fhir"])
    questionnaire = Questionnaire.model_validate(json.loads(result.stdout))
    link_ids = {item.linkId for group in questionnaire.item for item in group.item}
    assert link_ids == set(load_ruleset().findings)


# --- inputs --------------------------------------------------------------------------------


def test_a_folder_is_searched_recursively_and_globs_expand() -> None:
    folder = jsonl(run(str(CASES_DIR), "-f", "jsonl").stdout)
    globbed = jsonl(run(str(CASES_DIR / "cts-*.yaml"), "-f", "jsonl").stdout)
    assert len(folder) == len(list(CASES_DIR.glob("*.yaml")))
    assert [r["intake_id"] for r in globbed] == [
        "cts-keyboard-worker",
        "cts-third-trimester-pregnancy",
    ]


def test_a_path_that_does_not_exist_is_a_usage_error() -> None:
    result = run(str(CASES_DIR), "no/such/place.jsonl")
    assert result.exit_code == 2
    assert "no/such/place.jsonl: path: no such file or folder" in result.stderr
    assert result.stdout == ""


# --- outputs -------------------------------------------------------------------------------


EXPECTED_WRITERS = {
    "text": TableWriter,
    "table": TableWriter,
    "json": JsonListWriter,
    "jsonl": JsonlWriter,
    "csv": CsvWriter,
    "markdown": MarkdownWriter,
    "html": HtmlWriter,
    "fhir": FhirBundleWriter,
}


def test_the_writer_map_names_every_output_format_and_nothing_else() -> None:
    assert set(WRITERS) == set(OutputFormat)
    assert {f.value for f in OutputFormat} == set(EXPECTED_WRITERS)


@pytest.mark.parametrize("output_format", list(OutputFormat))
def test_every_output_format_has_its_own_writer(output_format: OutputFormat) -> None:
    assert batch_writer_class(output_format) is EXPECTED_WRITERS[output_format.value]


def test_a_format_with_no_writer_raises_rather_than_falling_through() -> None:
    class Other(str, Enum):
        pdf = "pdf"

    with pytest.raises(ValueError, match="no writer for output format"):
        batch_writer_class(Other.pdf)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no writer for output format"):
        batch_writer_class("pdf")  # type: ignore[arg-type]


def test_json_output_is_one_list_document() -> None:
    doc = json.loads(run(str(BATCH / "intakes.jsonl"), "-f", "json").stdout)
    assert [r.get("intake_id") for r in doc] == ["J-1", "J-3", None, "J-2"]


def test_csv_output_has_each_cause_and_the_flags() -> None:
    rows = list(csv.DictReader(io.StringIO(run(str(BATCH / "intakes.jsonl"), "-f", "csv").stdout)))
    assert [row["status"] for row in rows] == ["scored", "error", "error", "scored"]
    assert rows[0]["top_cause"] == "nerve_compression"
    assert rows[0]["nerve_compression_rank"] == "1"
    assert rows[3]["red_flag_action"] == "urgent"
    assert rows[3]["red_flags"] == "deep_vein_thrombosis;recent_surgery"
    assert rows[1]["errors"] == "finding 'tinglng': unknown finding (did you mean 'tingling'?)"


def test_table_output_has_a_row_per_record() -> None:
    lines = run(str(BATCH / "intakes.jsonl"), "-f", "table").stdout.splitlines()
    assert lines[0].split() == ["INTAKE", "TOP", "CAUSE", "P", "RED", "FLAG", "NOTES"]
    assert len(lines) == 5
    assert "ERROR finding 'tinglng'" in lines[2]
    assert " URGENT " in lines[4] and "ranking secondary to the referral" in lines[4]


def test_markdown_output() -> None:
    out = run(str(CASES_DIR / "dvt-after-knee-replacement.yaml"), "-f", "markdown").stdout
    assert "## dvt-after-knee-replacement" in out
    assert "**URGENT** Possible deep-vein thrombosis" in out
    assert "| 1 | Biomechanical dysfunction |" in out


def test_html_report_is_self_contained_with_a_chart_and_a_client_section() -> None:
    out = run(
        str(CASES_DIR / "dvt-after-knee-replacement.yaml"),
        str(BATCH / "intakes.jsonl"),
        "-f",
        "html",
    ).stdout
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert out.count("<svg") == 3
    assert "soreness or discomfort after the first session is normal" in out
    assert "Red flags: refer before any treatment" in out
    assert "<script" not in out and "src=" not in out
    assert re.findall(r'href="(.)', out) == ["#"] * out.count("href=")  # links within the page


# --- output file and exit codes --------------------------------------------------------------


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = run(str(BATCH / "intakes.jsonl"), "--output", str(target))
    assert result.stdout == ""
    assert target.read_text().startswith("source,line,record,id,status")  # format from suffix
    assert list(tmp_path.iterdir()) == [target]


def test_an_interrupted_run_leaves_no_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nmt_assess.writers.jsonl import JsonlWriter

    def fail(self: JsonlWriter, record: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(JsonlWriter, "write", fail)
    target = tmp_path / "out.jsonl"
    run(str(BATCH / "intakes.jsonl"), "--output", str(target))
    assert list(tmp_path.iterdir()) == []


def test_exit_0_when_everything_is_scored() -> None:
    assert run(str(CASES_DIR / "cts-*.yaml"), "-f", "jsonl").exit_code == 0


@pytest.mark.parametrize(("level", "code"), [("emergency", 0), ("urgent", 3), ("refer", 3)])
def test_fail_on_gates_on_red_flag_severity(level: str, code: int) -> None:
    dvt = str(CASES_DIR / "dvt-after-knee-replacement.yaml")  # urgent
    result = run(
        dvt, str(CASES_DIR / "cts-keyboard-worker.yaml"), "-f", "jsonl", "--fail-on", level
    )
    assert result.exit_code == code


def test_a_bad_rule_pack_is_exit_2(tmp_path: Path) -> None:
    result = run(str(BATCH / "intakes.jsonl"), "--rules", str(tmp_path))
    assert result.exit_code == 2
