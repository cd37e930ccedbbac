"""`nmt-assess explain`: what a finding, a cause, a rule or a body region means to the rules."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any

import typer

from nmt_assess.cli.options import RulesOption
from nmt_assess.cli.safe_text import safe


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


def explain(
    target: Annotated[
        str,
        typer.Argument(
            help="A finding, cause, rule or red-flag id, a body region, or a source tag "
            "(S25 or [S25]).",
            show_default=False,
        ),
    ],
    output_format: Annotated[ExplainFormat, typer.Option("--format", "-f")] = ExplainFormat.text,
    rules: RulesOption = None,
) -> None:
    """Explain a finding, cause, rule, red flag, body region or source: what it is and what it
    does to the causes."""
    from nmt_assess.cases import case_leaders
    from nmt_assess.meanings import explain as build
    from nmt_assess.ruleset import load_ruleset

    ruleset = load_ruleset(rules)
    data = build(ruleset, target, case_leaders(ruleset, rules))
    if output_format is ExplainFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    from nmt_assess.cli.safe_text import plain_console

    console = plain_console()
    kind = data["kind"]
    title = data.get("title") or data.get("label") or data["id"]
    console.print(f"[bold]{safe(title)}[/bold] [dim]({kind} {safe(data['id'])})[/dim]")
    for key in ("meaning", "description", "question", "how_to", "note", "citation"):
        if data.get(key):
            console.print(f"{key.replace('_', ' ').capitalize()}: {safe(data[key])}")
    if kind == "cause":
        console.print(f"Prior: {data['prior']:.2f}. {safe(data['prior_note'])}")
    if kind == "rule":
        _print_rule(console, data)
    if kind == "red flag":
        console.print(f"[red]{data['action']}[/red] when {safe(data['when'])}")
        console.print(f"Advice: {safe(data['advice'])}")
        if data["related_causes"]:
            console.print("Can hide behind: " + safe(", ".join(data["related_causes"])))
    if kind == "source":
        for label, key in (
            ("Rules citing it", "cited_by_rules"),
            ("Red flags citing it", "cited_by_red_flags"),
            ("Body regions citing it", "cited_by_regions"),
        ):
            if data[key]:
                console.print(f"{label}: {safe(', '.join(data[key]))}")
        if not (data["cited_by_rules"] or data["cited_by_red_flags"] or data["cited_by_regions"]):
            console.print("Nothing in the rules cites it.")
    if data.get("choices"):
        console.print("Choices: " + safe(", ".join(data["choices"])))
    if data.get("rules"):
        console.print("\n[bold]Rules, strongest first[/bold]")
        for rule in data["rules"]:
            _print_rule(console, rule, brief=True)
    for region, muscles in (data.get("muscles_by_region") or {}).items():
        console.print(f"  {safe(region.replace('_', ' '))}: {safe(', '.join(muscles))}")
    if data.get("muscles"):
        console.print(
            "Muscles whose trigger points refer here: " + safe(", ".join(data["muscles"]))
        )
    flags = data.get("red_flags") or data.get("red_flag_neighbours") or []
    if flags:
        console.print("\n[bold]Red flags[/bold]")
        for flag in flags:
            title, flag_id = safe(flag["title"]), safe(flag["id"])
            console.print(f"  [red]{flag['action']}[/red] {title} [dim]({flag_id})[/dim]")
    if data.get("cases"):
        console.print("\n[bold]Bundled cases it leads[/bold]: " + safe(", ".join(data["cases"])))
    if data.get("source") and kind in ("body region", "red flag"):
        for source in data["source"]:
            console.print(f"[dim]{safe(source)}[/dim]")


def _print_rule(console: Any, rule: dict[str, Any], brief: bool = False) -> None:
    head = (
        f"  [cyan]{safe(rule['cause_title'])}[/cyan] [dim]{safe(rule['rule'])}[/dim]"
        if brief
        else ""
    )
    if head:
        console.print(head)
    indent = "    " if brief else ""
    console.print(f"{indent}When {safe(rule['when'])}: {rule['if_it_holds']}")
    if rule["if_answered_and_not"]:
        console.print(f"{indent}Answered and not: {rule['if_answered_and_not']}")
    if rule["unless"]:
        console.print(f"{indent}Set aside when {safe(rule['unless'])}")
    console.print(
        f"{indent}{safe(rule['because'])} [dim]({rule['basis']}"
        + (f"; group {safe(rule['group'])}" if rule["group"] else "")
        + ")[/dim]"
    )
    if not brief:
        for source in rule["source"]:
            console.print(f"[dim]{safe(source)}[/dim]")
