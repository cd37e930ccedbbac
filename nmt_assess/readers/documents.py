"""Parse YAML and JSON text into records (one intake, a list of intakes, or FHIR)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from nmt_assess.marked_yaml import MarkedDict, YamlSyntaxError, load_marked
from nmt_assess.readers.records import Origin, RawRecord, unparsable


def yaml_records(text: str, label: str) -> Iterator[RawRecord]:
    origin = Origin(label, 1, 1)
    if not text.strip():
        yield unparsable(Origin(label, None, 1), "file", "empty", "an intake needs 'findings'")
        return
    try:
        document = load_marked(text)
    except YamlSyntaxError as error:
        yield unparsable(Origin(label, error.line, 1), "yaml", error.message)
        return
    yield RawRecord(origin, document, key_lines=_yaml_lines(document))


def json_records(text: str, label: str, notices: list[str] | None = None) -> Iterator[RawRecord]:
    """One intake, a list of intakes, or a FHIR resource (QuestionnaireResponse or Bundle)."""
    if not text.strip():
        yield unparsable(Origin(label, None, 1), "file", "empty", "an intake needs 'findings'")
        return
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        yield unparsable(Origin(label, error.lineno, 1), "json", error.msg)
        return
    except DuplicateKeyError as error:
        line = json_key_line(text, error.key)
        yield unparsable(Origin(label, line, 1), "json", f"duplicate key '{error.key}'")
        return
    if isinstance(document, Mapping) and "resourceType" in document:
        from nmt_assess.readers.fhir import fhir_records

        yield from fhir_records(document, label, notices if notices is not None else [])
    elif isinstance(document, list):
        for index, item in enumerate(document, 1):
            yield RawRecord(Origin(label, None, index), item)
    else:
        lines = {key: line for key in _finding_keys(document) if (line := json_key_line(text, key))}
        yield RawRecord(Origin(label, 1, 1), document, key_lines=lines)


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
    try:
        document = json.loads(line_text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        return unparsable(
            origin,
            "json",
            f"{error.msg} (column {error.colno})",
            "each line must be one complete JSON object",
        )
    except DuplicateKeyError as error:
        return unparsable(origin, "json", f"duplicate key '{error.key}'")
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
