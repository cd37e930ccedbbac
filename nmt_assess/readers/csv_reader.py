"""CSV as forms export it: one row per client, one column per question.

Columns named by finding id (or `id`, `date`) work directly. A column map (YAML) names other
titles and translates answer words:

    columns:
      Client ID: id
      Do you get tingling?: tingling
      Where is the pain?:
        finding: pain_locations
        answers: {Left wrist: wrist_hand, Neck: neck}
    answers:            # for every column
      "Yes": true
      "No": false
    ignore: [Timestamp] # columns deliberately left out

A blank cell is unknown. Multi-choice cells split on ';' or ','. Yes/no columns also take
yes/no, y/n, true/false and 1/0 in any case.

The separator is read from the header line (`,` `;` tab or `|`), or from the `sep=;` line that
Excel writes first; a UTF-8 byte-order mark (Excel's "CSV UTF-8") is ignored.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nmt_assess.marked_yaml import MarkedDict
from nmt_assess.models import Finding, FindingType
from nmt_assess.problems import Problem, did_you_mean, shown
from nmt_assess.readers.records import Origin, RawRecord, unparsable

_YES_NO = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}
_ENVELOPE = ("id", "date")
_SPLIT = re.compile(r"\s*[;,]\s*")
_DELIMITERS = ",;\t|"
_EXCEL_SEP = re.compile(r"sep=(.)\Z")


@dataclass(frozen=True)
class ColumnMap:
    columns: Mapping[str, str] = field(default_factory=dict)
    column_answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()


def parse_column_map(document: Any, label: str) -> ColumnMap | list[Problem]:
    """The column map, or every problem with it, each on the line that holds it."""
    if not isinstance(document, Mapping):
        return [Problem(label, 1, "map", "expected a mapping with 'columns'")]
    problems = [
        Problem(
            label, _line(document, key), str(key), "unknown key", "use columns, answers, ignore"
        )
        for key in document
        if key not in ("columns", "answers", "ignore")
    ]
    columns: dict[str, str] = {}
    column_answers: dict[str, Mapping[str, Any]] = {}
    for title, target in _mapping(document, "columns", label, problems).items():
        title_text = _key_text(document["columns"], title)
        if isinstance(target, str):
            columns[title_text] = target
        elif isinstance(target, Mapping) and isinstance(target.get("finding"), str):
            columns[title_text] = target["finding"]
            column_answers[title_text] = _answer_words(
                _mapping(target, "answers", label, problems, f"columns.{title_text}.")
            )
        else:
            problems.append(
                Problem(
                    label,
                    _line(document["columns"], title),
                    f"columns.{shown(title_text, as_text=True)}",
                    f"expected a finding id or {{finding: id, answers: {{...}}}}, "
                    f"got {shown(target)}",
                )
            )
    answers = _answer_words(_mapping(document, "answers", label, problems))
    ignore = document.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(c, str | int) for c in ignore):
        problems.append(
            Problem(
                label,
                _line(document, "ignore"),
                "ignore",
                f"expected a list of column titles, got {shown(ignore)}",
                "ignore: [Timestamp, Email]",
            )
        )
        ignore = []
    return problems or ColumnMap(columns, column_answers, answers, frozenset(map(str, ignore)))


def _mapping(
    document: Mapping[Any, Any], key: str, label: str, problems: list[Problem], prefix: str = ""
) -> Mapping[Any, Any]:
    """document[key] when it is a mapping (or absent); else a problem and an empty mapping."""
    value = document.get(key) or {}
    if isinstance(value, Mapping):
        return value
    problems.append(
        Problem(
            label,
            _line(document, key),
            f"{prefix}{key}",
            f"expected a mapping, got {shown(value)}",
            "write 'title: finding' pairs, one per line"
            if key == "columns"
            else "write 'word: answer' pairs",
        )
    )
    return {}


def _answer_words(answers: Mapping[Any, Any]) -> dict[str, Any]:
    """Answer words as written: an unquoted `Yes:` is the word Yes, not YAML's true."""
    return {_key_text(answers, word): value for word, value in answers.items()}


def _key_text(mapping: Any, key: Any) -> str:
    texts = mapping.key_texts if isinstance(mapping, MarkedDict) else {}
    return texts.get(key, str(key))


def _line(mapping: Any, key: Any) -> int | None:
    return mapping.key_lines.get(key) if isinstance(mapping, MarkedDict) else None


def csv_rows(lines: Iterable[str]) -> tuple[Iterator[list[str]], Any]:
    """A csv.reader over the lines, with the separator the file uses, and a function giving
    the file line of the row last read (Excel's `sep=` line is not a row, but it is a line)."""
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return iter(()), lambda: 1
    first = first.removeprefix("\ufeff")
    excel = _EXCEL_SEP.match(first.rstrip("\r\n"))
    if excel is not None and excel.group(1) in _DELIMITERS:
        reader = csv.reader(iterator, delimiter=excel.group(1))
        return reader, lambda: reader.line_num + 1
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=_DELIMITERS).delimiter
    except csv.Error:  # one column, say: nothing to tell
        delimiter = ","
    reader = csv.reader(itertools.chain([first], iterator), delimiter=delimiter)
    return reader, lambda: reader.line_num


def check_header(
    header: list[str],
    catalog: Mapping[str, Finding],
    column_map: ColumnMap,
    label: str,
    line: int = 1,
) -> list[Problem]:
    """Every column must name a finding, id or date, directly or through the map."""
    problems = []
    known = [*catalog, *_ENVELOPE]
    for title in header:
        if title in column_map.ignore:
            continue
        target = column_map.columns.get(title, title)
        if target not in catalog and target not in _ENVELOPE:
            hint = did_you_mean(target, known) or "map it with --map, or list it under 'ignore'"
            problems.append(
                Problem(label, line, f"column {shown(title)}", "not a finding id", hint)
            )
    seen: dict[str, str] = {}
    for title in header:
        target = column_map.columns.get(title, title)
        if title in column_map.ignore:
            continue
        if target in seen:
            problems.append(
                Problem(
                    label,
                    line,
                    f"column {shown(title)}",
                    f"maps to {shown(target)} like column {shown(seen[target])}",
                )
            )
        seen[target] = title
    return problems


def csv_records(
    lines: Iterable[str],
    label: str,
    catalog: Mapping[str, Finding],
    column_map: ColumnMap,
    header_problems: list[Problem],
) -> Iterator[RawRecord]:
    reader, line_of = csv_rows(lines)
    header = next(reader, None)
    if header is None:
        yield unparsable(Origin(label, None, 1), "file", "empty", "the first row names the columns")
        return
    header_problems.extend(check_header(header, catalog, column_map, label, line_of()))
    if header_problems:
        return
    record = 0
    for cells in reader:
        line = line_of()
        if not any(cell.strip() for cell in cells):
            continue  # a blank line is not a record
        record += 1
        origin = Origin(label, line, record)
        if len(cells) != len(header):
            yield unparsable(
                origin,
                "row",
                f"has {len(cells)} cells, the header has {len(header)}",
                "check for an unquoted comma or a missing cell",
            )
            continue
        if any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell):
            yield unparsable(origin, "row", "not UTF-8 text", "save the file as UTF-8")
            continue
        yield _row_record(origin, header, cells, catalog, column_map)


def _row_record(
    origin: Origin,
    header: list[str],
    cells: list[str],
    catalog: Mapping[str, Finding],
    column_map: ColumnMap,
) -> RawRecord:
    document: dict[str, Any] = {"findings": {}}
    names: dict[str, str] = {}
    for title, cell in zip(header, cells, strict=True):
        if title in column_map.ignore or not cell.strip():
            continue
        target = column_map.columns.get(title, title)
        answers = {**column_map.answers, **column_map.column_answers.get(title, {})}
        if target in _ENVELOPE:
            document[target] = cell.strip()
            continue
        names[target] = f"column {shown(title)}"
        document["findings"][target] = _cell_value(catalog[target], cell.strip(), answers)
    return RawRecord(origin, document, field_names=names)


def _cell_value(finding: Finding, cell: str, answers: Mapping[str, Any]) -> Any:
    """The typed answer; a cell that does not convert is passed on as text to be reported."""
    if finding.type is FindingType.multi_choice:
        return [answers.get(part, part) for part in _SPLIT.split(cell) if part]
    if cell in answers:
        return answers[cell]
    if finding.type is FindingType.yes_no:
        return _YES_NO.get(cell.lower(), cell)
    if finding.type in (FindingType.scale_0_10, FindingType.number):
        try:
            return int(cell)
        except ValueError:
            try:
                return float(cell) if finding.type is FindingType.number else cell
            except ValueError:
                return cell
    return cell


def load_column_map(path: Path) -> ColumnMap:
    """The `--map` file: CSV column titles and answer words to findings. Raises ProblemsError."""
    from nmt_assess.marked_yaml import YamlSyntaxError, load_marked
    from nmt_assess.problems import ProblemsError

    try:
        document = load_marked(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProblemsError(
            [Problem(str(path), None, "file", f"cannot read: {error.strerror}")]
        ) from None
    except (YamlSyntaxError, UnicodeDecodeError) as error:
        line = getattr(error, "line", None)
        raise ProblemsError([Problem(str(path), line, "map", str(error))]) from None
    result = parse_column_map(document, str(path))
    if isinstance(result, list):
        raise ProblemsError(result)
    return result
