"""`nmt-assess practice`: students rank the five causes for a bundled case and are graded
against the rules, then shown the rules' reasons and the case's teaching note."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption
from nmt_assess.cli.safe_text import safe
from nmt_assess.teaching.practice import (
    Library,
    PracticeError,
    choose_case,
    grade_case,
    grade_class,
    load_cases,
    parse_flags,
    parse_ranking,
    parse_support,
)
from nmt_assess.writers import practice_text as text
from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from nmt_assess.cases import Case
    from nmt_assess.models import Ruleset
    from nmt_assess.teaching.grading import Grade


class PracticeFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


def practice(
    case_id: Annotated[str | None, typer.Option("--case", help="Practise this case.")] = None,
    cause: Annotated[
        str | None, typer.Option("--cause", help="Pick a case led by this cause.")
    ] = None,
    level: Annotated[
        int | None, typer.Option("--level", min=1, max=3, help="Pick a case of this difficulty.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Repeatable random choice.")] = None,
    answer: Annotated[
        str | None,
        typer.Option(
            "--answer", help="Your ranking of the five causes, e.g. 'trigger_points,ischemia,...'."
        ),
    ] = None,
    flags: Annotated[
        str | None, typer.Option("--flags", help="Red flags you would act on, or 'none'.")
    ] = None,
    support: Annotated[
        str | None,
        typer.Option("--support", help="Up to two findings that most support your top cause."),
    ] = None,
    answers_file: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="Grade a class: CSV of student,case,ranking,flags[,support]."
        ),
    ] = None,
    stats: Annotated[
        bool, typer.Option("--stats", help="Show your progress from the log.")
    ] = False,
    log: Annotated[
        Path | None, typer.Option("--log", help="Progress log (default: your user data folder).")
    ] = None,
    output_format: Annotated[PracticeFormat, typer.Option("--format", "-f")] = PracticeFormat.text,
    rules: RulesOption = None,
) -> None:
    """Practise case analysis: rank the causes for a case and compare with the rules."""
    from nmt_assess.cli.safe_text import plain_console
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.teaching.log import default_log_path

    # the case and the questions go to stderr when stdout carries JSON or CSV
    console = plain_console(stderr=output_format is not PracticeFormat.text)
    log_path = log or default_log_path()
    if stats:
        _show_stats(console, log_path, output_format)
        return
    ruleset = load_ruleset(rules)
    library = load_cases(ruleset, rules)
    for line in library.left_out:
        print(f"{line} (case left out)", file=sys.stderr)
    if answers_file is not None:
        failed = _grade_class(ruleset, library, answers_file, output_format)
        raise typer.Exit(exit_codes.SOME_FAILED if failed else exit_codes.OK)
    chosen = choose_case(library, case_id, cause, level, seed)
    if answer is None:
        _print(console, text.case_lines(ruleset, library, chosen))
        ranking, raised, backing = _ask(console, ruleset)
    else:
        ranking = parse_ranking(ruleset, answer)
        raised = parse_flags(ruleset, flags or "none")
        backing = parse_support(ruleset, support or "")
    handle = library.handle(chosen)
    result, assessment = grade_case(
        ruleset, chosen, ranking, raised, backing, f"practice case {handle}"
    )
    graded = {**result.as_dict(), "case": handle}
    # the grade is printed before the log is touched: a bad log never costs the grade
    if output_format is PracticeFormat.text:
        _print(console, text.grade_lines(ruleset, chosen, result, assessment))
    elif output_format is PracticeFormat.csv:
        text.write_csv(sys.stdout, [graded], text.SINGLE_COLUMNS)
    else:
        sys.stdout.write(json.dumps(graded, indent=2) + "\n")
    sys.stdout.flush()
    _log(log_path, chosen, result)


def _print(console: Console, lines: list[Any]) -> None:
    for line in lines:
        console.print(line)


def _ask(console: Console, ruleset: Ruleset) -> tuple[list[str], list[str], list[str]]:
    _print(console, text.cause_choices(ruleset))
    ranking = _ask_until(console, text.RANKING_PROMPT, lambda typed: parse_ranking(ruleset, typed))
    _print(console, text.flag_choices(ruleset))
    raised = _ask_until(console, text.FLAGS_PROMPT, lambda typed: parse_flags(ruleset, typed))
    backing = _ask_until(console, text.SUPPORT_PROMPT, lambda typed: parse_support(ruleset, typed))
    return ranking, raised, backing


def _ask_until(console: Console, prompt: str, parse: Any) -> Any:
    while True:
        console.print(prompt)
        try:
            typed = console.input("> ")
        except EOFError:
            raise PracticeError("input ended before the answer was complete") from None
        try:
            return parse(typed)
        except PracticeError as error:
            console.print(f"[yellow]{safe(error)}[/yellow]")


def _log(path: Path, case: Case, result: Grade) -> None:
    """Log the attempt; when the log cannot take it, one warning line (the grade stands)."""
    from nmt_assess.teaching.log import LogError, log_attempt

    try:
        log_attempt(path, case, result)
    except LogError as error:
        print(
            f"nmt-assess: warning: {printable(str(path))}: attempt not logged: "
            f"{printable(str(error))} (the grade above stands; --log PATH picks another log)",
            file=sys.stderr,
        )


def _grade_class(
    ruleset: Ruleset, library: Library, path: Path, output_format: PracticeFormat
) -> bool:
    """The class's graded rows on stdout; True when some row could not be graded."""
    rows = grade_class(ruleset, library, path)
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        text.write_csv(sys.stdout, rows, text.CLASS_COLUMNS)
    return any(row["error"] for row in rows)


def _show_stats(console: Console, path: Path, output_format: PracticeFormat) -> None:
    from nmt_assess.teaching.log import log_stats

    summary, bad = log_stats(path)
    if bad:
        more = f", and {len(bad) - 1} more line(s)" if len(bad) > 1 else ""
        print(
            f"{printable(str(path))}:{bad[0]}: not a practice attempt{more}; "
            f"{len(bad)} line(s) left out of the figures",
            file=sys.stderr,
        )
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    elif output_format is PracticeFormat.csv:
        text.write_csv(sys.stdout, text.stats_rows(summary), text.STATS_COLUMNS)
    else:
        _print(console, text.stats_lines(summary, path))
