"""Parse YAML and JSON text into records (one intake, a list of intakes, or FHIR)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from nmt_assess.marked_yaml import MarkedDict, YamlSyntaxError, load_marked
from nmt_assess.models import Finding
from nmt_assess.problems import shown
from nmt_assess.readers.records import Origin, RawRecord, unparsable

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
    `0123` as 83, `12:30` as 750 and `yes` as true. A quoted or null value is left alone."""
    if not isinstance(document, MarkedDict):
        return document
    written = {
        key: document.plain_texts[key]
        for key in _AS_WRITTEN
        if document.get(key) is not None and key in document.plain_texts
    }
    if not written:
        return document
    copy = MarkedDict({**document, **written})
    copy.line, copy.col = document.line, document.col
    copy.key_lines, copy.key_cols = document.key_lines, document.key_cols
    copy.key_texts, copy.plain_texts = document.key_texts, document.plain_texts
    return copy


def json_records(
    text: str,
    label: str,
    notices: list[str] | None = None,
    catalog: Mapping[str, Finding] | None = None,
) -> Iterator[RawRecord]:
    """One intake, a list of intakes, or a FHIR resource (QuestionnaireResponse or Bundle)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        yield unparsable(Origin(label, None, 1), "file", "empty", "an intake needs 'findings'")
        return
    document = _parse_json(text)
    if isinstance(document, _JsonProblem):
        yield unparsable(Origin(label, document.line, 1), "json", document.message, document.hint)
        return
    if isinstance(document, Mapping) and "resourceType" in document:
        from nmt_assess.readers.fhir import fhir_records

        notices = notices if notices is not None else []
        yield from fhir_records(document, label, notices, catalog)
    elif isinstance(document, list):
        for index, item in enumerate(document, 1):
            yield RawRecord(Origin(label, None, index), item)
    else:
        keys = _finding_keys(document)[:_LINED_KEYS]
        lines = {key: line for key in keys if (line := json_key_line(text, key))}
        yield RawRecord(Origin(label, 1, 1), document, key_lines=lines)


class _JsonProblem:
    def __init__(self, message: str, line: int | None = None, hint: str | None = None) -> None:
        self.message, self.line, self.hint = message, line, hint


def _parse_json(text: str) -> Any:
    """The parsed document, or a _JsonProblem: never an exception, whatever the text holds."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        return _JsonProblem(f"{error.msg} (column {error.colno})", error.lineno)
    except DuplicateKeyError as error:
        line = json_key_line(text, error.key)
        return _JsonProblem(f"duplicate key {shown(error.key)}", line)
    except RecursionError:
        return _JsonProblem("nested too deep", None, "an intake nests a few levels at most")
    except ValueError as error:  # Python refuses integers of more than 4,300 digits
        if "integer string conversion" in str(error):
            return _JsonProblem("a number with too many digits", None, "an answer is a few digits")
        return _JsonProblem(f"cannot be read ({type(error).__name__})")


def fast_jsonl_record(line_bytes: bytes, label: str, line: int, record: int) -> RawRecord:
    """The line parsed by orjson when it is plainly a well-formed intake with no repeated key;
    otherwise exactly what `jsonl_record` gives."""
    import orjson

    try:
        document = orjson.loads(line_bytes)
    except orjson.JSONDecodeError:
        document = None
    if type(document) is dict:
        findings = document.get("findings")
        mappings, keys = (
            (2, len(document) + len(findings)) if type(findings) is dict else (1, len(document))
        )
        # orjson keeps the last of a repeated key silently. Each key takes one colon and each
        # mapping one brace, so equal counts mean no key was repeated; a colon or brace
        # inside a string only sends the line to the reference parser.
        if line_bytes.count(b"{") == mappings and line_bytes.count(b":") == keys:
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
    document = _parse_json(line_text)
    if isinstance(document, _JsonProblem):
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
        result[key] = value
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
