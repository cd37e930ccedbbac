"""The rich terminal view of one assessment: red flags first, then the explained ranking."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from nmt_assess.models import (
    Action,
    Assessment,
    CauseAssessment,
    Contribution,
    Ruleset,
    UnscreenedFlag,
)

_ACTION_STYLE = {
    Action.emergency: "bold white on red",
    Action.urgent: "bold red",
    Action.refer: "bold yellow",
    Action.caution: "yellow",
    Action.local: "cyan",
}
_BAND_STYLE = {
    "unlikely": "dim",
    "possible": "yellow",
    "likely": "green",
    "very likely": "bold green",
}
_BAR_WIDTH = 20


def render_assessment(
    assessment: Assessment, ruleset: Ruleset, top: int | None = None
) -> RenderableType:
    parts: list[RenderableType] = [_header(assessment)]
    if assessment.red_flags:
        parts.append(_red_flags_panel(assessment, ruleset))
    if assessment.unscreened_red_flags:
        parts.append(_unscreened(assessment.unscreened_red_flags, ruleset))
    parts.append(Text())
    parts.append(_ranking(assessment))
    for cause in assessment.causes[:top]:
        parts.append(_explanation(cause, ruleset))
    parts.append(Text(assessment.disclaimer, style="italic dim"))
    return Group(*parts)


def _header(assessment: Assessment) -> Text:
    intake = assessment.intake_id or "(no id)"
    if assessment.intake_date:
        intake += f" ({assessment.intake_date.isoformat()})"
    rules = assessment.ruleset
    return Text.assemble(
        ("nmt-assess", "bold"),
        f"  intake {intake}  ",
        (f"rules {rules.name} {rules.version}", "dim"),
    )


def _red_flags_panel(assessment: Assessment, ruleset: Ruleset) -> Panel:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for flag in assessment.red_flags:
        label = Text(f" {flag.action.value.upper()} ", style=_ACTION_STYLE[flag.action])
        body = Text.assemble(
            (flag.title, "bold"),
            "\n",
            flag.advice,
            "\n",
            (f"because: {_labels(flag.findings, ruleset)}", "dim"),
        )
        table.add_row(label, body)
    title = (
        "RED FLAGS: refer before any treatment"
        if assessment.referral_first
        else "Red flags and precautions"
    )
    style = "red" if assessment.referral_first else "yellow"
    return Panel(table, title=title, title_align="left", border_style=style)


def _unscreened(flags: tuple[UnscreenedFlag, ...], ruleset: Ruleset) -> Text:
    serious = [flag for flag in flags if flag.action.is_referral_first]
    questions = dict.fromkeys(f for flag in serious for f in flag.unanswered)
    text = Text(
        f"Not screened: {len(flags)} red flag(s) depend on unanswered questions", style="yellow"
    )
    if questions:
        labels = ", ".join(ruleset.findings[f].label for f in questions)
        text.append(f"; ask before treating: {labels}", style="yellow")
    return text


def _ranking(assessment: Assessment) -> Table:
    title = "Causes, ranked"
    if assessment.referral_first:
        title += " (secondary to the referral above)"
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("Cause")
    table.add_column("Probability")
    table.add_column("Band")
    for cause in assessment.causes:
        filled = round(cause.probability * _BAR_WIDTH)
        bar = Text("█" * filled, style="green") + Text("░" * (_BAR_WIDTH - filled), style="dim")
        table.add_row(
            str(cause.rank),
            cause.title,
            bar + Text(f" {cause.probability:.2f}"),
            Text(cause.band, style=_BAND_STYLE.get(cause.band, "")),
        )
    return table


def _explanation(cause: CauseAssessment, ruleset: Ruleset) -> Group:
    head = Text.assemble(
        (f"\n{cause.rank}. {cause.title}", "bold"),
        f"  {cause.probability:.2f} {cause.band}  ",
        (f"(prior {cause.prior:.2f})", "dim"),
    )
    lines: list[RenderableType] = [head]
    counted = [c for c in cause.contributions if c.counted]
    for direction, label in (("for", "For"), ("against", "Against")):
        shown = [c for c in counted if c.direction == direction]
        if shown:
            lines.append(Text(f"  {label}", style="bold"))
            lines.append(_contributions(shown, ruleset))
    if not counted:
        lines.append(Text("  No answered finding bears on this cause yet.", style="dim"))
    outweighed = [c for c in cause.contributions if not c.counted]
    if outweighed:
        names = ", ".join(c.rule.split(".")[-1] for c in outweighed)
        lines.append(
            Text(f"  Not counted (a stronger rule of its group counts): {names}", style="dim")
        )
    if cause.muscles_to_palpate:
        lines.append(Text("  Muscles to palpate (trigger-point referral)", style="bold"))
        lines.append(
            _indented_rows(
                (Text(_words(region)), Text(", ".join(muscles)))
                for region, muscles in cause.muscles_to_palpate.items()
            )
        )
    if cause.check_next:
        lines.append(Text("  Check next", style="bold"))
        lines.append(
            _indented_rows(
                (
                    Text("ask" if item.asked_of == "client" else "test"),
                    Text.assemble(
                        item.question,
                        (
                            f"  could move it to {item.could_lower_to:.2f}"
                            f"-{item.could_raise_to:.2f}",
                            "cyan",
                        ),
                    ),
                )
                for item in cause.check_next
            )
        )
    return Group(*lines)


def _contributions(contributions: list[Contribution], ruleset: Ruleset) -> Table:
    rows = []
    for contribution in contributions:
        labels = _labels(contribution.findings, ruleset)
        style = "green" if contribution.direction == "for" else "red"
        source = f" [{', '.join(contribution.source)}]" if contribution.source else ""
        rows.append(
            (
                Text(f"x{contribution.factor:.3g}", style=style),
                Text.assemble(
                    (labels, "bold"),
                    ": ",
                    contribution.because,
                    (f" ({contribution.basis}){source}", "dim"),
                ),
            )
        )
    return _indented_rows(rows)


def _indented_rows(rows: Iterable[tuple[Text, Text]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(width=3)
    table.add_column(no_wrap=True)
    table.add_column()
    for left, right in rows:
        table.add_row("", left, right)
    return table


def _labels(finding_ids: Iterable[str], ruleset: Ruleset) -> str:
    return ", ".join(ruleset.findings[f].label if f in ruleset.findings else f for f in finding_ids)


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")
