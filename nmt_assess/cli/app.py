"""The `nmt-assess` command. Commands import what they need when they run, so start-up is fast."""

from __future__ import annotations

import typer

from nmt_assess.cli import explain, intake, practice, questionnaire, rules, score

app = typer.Typer(
    name="nmt-assess",
    help=(
        "Assess a neuromuscular-therapy client intake against the five NMT causes of pain, "
        "red flags first. Supports, and does not replace, clinical judgement."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command(name="score", help=score.__doc__)(score.score)
app.command(name="questionnaire", help=questionnaire.__doc__)(questionnaire.questionnaire)
app.command(name="intake", help=intake.intake.__doc__)(intake.intake)
app.command(name="explain", help=explain.explain.__doc__)(explain.explain)
app.command(name="practice", help=practice.practice.__doc__)(practice.practice)
app.add_typer(rules.app, name="rules")


def main() -> None:
    app()
