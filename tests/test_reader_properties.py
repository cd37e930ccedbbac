"""Property: any bytes fed to any reader give intakes or located errors, never an exception.

A whole input that cannot be used (a CSV header naming no finding, stdin of no known format)
is an InputError carrying located problems; anything else is one record per input record, and
validating each record gives an Intake or a list of Problems.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nmt_assess.models import Intake, Ruleset
from nmt_assess.problems import Problem
from nmt_assess.readers.csv_reader import ColumnMap
from nmt_assess.readers.inputs import Input, InputError, read_records
from nmt_assess.readers.records import validate_record
from nmt_assess.ruleset import load_ruleset

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FINDING_IDS = ["tingling", "pain_intensity", "age", "pain_locations", "pain_duration", "x"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["wrist_hand", "neck", "chronic", "2026-11-23", "0", "yes"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FINDING_IDS) | st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
intake_like = st.fixed_dictionaries(
    {"findings": st.dictionaries(st.sampled_from(FINDING_IDS), json_values, max_size=5)},
    optional={"id": json_values, "date": json_values, "extra": json_values},
)


fhir_answer = st.one_of(
    st.fixed_dictionaries({"valueBoolean": st.booleans()}),
    st.fixed_dictionaries({"valueInteger": st.integers(-(2**31), 2**31 - 1)}),
    st.fixed_dictionaries({"valueDecimal": st.floats(allow_nan=False, allow_infinity=False)}),
    st.fixed_dictionaries({"valueQuantity": st.fixed_dictionaries({"value": st.integers(0, 200)})}),
    st.fixed_dictionaries({"valueCoding": st.fixed_dictionaries({"code": st.text(max_size=10)})}),
    st.fixed_dictionaries({"valueString": st.text(max_size=10)}),
    st.fixed_dictionaries({"valueDate": st.just("2020-01-01")}),
    json_values,
)
fhir_items = st.lists(
    st.fixed_dictionaries(
        {"linkId": st.sampled_from(FINDING_IDS), "answer": st.lists(fhir_answer, max_size=3)}
    ),
    max_size=6,
)
fhir_response = st.fixed_dictionaries(
    {
        "resourceType": st.just("QuestionnaireResponse"),
        "status": st.sampled_from(["completed", "in-progress", 5]),
        "item": fhir_items,
    },
    optional={"id": json_values, "authored": json_values},
)
fhir_documents = st.one_of(
    fhir_response,
    st.builds(
        lambda resources: {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        },
        st.lists(st.one_of(fhir_response, json_values), max_size=4),
    ),
)


@functools.cache
def default_ruleset() -> Ruleset:
    return load_ruleset()


def read_all(kind: str, data: bytes) -> None:
    """Read and validate every record; an InputError must carry located problems."""
    ruleset = default_ruleset()
    source = Input(None, kind)
    try:
        records = list(
            read_records(source, ruleset.findings, ColumnMap(), io.BytesIO(data), notices=[])
        )
    except InputError as error:
        assert error.problems
        assert all(isinstance(p, Problem) and p.file == "<stdin>" for p in error.problems)
        return
    for record in records:
        result = validate_record(record, ruleset.findings)
        if not isinstance(result, Intake):
            assert result, "an invalid record names at least one problem"
            assert all(isinstance(p, Problem) and p.file == "<stdin>" for p in result)
            for problem in result:
                assert "\n" not in problem.format(), problem


def as_bytes(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True).encode()


# --- arbitrary bytes -----------------------------------------------------------------------


@EXAMPLES
@given(data=st.binary(max_size=400))
def test_any_bytes_as_yaml(data: bytes) -> None:
    read_all("yaml", data)


@EXAMPLES
@given(data=st.binary(max_size=400))
def test_any_bytes_as_json(data: bytes) -> None:
    read_all("json", data)


@EXAMPLES
@given(data=st.binary(max_size=400))
def test_any_bytes_as_jsonl(data: bytes) -> None:
    read_all("jsonl", data)


@EXAMPLES
@given(data=st.binary(max_size=400))
def test_any_bytes_as_csv(data: bytes) -> None:
    read_all("csv", data)


@EXAMPLES
@given(data=st.binary(max_size=400))
def test_any_bytes_sniffed_like_stdin(data: bytes) -> None:
    read_all("auto", data)


# --- near misses: text shaped like each format ----------------------------------------------


@EXAMPLES
@given(document=st.one_of(intake_like, json_values), prefix=st.sampled_from([b"", b"\xef\xbb\xbf"]))
def test_any_json_document(document: Any, prefix: bytes) -> None:
    read_all("json", prefix + as_bytes(document))
    read_all("auto", prefix + json.dumps(document, indent=2).encode())


@EXAMPLES
@given(lines=st.lists(st.one_of(intake_like, json_values).map(as_bytes), max_size=6))
def test_any_json_lines(lines: list[bytes]) -> None:
    read_all("jsonl", b"\n".join(lines))
    read_all("json", b"[" + b",".join(lines) + b"]")


@EXAMPLES
@given(document=fhir_documents, prefix=st.sampled_from([b"", b"\xef\xbb\xbf"]))
def test_any_fhir_resource(document: Any, prefix: bytes) -> None:
    read_all("json", prefix + as_bytes(document))


@EXAMPLES
@given(
    document=intake_like,
    style=st.sampled_from(["block", "flow"]),
)
def test_any_yaml_intake(document: Any, style: str) -> None:
    import yaml

    text = yaml.safe_dump(document, default_flow_style=style == "flow", allow_unicode=True)
    read_all("yaml", text.encode())


@EXAMPLES
@given(
    rows=st.lists(st.lists(st.text(max_size=8), min_size=1, max_size=4), min_size=1, max_size=5),
    header=st.lists(st.sampled_from([*FINDING_IDS, "id", "date"]), min_size=1, max_size=4),
    separator=st.sampled_from([",", ";", "\t", "|"]),
    excel=st.booleans(),
)
def test_any_csv_table(
    rows: list[list[str]], header: list[str], separator: str, excel: bool
) -> None:
    buffer = io.StringIO()
    if excel:
        buffer.write(f"sep={separator}\r\n")
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(header)
    writer.writerows(rows)
    read_all("csv", buffer.getvalue().encode("utf-8", errors="surrogatepass"))
