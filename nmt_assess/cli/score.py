"""Score intake files: one intake explained, or a batch of exported intakes streamed out."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.display import emit, print_view, with_progress
from nmt_assess.cli.errors import NothingScored, Refused
from nmt_assess.cli.options import RulesOption
from nmt_assess.writers.formats import OutputFormat

if TYPE_CHECKING:
    from nmt_assess.batch import Tally
    from nmt_assess.engine.document import Detail
    from nmt_assess.models import Ruleset
    from nmt_assess.readers.inputs import Input
    from nmt_assess.writers.files import OutputTarget


class InputFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class DetailLevel(str, Enum):
    full = "full"
    summary = "summary"


class FailOn(str, Enum):
    refer = "refer"
    urgent = "urgent"
    emergency = "emergency"


def score(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Intake files (.yaml .json .jsonl .csv, FHIR JSON), folders, globs, - (stdin).",
            show_default=False,
            metavar="PATH...",
        ),
    ],
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="text (one intake, explained), table, json, jsonl, csv, markdown, html, fhir. "
            "Default: text for one intake file; for a batch, table on a terminal, else jsonl "
            "(or from --output's suffix).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (atomically) instead of to stdout."),
    ] = None,
    detail: Annotated[
        DetailLevel | None,
        typer.Option(
            "--detail",
            help="full (every reason, suggestion and text) or summary (figures and ids: json "
            "and jsonl only; the default format becomes json for one intake, else jsonl). "
            "Default: full.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes for a batch, at most the cores. Default: one for a batch of up to "
            "2,000 records, else all cores.",
        ),
    ] = None,
    input_format: Annotated[
        InputFormat | None,
        typer.Option(
            "--input-format", help="Format of the inputs when the suffix cannot tell (stdin)."
        ),
    ] = None,
    column_map: Annotated[
        Path | None,
        typer.Option("--map", help="YAML map of CSV column titles and answer words to findings."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 3 when any intake raises a red flag this severe."),
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top", min=1, help="Explain only the top N causes (text).")
    ] = None,
    rules: RulesOption = None,
    set_answers: Annotated[
        list[str] | None,
        typer.Option("--set", help="What-if: FINDING=ANSWER (repeatable), one intake file only."),
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option("--unset", help="What-if: make FINDING unknown (repeatable)."),
    ] = None,
) -> None:
    """Score intakes: red flags first, then the five causes ranked and explained."""
    from nmt_assess.problems import ProblemsError
    from nmt_assess.readers.inputs import InputError
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.scoring import (
        SUFFIX_FORMAT,
        checked_output,
        checked_stdout,
        column_map_for,
        default_batch_format,
        find_inputs,
        is_single_intake,
        score_sources,
    )

    try:
        inputs = find_inputs(paths, input_format.value if input_format else None)
    except InputError as error:
        raise NothingScored(error.problems) from None
    # Before anything is read: the output (and standard output) must be none of the inputs.
    checked_stdout(inputs, column_map, rules or [])
    target = checked_output(output, inputs, column_map, rules or []) if output else None
    if output_format is None and output is not None:
        output_format = SUFFIX_FORMAT.get(output.suffix.lower())
    level: Detail = "full" if detail is None else detail.value
    if level == "summary" and output_format is None:  # a summary is JSON
        one = is_single_intake(inputs, None)
        output_format = OutputFormat.json if one else OutputFormat.jsonl
    try:
        ruleset = load_ruleset(rules)
        mapping = column_map_for(inputs, ruleset, column_map)
        if set_answers or unset:
            if level != "full":
                raise Refused("--set and --unset explain in full: leave out --detail summary")
            if not is_single_intake(inputs, output_format):
                raise Refused(
                    "--set and --unset take one YAML or JSON intake file, with the "
                    "text or json format"
                )
            _what_if(inputs[0], ruleset, set_answers or [], unset or [], output_format, target)
            return
        if is_single_intake(inputs, output_format):
            _score_single(inputs[0], ruleset, output_format, target, top, fail_on, level)
            return
        chosen = output_format or default_batch_format(output, sys.stdout.isatty())
        tally = score_sources(
            inputs, ruleset, mapping, chosen, target, jobs, with_progress, detail=level
        )
    except (ProblemsError, InputError) as error:
        raise NothingScored(error.problems) from None
    _finish(tally, fail_on)


def _score_single(
    source: Input,
    ruleset: Ruleset,
    output_format: OutputFormat | None,
    output: OutputTarget | None,
    top: int | None,
    fail_on: FailOn | None,
    detail: Detail,
) -> None:
    from nmt_assess.engine import Engine
    from nmt_assess.models import Action
    from nmt_assess.scoring import check_detail, raises_at_least, read_single, score_records

    check_detail(output_format or OutputFormat.text, detail)
    intake, notices = read_single(source, ruleset)
    for notice in notices:
        print(f"nmt-assess: {notice}", file=sys.stderr)
    if isinstance(intake, list):  # a JSON list or a FHIR Bundle: score it as a batch
        format_ = output_format or OutputFormat.text
        _finish(score_records(intake, ruleset, format_, output, 1, detail=detail), fail_on)
    engine = Engine(ruleset)
    document = engine.assess(intake, detail)
    if output_format is OutputFormat.json:
        from nmt_assess.writers.json_writer import assessment_json

        emit(assessment_json(document), output)
    else:
        from nmt_assess.writers.terminal import render_assessment

        print_view(render_assessment(engine.score(intake), ruleset, top=top), output)
    if fail_on is not None and raises_at_least(document, Action(fail_on.value)):
        raise typer.Exit(exit_codes.RED_FLAG_RAISED)


def _what_if(
    source: Input,
    ruleset: Ruleset,
    set_answers: list[str],
    unset: list[str],
    output_format: OutputFormat | None,
    output: OutputTarget | None,
) -> None:
    import json

    from nmt_assess.readers.intake_file import read_intake_file
    from nmt_assess.whatif import parse_changes, what_if
    from nmt_assess.writers.terminal import render_what_if

    assert source.path is not None
    intake = read_intake_file(source.path, ruleset)
    result = what_if(ruleset, intake, parse_changes(ruleset, set_answers, unset))
    if output_format is OutputFormat.json:
        text = json.dumps(result.document(), indent=2, ensure_ascii=False, default=list)
        emit(text + "\n", output)
        return
    print_view(render_what_if(ruleset, result), output)


def _finish(tally: Tally, fail_on: FailOn | None) -> NoReturn:
    """The batch's summary and notices on stderr, then its exit code."""
    from nmt_assess.models import Action

    print(tally.summary(), file=sys.stderr)
    for notice in tally.notices:
        print(f"nmt-assess: {notice}", file=sys.stderr)
    if fail_on is not None and tally.raised_at_least(Action(fail_on.value)):
        raise typer.Exit(exit_codes.RED_FLAG_RAISED)
    raise typer.Exit(exit_codes.SOME_FAILED if tally.failed else exit_codes.OK)
