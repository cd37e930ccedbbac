"""Parse YAML and JSON text into records (one intake, a list of intakes, or FHIR)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from nmt_assess.marked_yaml import MAX_DEPTH, MAX_DIGITS, MarkedDict, YamlSyntaxError, load_marked
from nmt_assess.models import Finding
from nmt_assess.problems import TooLongNumber, shown
from nmt_assess.readers.records import Origin, RawRecord, nests_deeper_than, unparsable

#: The envelope values a YAML intake keeps as written when they are plain scalars.
_AS_WRITTEN = ("id", "date")
#: Lines are looked up for this many keys at most (each lookup searches the text).
_LINED_KEYS = 500


def yaml_records(text: str, label: str) -> Iterator[RawRecord]:
    origin = Origin(label, 1, 1)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        yield unparsable(Origin(label, None, 1), "file", "empty", "an intake needs 'findings'")
        return
    try:
        document = load_marked(text)
    except YamlSyntaxError as error:
        yield unparsable(Origin(label, error.line, 1), "yaml", error.message)
        return
    yield RawRecord(origin, _as_written(document), key_lines=_yaml_lines(document))


def _as_written(document: Any) -> Any:
    """The intake with its id and date as the user wrote them: YAML 1.1 would read an id
    `0123` as 83, `12:30` as 750 and `yes` as true. A quoted or null value is left alone.
    An answer written with so many digits that it overflows to infinity is kept as what was
    written (a number of 400 digits), not as inf."""
    if not isinstance(document, MarkedDict):
        return document
    written: dict[Any, Any] = {
        key: document.plain_texts[key]
        for key in _AS_WRITTEN
        if document.get(key) is not None and key in document.plain_texts
    }
    findings = document.get("findings")
    if isinstance(findings, MarkedDict):
        overflowed = {
            key: TooLongNumber.written(findings.plain_texts[key])
            for key, value in findings.items()
            if isinstance(value, float) and math.isinf(value)
            if any(ch.isdigit() for ch in findings.plain_texts.get(key, ""))
        }
        if overflowed:
            written["findings"] = _marked_copy(findings, overflowed)
    return _marked_copy(document, written) if written else document


def _marked_copy(mapping: MarkedDict, changes: Mapping[Any, Any]) -> MarkedDict:
    copy = MarkedDict({**mapping, **changes})
    copy.line, copy.col = mapping.line, mapping.col
    copy.key_lines, copy.key_cols = mapping.key_lines, mapping.key_cols
    copy.key_texts, copy.plain_texts = mapping.key_texts, mapping.plain_texts
    return copy


def json_records(
    text: str,
    label: str,
    notices: list[str] | None = None,
    catalog: Mapping[str, Finding] | None = None,
) -> Iterator[RawRecord]:
    """One intake, a list of intakes, or a FHIR resource (QuestionnaireResponse or Bundle).
    A list is read item by item, so an item nested too deep or with a repeated key is an
    error record of its own and the items around it are still read."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        yield unparsable(Origin(label, None, 1), "file", "empty", "an intake needs 'findings'")
        return
    if text.lstrip().startswith("["):
        yield from _json_list_records(text, label)
        return
    document = parse_json(text, whole_file=True)
    if isinstance(document, JsonProblem):
        yield unparsable(Origin(label, document.line, 1), "json", document.message, document.hint)
        return
    if isinstance(document, Mapping) and "resourceType" in document:
        from nmt_assess.readers.fhir import fhir_records

        notices = notices if notices is not None else []
        yield from fhir_records(document, label, notices, catalog)
    else:
        keys = _finding_keys(document)[:_LINED_KEYS]
        lines = {key: line for key in keys if (line := json_key_line(text, key))}
        yield RawRecord(Origin(label, 1, 1), document, key_lines=lines)


class NegativeZero(int):
    """JSON's `-0`: zero, but an id written `-0` is kept as "-0" (an id that is a whole
    number is kept as the text of the number)."""

    def __str__(self) -> str:
        return "-0"

    __repr__ = __str__


def _bounded_int(text: str) -> int | TooLongNumber:
    if text == "-0":
        return NegativeZero(0)
    return TooLongNumber(len(text.lstrip("-"))) if len(text) > MAX_DIGITS else int(text)


def _bounded_float(text: str) -> float | TooLongNumber:
    """The decimal, or, when it overflows to infinity, what was written (400 digits, 1e400)."""
    value = float(text)
    return TooLongNumber.written(text) if math.isinf(value) else value


_DECODER = json.JSONDecoder(
    object_pairs_hook=lambda pairs: _no_duplicate_keys(pairs),
    parse_int=_bounded_int,
    parse_float=_bounded_float,
)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_BRACKET_OR_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _within_depth(document: Any, whole_file: bool = False) -> Any:
    """The document, or a JsonProblem when it nests deeper than MAX_DEPTH: a record is passed
    between processes and echoed in messages, which must never meet a RecursionError. A FHIR
    file is checked resource by resource by its reader (a Bundle holds many)."""
    if whole_file and isinstance(document, dict) and "resourceType" in document:
        return document
    if nests_deeper_than(document, MAX_DEPTH):
        return JsonProblem(
            f"nested more than {MAX_DEPTH} levels deep", None, "an intake nests a few levels"
        )
    return document


class JsonProblem:
    def __init__(self, message: str, line: int | None = None, hint: str | None = None) -> None:
        self.message, self.line, self.hint = message, line, hint


def parse_json(text: str, whole_file: bool = False) -> Any:
    """The parsed document, or a JsonProblem: never an exception, whatever the text holds."""
    try:
        return _within_depth(_DECODER.decode(text), whole_file)
    except json.JSONDecodeError as error:
        return JsonProblem(f"{error.msg} (column {error.colno})", error.lineno)
    except DuplicateKeyError as error:
        line = json_key_line(text, error.key)
        return JsonProblem(f"duplicate key {shown(error.key)}", line)
    except RecursionError:
        return JsonProblem("nested too deep", None, "an intake nests a few levels at most")
    except ValueError as error:
        return JsonProblem(f"cannot be read ({type(error).__name__})")


def _json_list_records(text: str, label: str) -> Iterator[RawRecord]:
    """The items of a top-level JSON list, one record each, with the line each starts on."""
    at = text.index("[") + 1
    line = 1 + text.count("\n", 0, at)
    record = 0
    while True:
        start = _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]
        line += text.count("\n", at, start)
        at = start
        if text.startswith("]", at) and record == 0:
            break
        record += 1
        value, end = _list_item(text, at)
        if isinstance(value, JsonProblem):
            hint = value.hint or "each item of the list is one intake"
            yield unparsable(Origin(label, line, record), "json", value.message, hint)
            if end is None:
                return  # nothing after this can be told apart: one error for the rest
        else:
            yield RawRecord(Origin(label, line, record), value)
        assert end is not None
        after = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        line += text.count("\n", at, after)
        at = after + 1
        if text.startswith(",", after):
            continue
        if text.startswith("]", after) and not text[after + 1 :].strip():
            break
        yield unparsable(
            Origin(label, line, record + 1),
            "json",
            "expected ',' or ']' after a list item",
            "the rest of the file could not be read",
        )
        return


def _list_item(text: str, at: int) -> tuple[Any, int | None]:
    """One list item and where it ends; a JsonProblem instead of an item that cannot be read,
    with its end when its brackets tell it (else None: the rest is unreadable)."""
    try:
        item, end = _DECODER.raw_decode(text, at)
        return _within_depth(item), end
    except DuplicateKeyError as error:
        problem = JsonProblem(f"duplicate key {shown(error.key)}")
    except RecursionError:
        problem = JsonProblem("nested too deep", None, "an intake nests a few levels at most")
    except json.JSONDecodeError as error:
        problem = JsonProblem(f"{error.msg} (line {error.lineno}, column {error.colno})")
    except ValueError as error:
        problem = JsonProblem(f"cannot be read ({type(error).__name__})")
    return problem, _end_of_brackets(text, at)


def _end_of_brackets(text: str, at: int) -> int | None:
    """Where the bracketed value starting at `at` ends (strings skipped), or None."""
    if not text.startswith(("{", "["), at):
        return None
    depth = 0
    for match in _BRACKET_OR_STRING.finditer(text, at):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def fast_jsonl_record(line_bytes: bytes, label: str, line: int, record: int) -> RawRecord:
    """The line parsed by orjson when it is plainly a well-formed intake with no repeated key;
    otherwise exactly what `jsonl_record` gives."""
    import orjson

    try:
        document = orjson.loads(line_bytes)
    except orjson.JSONDecodeError:
        document = None
    if type(document) is dict and not (document.get("id") == 0 and b"-" in line_bytes):
        findings = document.get("findings")
        mappings, keys = (
            (2, len(document) + len(findings)) if type(findings) is dict else (1, len(document))
        )
        # orjson keeps the last of a repeated key silently. Each key takes one colon and each
        # mapping one brace, so equal counts mean no key was repeated; a colon or brace
        # inside a string only sends the line to the reference parser. Lists nest at most
        # as deep as they have brackets: many brackets go to the reference parser's limit.
        # An id 0 that may be written -0 is kept as written by the reference parser.
        if (
            line_bytes.count(b"{") == mappings
            and line_bytes.count(b":") == keys
            and line_bytes.count(b"[") < MAX_DEPTH - 2
        ):
            return RawRecord(Origin(label, line, record), document, line_bytes=line_bytes)
    return reference_jsonl_record(line_bytes, label, line, record)


def reference_jsonl_record(line_bytes: bytes, label: str, line: int, record: int) -> RawRecord:
    try:
        line_text = line_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        return unparsable(
            Origin(label, line, record),
            "line",
            f"not UTF-8 text (byte {error.start})",
            "save the file as UTF-8",
        )
    return jsonl_record(line_text, label, line, record)


def jsonl_record(line_text: str, label: str, line: int, record: int) -> RawRecord:
    origin = Origin(label, line, record)
    document = parse_json(line_text)
    if isinstance(document, JsonProblem):
        hint = document.hint or "each line must be one complete JSON object"
        return unparsable(origin, "json", document.message, hint)
    return RawRecord(origin, document)


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        # -0 is kept as written only where it is an id; elsewhere it is the number 0.
        result[key] = 0 if type(value) is NegativeZero and key != "id" else value
    return result


def json_key_line(text: str, key: str) -> int | None:
    """JSON keeps no positions: the line of the key's first occurrence (good enough for ids)."""
    match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _finding_keys(document: Any) -> list[str]:
    findings = document.get("findings") if isinstance(document, Mapping) else None
    keys = list(findings) if isinstance(findings, Mapping) else []
    return keys + (list(document) if isinstance(document, Mapping) else [])


def _yaml_lines(document: Any) -> dict[str, int]:
    """Lines of the top-level keys and of each finding (findings win: they are what errors name)."""
    if not isinstance(document, MarkedDict):
        return {}
    lines = {str(key): line for key, line in document.key_lines.items()}
    findings = document.get("findings")
    if isinstance(findings, MarkedDict):
        lines.update({str(key): line for key, line in findings.key_lines.items()})
    return lines
