"""The rich terminal view of one assessment: red flags first, then the explained ranking.

Everything that came from a file (ids, titles, labels, advice, reasons: a user pack or an intake
may hold anything) reaches rich only through `_text`: as a Text, which rich never reads as
markup, with every control character shown as its escape (`printable`). No str from a file is
handed to rich, so `[bold]` stays literal and an ESC cannot move the cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

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
)
from nmt_assess.writers.base import (
    SCREENS_HEADING,
    SECONDARY,
    cause_title,
    figure,
    findings_found,
    not_screened_line,
    screen_lines,
    withheld_lines,
)
from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from nmt_assess.whatif import WhatIf

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
    record = assessment.model_dump(mode="json")
    parts: list[RenderableType] = [_header(assessment)]
    if assessment.red_flags:
        parts.append(_red_flags_panel(assessment, ruleset))
    unscreened = not_screened_line(record, ruleset)
    if unscreened:
        parts.append(_text(unscreened, "yellow"))
    parts.extend(_text(line, "bold yellow") for line in withheld_lines(record, ruleset))
    if record["screens"]:
        parts.append(_screens(record["screens"], ruleset))
    parts.append(Text())
    parts.append(_ranking(assessment))
    for cause in assessment.causes[:top]:
        parts.append(_explanation(cause, assessment, ruleset))
    parts.append(_text(assessment.disclaimer, "italic dim"))
    return Group(*parts)


def _screens(screens: list[dict[str, Any]], ruleset: Ruleset) -> Group:
    lines: list[RenderableType] = [Text(f"\n{SCREENS_HEADING}", style="bold")]
    for screen in screens:
        headline, advice, unanswered = screen_lines(screen, ruleset)
        lines.append(_text(f"  {headline}", "bold" if advice else "bold yellow"))
        if advice:
            lines.append(_text(f"    {advice}"))
        if unanswered:
            lines.append(_text(f"    {unanswered}", "yellow" if not advice else "dim"))
    return Group(*lines)


def _text(text: str, style: str = "") -> Text:
    """Text from a file, safe to show: literal (never markup) and free of control characters."""
    return Text(printable(text), style=style)


def _header(assessment: Assessment) -> Text:
    intake = assessment.intake_id or "(no id)"
    if assessment.intake_date:
        intake += f" ({assessment.intake_date.isoformat()})"
    rules = assessment.ruleset
    return Text.assemble(
        ("nmt-assess", "bold"),
        "  intake ",
        _text(intake),
        "  ",
        _text(f"rules {rules.name} {rules.version}", "dim"),
    )


def _red_flags_panel(assessment: Assessment, ruleset: Ruleset) -> Panel:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for flag in assessment.red_flags:
        label = Text(f" {flag.action.value.upper()} ", style=_ACTION_STYLE[flag.action])
        found = findings_found(ruleset, flag.findings, assessment.answers)
        body = Text.assemble(
            _text(flag.title, "bold"),
            "\n",
            _text(flag.advice),
            "\n",
            _text(f"because: {found}", "dim"),
        )
        table.add_row(label, body)
    title = (
        "RED FLAGS: refer before any treatment"
        if assessment.referral_first
        else "Red flags and precautions"
    )
    style = "red" if assessment.referral_first else "yellow"
    return Panel(table, title=title, title_align="left", border_style=style)


def _ranking(assessment: Assessment) -> Table:
    title = "Causes, ranked"
    if assessment.referral_first:
        title += f" ({SECONDARY} above)"
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("Cause")
    table.add_column("Probability")
    table.add_column("Band")
    for cause in assessment.causes:
        filled = round(cause.probability * _BAR_WIDTH)
        bar = Text("█" * filled, style="green") + Text("░" * (_BAR_WIDTH - filled), style="dim")
        style = "dim" if assessment.referral_first else ""
        table.add_row(
            Text(str(cause.rank), style=style),
            _text(cause_title(cause.title, cause.site), style),
            bar + Text(f" {figure(cause.probability, cause.range)}"),
            _text(cause.band, _BAND_STYLE.get(cause.band, "")),
        )
    return table


def _explanation(cause: CauseAssessment, assessment: Assessment, ruleset: Ruleset) -> Group:
    head = Text.assemble(
        "\n",
        _text(f"{cause.rank}. {cause_title(cause.title, cause.site)}", "bold"),
        "  ",
        _text(f"{figure(cause.probability, cause.range)} {cause.band}"),
        "  ",
        (f"(prior {cause.prior:.2f})", "dim"),
    )
    if assessment.referral_first:
        head.append(f"  ({SECONDARY})", style="dim")
    lines: list[RenderableType] = [head]
    counted = [c for c in cause.contributions if c.counted]
    for direction, label in (("for", "For"), ("against", "Against")):
        shown = [c for c in counted if c.direction == direction]
        if shown:
            lines.append(Text(f"  {label}", style="bold"))
            lines.append(_contributions(shown, assessment, ruleset))
    if not counted:
        lines.append(Text("  No answered finding bears on this cause yet.", style="dim"))
    outweighed = [c for c in cause.contributions if not c.counted]
    if outweighed:
        names = ", ".join(c.rule.split(".")[-1] for c in outweighed)
        why = "a stronger rule of its group, or of what the client said, counts"
        lines.append(_text(f"  Not counted ({why}): {names}", "dim"))
    if cause.muscles_to_palpate:
        lines.append(Text("  Muscles to palpate (trigger-point referral)", style="bold"))
        lines.append(
            _indented_rows(
                (_text(_words(region)), _text(", ".join(muscles)))
                for region, muscles in cause.muscles_to_palpate.items()
            )
        )
    if cause.withheld:
        items = ", ".join(
            f"{_words(w.item) if w.kind == 'muscles_to_palpate' else _label(w.item, ruleset)}"
            f" ({w.flag})"
            for w in cause.withheld
        )
        lines.append(_text(f"  Withheld (a red flag keeps hands off): {items}", "yellow"))
    if cause.check_next:
        lines.append(Text("  Check next", style="bold"))
        lines.append(
            _indented_rows(
                (
                    Text("ask" if item.asked_of == "client" else "test"),
                    Text.assemble(
                        _text(item.question),
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


def _contributions(
    contributions: list[Contribution], assessment: Assessment, ruleset: Ruleset
) -> Table:
    rows = []
    for contribution in contributions:
        found = findings_found(ruleset, contribution.findings, assessment.answers)
        style = "green" if contribution.direction == "for" else "red"
        source = f" [{', '.join(contribution.source)}]" if contribution.source else ""
        rows.append(
            (
                Text(f"x{contribution.factor:.3g}", style=style),
                Text.assemble(
                    _text(found, "bold"),
                    ": ",
                    _text(contribution.because),
                    _text(f" ({contribution.basis}){source}", "dim"),
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


def _label(finding_id: str, ruleset: Ruleset) -> str:
    finding = ruleset.findings.get(finding_id)
    return finding.label if finding is not None else finding_id


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def render_what_if(ruleset: Ruleset, result: WhatIf) -> Group:
    """The what-if comparison: each cause before and after, and the rules that moved it."""
    from nmt_assess.plain_words import value_words

    described = "; ".join(
        f"{ruleset.findings[f].label}: {'unknown' if v is None else value_words(v)}"
        for f, v in result.changes.items()
    )
    table = Table(box=None, pad_edge=False)
    for column in ("Cause", "Before", "After", "Change", "Rank", "Rules that moved it"):
        table.add_column(column)
    for delta in result.deltas:
        moved = [f"+{_short(r)}" for r in delta["rules_added"]]
        moved += [f"-{_short(r)}" for r in delta["rules_removed"]]
        moved += [f"~{_short(r)}" for r in delta["rules_changed"]]
        style = "green" if delta["change"] > 0 else "red" if delta["change"] < 0 else "dim"
        table.add_row(
            delta["title"],
            f"{delta['probability_before']:.2f}",
            f"{delta['probability_after']:.2f}",
            f"[{style}]{delta['change']:+.2f}[/{style}]",
            f"{delta['rank_before']} -> {delta['rank_after']}",
            ", ".join(moved) or "-",
        )
    variant = result.variant
    flags = ", ".join(f["title"] for f in variant["red_flags"]) or "none"
    return Group(
        Text.from_markup(f"[bold]What if[/bold] {described}"),
        table,
        Text(f"Red flags in the variant: {flags}"),
        Text.from_markup(f"[dim italic]{variant['disclaimer']}[/dim italic]"),
    )


def _short(rule_id: str) -> str:
    return rule_id.split(".", 1)[-1]
