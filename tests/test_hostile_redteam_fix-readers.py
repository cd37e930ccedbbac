"""Red-team findings on the readers (fix-readers): text that is not valid Unicode, FHIR
responses nested in Bundles or contained, CSV unterminated quotes, FHIR partial dates and
quantities, JSON ids and numbers as written, CR-only JSON Lines.

Each test asserts the exit code, that no traceback escapes, one output record per input
record, that the inputs are unchanged and that no stray file is written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_hostile_inputs import records_of, snapshot

DVT = '{"id": "dvt", "findings": {"calf_swelling_redness": true}}'
CALM = '{"id": "c0", "findings": {"tingling": true}}'


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in a child process: its stdout is a pipe with the real encoding."""
    result = subprocess.run(
        [sys.executable, "-m", "nmt_assess", "score", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=120,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


# --- 1. text that is not valid Unicode (a lone surrogate) -----------------------------------

#: Each place a lone surrogate can sit in a JSON intake, with the field its error names.
NOT_UNICODE = {
    "id": ('{"id": "bad\\ud800", "findings": {}}', "id"),
    "date": ('{"id": "d", "date": "2026-01-0\\udfff", "findings": {}}', "date"),
    "value": ('{"id": "v", "findings": {"pain_duration": "\\udc00"}}', "finding 'pain_duration'"),
    "list item": (
        '{"id": "l", "findings": {"pain_locations": ["neck", "\\ud800"]}}',
        "finding 'pain_locations'[1]",
    ),
    "finding key": ('{"id": "k", "findings": {"\\ud800": true}}', "finding '\\ud800'"),
    "envelope key": ('{"id": "e", "\\udbff": 1, "findings": {}}', "key '\\udbff'"),
    "case text": ('{"id": "t", "story": "x\\ud800", "findings": {}}', "story"),
}


@pytest.mark.parametrize("kind", list(NOT_UNICODE))
def test_text_that_is_not_unicode_is_one_located_error_in_a_batch(
    tmp_path: Path, kind: str
) -> None:
    line, field = NOT_UNICODE[kind]
    path = tmp_path / "day.jsonl"
    path.write_text(f"{CALM}\n{line}\n{DVT}\n")
    before = snapshot(tmp_path)
    result = run_cli(str(path.name), "-f", "jsonl", "--fail-on", "urgent", cwd=tmp_path)
    assert result.returncode == 3
    records = records_of(result.stdout)
    assert len(records) == 3
    assert "errors" not in records[0] and "errors" not in records[2]
    assert records[2]["red_flags"][0]["id"] == "dvt_signs"
    errors = records[1]["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["line"] == 2
    assert errors[0]["message"].startswith("not valid Unicode text: ")
    assert records[1]["intake_id"] in (None, json.loads(line.replace("\\ud800", "")).get("id"))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("output", ["json", "csv", "html", "markdown", "table", "text", "fhir"])
def test_every_format_writes_a_batch_with_an_id_that_is_not_unicode(
    tmp_path: Path, output: str
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(f"{CALM}\n{NOT_UNICODE['id'][0]}\n{DVT}\n")
    before = snapshot(tmp_path)
    if output == "fhir":
        pytest.importorskip("fhir.resources")
    result = run_cli(path.name, "-f", output, "--fail-on", "urgent", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "scored 2, failed 1; 1 with urgent" in result.stderr
    assert "dvt" in result.stdout
    assert snapshot(tmp_path) == before


def test_every_not_unicode_part_of_one_record_is_named_once(tmp_path: Path) -> None:
    line = (
        '{"id": "bad\\ud800", "date": "\\udfff", "findings": '
        '{"tingling": "\\udc00", "pain_locations": ["\\ud800"]}}'
    )
    path = tmp_path / "day.jsonl"
    path.write_text(line + "\n")
    result = run_cli(path.name, "-f", "jsonl", cwd=tmp_path)
    assert result.returncode == 1
    (record,) = records_of(result.stdout)
    fields = [e["field"] for e in record["errors"]]
    assert fields == ["id", "date", "finding 'tingling'", "finding 'pain_locations'[0]"]
    assert record["intake_id"] is None


def test_a_single_intake_with_an_id_that_is_not_unicode_is_a_located_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one.json"
    path.write_text(NOT_UNICODE["id"][0])
    result = run_cli(path.name, cwd=tmp_path)
    assert result.returncode == 2
    assert "one.json:1: id: not valid Unicode text: 'bad\\ud800'" in result.stderr
