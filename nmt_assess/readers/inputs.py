"""Turn the command line's PATH arguments into inputs, and inputs into a stream of records."""

from __future__ import annotations

import csv
import glob
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nmt_assess.models import Finding
from nmt_assess.problems import Problem
from nmt_assess.readers.csv_reader import ColumnMap, check_header, csv_records
from nmt_assess.readers.documents import fast_jsonl_record, json_records, yaml_records
from nmt_assess.readers.records import Origin, RawRecord, unparsable

KINDS = ("yaml", "json", "jsonl", "csv")
_SUFFIX_KIND = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".csv": "csv"}
STDIN_LABEL = "<stdin>"


@dataclass(frozen=True)
class Input:
    path: Path | None  # None reads standard input
    kind: str

    @property
    def label(self) -> str:
        return STDIN_LABEL if self.path is None else str(self.path)


class InputError(Exception):
    """The command line names something that cannot be read: a usage error, nothing is scored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = problems


def expand_inputs(arguments: list[str], input_format: str | None) -> list[Input]:
    """Files, folders (searched recursively), globs and `-` (stdin), in the order given."""
    inputs: list[Input] = []
    problems: list[Problem] = []
    for argument in arguments:
        if argument == "-":
            inputs.append(Input(None, input_format or "auto"))
            continue
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in _SUFFIX_KIND and p.is_file()
            )
            inputs.extend(Input(p, input_format or _SUFFIX_KIND[p.suffix.lower()]) for p in found)
        elif path.is_file():
            kind = input_format or _SUFFIX_KIND.get(path.suffix.lower())
            if kind is None:
                problems.append(
                    Problem(
                        argument,
                        None,
                        "file",
                        "unknown file type",
                        "use .yaml, .json, .jsonl or .csv, or --input-format",
                    )
                )
            else:
                inputs.append(Input(path, kind))
        elif glob.has_magic(argument):
            matches = sorted(Path(m) for m in glob.glob(argument, recursive=True))
            files = [m for m in matches if m.is_file() and m.suffix.lower() in _SUFFIX_KIND]
            if not files:
                problems.append(Problem(argument, None, "path", "no intake file matches"))
            inputs.extend(Input(p, input_format or _SUFFIX_KIND[p.suffix.lower()]) for p in files)
        else:
            problems.append(Problem(argument, None, "path", "no such file or folder"))
    if problems:
        raise InputError(problems)
    return inputs


def read_records(
    source: Input,
    catalog: Mapping[str, Finding],
    column_map: ColumnMap,
    stdin: BinaryIO,
    notices: list[str],
) -> Iterator[RawRecord]:
    """Every record of one input, streamed for JSONL and CSV. Raises InputError for an input
    that cannot be used at all (unreadable, unknown format, CSV columns that name nothing)."""
    label = source.label
    try:
        stream = stdin if source.path is None else source.path.open("rb")
    except OSError as error:
        raise InputError([Problem(label, None, "file", f"cannot read: {error.strerror}")]) from None
    if not hasattr(stream, "peek"):  # a stand-in for stdin, as in tests: give it a buffer
        stream = io.BufferedReader(io.BytesIO(stream.read()))
    try:
        kind = _sniff(stream) if source.kind == "auto" else source.kind
        if kind is None:
            raise InputError(
                [
                    Problem(
                        label,
                        None,
                        "input",
                        "cannot tell the format",
                        "give --input-format yaml|json|jsonl|csv",
                    )
                ]
            )
        if kind == "jsonl":
            yield from _jsonl(stream, label)
        elif kind == "csv":
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
            header_problems: list[Problem] = []
            yield from csv_records(text, label, catalog, column_map, header_problems)
            text.detach()
            if header_problems:
                raise InputError(header_problems)
        else:
            yield from _whole_document(stream.read(), label, kind, notices)
    finally:
        if source.path is not None:
            stream.close()


def check_csv_headers(
    inputs: list[Input], catalog: Mapping[str, Finding], column_map: ColumnMap
) -> None:
    """Before any scoring: every CSV file's columns must name findings (a configuration error)."""
    problems: list[Problem] = []
    for source in inputs:
        if source.kind != "csv" or source.path is None:
            continue
        try:
            with source.path.open(encoding="utf-8", errors="surrogateescape", newline="") as text:
                header = next(csv.reader(text), None)
        except OSError as error:
            problems.append(Problem(source.label, None, "file", f"cannot read: {error.strerror}"))
            continue
        if header is not None:
            problems.extend(check_header(header, catalog, column_map, source.label))
    if problems:
        raise InputError(problems)


def _jsonl(stream: BinaryIO, label: str) -> Iterator[RawRecord]:
    record = 0
    for number, raw in enumerate(stream, 1):
        if raw.isspace() or not raw:
            continue  # a blank line is not a record
        record += 1
        yield fast_jsonl_record(raw, label, number, record)


def _whole_document(data: bytes, label: str, kind: str, notices: list[str]) -> Iterator[RawRecord]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        yield unparsable(
            Origin(label, None, 1),
            "file",
            f"not UTF-8 text (byte {error.start})",
            "save the file as UTF-8",
        )
        return
    if kind == "json":
        yield from json_records(text, label, notices)
    else:
        yield from yaml_records(text, label)


def _sniff(stream: BinaryIO) -> str | None:
    """Standard input in JSONL is the usual case for scripts; anything else must be named."""
    head: bytes = stream.peek(64)  # type: ignore[attr-defined]
    return "jsonl" if head.lstrip()[:1] == b"{" else None
