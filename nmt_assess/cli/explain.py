"""`nmt-assess explain`: what a finding, a cause, a rule or a body region means to the rules."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


def explain(
    target: Annotated[
        str,
        typer.Argument(help="A finding id, cause id, rule id or body region.", show_default=False),
    ],
    output_format: Annotated[ExplainFormat, typer.Option("--format", "-f")] = ExplainFormat.text,
    rules: RulesOption = None,
) -> None:
    """Explain a finding, cause, rule or body region: what it is and what it does to the causes."""
    from nmt_assess.explain import UnknownTarget
    from nmt_assess.explain import explain as build
    from nmt_assess.problems import ProblemsError
    from nmt_assess.ruleset import load_ruleset

    try:
        ruleset = load_ruleset(rules)
        data = build(ruleset, target, case_leaders(rules))
    except ProblemsError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    except UnknownTarget as error:
        hint = f" ({error.hint})" if error.hint else ""
        print(
            f"nmt-assess: '{error.target}' is not a finding, cause, rule or body region{hint}",
            file=sys.stderr,
        )
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    if output_format is ExplainFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    _print(data)


def case_leaders(packs: list[Path] | None) -> dict[str, str]:
    """Case id -> the cause it is led by, over the cases of every pack in use."""
    import yaml

    from nmt_assess.ruleset import case_files, pack_chain

    leaders = {}
    for path in sorted(p for pack in pack_chain(packs) for p in case_files(pack)):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and isinstance(document.get("leading_cause"), str):
            leaders[path.stem] = document["leading_cause"]
    return leaders


def _print(data: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console(highlight=False)
    kind = data["kind"]
    title = data.get("title") or data.get("label") or data["id"]
    console.print(f"[bold]{title}[/bold] [dim]({kind} {data['id']})[/dim]")
    for key in ("meaning", "description", "question", "how_to", "note"):
        if data.get(key):
            console.print(f"{key.replace('_', ' ').capitalize()}: {data[key]}")
    if kind == "cause":
        console.print(f"Prior: {data['prior']:.2f}. {data['prior_note']}")
    if kind == "rule":
        _print_rule(console, data)
    if data.get("choices"):
        console.print("Choices: " + ", ".join(data["choices"]))
    if data.get("rules"):
        console.print("\n[bold]Rules, strongest first[/bold]")
        for rule in data["rules"]:
            _print_rule(console, rule, brief=True)
    for region, muscles in (data.get("muscles_by_region") or {}).items():
        console.print(f"  {region.replace('_', ' ')}: {', '.join(muscles)}")
    if data.get("muscles"):
        console.print("Muscles whose trigger points refer here: " + ", ".join(data["muscles"]))
    flags = data.get("red_flags") or data.get("red_flag_neighbours") or []
    if flags:
        console.print("\n[bold]Red flags[/bold]")
        for flag in flags:
            console.print(
                f"  [red]{flag['action']}[/red] {flag['title']} [dim]({flag['id']})[/dim]"
            )
    if data.get("cases"):
        console.print("\n[bold]Bundled cases it leads[/bold]: " + ", ".join(data["cases"]))
    if data.get("source") and kind == "body region":
        console.print("[dim]" + " ".join(data["source"]) + "[/dim]")


def _print_rule(console: Any, rule: dict[str, Any], brief: bool = False) -> None:
    head = f"  [cyan]{rule['cause_title']}[/cyan] [dim]{rule['rule']}[/dim]" if brief else ""
    if head:
        console.print(head)
    indent = "    " if brief else ""
    console.print(f"{indent}When {rule['when']}: {rule['if_it_holds']}")
    if rule["if_answered_and_not"]:
        console.print(f"{indent}Answered and not: {rule['if_answered_and_not']}")
    if rule["unless"]:
        console.print(f"{indent}Set aside when {rule['unless']}")
    console.print(
        f"{indent}{rule['because']} [dim]({rule['basis']}"
        + (f"; group {rule['group']}" if rule["group"] else "")
        + ")[/dim]"
    )
    if not brief:
        for source in rule["source"]:
            console.print(f"[dim]{source}[/dim]")
