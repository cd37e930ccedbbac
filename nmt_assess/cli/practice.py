"""`nmt-assess practice`: students rank the five causes for a bundled case and are graded
against the rules, then shown the rules' reasons and the case's teaching note."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption
from nmt_assess.cli.safe_text import safe, safe_block
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
from nmt_assess.writers.sanitize import csv_cell, printable

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
        _present(console, ruleset, library, chosen)
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
        _show_grade(console, ruleset, chosen, result, assessment)
    elif output_format is PracticeFormat.csv:
        _write_csv([graded], _SINGLE_COLUMNS)
    else:
        sys.stdout.write(json.dumps(graded, indent=2) + "\n")
    sys.stdout.flush()
    _log(log_path, chosen, result)


# --- cases ---------------------------------------------------------------------------------


def _present(console: Console, ruleset: Ruleset, library: Library, case: Case) -> None:
    """The case as a clinician reads it: the story and the findings in words. Never its id or
    title, which can name the answer (both are shown with the grade)."""
    from nmt_assess.plain_words import value_words

    console.print(
        f"\n[bold]Practice case {library.handle(case)}[/bold] [dim](level {case.level})[/dim]"
    )
    console.print(safe_block(case.story))
    for section in ("screening", "history", "complaint", "examination"):
        answered = [
            (f, case.findings[f.id])
            for f in ruleset.findings.values()
            if f.section == section and case.findings.get(f.id) is not None
        ]
        if not answered:
            continue
        console.print(f"\n[bold]{section.capitalize()}[/bold]")
        if section == "screening":  # mostly "no": one line for those, one each for the rest
            denied = [f.label for f, value in answered if value is False]
            answered = [(f, value) for f, value in answered if value is not False]
            if denied:
                console.print(f"  No to: {safe(', '.join(denied))}")
        for finding, value in answered:
            console.print(f"  {safe(finding.label)}: {safe(value_words(value))}")


# --- answers -------------------------------------------------------------------------------


def _ask(console: Console, ruleset: Ruleset) -> tuple[list[str], list[str], list[str]]:
    console.print("\n[bold]Your analysis[/bold]")
    for number, cause in enumerate(ruleset.causes, 1):
        console.print(f"  {number}. {safe(cause.title)} [dim]({safe(cause.id)})[/dim]")
    ranking = _ask_until(
        console,
        "Rank the five causes, best first (e.g. 2,1,3,5,4)",
        lambda text: parse_ranking(ruleset, text),
    )
    for number, flag in enumerate(ruleset.red_flags, 1):
        console.print(f"  {number:>2}. {safe(flag.title)} [dim]({flag.action.value})[/dim]")
    raised = _ask_until(
        console,
        "Red flags you would act on (numbers or ids), or none",
        lambda text: parse_flags(ruleset, text),
    )
    backing = _ask_until(
        console,
        "Optional: up to two finding ids that best support your top cause (Enter to skip)",
        lambda text: parse_support(ruleset, text),
    )
    return ranking, raised, backing


def _ask_until(console: Console, prompt: str, parse: Any) -> Any:
    while True:
        console.print(prompt)
        try:
            text = console.input("> ")
        except EOFError:
            raise PracticeError("input ended before the answer was complete") from None
        try:
            return parse(text)
        except PracticeError as error:
            console.print(f"[yellow]{safe(error)}[/yellow]")


# --- grading -------------------------------------------------------------------------------


def _show_grade(
    console: Console, ruleset: Ruleset, case: Case, result: Grade, assessment: Any
) -> None:
    from nmt_assess.writers.terminal import render_assessment

    titles = {cause.id: safe(cause.title) for cause in ruleset.causes}
    console.print()
    if result.serious_miss:
        console.print(
            "[bold white on red] SERIOUS MISS [/bold white on red] an emergency or urgent "
            "red flag was not acted on: the referral comes before any ranking."
        )
    verdict = "[green]right[/green]" if result.top_correct else "[red]not the rules' choice[/red]"
    console.print(
        f"Top cause: {titles[result.top_given]} is {verdict}; "
        f"the rules lead with {titles[result.top_expected]}."
    )
    console.print(f"Rank agreement: {result.rank_words()}.")
    flag_titles = {flag.id: safe(flag.title) for flag in ruleset.red_flags}
    for label, ids in (
        ("caught", result.flags_caught),
        ("missed", result.flags_missed),
        ("not raised by the rules", result.flags_extra),
    ):
        if ids:
            console.print(f"Red flags {label}: " + ", ".join(flag_titles[i] for i in ids))
    if not (result.flags_caught or result.flags_missed or result.flags_extra):
        console.print("Red flags: none raised, none named.")
    if result.support_given:
        console.print(
            f"Your supporting findings: {safe(', '.join(result.support_given))}; the rules' "
            f"strongest: {safe(', '.join(result.support_expected))}; matched: "
            f"{safe(', '.join(result.support_matched) or 'none')}."
        )
    console.print("\n[bold]The rules' analysis[/bold]")
    console.print(render_assessment(assessment, ruleset, top=2))
    console.print(f"\n[bold]The case[/bold]: {safe(case.title)}")
    console.print(f"[bold]Teaching note[/bold]: {safe_block(case.note)}")


def _log(path: Path, case: Case, result: Grade) -> None:
    """Log the attempt; when the log cannot take it, one warning line (the grade stands)."""
    from nmt_assess.teaching.log import LogError, append_attempt, now

    try:
        append_attempt(
            path,
            {
                "time": now(),
                "case": case.id,
                "leading_cause": case.leading_cause,
                "level": case.level,
                "top_correct": result.top_correct,
                "kendall_tau": result.kendall_tau,
                "serious_miss": result.serious_miss,
                "flags_missed": result.flags_missed,
            },
        )
    except LogError as error:
        print(
            f"nmt-assess: warning: {printable(str(path))}: attempt not logged: "
            f"{printable(str(error))} (the grade above stands; --log PATH picks another log)",
            file=sys.stderr,
        )


_SINGLE_COLUMNS = [
    "case",
    "passed",
    "top_correct",
    "top_given",
    "top_expected",
    "kendall_tau",
    "serious_miss",
    "flags_caught",
    "flags_missed",
    "flags_extra",
    "support_given",
    "support_matched",
]
_CLASS_COLUMNS = [
    "student",
    "line",
    "case",
    "passed",
    "top_correct",
    "top_given",
    "top_expected",
    "kendall_tau",
    "serious_miss",
    "flags_missed",
    "flags_extra",
    "support_matched",
    "error",
]


def _write_csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """CSV on stdout; a text cell a spreadsheet would run as a formula is written as text
    (numbers, such as a negative tau, are written as they are)."""
    writer = csv.DictWriter(sys.stdout, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items() if value is not None})


def _cell(value: Any) -> str:
    """A number as it is; any other value as text through csv_cell (one row, no formula)."""
    if isinstance(value, list):
        return csv_cell(";".join(map(str, value)))
    if isinstance(value, int | float):
        return str(value)
    return csv_cell(str(value))


def _grade_class(
    ruleset: Ruleset, library: Library, path: Path, output_format: PracticeFormat
) -> bool:
    """The class's graded rows on stdout; True when some row could not be graded."""
    rows = grade_class(ruleset, library, path)
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        _write_csv(rows, _CLASS_COLUMNS)
    return any(row["error"] for row in rows)


def _show_stats(console: Console, path: Path, output_format: PracticeFormat) -> None:
    from nmt_assess.teaching.log import read_attempts, summarise

    try:
        attempts, bad = read_attempts(path)
    except OSError as error:
        raise PracticeError(f"{path}: cannot read: {error.strerror or error}") from None
    if bad:
        more = f", and {len(bad) - 1} more line(s)" if len(bad) > 1 else ""
        print(
            f"{printable(str(path))}:{bad[0]}: not a practice attempt{more}; "
            f"{len(bad)} line(s) left out of the figures",
            file=sys.stderr,
        )
    summary = summarise(attempts)
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if output_format is PracticeFormat.csv:
        rows = [
            {
                "scope": "all",
                "name": "",
                "attempts": summary["attempts"],
                "accuracy": summary["top_cause_accuracy"],
            },
            *(
                {"scope": "cause", "name": name, **figures}
                for name, figures in summary["by_cause"].items()
            ),
            *(
                {"scope": "day", "name": name, **figures}
                for name, figures in summary["by_day"].items()
            ),
        ]
        _write_csv(rows, ["scope", "name", "attempts", "accuracy"])
        return
    if not attempts:
        console.print(f"No practice attempts yet in {safe(path)}.")
        return
    console.print(
        f"[bold]{summary['attempts']} attempt(s)[/bold]: top cause right in "
        f"{summary['top_cause_accuracy']:.0%}; serious misses: {summary['serious_misses']}"
    )
    console.print("\n[bold]By cause[/bold] (the case's leading cause)")
    for cause, figures in summary["by_cause"].items():
        console.print(
            f"  {safe(cause):<26} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    console.print("\n[bold]Over time[/bold]")
    for day, figures in summary["by_day"].items():
        console.print(
            f"  {safe(day)} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    if summary["most_missed"]:
        console.print(f"\nMost often missed: {safe(', '.join(summary['most_missed'][:3]))}")


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
