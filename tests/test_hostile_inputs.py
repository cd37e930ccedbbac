"""Hostile inputs: every answer given is read, or its record is a located error.

Each test asserts the exit code, that no traceback escapes, that a batch gives one output
record per input record, that the inputs are unchanged and that no stray file is written.
Big inputs are generated here, never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.models import ErrorRecord, SourcedAssessment
from nmt_assess.problems import ECHO_LIMIT
from tests.conftest import DATA, MINI_PACK

runner = CliRunner()
GOOD = {"findings": {"tingling": True, "pain_intensity": 4}}

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

#: One hostile JSON record of each kind, by what it holds.
HOSTILE_JSON = {
    "5000-digit answer": '{"id": "h", "findings": {"age": ' + "9" * 5000 + "}}",
    "5000-digit id": '{"id": ' + "9" * 5000 + ', "findings": {}}',
    "nesting 5000 deep": '{"id": "h", "findings": {"pain_locations": '
    + "[" * 5000
    + "]" * 5000
    + "}}",
    "nesting 900 deep": '{"id": "h", "findings": {"pain_locations": '
    + "[" * 900
    + "]" * 900
    + "}}",
    "id nested 900 deep": '{"id": ' + "[" * 900 + "]" * 900 + ', "findings": {}}',
    "mapping nested 3000 deep": '{"id": "h", "findings": ' + '{"a": ' * 3000 + "1" + "}" * 3001,
    "float overflow": '{"id": "h", "findings": {"age": 1e400}}',
    "negative overflow": '{"id": "h", "findings": {"pain_intensity": -1e400}}',
    "NaN": '{"id": "h", "findings": {"age": NaN}}',
    "4000-digit scale": '{"id": "h", "findings": {"pain_intensity": ' + "9" * 4000 + "}}",
    "duplicate key": '{"id": "h", "findings": {"tingling": true, "tingling": false}}',
    "id true": '{"id": true, "findings": {}}',
    "date zero": '{"id": "h", "date": 0, "findings": {}}',
    "huge unknown key": '{"id": "h", "findings": {"' + "x" * 100_000 + '": true}}',
    "huge choice": '{"id": "h", "findings": {"pain_duration": "' + "y" * 100_000 + '"}}',
    "not an object": "[1, 2, 3]",
}

#: One hostile YAML intake file of each kind.
HOSTILE_YAML = {
    "billion laughs": BILLION_LAUGHS + "findings: {}\n",
    "alias to itself": "findings: &a {x: *a}\n",
    "5000-digit answer": "findings:\n  age: " + "9" * 5000 + "\n",
    "5000-digit hex id": "id: 0x" + "F" * 5000 + "\nfindings: {}\n",
    "flow nesting 5000 deep": "findings: {pain_locations: " + "[" * 5000 + "]" * 5000 + "}\n",
    "nesting 300 deep": "findings:\n  pain_locations: " + "[" * 300 + "]" * 300 + "\n",
    "block nesting 2000 deep": "findings:\n"
    + "".join(" " * (2 * i) + "- \n" for i in range(1, 2000)),
    "impossible date": "date: 2026-02-30\nfindings: {}\n",
    "date zero": "date: 0\nfindings: {}\n",
    "infinite age": "findings: {age: .inf}\n",
    "not a mapping": "- 1\n- 2\n",
}


def invoke(*args: str, stdin: str | bytes | None = None) -> Any:
    result = runner.invoke(app, ["score", *args], input=stdin)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    return result


def records_of(output: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    for record in records:
        if "errors" in record:
            ErrorRecord.model_validate(record)
        else:
            SourcedAssessment.model_validate(record)
    return records


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under the folder with its content's hash: inputs unchanged, nothing added."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def error_of(record: dict[str, Any]) -> dict[str, Any]:
    assert "errors" in record, record
    error: dict[str, Any] = record["errors"][0]
    assert len(error["message"]) < 3 * ECHO_LIMIT
    assert len(error["field"]) < 2 * ECHO_LIMIT
    return error


# --- one bad record never stops a batch ----------------------------------------------------


def interleaved() -> list[str]:
    """Good, hostile, good, hostile, ..., good: each hostile record between two good ones."""
    good = json.dumps(GOOD)
    lines = [good]
    for hostile in HOSTILE_JSON.values():
        lines += [hostile, good]
    return lines


def assert_interleaved(records: list[dict[str, Any]]) -> None:
    assert len(records) == 2 * len(HOSTILE_JSON) + 1
    for index, record in enumerate(records):
        if index % 2 == 0:
            assert "errors" not in record, record
        else:
            error_of(record)


def test_each_hostile_jsonl_record_is_one_error_record_and_the_batch_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(interleaved()) + "\n")
    before = snapshot(tmp_path)
    started = time.monotonic()
    result = invoke(str(path), "-f", "jsonl")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert_interleaved(records)
    assert [r["source"]["line"] for r in records] == list(range(1, len(records) + 1))
    assert snapshot(tmp_path) == before


def test_hostile_records_in_a_parallel_batch_are_error_records(tmp_path: Path) -> None:
    """Records cross to worker processes: none may break pickling (nesting is capped)."""
    good = [json.dumps(GOOD)] * 2100
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(good + list(HOSTILE_JSON.values()) + good) + "\n")
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl", "-j", "2")
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert len(records) == 4200 + len(HOSTILE_JSON)
    assert sum("errors" in r for r in records) == len(HOSTILE_JSON)
    assert snapshot(tmp_path) == before


def test_each_hostile_item_of_a_json_list_is_one_error_record(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    path.write_text("[\n" + ",\n".join(interleaved()) + "\n]\n")
    before = snapshot(tmp_path)
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert_interleaved(records)
    assert [r["source"]["line"] for r in records] == list(range(2, len(records) + 2))
    assert snapshot(tmp_path) == before


def test_each_hostile_yaml_file_of_a_folder_is_one_error_record(tmp_path: Path) -> None:
    good = "findings:\n  tingling: true\n"
    names = []
    for number, (kind, text) in enumerate(HOSTILE_YAML.items()):
        (tmp_path / f"{number:02}-a-good.yaml").write_text(good)
        (tmp_path / f"{number:02}-b-{kind.replace(' ', '-')}.yaml").write_text(text)
        names += ["good", kind]
    before = snapshot(tmp_path)
    started = time.monotonic()
    result = invoke(str(tmp_path), "-f", "jsonl")
    assert time.monotonic() - started < 20  # the alias bomb fails fast
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert len(records) == len(names)
    for name, record in zip(names, records, strict=True):
        if name == "good":
            assert "errors" not in record
        else:
            assert error_of(record)["line"] is not None or name == "not a mapping", name
    assert snapshot(tmp_path) == before


def test_the_alias_bomb_error_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS + "findings: {}\n")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:1: yaml: aliases expand to more than" in result.stderr


def test_a_few_aliases_in_an_intake_are_read(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("findings:\n  pain_locations: &p [neck]\n  tingling: true\n")
    result = invoke(str(path), "-f", "json")
    assert result.exit_code == 0


def test_hostile_records_read_the_same_by_the_fast_and_the_reference_path(
    tmp_path: Path,
) -> None:
    """Over 200 records go through orjson and numpy; a few through the reference path only."""
    good = json.dumps(GOOD)
    hostile = list(HOSTILE_JSON.values())
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(hostile) + "\n")
    large = tmp_path / "large.jsonl"
    large.write_text("\n".join(hostile + [good] * 250) + "\n")
    few = records_of(invoke(str(small), "-f", "jsonl", "-j", "1").stdout)
    many = records_of(invoke(str(large), "-f", "jsonl", "-j", "1").stdout)
    assert len(many) == len(hostile) + 250
    for record in few + many:
        record["source"].pop("file")
    assert many[: len(hostile)] == few


# --- ids and dates as written --------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("0123", "0123"),
        ("12:30", "12:30"),
        ("yes", "yes"),
        ("0x1F", "0x1F"),
        ("1e3", "1e3"),
        ("1_000", "1_000"),
        ("007.50", "007.50"),
        ("'0123'", "0123"),
        ('"yes"', "yes"),
        ("C-0042", "C-0042"),
        ("~", None),
    ],
)
def test_a_yaml_id_is_kept_as_written(tmp_path: Path, written: str, kept: str | None) -> None:
    path = tmp_path / "intake.yaml"
    path.write_text(f"id: {written}\nfindings:\n  tingling: true\n")
    result = invoke(str(path), "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["intake_id"] == kept


@pytest.mark.parametrize("written", ["true", "1.0", "1e3", "[1]", '{"a": 1}'])
def test_a_json_id_that_is_not_text_or_a_whole_number_is_an_error(
    tmp_path: Path, written: str
) -> None:
    path = tmp_path / "day.jsonl"
    path.write_text(f'{{"id": {written}, "findings": {{}}}}\n')
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    error = error_of(records_of(result.stdout)[0])
    assert error["field"] == "id"
    assert error["message"].startswith("expected text, got ")


def test_a_json_integer_id_is_kept_as_the_text_of_the_number(tmp_path: Path) -> None:
    path = tmp_path / "day.jsonl"
    path.write_text('{"id": 12345678901234567890123, "findings": {}}\n{"id": 7, "findings": {}}\n')
    records = records_of(invoke(str(path), "-f", "jsonl").stdout)
    assert [r["intake_id"] for r in records] == ["12345678901234567890123", "7"]


def test_a_csv_id_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("id,tingling\n0123,yes\n12:30,no\n")
    records = records_of(invoke(str(path), "-f", "jsonl").stdout)
    assert [r["intake_id"] for r in records] == ["0123", "12:30"]


@pytest.mark.parametrize(
    "written", ["0", "2026-02-30", "2026-11-23 10:00:00", "20261123", "2026-W47-1", "'0'"]
)
def test_a_yaml_date_that_is_not_an_iso_date_is_an_error(tmp_path: Path, written: str) -> None:
    path = tmp_path / "intake.yaml"
    path.write_text(f"date: {written}\nfindings:\n  tingling: true\n")
    before = snapshot(tmp_path)
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}:1: date: expected an ISO date, got " in result.stderr
    assert "Input should be" not in result.stderr  # our words, not pydantic's
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("written", ["0", '"0"', '"2026-11-23T10:00"', "true", '"20261123"'])
def test_a_json_date_that_is_not_an_iso_date_is_an_error(tmp_path: Path, written: str) -> None:
    path = tmp_path / "day.jsonl"
    path.write_text(f'{{"date": {written}, "findings": {{}}}}\n{{"findings": {{}}}}\n')
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert len(records) == 2
    assert error_of(records[0])["field"] == "date"
    assert "errors" not in records[1]


def test_a_csv_date_that_is_not_an_iso_date_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("id,date,tingling\nA,0,yes\nB,2026-11-23,yes\n")
    records = records_of(invoke(str(path), "-f", "jsonl").stdout)
    assert error_of(records[0])["field"].endswith("date")
    assert records[1]["intake_date"] == "2026-11-23"


def test_an_iso_date_is_read_in_every_format(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("date: 2026-11-23\nfindings: {}\n")
    (tmp_path / "b.json").write_text('{"date": "2026-11-23", "findings": {}}')
    (tmp_path / "c.csv").write_text("date,tingling\n2026-11-23,yes\n")
    records = records_of(invoke(str(tmp_path), "-f", "jsonl").stdout)
    assert [r["intake_date"] for r in records] == ["2026-11-23"] * 3


# --- FHIR: every answer read, or an error --------------------------------------------------


def response(rid: str, *items: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "status": "completed",
        "item": [{"linkId": link, "answer": answers} for link, answers in items],
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


DVT = response(
    "DVT-1",
    ("calf_swelling_redness", [{"valueBoolean": True}]),
    ("recent_surgery", [{"valueBoolean": True}]),
    ("pain_locations", [{"valueCoding": {"code": "calf"}}]),  # one answer, multi-choice item
)


def test_a_dvt_client_in_a_bundle_fails_on_urgent(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle({"resourceType": "Patient", "id": "P"}, DVT)))
    result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent")
    assert result.exit_code == 3
    (record,) = records_of(result.stdout)
    assert record["red_flags"][0]["id"] == "deep_vein_thrombosis"


def test_a_single_answer_to_a_multi_choice_item_is_a_list_of_one(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(DVT))
    result = invoke(str(path), "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["intake_id"] == "DVT-1"


def test_value_quantity_is_read_for_a_number_finding(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    answers = response(
        "H-1",
        ("new_or_changed_headache", [{"valueBoolean": True}]),
        ("age", [{"valueQuantity": {"value": 71, "unit": "a"}}]),
        ("pain_intensity", [{"valueQuantity": {"value": 6.0}}]),
    )
    path.write_text(json.dumps(answers))
    result = invoke(str(path), "-f", "json", "--fail-on", "urgent")
    assert result.exit_code == 3
    flags = [flag["id"] for flag in json.loads(result.stdout)["red_flags"]]
    assert "secondary_headache_over_50" in flags


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"valueDate": "1950-01-01"}, "valueDate is not read"),
        ({"valueDateTime": "1950-01-01T00:00:00Z"}, "valueDateTime is not read"),
        ({"valueUri": "urn:x"}, "valueUri is not read"),
        ({"valueCoding": {"display": "Yes"}}, "valueCoding has no code"),
        ({"valueQuantity": {"unit": "a"}}, "valueQuantity has no value"),
    ],
)
def test_an_answer_the_reader_does_not_take_is_a_located_error(
    tmp_path: Path, answer: dict[str, Any], message: str
) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response("R", ("age", [answer]))))
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    error = error_of(records_of(result.stdout)[0])
    assert error["field"] == "linkId age"
    assert error["message"] == message


def test_a_duplicate_link_id_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    answered = response(
        "R",
        ("saddle_numbness", [{"valueBoolean": True}]),
        ("saddle_numbness", [{"valueBoolean": False}]),
    )
    path.write_text(json.dumps(answered))
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 1
    error = error_of(records_of(result.stdout)[0])
    assert (error["field"], error["message"]) == ("linkId saddle_numbness", "answered twice")


def test_two_answers_to_a_single_answer_item_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(response("R", ("tingling", [{"valueBoolean": True}] * 2))))
    error = error_of(records_of(invoke(str(path), "-f", "jsonl").stdout)[0])
    assert error["message"] == "2 answers to an item that takes one"


def test_each_response_of_a_bundle_is_validated_on_its_own(tmp_path: Path) -> None:
    invalid = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": "x"}
    deep: dict[str, Any] = {"linkId": "x"}
    for _ in range(300):
        deep = {"linkId": "x", "item": [deep]}
    too_deep = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [deep]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(DVT, invalid, too_deep, response("OK", ("tingling", [])))))
    result = invoke(str(path), "-f", "jsonl", "--fail-on", "urgent")
    assert result.exit_code == 3
    records = records_of(result.stdout)
    assert len(records) == 4
    assert ["errors" in r for r in records] == [False, True, True, False]
    assert [r["source"]["record"] for r in records] == [1, 2, 3, 4]


# --- BOM, separators, stdin, pipes ---------------------------------------------------------

BOM = "\ufeff"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.yaml", "id: A\nfindings:\n  tingling: true\n"),
        ("a.json", '{"id": "A", "findings": {"tingling": true}}'),
        ("a.jsonl", '{"id": "A", "findings": {"tingling": true}}\n'),
        ("a.csv", "id,tingling\r\nA,yes\r\n"),
        ("a.json", json.dumps(response("A", ("tingling", [{"valueBoolean": True}])))),
    ],
)
def test_a_utf8_byte_order_mark_is_accepted_by_every_reader(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(BOM + text, encoding="utf-8")
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 0, result.stdout
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["A"]


@pytest.mark.parametrize(
    "text",
    ['{"id": "A", "findings": {}}\n', '{\n  "id": "A",\n  "findings": {}\n}\n'],
)
def test_a_byte_order_mark_on_stdin_is_accepted(text: str) -> None:
    result = invoke("-", "-f", "jsonl", stdin=(BOM + text).encode())
    assert result.exit_code == 0
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["A"]


@pytest.mark.parametrize(
    ("kind", "text"), [("csv", "id;tingling\nA;yes\n"), ("yaml", "id: A\nfindings: {}\n")]
)
def test_a_byte_order_mark_on_stdin_is_accepted_with_input_format(kind: str, text: str) -> None:
    result = invoke("-", "--input-format", kind, "-f", "jsonl", stdin=(BOM + text).encode())
    assert result.exit_code == 0
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["A"]


@pytest.mark.parametrize(
    "text",
    [
        "id;tingling;pain_locations\nA;yes;neck,shoulder\nB;no;\n",
        "sep=;\nid;tingling;pain_locations\nA;yes;neck,shoulder\nB;no;\n",
        BOM + "sep=;\r\nid;tingling;pain_locations\r\nA;yes;neck,shoulder\r\nB;no;\r\n",
        "id\ttingling\tpain_locations\nA\tyes\tneck;shoulder\nB\tno\t\n",
        "id|tingling|pain_locations\nA|yes|neck;shoulder\nB|no|\n",
        'id,tingling,pain_locations\nA,yes,"neck;shoulder"\nB,no,\n',
    ],
)
def test_csv_separators_are_sniffed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "form.csv"
    path.write_text(text, encoding="utf-8")
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 0, result.stdout + result.stderr
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == ["A", "B"]
    offset = 1 if "sep=" in text else 0
    assert [r["source"]["line"] for r in records] == [2 + offset, 3 + offset]


def test_an_unknown_column_after_an_excel_separator_line_names_line_2(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("sep=;\nid;tinglng\nA;yes\n")
    result = invoke(str(path), "-f", "jsonl")
    assert result.exit_code == 2
    assert f"{path}:2: column 'tinglng': not a finding id" in result.stderr


def test_a_pretty_printed_json_intake_on_stdin_is_read_as_json() -> None:
    text = json.dumps({"id": "P", "findings": {"tingling": True}}, indent=2)
    result = invoke("-", "-f", "jsonl", stdin=text)
    assert result.exit_code == 0
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["P"]


def test_a_json_list_on_stdin_is_read_as_json() -> None:
    text = json.dumps([{"id": "A", "findings": {}}, {"id": "B", "findings": {}}], indent=1)
    records = records_of(invoke("-", "-f", "jsonl", stdin=text).stdout)
    assert [r["intake_id"] for r in records] == ["A", "B"]


def test_jsonl_on_stdin_with_a_broken_first_line_keeps_every_line() -> None:
    text = '{"id": "A", "findings": \n{"id": "B", "findings": {}}\n{"id": "C", "findings": {}}\n'
    result = invoke("-", "-f", "jsonl", stdin=text)
    records = records_of(result.stdout)
    assert [r["intake_id"] for r in records] == [None, "B", "C"]
    assert result.exit_code == 1


def test_pretty_printed_json_lines_on_stdin_keep_every_record() -> None:
    text = '{\n "id": "A", "findings": {}\n}\n{\n "id": "B", "findings": {}\n}\n'
    records = records_of(invoke("-", "-f", "jsonl", stdin=text).stdout)
    assert len(records) >= 2  # read as lines: nothing is lost, each bad line is an error
    assert "errors" in records[0]


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "A", "findings": {}}\n{"id": "B", "findings": {}}\n',
        '{\n  "id": "A",\n  "findings": {}\n}\n',
    ],
)
def test_process_substitution_is_read_once_and_sniffed(tmp_path: Path, text: str) -> None:
    source = tmp_path / "source.txt"
    source.write_text(text)
    before = snapshot(tmp_path)
    command = f'"{sys.executable}" -m nmt_assess score <(cat "{source}") -f jsonl'
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    ids = [r["intake_id"] for r in records_of(done.stdout)]
    assert ids == (["A", "B"] if text.count("{") == 4 else ["A"])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("pipe", '{"id": "A", "findings": {}}\n', []),
        ("pipe.csv", "id;tingling\nA;yes\n", []),
        ("pipe", "id,tingling\nA,yes\n", ["--input-format", "csv"]),
    ],
)
def test_a_fifo_is_read_as_a_stream(tmp_path: Path, name: str, text: str, extra: list[str]) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w") as writer:
            writer.write(text)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = invoke(str(fifo), "-f", "jsonl", *extra)
    writer.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["A"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# --- column maps and packs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("columns:\n  - id\n  - tingling\n", ":1: columns: expected a mapping"),
        ("columns:\n  Client: id\nanswers: [Yes, No]\n", ":3: answers: expected a mapping"),
        (
            "columns:\n  Tingles:\n    finding: tingling\n    answers: [a]\n",
            ":4: columns.Tingles.answers: expected a mapping",
        ),
        ("ignore: Timestamp\n", ":1: ignore: expected a list of column titles"),
        ("columns: {Tingles: [tingling]}\n", ":1: columns.Tingles: expected a finding id"),
        (BILLION_LAUGHS, ":1: map: aliases expand to more than"),
        ("columns: 1\n", ":1: columns: expected a mapping"),
        ("[1, 2]\n", ":1: map: expected a mapping"),
    ],
)
def test_a_column_map_of_the_wrong_shape_is_a_one_line_error(
    tmp_path: Path, text: str, where: str
) -> None:
    form = tmp_path / "form.csv"
    form.write_text("Tingles\nyes\n")
    column_map = tmp_path / "map.yaml"
    column_map.write_text(text)
    before = snapshot(tmp_path)
    result = invoke(str(form), "--map", str(column_map), "-f", "jsonl")
    assert result.exit_code == 2
    assert f"{column_map}{where}" in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_unquoted_yes_and_no_in_a_column_map_are_the_words(tmp_path: Path) -> None:
    form = tmp_path / "form.csv"
    form.write_text("Client;Tingles\nA;Yes\nB;No\n")
    column_map = tmp_path / "map.yaml"
    column_map.write_text(
        "columns:\n  Client: id\n  Tingles: tingling\nanswers: {Yes: true, No: false}\n"
    )
    result = invoke(str(form), "--map", str(column_map), "-f", "jsonl")
    assert result.exit_code == 0
    assert [r["intake_id"] for r in records_of(result.stdout)] == ["A", "B"]


def test_an_alias_bomb_in_a_pack_fails_fast_with_its_line(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack_files = {
        p.relative_to(MINI_PACK): p.read_bytes() for p in MINI_PACK.rglob("*") if p.is_file()
    }
    for relative, data in pack_files.items():
        (pack / relative).parent.mkdir(parents=True, exist_ok=True)
        (pack / relative).write_bytes(data)
    target = pack / "red_flags.yaml"
    target.write_text(BILLION_LAUGHS + target.read_text())
    started = time.monotonic()
    result = invoke(str(DATA / "batch" / "intakes.jsonl"), "--rules", str(pack))
    assert time.monotonic() - started < 20
    assert result.exit_code == 2
    assert "aliases expand to more than" in result.stderr


# --- values echoed in messages are cut -----------------------------------------------------


def test_echoed_values_are_cut(tmp_path: Path) -> None:
    path = tmp_path / "intake.yaml"
    key, choice, nested = "x" * 1000, "y" * 5000, "[" * 50 + "]" * 50
    path.write_text(f"findings:\n  {key}: true\n  pain_duration: {choice}\n  age: {nested}\n")
    result = invoke(str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert all(len(line) < 4 * ECHO_LIMIT + len(str(path)) for line in lines[:3])
    assert "…" in lines[0]


@pytest.mark.parametrize("date", [0, "20261123", "2026-11-23T10:00", 1.5])
def test_the_intake_model_takes_iso_dates_only(date: object) -> None:
    from pydantic import ValidationError

    from nmt_assess.models import Intake

    with pytest.raises(ValidationError, match="expected an ISO date"):
        Intake.model_validate({"date": date, "findings": {}})
    assert str(Intake.model_validate({"date": "2026-11-23", "findings": {}}).date) == "2026-11-23"
