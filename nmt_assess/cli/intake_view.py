"""How `nmt-assess intake` shows the session's prompts, replies and red-flag alerts (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nmt_assess.cli.safe_text import safe
from nmt_assess.session import Confirm, IntakeSession, Page, Prompt, Question, Reply

if TYPE_CHECKING:
    from rich.console import Console

    from nmt_assess.models import Finding, RedFlag

_CONFIRM = {
    "emergency": "[bold red]Emergency. Stop the intake now?[/bold red]",
    "urgent": "[bold red]Urgent: no treatment today. Stop the intake now?[/bold red]",
}
_PAGE_HELP = (
    "[cyan]Each question screens for a red flag: a sign that needs a doctor, or that "
    "makes deep work unsafe. Type the numbers of those that apply, none if none applies, "
    "s to leave them unscreened (the report says so), b to go back, done to finish. "
    "?3 explains question 3.[/cyan]"
)


def show_prompt(console: Console, session: IntakeSession, prompt: Prompt) -> None:
    """What is shown once when a prompt comes up (a question, a page of them)."""
    from rich.markup import escape

    if isinstance(prompt, Confirm):
        return
    if prompt.heading:
        console.print("\n[bold]Screening: red flags and precautions[/bold]")
    if isinstance(prompt, Question) and prompt.keeping:
        from nmt_assess.plain_words import value_words

        console.print(f"[dim]now: {safe(value_words(prompt.kept))}; Enter keeps it[/dim]")
    console.print("\n[dim]" + safe(session.ranking_line()) + "[/dim]")
    if isinstance(prompt, Page):
        where = f", page {prompt.number} of {prompt.pages}" if prompt.number else ""
        console.print(f"[bold]Does any of these apply to the client{where}?[/bold]")
        for lines in prompt.lines:
            for line in lines:
                console.print(escape(line))
        return
    finding = prompt.finding
    console.print(f"[bold]{safe(finding.question)}[/bold] {hint(finding)}")
    if finding.how_to:
        console.print(f"  [dim]{safe(finding.how_to)}[/dim]")
    if finding.choices:
        show_choices(console, finding)


def ask_line(console: Console, prompt: Prompt) -> None:
    """What is shown before each line is read (again after a correction)."""
    from nmt_assess.adaptive import STOP_MARGIN

    if isinstance(prompt, Page):
        console.print(
            "Numbers of any that apply (e.g. 1,4), [bold]none[/bold], s skip, ? help, b back, done."
        )
    elif isinstance(prompt, Confirm):
        question = _CONFIRM.get(prompt.kind) or (
            f"[cyan]No remaining question could reorder the top two causes by "
            f"more than {STOP_MARGIN:.2f}.[/cyan] Finish now?"
        )
        console.print(f"{question} \\[y/n]")


def show_reply(console: Console, session: IntakeSession, reply: Reply) -> None:
    if reply.kind == "retry":
        console.print(f"[yellow]{safe(reply.message)}[/yellow]")
    elif reply.kind == "explain":
        if reply.finding is None:
            console.print(_PAGE_HELP)
        else:
            explain(console, session, reply.finding)
    elif reply.kind == "nothing_back":
        console.print("[yellow]Nothing to go back to.[/yellow]")
    for flag in reply.raised:
        alert(console, flag)


def hint(finding: Finding) -> str:
    from nmt_assess.models import FindingType

    kind = finding.type
    if kind is FindingType.yes_no:
        return "[dim]\\[y/n/s][/dim]"
    if kind is FindingType.scale_0_10:
        return "[dim]\\[0-10, s][/dim]"
    if kind is FindingType.number:
        low, high = finding.bounds or (0, 0)
        return f"[dim]\\[{low:g}-{high:g} {safe(finding.unit or '')}, s][/dim]"
    if kind is FindingType.multi_choice:
        return "[dim]\\[numbers or names, comma-separated; none; s][/dim]"
    return "[dim]\\[number or name, s][/dim]"


def show_choices(console: Console, finding: Finding) -> None:
    from rich.columns import Columns

    choices = finding.choices or ()
    cells = [f"{n:>2}. {safe(c.replace('_', ' '))}" for n, c in enumerate(choices, 1)]
    console.print(Columns(cells, column_first=True, padding=(0, 2)))


def explain(console: Console, session: IntakeSession, finding: Finding) -> None:
    console.print(f"[cyan]{safe(finding.meaning)}[/cyan]")
    for cause in session.ruleset.causes:
        for rule in cause.rules:
            if finding.id in set(rule.findings()):
                console.print(
                    f"  [cyan]{safe(cause.title)}: x{rule.lr.lr:g} {safe(rule.because)}[/cyan]"
                )
    for flag in session.ruleset.red_flags:
        if finding.id in set(flag.when.findings()):
            console.print(f"  [red]Red flag ({flag.action.value}): {safe(flag.title)}[/red]")


def alert(console: Console, flag: RedFlag) -> None:
    """A newly raised flag, at once."""
    from rich.panel import Panel

    style = "red" if flag.action.is_referral_first else "yellow"
    console.print(
        Panel(
            f"[bold]{safe(flag.title)}[/bold]\n{safe(flag.advice)}",
            title=f"RED FLAG: {flag.action.value.upper()}",
            border_style=style,
        )
    )


def finish(console: Console, session: IntakeSession, terminal: Any) -> None:
    from nmt_assess.writers.terminal import render_assessment

    terminal.save()
    console.print()
    console.print(render_assessment(session.engine.score(session.intake()), session.ruleset))
    console.print(f"\nSaved: {safe(terminal.path)}")
