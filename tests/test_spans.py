"""Parallel JSON Lines: the main process cuts each file into spans of whole lines and worker
processes read, score and write their own spans. Spans read back exactly the records reading
the whole file gives (numbers, documents, errors), whatever the line endings, and a batch
written by workers is byte for byte the batch written by one process."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nmt_assess import batch
from nmt_assess.cli.app import app
from nmt_assess.readers.csv_reader import ColumnMap
from nmt_assess.readers.inputs import Input, jsonl_spans, read_records, read_span
from nmt_assess.ruleset import load_ruleset

runner = CliRunner()
CATALOG = load_ruleset().findings

LINES = [
    b'{"id": "a", "findings": {"age": 40}}',
    b'{"id": "b", "findings": {"age": "forty"}}',  # an error record
    b"not json at all",
    b"",
    b"   \t",
    b'{"id": "c", "findings": {"age": 41, "age": 42}}',  # a repeated key
    b'{"id": "d\\u00e9", "findings": {}}',
    b"\xff\xfe broken utf-8",
]
ENDINGS = [b"\n", b"\r\n", b"\r"]


def records_of(path: Path) -> list[Any]:
    source = Input(path, "jsonl")
    return [
        (r.origin, r.document, r.problems)
        for r in read_records(source, CATALOG, ColumnMap(), io.BytesIO(), [])
    ]


def span_records_of(path: Path, size: int) -> list[Any]:
    spans = list(jsonl_spans(Input(path, "jsonl"), size))
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    return [(r.origin, r.document, r.problems) for span in spans for r in read_span(span)]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(ENDINGS)), max_size=25),
    last_ending=st.booleans(),
    bom=st.booleans(),
    size=st.integers(1, 6),
)
def test_spans_read_what_the_whole_file_reads(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[tuple[bytes, bytes]],
    last_ending: bool,
    bom: bool,
    size: int,
) -> None:
    data = b"".join(line + ending for line, ending in lines)
    if lines and not last_ending:
        data = data.removesuffix(lines[-1][1])
    path = tmp_path_factory.mktemp("spans") / "in.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    assert span_records_of(path, size) == records_of(path)


def test_each_span_holds_the_records_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(LINES[0] + b"\n\n" for _ in range(10)))
    spans = list(jsonl_spans(Input(path, "jsonl"), 3))
    assert [sum(1 for _ in read_span(span)) for span in spans] == [3, 3, 3, 1]
    assert spans[-1].end == path.stat().st_size


def test_an_empty_file_has_no_spans(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n  \n")
    assert list(jsonl_spans(Input(path, "jsonl"), 3)) == []


def batch_file(tmp_path: Path, count: int) -> Path:
    from tests.test_batch_evaluator import random_intakes

    rows = [json.dumps(row).encode() for row in random_intakes(load_ruleset(), count, seed=41)]
    for index, line in enumerate(LINES):  # hostile lines among them
        rows.insert(index * 7, line)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(rows) + b"\n")
    return path


@pytest.mark.parametrize("detail", ["full", "summary"])
def test_workers_write_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detail: str
) -> None:
    monkeypatch.setattr(batch, "CHUNK_SIZE", 9)  # many spans; forked workers inherit it
    monkeypatch.setattr(batch, "default_jobs", lambda: 2)
    path = batch_file(tmp_path, 60)
    spans = batch.shared_spans([Input(path, "jsonl")], None)
    assert spans is not None and len(spans) > 4
    written = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        args = ["score", str(path), "-o", str(out), "-j", jobs, "--detail", detail]
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output  # some records fail
        assert "scored 62, failed 4;" in result.stderr
        written[jobs] = out.read_bytes()
    assert written["1"] == written["2"]
    assert written["1"].count(b"\n") == 60 + sum(1 for line in LINES if line.strip())


def test_only_regular_jsonl_files_written_as_jsonl_are_cut(tmp_path: Path) -> None:
    path = batch_file(tmp_path, 5000)
    assert batch.shared_spans([Input(path, "jsonl")], 1) is None  # --jobs 1
    assert batch.shared_spans([Input(None, "jsonl")], 2) is None  # standard input
    assert batch.shared_spans([Input(path, "jsonl"), Input(path, "csv")], 2) is None
    small = tmp_path / "small.jsonl"
    small.write_bytes(LINES[0] + b"\n")
    assert batch.shared_spans([Input(small, "jsonl")], 2) is None  # one chunk: one process
