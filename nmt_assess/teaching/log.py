"""The practice log: one JSON line per graded attempt, in a small local file (edge I/O)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.cases import Case
    from nmt_assess.teaching.grading import Grade


def default_log_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("nmt-assess") / "practice.jsonl"


class LogError(Exception):
    """The attempt could not be logged (the grade stands; the CLI says why in one line)."""


#: How much of an existing log is read to tell a practice log from some other file.
_SNIFF_BYTES = 65536


def append_attempt(path: Path, attempt: dict[str, Any]) -> None:
    """Append one attempt as a JSON line. A file that is not a practice log (no line of it is
    an attempt) is never written to; a log whose last line was cut off gets its own line."""
    import os
    import stat

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode if os.path.lexists(path) else None
        if mode is not None and stat.S_ISREG(mode):
            with path.open("rb") as log:
                head = log.read(_SNIFF_BYTES)
                if head.strip() and not any(_attempt(line) for line in head.splitlines()):
                    raise LogError("it is not a practice log (no line of it is an attempt)")
                cut = False
                if log.seek(0, os.SEEK_END) > 0:
                    log.seek(-1, os.SEEK_END)
                    cut = log.read(1) != b"\n"
        elif mode is not None and not stat.S_ISCHR(mode):
            raise LogError("it is not a regular file")
        else:
            cut = False
        line = json.dumps(attempt, ensure_ascii=False) + "\n"
        with path.open("a", encoding="utf-8") as log:
            log.write(("\n" if cut else "") + line)
    except OSError as error:
        raise LogError(error.strerror or str(error)) from None


def log_attempt(path: Path, case: Case, grade: Grade) -> None:
    """Append the graded attempt at `case` to the log, timed now. Raises LogError."""
    append_attempt(
        path,
        {
            "time": now(),
            "case": case.id,
            "leading_cause": case.leading_cause,
            "level": case.level,
            "top_correct": grade.top_correct,
            "kendall_tau": grade.kendall_tau,
            "serious_miss": grade.serious_miss,
            "flags_missed": grade.flags_missed,
        },
    )


#: The fields --stats reads, and their JSON types.
_TYPES: dict[str, type] = {
    "time": str,
    "case": str,
    "leading_cause": str,
    "top_correct": bool,
    "serious_miss": bool,
}


def _attempt(line: bytes) -> dict[str, Any] | None:
    """The attempt a log line holds, or None for anything else (bad bytes, JSON, fields)."""
    try:
        attempt = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(attempt, dict):
        return None
    if all(isinstance(attempt.get(key), kind) for key, kind in _TYPES.items()):
        return attempt
    return None


def read_attempts(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """Every attempt, and the line numbers of lines that are not attempts (reported, not
    silently dropped). Raises OSError when the log cannot be read at all."""
    attempts: list[dict[str, Any]] = []
    bad: list[int] = []
    if not path.exists():
        return attempts, bad
    with path.open("rb") as log:
        for number, line in enumerate(log, 1):
            if not line.strip():
                continue
            attempt = _attempt(line)
            if attempt is None:
                bad.append(number)
            else:
                attempts.append(attempt)
    return attempts, bad


def log_stats(path: Path) -> tuple[dict[str, Any], list[int]]:
    """What `practice --stats` shows: the summary of every attempt in the log, and the line
    numbers of lines that are not attempts (left out of the figures). Raises PracticeError
    when the log cannot be read."""
    from nmt_assess.teaching.practice import PracticeError

    try:
        attempts, bad = read_attempts(path)
    except OSError as error:
        raise PracticeError(f"{path}: cannot read: {error.strerror or error}") from None
    return summarise(attempts), bad


def summarise(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy per cause (the case's leading cause), per day, and the causes most missed."""
    by_cause: dict[str, list[bool]] = defaultdict(list)
    by_day: dict[str, list[bool]] = defaultdict(list)
    missed: Counter[str] = Counter()
    serious = 0
    for attempt in attempts:
        correct = bool(attempt["top_correct"])
        by_cause[attempt["leading_cause"]].append(correct)
        by_day[attempt["time"][:10]].append(correct)
        if not correct:
            missed[attempt["leading_cause"]] += 1
        serious += bool(attempt["serious_miss"])
    return {
        "attempts": len(attempts),
        "top_cause_accuracy": _share([bool(a["top_correct"]) for a in attempts]),
        "serious_misses": serious,
        "by_cause": {
            cause: {"attempts": len(v), "accuracy": _share(v)}
            for cause, v in sorted(by_cause.items())
        },
        "by_day": {
            day: {"attempts": len(v), "accuracy": _share(v)} for day, v in sorted(by_day.items())
        },
        "most_missed": [cause for cause, _ in missed.most_common()],
    }


def _share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
