"""`nmt-assess rules`: the rule author's toolchain: lint, test, schema, list, show, new."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.errors import Refused, edge
from nmt_assess.cli.options import PacksArgument, RulesOption, packs_given

if TYPE_CHECKING:
    from nmt_assess.models import Ruleset

app = typer.Typer(help="Author and check rule packs.", no_args_is_help=True, add_completion=False)


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class TestFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("lint")
@edge
def lint_command(
    context: typer.Context,
    packs: PacksArgument = None,
    rules: RulesOption = None,
    output_format: Annotated[LintFormat, typer.Option("--format", "-f")] = LintFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="ID[,ID]",
            help="Report only these warnings (errors are always reported).",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="ID[,ID]",
            help="Do not report these warnings (errors cannot be ignored).",
        ),
    ] = None,
) -> None:
    """Check packs: every problem as FILE:LINE:COL: severity: [check] message (hint)."""
    from nmt_assess.ruleset.lint import (
        as_dict,
        check_ids_option,
        exit_code,
        github_annotation,
        lint_packs,
    )

    selected, wrong = check_ids_option(select or [], ignoring=False)
    if wrong is not None:
        raise Refused(f"--select: {wrong}")
    ignored, wrong = check_ids_option(ignore or [], ignoring=True)
    if wrong is not None:
        raise Refused(f"--ignore: {wrong}")
    chain, _, problems = lint_packs(packs_given(context, packs, rules), selected, ignored)
    if output_format is LintFormat.json:
        sys.stdout.write(json.dumps([as_dict(p) for p in problems], indent=2) + "\n")
    elif output_format is LintFormat.github:
        sys.stdout.writelines(github_annotation(p) + "\n" for p in problems)
    else:
        sys.stdout.writelines(p.format_lint() + "\n" for p in problems)
        errors = sum(p.severity == "error" for p in problems)
        print(
            f"nmt-assess: {errors} error(s), {len(problems) - errors} warning(s) in "
            f"{', '.join(str(p) for p in chain)}",
            file=sys.stderr,
        )
    raise typer.Exit(exit_code(problems, strict))


@app.command("test")
@edge
def test_command(
    context: typer.Context,
    packs: PacksArgument = None,
    rules: RulesOption = None,
    case: Annotated[str | None, typer.Option("--case", help="Run only this case.")] = None,
    output_format: Annotated[TestFormat, typer.Option("--format", "-f")] = TestFormat.text,
) -> None:
    """Lint, then score every case in the packs' cases/ and check its expectations."""
    from nmt_assess.cases import check_cases

    results = check_cases(packs_given(context, packs, rules), case)
    if output_format is TestFormat.json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        _print_results(results)
    failed = sum(not r["passed"] for r in results)
    raise typer.Exit(1 if failed else 0)


@app.command("schema")
@edge
def schema_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="A folder: one .schema.json file per kind in it. A FILE.json: all in one file.",
        ),
    ] = None,
) -> None:
    """JSON Schema for pack, findings, cause, red-flag, referral, sources, case and intake files."""
    from nmt_assess.ruleset.files import json_schemas, write_json_schemas

    if output is None:
        sys.stdout.write(json.dumps(json_schemas(), indent=2) + "\n")
        return
    for path in write_json_schemas(output):
        print(path)


@app.command("list")
@edge
def list_command(
    context: typer.Context, packs: PacksArgument = None, rules: RulesOption = None
) -> None:
    """The effective rules and red flags, with the pack each came from."""
    from nmt_assess.writers.rules_text import rules_table

    for line in rules_table(_load(packs_given(context, packs, rules))):
        print(line)


@app.command("show")
@edge
def show_command(
    rule_id: Annotated[str, typer.Argument(help="A rule or red-flag id.", show_default=False)],
    rules: RulesOption = None,
) -> None:
    """One rule (or red flag): its condition in words, weights, source, and what it overrides."""
    from rich.console import Console

    from nmt_assess.problems import did_you_mean
    from nmt_assess.writers.rules_text import rule_and_flag_ids, show_lines

    ruleset = _load(rules)
    console = Console(highlight=False)
    lines = show_lines(ruleset, rule_id)
    if lines is not None:
        for line in lines:
            console.print(line)
        return
    hint = did_you_mean(rule_id, rule_and_flag_ids(ruleset))
    raise Refused(f"no rule or red flag '{rule_id}'" + (f" ({hint})" if hint else ""))


@app.command("new")
@edge
def new_command(
    folder: Annotated[Path, typer.Argument(help="The new pack's folder.", show_default=False)],
) -> None:
    """Scaffold a pack that lints clean: a commented example of each kind, one case, and the
    JSON Schemas its files name (in schema/)."""
    from nmt_assess.ruleset.scaffold import new_pack

    for path in new_pack(folder):
        print(path)


def _load(packs: list[Path] | None) -> Ruleset:
    from nmt_assess.problems import ProblemsError
    from nmt_assess.ruleset import load_ruleset

    try:
        return load_ruleset(packs)
    except ProblemsError as error:
        sys.stderr.writelines(p.format_lint() + "\n" for p in error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None


def _print_results(results: list[dict[str, Any]]) -> None:
    from rich.console import Console

    from nmt_assess.writers.rules_text import result_lines

    console = Console(highlight=False)
    for line in result_lines(results):
        console.print(line)
