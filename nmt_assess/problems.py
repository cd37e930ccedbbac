"""Located problems: errors are values until the CLI turns them into messages and exit codes."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a user's file, located well enough to fix it."""

    file: str
    line: int | None
    field: str
    message: str
    hint: str | None = None
    col: int | None = None
    #: The id of the check that found it (rule authors can look it up in docs/rules.md).
    check: str = "input"
    severity: str = "error"

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {self.field}: {self.message}{hint}"

    def format_lint(self) -> str:
        """FILE:LINE:COL: severity: [check-id] message (hint), as linters print."""
        where = f"{self.file}:{self.line or 1}:{self.col or 1}"
        hint = f" ({self.hint})" if self.hint else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}: {self.severity}: [{self.check}] {field}{self.message}{hint}"


def lint_order(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.file, problem.line or 0, problem.col or 0, problem.message)


class ProblemsError(Exception):
    """Raised at a loading boundary when a file cannot be used; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field, p.message))
        super().__init__("\n".join(p.format() for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known spelling, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
