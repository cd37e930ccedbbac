"""The one error edge: each library error a command lets through becomes its message on
stderr (one line, or one per located problem) and its exit code from `exit_codes`.

Commands are wrapped with `edge` where the app registers them, so they raise and never print
their own errors. Output errors and a closed pipe, which can also happen after a command has
returned (at the final flush), are handled in `app.run`."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.writers.sanitize import printable

Command = TypeVar("Command", bound=Callable[..., Any])


class NothingScored(Exception):
    """Problems that stopped `score` before it scored anything (summed up in a last line)."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(problems)
        self.problems = problems


class Refused(Exception):
    """A command-line request the command cannot carry out, said in one line."""


def edge(command: Command) -> Command:
    """The command, with every library error turned into its message and exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except Exception as error:
            code = report(error)
            if code is None:
                raise
            raise typer.Exit(code) from None

    return run  # type: ignore[return-value]


def report(error: BaseException) -> int | None:
    """Print what went wrong and return the exit code; None for an error that is a bug."""
    from nmt_assess.cases import NoSuchCase, PackDoesNotLint
    from nmt_assess.meanings import UnknownTarget
    from nmt_assess.problems import ProblemsError
    from nmt_assess.readers.fhir import FhirUnavailable
    from nmt_assess.readers.inputs import InputError
    from nmt_assess.ruleset.files import RefusedWrite
    from nmt_assess.scoring import DetailUnavailable, NoIntakes
    from nmt_assess.teaching.practice import PracticeError

    if isinstance(error, NothingScored):
        problems = error.problems
        for problem in problems:
            print(problem.format(), file=sys.stderr)
        files = sorted({problem.file for problem in problems})
        count = len(problems)
        print(
            f"nmt-assess: {count} problem{'s' if count != 1 else ''} in {', '.join(files)}; "
            "nothing was scored.",
            file=sys.stderr,
        )
    elif isinstance(error, ProblemsError | InputError):
        for problem in error.problems:
            print(printable(problem.format()), file=sys.stderr)
    elif isinstance(error, UnknownTarget):
        hint = f" ({error.hint})" if error.hint else ""
        print(
            f"nmt-assess: '{printable(error.target)[:200]}' is not a finding, cause, rule, "
            f"red flag, body region or source{printable(hint)}",
            file=sys.stderr,
        )
    elif isinstance(error, PackDoesNotLint):
        sys.stderr.writelines(p.format_lint() + "\n" for p in error.problems)
        print(f"nmt-assess: {error}", file=sys.stderr)
    elif isinstance(
        error, PracticeError | Refused | NoIntakes | NoSuchCase | RefusedWrite | DetailUnavailable
    ):
        print(f"nmt-assess: {printable(str(error))}", file=sys.stderr)
    elif isinstance(error, FhirUnavailable):
        print(f"nmt-assess: {error}", file=sys.stderr)
    else:
        return None
    return exit_codes.UNUSABLE_INPUT
