"""Score one intake file and explain the result: red flags first, then the ranked causes."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nmt_assess.cli import exit_codes

if TYPE_CHECKING:
    from nmt_assess.problems import ProblemsError


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def score(
    intake: Annotated[
        Path,
        typer.Argument(
            help="Intake file (YAML or JSON), e.g. a case in rules/cases/.", show_default=False
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", help="text: explained view; json: stable document for scripts."
        ),
    ] = OutputFormat.text,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Explain only the top N causes (text format)."),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(
            "--rules",
            help="Use this rule pack folder instead of the bundled one.",
            envvar="NMT_ASSESS_RULES",
        ),
    ] = None,
) -> None:
    """Score an intake file: red flags first, then the five causes ranked and explained."""
    from nmt_assess.engine import score as score_intake
    from nmt_assess.problems import ProblemsError
    from nmt_assess.readers.intake_file import read_intake_file
    from nmt_assess.ruleset import load_ruleset

    try:
        ruleset = load_ruleset(rules)
        assessment = score_intake(ruleset, read_intake_file(intake, ruleset))
    except ProblemsError as error:
        _report_problems(error)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    if output_format is OutputFormat.json:
        from nmt_assess.writers.json_writer import assessment_json

        sys.stdout.write(assessment_json(assessment))
        return
    from rich.console import Console

    from nmt_assess.writers.terminal import render_assessment

    Console().print(render_assessment(assessment, ruleset, top=top))


def _report_problems(error: ProblemsError) -> None:
    for problem in error.problems:
        print(problem.format(), file=sys.stderr)
    files = sorted({problem.file for problem in error.problems})
    count = len(error.problems)
    print(
        f"nmt-assess: {count} problem{'s' if count != 1 else ''} in {', '.join(files)}; "
        "nothing was scored.",
        file=sys.stderr,
    )
