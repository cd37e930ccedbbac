"""Located problems: errors are values until the CLI turns them into messages and exit codes."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The longest value a message echoes: a value pasted by mistake (a whole paragraph, a
#: 5,000-digit number, a list nested a thousand deep) must not drown the line that names it.
ECHO_LIMIT = 60


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


class _ShortRepr(reprlib.Repr):
    """repr() that never fails: a huge integer is summarised (Python refuses to print one
    of more than 4,300 digits) and nesting is cut after a few levels."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxstring = self.maxother = self.maxlong = ECHO_LIMIT + 10
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 6

    def repr_int(self, value: int, level: int) -> str:
        if value.bit_length() > 3 * ECHO_LIMIT:
            digits = int(value.bit_length() * 0.30103) + 1
            return f"{'-' if value < 0 else ''}<a number of about {digits} digits>"
        return super().repr_int(value, level)


class TooLongNumber:
    """A number written with more digits than any answer has (an integer Python would refuse
    to convert, a decimal that overflows to infinity): kept as a value, so the error names
    its field and says what was written, not "inf"."""

    def __init__(self, digits: int, text: str | None = None) -> None:
        self.digits = digits
        #: The number as written, when it is short enough to echo (1e400, say).
        self.text = text if text is not None and len(text) <= 20 else None

    @classmethod
    def written(cls, text: str) -> TooLongNumber:
        return cls(sum(ch.isdigit() for ch in text), text.strip())

    @property
    def words(self) -> str:
        return self.text or f"a number of {self.digits} digits"

    def __repr__(self) -> str:
        return self.text or f"<a number of {self.digits} digits>"


def shown(value: Any, as_text: bool = False) -> str:
    """The value as a message echoes it: repr() (or, with `as_text`, text that has no control
    character as it is), cut to ECHO_LIMIT characters with an ellipsis, always on one line.
    Every message that quotes a user's value uses this."""
    try:
        if as_text and isinstance(value, str) and value.isprintable():
            text = value  # else repr() below: a message stays on one line
        elif value is None or isinstance(value, bool):  # as YAML and JSON spell them
            text = {None: "null", True: "true", False: "false"}[value]
        else:
            text = _ShortRepr().repr(value)
    except Exception:  # a value whose repr fails is still named by its type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known spelling, or None when nothing is close."""
    if len(word) > 4 * ECHO_LIMIT:  # nothing is close to a paragraph, and comparing is slow
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
