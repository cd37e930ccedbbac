"""What `nmt-assess rules list`, `show` and `test` print: plain lines or console markup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.models import Ruleset


def rules_table(ruleset: Ruleset) -> list[str]:
    """The effective rules and red flags, with the pack each came from, in aligned columns."""
    rows = [("id", "cause", "LR", "LR absent", "pack", "overrides")]
    for cause in ruleset.causes:
        for rule in cause.rules:
            absent = "" if rule.lr_absent is None else f"{rule.lr_absent.lr:g}"
            rows.append(
                (
                    rule.id,
                    cause.id,
                    f"{rule.lr.lr:g}",
                    absent,
                    ruleset.rule_packs.get(rule.id, ""),
                    ruleset.overridden.get(rule.id, ""),
                )
            )
    for flag in ruleset.red_flags:
        rows.append((flag.id, f"red flag ({flag.action.value})", "", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def show_lines(ruleset: Ruleset, rule_id: str) -> list[str] | None:
    """One rule or red flag in markup lines: its condition in words, weights, source and what
    it overrides; None when the pack has no such rule or flag."""
    from nmt_assess.meanings import rule_summary
    from nmt_assess.plain_words import condition_words

    rules = {rule.id: rule for cause in ruleset.causes for rule in cause.rules}
    flags = {flag.id: flag for flag in ruleset.red_flags}
    lines = []
    if rule_id in rules:
        data = rule_summary(ruleset, rules[rule_id])
        lines.append(
            f"[bold]{rule_id}[/bold] ({data['cause_title']}) from pack "
            f"{ruleset.rule_packs.get(rule_id, '?')}"
        )
        if rule_id in ruleset.overridden:
            lines.append(f"Overrides the rule of pack {ruleset.overridden[rule_id]}")
        lines.append(f"When {data['when']}: {data['if_it_holds']}")
        if data["if_answered_and_not"]:
            lines.append(f"Answered and not: {data['if_answered_and_not']}")
        if data["unless"]:
            lines.append(f"Set aside when {data['unless']}")
        lines.append(f"Because: {data['because']} ({data['basis']})")
        for source in data["source"]:
            lines.append(f"[dim]{source}[/dim]")
        return lines
    if rule_id in flags:
        flag = flags[rule_id]
        lines.append(f"[bold]{flag.id}[/bold] red flag, action {flag.action.value}: {flag.title}")
        lines.append(f"When {condition_words(flag.when, ruleset.findings)}")
        lines.append(f"Advice: {flag.advice}")
        return lines
    return None


def rule_and_flag_ids(ruleset: Ruleset) -> list[str]:
    return [*(rule.id for cause in ruleset.causes for rule in cause.rules)] + [
        flag.id for flag in ruleset.red_flags
    ]


def result_lines(results: list[dict[str, Any]]) -> list[str]:
    """`rules test`: pass or FAIL per case, why a case failed, and the tally (markup)."""
    lines = []
    for result in results:
        mark = "[green]pass[/green]" if result["passed"] else "[red]FAIL[/red]"
        lines.append(f"{mark} {result['case']}")
        if result["passed"]:
            continue
        for failure in result["failures"]:
            lines.append(f"     {failure}")
        expected = " or ".join(result["expected"]["top"])
        lines.append(
            f"     expected top: {expected}; top two must include: "
            f"{', '.join(result['expected']['top_two']) or '-'}"
        )
        for rank, item in enumerate(result["ranking"], 1):
            lines.append(f"     {rank}. {item['cause']:<26} {item['probability']:.2f}")
        for cause, reasons in result["deciding"].items():
            lines.append(f"     {cause}: {'; '.join(reasons) or 'no counted rule'}")
    failed = sum(not r["passed"] for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return lines
