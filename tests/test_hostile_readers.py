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
from typing import Any

import pytest

from tests.test_hostile_inputs import error_of, invoke, records_of, snapshot

DVT = '{"id": "dvt", "findings": {"calf_swelling_redness": true, "recent_surgery": true}}'
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
    assert records[2]["red_flags"][0]["id"] == "deep_vein_thrombosis"
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


# --- 4. CSV: an unterminated quote swallows no row -------------------------------------------

HEADER = "id,saddle_numbness\n"
CAUDA = "".join(f"r{n},yes\n" for n in range(5))


@pytest.mark.parametrize(
    ("bad", "opened"),
    [
        ('"a2,no\n', 3),  # the first cell's quote never closes
        ('a2,"no\n', 3),  # the last cell's
        ('a2,"n""o\n', 3),  # a doubled quote inside does not close it
        ('"a2\nstill a2",no\n"b,no\n', 5),  # a quoted cell over two lines, then an open one
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_an_unterminated_quote_is_an_error_for_its_line_and_every_other_row_is_read(
    tmp_path: Path, bad: str, opened: int, newline: str
) -> None:
    path = tmp_path / "form.csv"
    text = HEADER + "a1,no\n" + bad + CAUDA
    path.write_bytes(text.replace("\n", newline).encode())
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent")
    assert result.exit_code == 3
    records = records_of(result.stdout)
    rows = 2 + bad.count('",') + 5  # a1, the bad row, a quoted two-line row if any, r0..r4
    assert len(records) == rows
    errors = [r for r in records if "errors" in r]
    (error,) = errors
    assert (error["source"]["line"], error["errors"][0]["message"]) == (
        opened,
        "unterminated quote",
    )
    assert [r["intake_id"] for r in records[-5:]] == [f"r{n}" for n in range(5)]
    assert all(r["red_flags"][0]["id"] == "cauda_equina" for r in records[-5:])
    total = text.count("\n")
    assert [r["source"]["line"] for r in records[-5:]] == list(range(total - 4, total + 1))
    assert snapshot(tmp_path) == before


def test_a_quoted_cell_over_lines_with_the_right_cells_is_one_row_on_its_first_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "form.csv"
    path.write_text(HEADER + '"a\nb",no\nc,"n""o"\n"d","yes"')
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == ["a\nb", "c", "d"]
    assert [r["source"]["line"] for r in records] == [2, 4, 5]
    assert "errors" in records[1] and "errors" not in records[2]


def test_an_unterminated_quote_in_the_last_row_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(HEADER + 'a1,no\na2,"yes\n')
    records = records_of(invoke(str(path), "-f", "jsonl").stdout)
    assert [r.get("errors", [{}])[0].get("message") for r in records] == [
        None,
        "unterminated quote",
    ]


def test_a_cell_over_the_csv_size_limit_is_an_error_for_its_line(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    for opening in ("", '"'):
        path.write_text(HEADER + "a1,no\n" + opening + "b" * 200_000 + ",no\n" + CAUDA)
        result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent")
        assert result.exit_code == 3
        records = records_of(result.stdout)
        assert len(records) == 7
        assert records[1]["source"]["line"] == 3
        assert "field limit" in records[1]["errors"][0]["message"]


def test_an_unterminated_quote_on_stdin_is_an_error_and_the_rows_after_are_read() -> None:
    text = 'sep=;\nid;saddle_numbness\n"a1;no\nr0;yes\n'
    result = invoke("-", "--input-format", "csv", "-f", "jsonl", stdin=text)
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert [(r["source"]["line"], "errors" in r) for r in records] == [(3, True), (4, False)]


# --- 3. FHIR: responses in a nested Bundle or in `contained` are read -----------------------


def response(rid: str, *items: tuple[str, list[dict[str, Any]]], **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "status": "completed",
        "item": [{"linkId": link, "answer": answers} for link, answers in items],
        **more,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


SADDLE = ("saddle_numbness", [{"valueBoolean": True}])
TINGLING = ("tingling", [{"valueBoolean": True}])


def score_fhir(tmp_path: Path, document: dict[str, Any], *args: str) -> Any:
    pytest.importorskip("fhir.resources")
    path = tmp_path / "responses.json"
    path.write_text(json.dumps(document))
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent", *args)
    assert snapshot(tmp_path) == before
    return result


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_each_response_of_a_bundle_nested_in_a_bundle_is_its_own_record(
    tmp_path: Path, depth: int
) -> None:
    inner: dict[str, Any] = bundle(response("DEEP", SADDLE))
    for _ in range(depth - 1):
        inner = bundle(inner)
    document = bundle({"resourceType": "Patient", "id": "P"}, response("TOP", TINGLING), inner)
    result = score_fhir(tmp_path, document)
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == ["TOP", "DEEP"]
    assert [r["source"]["record"] for r in records] == [1, 2]
    assert records[1]["red_flags"][0]["id"] == "cauda_equina"
    assert "not scored, not intakes: 1 Patient" in result.stderr


def test_an_invalid_nested_bundle_is_one_error_record_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    broken = {"resourceType": "Bundle", "type": 5, "entry": [{"resource": response("X", SADDLE)}]}
    too_deep: dict[str, Any] = bundle(response("Y", SADDLE))
    for _ in range(12):
        too_deep = bundle(too_deep)
    result = score_fhir(tmp_path, bundle(broken, too_deep, response("OK", SADDLE)))
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert ["errors" in r for r in records] == [True, True, False]
    assert all(r["errors"][0]["field"] == "Bundle" for r in records[:2])


def test_each_contained_response_is_its_own_record(tmp_path: Path) -> None:
    outer = response(
        "OUT",
        TINGLING,
        contained=[
            {"resourceType": "Questionnaire", "id": "form", "status": "active"},
            response("IN", SADDLE),
        ],
        subject={"reference": "Patient/p"},
    )
    for document in (outer, bundle(outer)):
        result = score_fhir(tmp_path, document)
        assert result.exit_code == 3
        records = records_of(result.stdout)
        assert [r["intake_id"] for r in records] == ["OUT", "IN"]
        assert records[0]["answers"] == {"tingling": True}
        assert records[1]["answers"] == {"saddle_numbness": True}
        assert records[1]["source"]["resource"] == "QuestionnaireResponse/OUT#IN"
        assert records[1]["source"]["subject"] == "Patient/p"


def test_an_invalid_contained_response_makes_its_container_an_error_record(
    tmp_path: Path,
) -> None:
    bad = {"resourceType": "QuestionnaireResponse", "id": "IN", "status": "completed", "item": 1}
    result = score_fhir(tmp_path, bundle(response("OUT", SADDLE, contained=[bad])))
    assert result.exit_code == 1
    (record,) = records_of(result.stdout)
    assert "contained" in record["errors"][0]["message"]


# --- 7. FHIR: partial dates, quantities with units and comparators ---------------------------


@pytest.mark.parametrize("authored", ["2026", "2026-03"])
def test_a_partial_authored_date_is_read_and_the_date_left_unknown(
    tmp_path: Path, authored: str
) -> None:
    result = score_fhir(tmp_path, bundle(response("D", SADDLE, authored=authored)))
    assert result.exit_code == 3
    (record,) = records_of(result.stdout)
    assert record["intake_date"] is None
    assert f"QuestionnaireResponse/D: authored '{authored}' is not a full date" in result.stderr


def test_a_partial_authored_date_of_a_single_response_is_noted(tmp_path: Path) -> None:
    pytest.importorskip("fhir.resources")
    path = tmp_path / "one.json"
    path.write_text(json.dumps(response("D", SADDLE, authored="2026-03")))
    result = invoke(str(path), "--fail-on", "urgent")
    assert result.exit_code == 3
    assert "authored '2026-03' is not a full date" in result.stderr


@pytest.mark.parametrize(
    "authored", ["2026-03-05", "2026-03-05T23:30:00+02:00", "2026-03-05T10:00:00Z"]
)
def test_a_full_authored_date_is_the_intake_date(tmp_path: Path, authored: str) -> None:
    result = score_fhir(tmp_path, response("D", SADDLE, authored=authored))
    assert result.exit_code == 3
    assert records_of(result.stdout)[0]["intake_date"] == "2026-03-05"


HEADACHE = ("new_or_changed_headache", [{"valueBoolean": True}])


@pytest.mark.parametrize(
    "quantity",
    [
        {"value": 71, "unit": "a"},
        {"value": 71, "unit": "years"},
        {"value": 71, "unit": "yr"},
        {"value": 71, "code": "a", "system": "http://unitsofmeasure.org", "unit": "year"},
        {"value": 71},
    ],
)
def test_an_age_quantity_in_years_is_read(tmp_path: Path, quantity: dict[str, Any]) -> None:
    result = score_fhir(tmp_path, response("A", HEADACHE, ("age", [{"valueQuantity": quantity}])))
    assert result.exit_code == 3
    (record,) = records_of(result.stdout)
    assert "secondary_headache_over_50" in [flag["id"] for flag in record["red_flags"]]


@pytest.mark.parametrize(
    ("link", "quantity", "message"),
    [
        ("age", {"value": 6, "unit": "decades"}, "valueQuantity unit 'decades' is not years"),
        ("age", {"value": 24, "unit": "mo"}, "valueQuantity unit 'mo' is not years"),
        ("age", {"value": 71, "code": "mo", "unit": "years"}, "valueQuantity unit 'mo' is"),
        ("age", {"value": 50, "comparator": "<"}, "valueQuantity has the comparator '<'"),
        (
            "age",
            {"value": 50, "comparator": ">=", "unit": "a"},
            "valueQuantity has the comparator '>='",
        ),
        ("pain_intensity", {"value": 6, "unit": "kg"}, "valueQuantity unit 'kg' is not"),
    ],
)
def test_a_quantity_in_another_unit_or_with_a_comparator_is_a_located_error(
    tmp_path: Path, link: str, quantity: dict[str, Any], message: str
) -> None:
    answers = response("Q", HEADACHE, (link, [{"valueQuantity": quantity}]))
    result = score_fhir(tmp_path, bundle(answers, response("DVT", SADDLE)))
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert len(records) == 2 and "errors" not in records[1]
    error = records[0]["errors"][0]
    assert error["field"] == f"linkId {link}"
    assert error["message"].startswith(message)
    assert error["hint"]


# --- 9. JSON ids and numbers as written; CR-only JSON Lines ---------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_json_id_of_minus_zero_is_kept_as_written(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"day{suffix}"
    intakes = ['{"id": -0, "findings": {"pain_intensity": -0}}', '{"id": 0, "findings": {}}']
    path.write_text("\n".join(intakes) if suffix == ".jsonl" else f"[{', '.join(intakes)}]")
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 0
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == ["-0", "0"]
    assert records[0]["answers"] == {"pain_intensity": 0}
    assert snapshot(tmp_path) == before


BIG = "1" + "0" * 400 + ".5"


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("a.jsonl", f'{{"id": "A", "findings": {{"age": {BIG}}}}}\n', "finding 'age'"),
        ("a.json", f'[{{"id": "A", "findings": {{"pain_intensity": {BIG}}}}}]', "finding"),
        ("a.yaml", f"id: A\nfindings:\n  age: {BIG}\n", "finding 'age'"),
        ("a.csv", f"id,age\nA,{BIG}\n", "column 'age' (finding 'age')"),
        ("b.csv", f"id,age\nA,{'9' * 5000}\n", "column 'age' (finding 'age')"),
    ],
)
def test_a_number_of_hundreds_of_digits_is_named_by_its_digits_not_inf(
    tmp_path: Path, name: str, text: str, field: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    (record,) = records_of(result.stdout)
    error = error_of(record)
    assert error["field"].startswith(field)
    assert error["message"].startswith("a number of ")
    assert " digits is outside 0 to " in error["message"]
    assert "inf" not in error["message"]
    assert snapshot(tmp_path) == before


def test_a_written_overflow_is_echoed_as_written(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "A", "findings": {"age": 1e400}}\n')
    error = error_of(records_of(invoke(str(path), "-f", "jsonl").stdout)[0])
    assert error["message"] == "1e400 is outside 0 to 120"


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_json_lines_end_at_any_line_ending(tmp_path: Path, ending: str, where: str) -> None:
    lines = [CALM, "", DVT, "{not json", '{"id": "last", "findings": {}}']
    data = ending.join(lines) + ending
    path = tmp_path / "day.jsonl"
    path.write_bytes(data.encode())
    before = snapshot(tmp_path)
    if where == "file":
        result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent")
    else:
        result = invoke("-", "-f", "jsonl", "--fail-on", "urgent", stdin=data.encode())
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == ["c0", "dvt", None, "last"]
    assert [r["source"]["line"] for r in records] == [1, 3, 4, 5]
    assert "errors" in records[2]
    assert snapshot(tmp_path) == before


# --- the vectorised scorer of big batches takes no record a reader or the text check refused -


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_big_json_list_with_text_that_is_not_unicode_has_one_error_record(
    tmp_path: Path, jobs: str
) -> None:
    path = tmp_path / "day.json"
    items = [CALM] * 300 + [NOT_UNICODE["id"][0], NOT_UNICODE["value"][0], DVT]
    path.write_text("[\n" + ",\n".join(items) + "\n]\n")
    before = snapshot(tmp_path)
    result = run_cli(path.name, "-f", "csv", "-j", jobs, "--fail-on", "urgent", cwd=tmp_path)
    assert result.returncode == 3
    assert "scored 301, failed 2; 1 with urgent" in result.stderr
    assert snapshot(tmp_path) == before


def test_a_big_bundle_keeps_every_problem_the_fhir_reader_found(tmp_path: Path) -> None:
    calm = [response(f"G{n}", TINGLING) for n in range(250)]
    twice = response("TWICE", ("saddle_numbness", [{"valueBoolean": False}]), SADDLE)
    below = response(
        "BELOW", HEADACHE, ("age", [{"valueQuantity": {"value": 50, "comparator": "<"}}])
    )
    result = score_fhir(tmp_path, bundle(*calm, twice, below, response("DVT", SADDLE)))
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert len(records) == 253
    assert [r["intake_id"] for r in records if "errors" in r] == ["TWICE", "BELOW"]
    assert "scored 251, failed 2" in result.stderr
