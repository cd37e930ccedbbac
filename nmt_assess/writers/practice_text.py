"""What `nmt-assess practice` shows: the case, the questions, the grade and the stats, as lines
of console markup (text from files escaped), and the graded rows as CSV. Printing is the CLI's."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, TextIO

from nmt_assess.writers.sanitize import csv_cell
from nmt_assess.writers.sanitize import markup_block as safe_block
from nmt_assess.writers.sanitize import markup_safe as safe

if TYPE_CHECKING:
    from nmt_assess.cases import Case
    from nmt_assess.models import Ruleset
    from nmt_assess.teaching.grading import Grade
    from nmt_assess.teaching.practice import Library

RANKING_PROMPT = "Rank the five causes, best first (e.g. 2,1,3,5,4)"
FLAGS_PROMPT = "Red flags you would act on (numbers or ids), or none"
SUPPORT_PROMPT = "Optional: up to two finding ids that best support your top cause (Enter to skip)"

SINGLE_COLUMNS = [
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
CLASS_COLUMNS = [
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
STATS_COLUMNS = ["scope", "name", "attempts", "accuracy"]


def case_lines(ruleset: Ruleset, library: Library, case: Case) -> list[str]:
    """The case as a clinician reads it: the story and the findings in words. Never its id or
    title, which can name the answer (both are shown with the grade)."""
    from nmt_assess.plain_words import value_words

    lines = [f"\n[bold]Practice case {library.handle(case)}[/bold] [dim](level {case.level})[/dim]"]
    lines.append(safe_block(case.story))
    for section in ("screening", "history", "complaint", "examination"):
        answered = [
            (f, case.findings[f.id])
            for f in ruleset.findings.values()
            if f.section == section and case.findings.get(f.id) is not None
        ]
        if not answered:
            continue
        lines.append(f"\n[bold]{section.capitalize()}[/bold]")
        if section == "screening":  # mostly "no": one line for those, one each for the rest
            denied = [f.label for f, value in answered if value is False]
            answered = [(f, value) for f, value in answered if value is not False]
            if denied:
                lines.append(f"  No to: {safe(', '.join(denied))}")
        for finding, value in answered:
            lines.append(f"  {safe(finding.label)}: {safe(value_words(value))}")
    return lines


def cause_choices(ruleset: Ruleset) -> list[str]:
    """The heading of the student's analysis and the causes to rank, numbered."""
    return ["\n[bold]Your analysis[/bold]"] + [
        f"  {number}. {safe(cause.title)} [dim]({safe(cause.id)})[/dim]"
        for number, cause in enumerate(ruleset.causes, 1)
    ]


def flag_choices(ruleset: Ruleset) -> list[str]:
    return [
        f"  {number:>2}. {safe(flag.title)} [dim]({flag.action.value})[/dim]"
        for number, flag in enumerate(ruleset.red_flags, 1)
    ]


def grade_lines(ruleset: Ruleset, case: Case, result: Grade, assessment: Any) -> list[Any]:
    """The grade, the rules' analysis (a rich renderable) and the case's teaching note."""
    from nmt_assess.writers.terminal import render_assessment

    titles = {cause.id: safe(cause.title) for cause in ruleset.causes}
    lines: list[Any] = [""]
    if result.serious_miss:
        lines.append(
            "[bold white on red] SERIOUS MISS [/bold white on red] an emergency or urgent "
            "red flag was not acted on: the referral comes before any ranking."
        )
    verdict = "[green]right[/green]" if result.top_correct else "[red]not the rules' choice[/red]"
    lines.append(
        f"Top cause: {titles[result.top_given]} is {verdict}; "
        f"the rules lead with {titles[result.top_expected]}."
    )
    lines.append(f"Rank agreement: {result.rank_words()}.")
    flag_titles = {flag.id: safe(flag.title) for flag in ruleset.red_flags}
    for label, ids in (
        ("caught", result.flags_caught),
        ("missed", result.flags_missed),
        ("not raised by the rules", result.flags_extra),
    ):
        if ids:
            lines.append(f"Red flags {label}: " + ", ".join(flag_titles[i] for i in ids))
    if not (result.flags_caught or result.flags_missed or result.flags_extra):
        lines.append("Red flags: none raised, none named.")
    if result.support_given:
        lines.append(
            f"Your supporting findings: {safe(', '.join(result.support_given))}; the rules' "
            f"strongest: {safe(', '.join(result.support_expected))}; matched: "
            f"{safe(', '.join(result.support_matched) or 'none')}."
        )
    lines.append("\n[bold]The rules' analysis[/bold]")
    lines.append(render_assessment(assessment, ruleset, top=2))
    lines.append(f"\n[bold]The case[/bold]: {safe(case.title)}")
    lines.append(f"[bold]Teaching note[/bold]: {safe_block(case.note)}")
    return lines


def stats_lines(summary: dict[str, Any], path: Any) -> list[str]:
    """The practice log's figures: overall, by cause, over time, and the most missed flags."""
    if not summary["attempts"]:
        return [f"No practice attempts yet in {safe(path)}."]
    lines = [
        f"[bold]{summary['attempts']} attempt(s)[/bold]: top cause right in "
        f"{summary['top_cause_accuracy']:.0%}; serious misses: {summary['serious_misses']}",
        "\n[bold]By cause[/bold] (the case's leading cause)",
    ]
    for cause, figures in summary["by_cause"].items():
        lines.append(
            f"  {safe(cause):<26} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    lines.append("\n[bold]Over time[/bold]")
    for day, figures in summary["by_day"].items():
        lines.append(
            f"  {safe(day)} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    if summary["most_missed"]:
        lines.append(f"\nMost often missed: {safe(', '.join(summary['most_missed'][:3]))}")
    return lines


def stats_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures as rows of STATS_COLUMNS: overall, by cause, by day."""
    return [
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
        *({"scope": "day", "name": name, **figures} for name, figures in summary["by_day"].items()),
    ]


def write_csv(out: TextIO, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """CSV; a text cell a spreadsheet would run as a formula is written as text
    (numbers, such as a negative tau, are written as they are)."""
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
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


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
