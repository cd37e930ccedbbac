"""`nmt-assess practice`: students rank the five causes for a bundled case and are graded
against the rules, then shown the rules' reasons and the case's teaching note."""

from __future__ import annotations

import csv
import json
import random
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption

if TYPE_CHECKING:
    from rich.console import Console

    from nmt_assess.cases import Case
    from nmt_assess.grading import Grade
    from nmt_assess.models import Ruleset


class PracticeFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


class PracticeError(Exception):
    """A choice or an answer that cannot be used (exit 2 when not interactive)."""


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
    from rich.console import Console

    from nmt_assess.problems import ProblemsError
    from nmt_assess.progress import default_log_path
    from nmt_assess.ruleset import load_ruleset

    console = Console(highlight=False)
    log_path = log or default_log_path()
    if stats:
        _show_stats(console, log_path, output_format)
        return
    try:
        ruleset = load_ruleset(rules)
        cases = _load_cases(rules)
        if answers_file is not None:
            _grade_class(ruleset, cases, answers_file, output_format)
            return
        chosen = _choose(cases, case_id, cause, level, seed)
        if output_format is PracticeFormat.text:
            _present(console, ruleset, chosen)
        if answer is None:
            ranking, raised, backing = _ask(console, ruleset)
        else:
            ranking = parse_ranking(ruleset, answer)
            raised = parse_flags(ruleset, flags or "none")
            backing = parse_support(ruleset, support or "")
    except ProblemsError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    except PracticeError as error:
        print(f"nmt-assess: {error}", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    result, assessment = _grade_case(ruleset, chosen, ranking, raised, backing)
    _log(log_path, chosen, result)
    if output_format is PracticeFormat.text:
        _show_grade(console, ruleset, chosen, result, assessment)
    else:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")


# --- cases ---------------------------------------------------------------------------------


def _load_cases(packs: list[Path] | None) -> dict[str, Case]:
    """The cases of every pack in use (a later pack's case replaces one of the same id)."""
    import yaml

    from nmt_assess.cases import Case
    from nmt_assess.ruleset import case_files, pack_chain

    return {
        path.stem: Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for pack in pack_chain(packs)
        for path in case_files(pack)
    }


def _choose(
    cases: dict[str, Case],
    case_id: str | None,
    cause: str | None,
    level: int | None,
    seed: int | None,
) -> Case:
    from nmt_assess.problems import did_you_mean

    if case_id is not None:
        if case_id not in cases:
            hint = did_you_mean(case_id, cases)
            raise PracticeError(f"no case '{case_id}'" + (f" ({hint})" if hint else ""))
        return cases[case_id]
    eligible = [
        c
        for c in cases.values()
        if (cause is None or c.leading_cause == cause) and (level is None or c.level == level)
    ]
    if not eligible:
        raise PracticeError("no bundled case matches --cause/--level")
    return random.Random(seed).choice(eligible)


def _present(console: Console, ruleset: Ruleset, case: Case) -> None:
    """The case as a clinician reads it: the story and the findings in words, never the answer."""
    from nmt_assess.describe import value_words

    console.print(f"\n[bold]{case.title}[/bold] [dim](case {case.id}, level {case.level})[/dim]")
    console.print(case.story)
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
                console.print(f"  No to: {', '.join(denied)}")
        for finding, value in answered:
            console.print(f"  {finding.label}: {value_words(value)}")


# --- answers -------------------------------------------------------------------------------


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


def _ask(console: Console, ruleset: Ruleset) -> tuple[list[str], list[str], list[str]]:
    console.print("\n[bold]Your analysis[/bold]")
    for number, cause in enumerate(ruleset.causes, 1):
        console.print(f"  {number}. {cause.title} [dim]({cause.id})[/dim]")
    ranking = _ask_until(
        console,
        "Rank the five causes, best first (e.g. 2,1,3,5,4)",
        lambda text: parse_ranking(ruleset, text),
    )
    for number, flag in enumerate(ruleset.red_flags, 1):
        console.print(f"  {number:>2}. {flag.title} [dim]({flag.action.value})[/dim]")
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
            text = input("> ")
        except EOFError:
            raise PracticeError("input ended before the answer was complete") from None
        try:
            return parse(text)
        except PracticeError as error:
            console.print(f"[yellow]{error}[/yellow]")


# --- grading -------------------------------------------------------------------------------


def _grade_case(
    ruleset: Ruleset, case: Case, ranking: list[str], raised: list[str], backing: list[str]
) -> tuple[Grade, Any]:
    from nmt_assess.engine import score
    from nmt_assess.grading import grade
    from nmt_assess.intake import validate_intake
    from nmt_assess.models import Intake

    intake = validate_intake({"id": case.id, "findings": case.findings}, ruleset.findings)
    assert isinstance(intake, Intake), f"bundled case {case.id} is not a valid intake"
    assessment = score(ruleset, intake)
    return grade(case.id, assessment, ranking, raised, backing), assessment


def _show_grade(
    console: Console, ruleset: Ruleset, case: Case, result: Grade, assessment: Any
) -> None:
    from nmt_assess.writers.terminal import render_assessment

    titles = {cause.id: cause.title for cause in ruleset.causes}
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
    flag_titles = {flag.id: flag.title for flag in ruleset.red_flags}
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
            f"Your supporting findings: {', '.join(result.support_given)}; the rules' "
            f"strongest: {', '.join(result.support_expected)}; matched: "
            f"{', '.join(result.support_matched) or 'none'}."
        )
    console.print("\n[bold]The rules' analysis[/bold]")
    console.print(render_assessment(assessment, ruleset, top=2))
    console.print(f"\n[bold]Teaching note[/bold]: {case.note}")


def _log(path: Path, case: Case, result: Grade) -> None:
    from nmt_assess.progress import append_attempt, now

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


def _grade_class(
    ruleset: Ruleset, cases: dict[str, Case], path: Path, output_format: PracticeFormat
) -> None:
    """One graded row per student answer; a row that cannot be graded says why."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PracticeError(f"{path}: cannot read: {error.strerror}") from None
    rows = []
    reader = csv.DictReader(text.splitlines())
    missing = {"student", "case", "ranking"} - set(reader.fieldnames or [])
    if missing:
        raise PracticeError(
            f"{path}: columns missing: {', '.join(sorted(missing))} "
            "(expected student,case,ranking,flags[,support])"
        )
    for row in reader:
        line = reader.line_num
        try:
            case = _choose(cases, (row.get("case") or "").strip(), None, None, None)
            result, _ = _grade_case(
                ruleset,
                case,
                parse_ranking(ruleset, row["ranking"] or ""),
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
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    columns = [
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
    writer = csv.DictWriter(sys.stdout, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})


def _show_stats(console: Console, path: Path, output_format: PracticeFormat) -> None:
    from nmt_assess.progress import read_attempts, summarise

    attempts, bad = read_attempts(path)
    for number in bad:
        print(f"{path}:{number}: not a practice attempt; left out of the figures", file=sys.stderr)
    summary = summarise(attempts)
    if output_format is PracticeFormat.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if not attempts:
        console.print(f"No practice attempts yet in {path}.")
        return
    console.print(
        f"[bold]{summary['attempts']} attempt(s)[/bold]: top cause right in "
        f"{summary['top_cause_accuracy']:.0%}; serious misses: {summary['serious_misses']}"
    )
    console.print("\n[bold]By cause[/bold] (the case's leading cause)")
    for cause, figures in summary["by_cause"].items():
        console.print(
            f"  {cause:<26} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    console.print("\n[bold]Over time[/bold]")
    for day, figures in summary["by_day"].items():
        console.print(
            f"  {day} {_bar(figures['accuracy'])} {figures['accuracy']:.0%} "
            f"of {figures['attempts']}"
        )
    if summary["most_missed"]:
        console.print(f"\nMost often missed: {', '.join(summary['most_missed'][:3])}")


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)
