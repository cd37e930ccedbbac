"""Turn the command line's PATH arguments into inputs, and inputs into a stream of records.

Standard input, and a path that is a pipe or a device (`<(process substitution)` gives
/dev/fd/63), is read once, as a stream: its format is told from its content when no suffix or
--input-format names it. A UTF-8 byte-order mark is ignored in every format.
"""

from __future__ import annotations

import glob
import io
import itertools
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nmt_assess.models import Finding
from nmt_assess.problems import Problem
from nmt_assess.readers.csv_reader import ColumnMap, check_header, csv_records, csv_rows
from nmt_assess.readers.documents import (
    JsonProblem,
    fast_jsonl_record,
    json_records,
    parse_json,
    yaml_records,
)
from nmt_assess.readers.records import Origin, RawRecord, unparsable

KINDS = ("yaml", "json", "jsonl", "csv")
_SUFFIX_KIND = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".csv": "csv"}
STDIN_LABEL = "<stdin>"
_BOM = b"\xef\xbb\xbf"


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
        elif _is_stream(path):  # a pipe or device: the suffix, if any, or its content tells
            inputs.append(
                Input(path, input_format or _SUFFIX_KIND.get(path.suffix.lower(), "auto"))
            )
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


def _is_stream(path: Path) -> bool:
    """A FIFO, a character device or a socket: read once, never stat'ed for size or re-read."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


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
        if source.kind == "auto":
            yield from _sniffed_records(stream, label, notices, catalog)
        elif source.kind == "jsonl":
            yield from _jsonl(stream, label)
        elif source.kind == "csv":
            yield from _csv(stream, label, catalog, column_map)
        else:
            yield from _whole_document(stream.read(), label, source.kind, notices, catalog)
    finally:
        if source.path is not None:
            stream.close()


def _csv(
    stream: BinaryIO, label: str, catalog: Mapping[str, Finding], column_map: ColumnMap
) -> Iterator[RawRecord]:
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    header_problems: list[Problem] = []
    yield from csv_records(text, label, catalog, column_map, header_problems)
    text.detach()
    if header_problems:
        raise InputError(header_problems)


def check_csv_headers(
    inputs: list[Input], catalog: Mapping[str, Finding], column_map: ColumnMap
) -> None:
    """Before any scoring: every CSV file's columns must name findings (a configuration error).
    A pipe is not read twice: its header is checked as it is read."""
    problems: list[Problem] = []
    for source in inputs:
        if source.kind != "csv" or source.path is None or _is_stream(source.path):
            continue
        try:
            with source.path.open(encoding="utf-8", errors="surrogateescape", newline="") as text:
                header = next(csv_rows(text), None)
        except OSError as error:
            problems.append(Problem(source.label, None, "file", f"cannot read: {error.strerror}"))
            continue
        if header is not None and header.problem is None:
            problems.extend(
                check_header(header.cells, catalog, column_map, source.label, header.line)
            )
    if problems:
        raise InputError(problems)


#: Where a lone carriage return ends a line (a JSON text holds no raw CR inside a string).
_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


def _jsonl(
    stream: Iterable[bytes], label: str, number: int = 0, record: int = 0, first: bool = True
) -> Iterator[RawRecord]:
    """One record per line; a line ends at LF, CRLF or a lone CR (old Mac files). `number` and
    `record` are the lines and records before the stream; `first`: it starts the file."""
    for index, chunk in enumerate(stream):
        for raw in _lines(chunk.removeprefix(_BOM) if first and index == 0 else chunk):
            number += 1
            if raw.isspace():
                continue  # a blank line is not a record
            record += 1
            yield fast_jsonl_record(raw, label, number, record)


def _lines(chunk: bytes) -> Iterable[bytes]:
    """The lines of a chunk that ends at LF (or at the end of the file): a lone CR ends a line
    too, and the empty text after a CR that ends the file is no line."""
    if b"\r" not in chunk:
        return (chunk,) if chunk else ()
    return [raw for raw in _LONE_CR.split(chunk) if raw]


@dataclass(frozen=True)
class Span:
    """Whole lines of a JSON Lines file, for a worker process to read and score on its own:
    the bytes from `start` to `end`, and how many lines and records come before them."""

    path: Path
    label: str
    start: int
    end: int
    lines_before: int
    records_before: int


def jsonl_spans(source: Input, records_per_span: int) -> Iterator[Span]:
    """The file cut, at line ends, into spans of `records_per_span` records (the last may hold
    fewer), its lines counted as `_jsonl` counts them. Raises InputError when it cannot be read."""
    assert source.path is not None
    label = source.label
    try:
        stream = source.path.open("rb")
    except OSError as error:
        raise InputError([Problem(label, None, "file", f"cannot read: {error.strerror}")]) from None
    with stream:
        offset = start = number = record = lines_before = records_before = 0
        for index, chunk in enumerate(stream):
            offset += len(chunk)
            for raw in _lines(chunk.removeprefix(_BOM) if index == 0 else chunk):
                number += 1
                record += not raw.isspace()
            if record - records_before >= records_per_span:
                yield Span(source.path, label, start, offset, lines_before, records_before)
                start, lines_before, records_before = offset, number, record
        if record > records_before:
            yield Span(source.path, label, start, offset, lines_before, records_before)


def read_span(span: Span) -> Iterator[RawRecord]:
    """The records of one span, numbered as reading the whole file numbers them."""
    with span.path.open("rb") as stream:
        stream.seek(span.start)
        data = stream.read(span.end - span.start)
    yield from _jsonl(
        io.BytesIO(data), span.label, span.lines_before, span.records_before, span.start == 0
    )


def _whole_document(
    data: bytes,
    label: str,
    kind: str,
    notices: list[str],
    catalog: Mapping[str, Finding] | None = None,
) -> Iterator[RawRecord]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield unparsable(
            Origin(label, None, 1),
            "file",
            f"not UTF-8 text (byte {error.start})",
            "save the file as UTF-8",
        )
        return
    if kind == "json":
        yield from json_records(text, label, notices, catalog)
    else:
        yield from yaml_records(text, label)


def _sniffed_records(
    stream: BinaryIO, label: str, notices: list[str], catalog: Mapping[str, Finding]
) -> Iterator[RawRecord]:
    """Records of a stream whose format nothing names, told from its content. A list is one
    JSON document. A first line that opens and closes a JSON object starts JSON Lines, streamed.
    Any other text starting with `{` is one JSON document (pretty-printed) when it parses as
    one, else JSON Lines, where each line stands or fails alone and nothing is lost."""
    first = stream.readline().removeprefix(_BOM)
    start = first.lstrip()[:1]
    if start not in (b"{", b"["):
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
    if start == b"{" and _closes_itself(first):
        yield from _jsonl(itertools.chain([first], stream), label)
        return
    data = first + stream.read()
    if start == b"[" or _is_one_json_document(data):
        yield from _whole_document(data, label, "json", notices, catalog)
    else:
        yield from _jsonl(io.BytesIO(data), label)


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _closes_itself(line: bytes) -> bool:
    """True when every bracket the line opens, outside strings, it also closes."""
    bare = _JSON_STRING.sub(b"", line)
    opened = bare.count(b"{") + bare.count(b"[")
    return opened > 0 and opened == bare.count(b"}") + bare.count(b"]")


def _is_one_json_document(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not isinstance(parse_json(text), JsonProblem)
