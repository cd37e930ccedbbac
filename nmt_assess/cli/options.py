"""Options shared by several commands.

`--rules` is one option for every command that reads a pack, and `NMT_ASSESS_RULES` fills it
when it is not given. Each folder is checked as the command line is parsed, so a path that
cannot be a rule pack is the same one line and exit 2 whichever command is given it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.errors import Refused

RULES_ENVVAR = "NMT_ASSESS_RULES"
_WHAT_A_PACK_IS = "a rule pack is a folder with a pack.yaml"


def checked_packs(
    context: typer.Context, param: typer.CallbackParam, packs: list[Path] | None
) -> list[Path] | None:
    """The pack folders, or one line on stderr and exit 2 for the first that is not one."""
    from nmt_assess.writers.sanitize import printable

    if _source(context, param.name) == "ENVIRONMENT" and context.params.get("packs"):
        return packs  # overridden by the packs given as arguments (parsed first), so unused
    for pack in packs or ():
        if not pack.exists():
            why = "no such folder"
        elif not pack.is_dir():
            why = "not a folder"
        elif not ((pack / "pack.yaml").exists() or (pack / "pack.yml").exists()):
            why = "no pack.yaml in it"
        else:
            continue
        print(f"nmt-assess: {printable(str(pack))}: {why} ({_WHAT_A_PACK_IS})", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT)
    return packs


RulesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="A rule pack folder to layer over the default one (repeatable, in order; "
        "also NMT_ASSESS_RULES, folders separated by ':').",
        envvar=RULES_ENVVAR,
        callback=checked_packs,
    ),
]

PacksArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Pack folders, as --rules gives them (kept as an alias; they override "
        "NMT_ASSESS_RULES).",
        show_default=False,
        callback=checked_packs,
    ),
]


def packs_given(
    context: typer.Context, packs: list[Path] | None, rules: list[Path] | None
) -> list[Path] | None:
    """The packs of a command that also takes them as arguments: the arguments, else --rules
    (or NMT_ASSESS_RULES, which arguments override, as --rules does)."""
    if not packs:
        return rules
    if rules and _source(context, "rules") == "COMMANDLINE":
        raise Refused("give the packs as arguments or with --rules, not both")
    return packs


def _source(context: typer.Context, name: str | None) -> str | None:
    """Where a parameter's value came from: COMMANDLINE, ENVIRONMENT, DEFAULT... (by name:
    typer has shipped click's ParameterSource from two different modules)."""
    return getattr(context.get_parameter_source(name or ""), "name", None)
