"""Practice: a student's analysis of a case, read from their answers and graded against the
rules (pure but for reading the cases). The terminal side is cli/practice.py."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from nmt_assess.cases import Case
    from nmt_assess.models import Ruleset
    from nmt_assess.teaching.grading import Grade


class PracticeError(Exception):
    """A choice or an answer that cannot be used (exit 2 when not interactive)."""


@dataclass(frozen=True)
class Library:
    """The cases in use, and the problems of case files that could not be used."""

    cases: dict[str, Case]
    #: File name (stem) -> the located problem, for case files that cannot be used.
    broken: dict[str, str]
    #: One located line per bad case file, in the order found (each case is left out).
    left_out: list[str]

    def handle(self, case: Case) -> str:
        """What a student sees: a number, never the id (an id such as cts-keyboard-worker
        names the answer)."""
        return str(sorted(self.cases).index(case.id) + 1)


def load_cases(ruleset: Ruleset, packs: list[Path] | None) -> Library:
    """The cases of every pack in use (a later pack's case replaces one of the same id),
    through the one case loader; each bad case file is one located line in `left_out`."""
    from nmt_assess.cases import read_cases
    from nmt_assess.ruleset import pack_chain

    cases, problems = read_cases(pack_chain(packs), ruleset)
    broken: dict[str, str] = {}
    for problem in problems:
        stem = Path(problem.file).stem
        if stem not in broken:
            broken[stem] = printable(problem.format())
    usable = {stem: why for stem, why in broken.items() if stem not in cases}
    return Library(cases, usable, list(broken.values()))


def choose_case(
    library: Library,
    case_id: str | None,
    cause: str | None,
    level: int | None,
    seed: int | None,
    *,
    teacher: bool = False,
) -> Case:
    """The case named (by number, or by id), or a random one matching --cause and --level.
    Only a teacher's file gets a did-you-mean: it would name the case ids to a student."""
    from nmt_assess.problems import did_you_mean

    cases = library.cases
    if case_id is not None:
        ids = sorted(cases)
        if case_id.isdigit() and 1 <= int(case_id) <= len(ids):
            return cases[ids[int(case_id) - 1]]
        if case_id in cases:
            return cases[case_id]
        if case_id in library.broken:
            raise PracticeError(f"case '{case_id}' cannot be used: {library.broken[case_id]}")
        hint = did_you_mean(case_id, cases) if teacher else None
        numbers = f"; cases are numbered 1 to {len(ids)}" if ids else ""
        raise PracticeError(f"no case '{case_id}'" + (f" ({hint})" if hint else numbers))
    eligible = [
        c
        for c in cases.values()
        if (cause is None or c.leading_cause == cause) and (level is None or c.level == level)
    ]
    if not eligible:
        raise PracticeError("no case matches --cause/--level")
    return random.Random(seed).choice(sorted(eligible, key=lambda c: c.id))


def _pick(text: str, ids: list[str], kind: str, numbered: bool = True) -> list[str]:
    """Ids named in a comma-separated answer, by name or (1-based) number, in order."""
    from nmt_assess.problems import did_you_mean

    picked = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        by_number = numbered and part.isdigit() and 1 <= int(part) <= len(ids)
        name = ids[int(part) - 1] if by_number else part
        if name not in ids:
            hint = did_you_mean(name, ids)
            raise PracticeError(f"'{part}' is not a {kind}" + (f" ({hint})" if hint else ""))
        picked.append(name)
    return picked


def parse_ranking(ruleset: Ruleset, text: str) -> list[str]:
    ids = [cause.id for cause in ruleset.causes]
    ranking = _pick(text, ids, "cause")
    for name in ranking:
        if ranking.count(name) > 1:
            raise PracticeError(f"'{name}' is ranked twice")
    if len(ranking) != len(ids):
        raise PracticeError(
            f"rank all {len(ids)} causes, best first (names or numbers 1-{len(ids)})"
        )
    return ranking


def parse_flags(ruleset: Ruleset, text: str) -> list[str]:
    if text.strip().lower() in ("", "none"):
        return []
    return list(dict.fromkeys(_pick(text, [flag.id for flag in ruleset.red_flags], "red flag")))


def parse_support(ruleset: Ruleset, text: str) -> list[str]:
    chosen = _pick(text, list(ruleset.findings), "finding", numbered=False)
    if len(chosen) > 2:
        raise PracticeError("name at most two supporting findings")
    return chosen


def grade_case(
    ruleset: Ruleset,
    case: Case,
    ranking: list[str],
    raised: list[str],
    backing: list[str],
    shown_id: str | None = None,
) -> tuple[Grade, Any]:
    """The grade, and the rules' assessment under `shown_id` (what the student may see)."""
    from nmt_assess.engine import score
    from nmt_assess.models import Intake
    from nmt_assess.teaching.grading import grade
    from nmt_assess.validation import validate_intake

    intake = validate_intake(
        {"id": shown_id or case.id, "findings": case.findings}, ruleset.findings
    )
    assert isinstance(intake, Intake), "read_case has validated the findings"
    assessment = score(ruleset, intake)
    return grade(case.id, assessment, ranking, raised, backing), assessment


def class_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The rows of a class answers file with their line numbers, and its columns."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PracticeError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PracticeError(
            f"{path}:{line}: not UTF-8 text (byte {error.start}) (save it as CSV UTF-8)"
        ) from None
    lines = text.splitlines()
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) == 5:
        delimiter, lines, skipped = lines[0][4], lines[1:], 1
    else:
        header = lines[0] if lines else ""
        delimiter = ";" if header.count(";") > header.count(",") else ","
        skipped = 0
    reader = csv.DictReader(lines, delimiter=delimiter)
    try:
        rows = [(reader.line_num + skipped, row) for row in reader]
    except csv.Error as error:
        raise PracticeError(f"{path}:{reader.line_num + skipped}: CSV: {error}") from None
    return rows, [name for name in reader.fieldnames or [] if name is not None]


def grade_class(ruleset: Ruleset, library: Library, path: Path) -> list[dict[str, Any]]:
    """One graded row per student answer in a class answers CSV (student, case, ranking,
    flags, support); a row that cannot be graded has its reason in "error"."""
    rows: list[dict[str, Any]] = []
    records, columns = class_rows(path)
    missing = {"student", "case", "ranking"} - {name.strip() for name in columns}
    if missing:
        raise PracticeError(
            f"{path}: columns missing: {', '.join(sorted(missing))} "
            "(expected student,case,ranking,flags[,support])"
        )
    for line, raw in records:
        row = {str(key).strip(): value for key, value in raw.items() if key is not None}
        try:
            case = choose_case(
                library, (row.get("case") or "").strip(), None, None, None, teacher=True
            )
            result, _ = grade_case(
                ruleset,
                case,
                parse_ranking(ruleset, row.get("ranking") or ""),
                parse_flags(ruleset, row.get("flags") or ""),
                parse_support(ruleset, row.get("support") or ""),
            )
            rows.append({"student": row["student"], "line": line, **result.as_dict(), "error": ""})
        except PracticeError as error:
            rows.append(
                {
                    "student": row.get("student"),
                    "line": line,
                    "case": row.get("case"),
                    "error": str(error),
                }
            )
    return rows
