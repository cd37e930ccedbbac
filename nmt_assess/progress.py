"""The practice log: one JSON line per graded attempt, in a small local file (edge I/O)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any


def default_log_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("nmt-assess") / "practice.jsonl"


def append_attempt(path: Path, attempt: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(attempt, ensure_ascii=False) + "\n")


_FIELDS = ("time", "case", "leading_cause", "top_correct", "serious_miss")


def read_attempts(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """Every attempt, and the line numbers of lines that are not attempts (reported, not
    silently dropped)."""
    attempts: list[dict[str, Any]] = []
    bad: list[int] = []
    if not path.exists():
        return attempts, bad
    with path.open(encoding="utf-8") as log:
        for number, line in enumerate(log, 1):
            if not line.strip():
                continue
            try:
                attempt = json.loads(line)
            except json.JSONDecodeError:
                bad.append(number)
                continue
            if isinstance(attempt, dict) and all(key in attempt for key in _FIELDS):
                attempts.append(attempt)
            else:
                bad.append(number)
    return attempts, bad


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
