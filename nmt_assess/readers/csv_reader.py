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
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nmt_assess.models import Finding, FindingType
from nmt_assess.problems import Problem, did_you_mean
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


@dataclass(frozen=True)
class ColumnMap:
    columns: Mapping[str, str] = field(default_factory=dict)
    column_answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()


def parse_column_map(document: Any, label: str) -> ColumnMap | list[Problem]:
    if not isinstance(document, Mapping):
        return [Problem(label, 1, "map", "expected a mapping with 'columns'")]
    problems = [
        Problem(label, None, str(key), "unknown key", "use columns, answers, ignore")
        for key in document
        if key not in ("columns", "answers", "ignore")
    ]
    columns: dict[str, str] = {}
    column_answers: dict[str, Mapping[str, Any]] = {}
    for title, target in (document.get("columns") or {}).items():
        if isinstance(target, str):
            columns[str(title)] = target
        elif isinstance(target, Mapping) and isinstance(target.get("finding"), str):
            columns[str(title)] = target["finding"]
            column_answers[str(title)] = {
                str(k): v for k, v in (target.get("answers") or {}).items()
            }
        else:
            problems.append(
                Problem(
                    label,
                    None,
                    f"columns.{title}",
                    "expected a finding id or {finding: id, answers: {...}}",
                )
            )
    answers = {str(k): v for k, v in (document.get("answers") or {}).items()}
    ignore = frozenset(str(c) for c in document.get("ignore") or [])
    return problems or ColumnMap(columns, column_answers, answers, ignore)


def check_header(
    header: list[str], catalog: Mapping[str, Finding], column_map: ColumnMap, label: str
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
            problems.append(Problem(label, 1, f"column '{title}'", "not a finding id", hint))
    seen: dict[str, str] = {}
    for title in header:
        target = column_map.columns.get(title, title)
        if title in column_map.ignore:
            continue
        if target in seen:
            problems.append(
                Problem(
                    label,
                    1,
                    f"column '{title}'",
                    f"maps to '{target}' like column '{seen[target]}'",
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
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        yield unparsable(Origin(label, None, 1), "file", "empty", "the first row names the columns")
        return
    header_problems.extend(check_header(header, catalog, column_map, label))
    if header_problems:
        return
    record = 0
    for cells in reader:
        line = reader.line_num
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
        names[target] = f"column '{title}'"
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
