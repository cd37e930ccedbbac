"""Score intake files: one intake explained, or a batch of exported intakes streamed out."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption
from nmt_assess.writers.formats import OutputFormat

if TYPE_CHECKING:
    from nmt_assess.batch import Record, Tally
    from nmt_assess.models import Ruleset
    from nmt_assess.output import OutputTarget
    from nmt_assess.problems import Problem
    from nmt_assess.readers.csv_reader import ColumnMap
    from nmt_assess.readers.inputs import Input


class InputFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class FailOn(str, Enum):
    refer = "refer"
    urgent = "urgent"
    emergency = "emergency"


_SUFFIX_FORMAT = {
    ".json": OutputFormat.json,
    ".jsonl": OutputFormat.jsonl,
    ".csv": OutputFormat.csv,
    ".md": OutputFormat.markdown,
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
}


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
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Processes for a batch. Default: all cores."),
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
    from nmt_assess.readers.csv_reader import ColumnMap
    from nmt_assess.readers.inputs import InputError, check_csv_headers, expand_inputs
    from nmt_assess.ruleset import load_ruleset

    try:
        inputs = expand_inputs(paths, input_format.value if input_format else None)
    except InputError as error:
        _report_problems(error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    if not inputs:
        print(
            f"nmt-assess: no intake files in {', '.join(paths)} "
            "(looked for .yaml .yml .json .jsonl .csv); nothing was scored",
            file=sys.stderr,
        )
        raise typer.Exit(exit_codes.UNUSABLE_INPUT)
    # Before anything is read: the output must be writable and none of the inputs.
    target = _output_target(output, inputs, column_map, rules)
    if output_format is None and output is not None:
        output_format = _SUFFIX_FORMAT.get(output.suffix.lower())
    try:
        ruleset = load_ruleset(rules)
        mapping = _load_column_map(column_map) if column_map else ColumnMap()
        check_csv_headers(inputs, ruleset.findings, mapping)
    except (ProblemsError, InputError) as error:
        _report_problems(error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    if set_answers or unset:
        if not _is_single(inputs, output_format):
            print(
                "nmt-assess: --set and --unset take one YAML or JSON intake file, with the "
                "text or json format",
                file=sys.stderr,
            )
            raise typer.Exit(exit_codes.UNUSABLE_INPUT)
        _what_if(inputs[0], ruleset, set_answers or [], unset or [], output_format, target)
        return
    if _is_single(inputs, output_format):
        _score_single(inputs[0], ruleset, output_format or OutputFormat.text, target, top, fail_on)
        return
    chosen = output_format or _batch_default(output)
    tally = _score_batch(inputs, ruleset, mapping, chosen, target, jobs)
    raise typer.Exit(_exit_code(tally, fail_on))


def _output_target(
    output: Path | None, inputs: list[Input], column_map: Path | None, rules: list[Path] | None
) -> OutputTarget | None:
    """The checked --output: raises output.OutputError (exit 2) for one that cannot be written
    or that is any file the run reads: an input, the column map, a rule pack's file. Standard
    output redirected onto one of those (`1<>day.jsonl`, `>> day.jsonl`) is refused the same way.
    """
    from nmt_assess.output import check_stdout, output_target
    from nmt_assess.ruleset import default_pack_dir

    read = [source.path for source in inputs if source.path is not None]
    if column_map is not None:
        read.append(column_map)
    for folder in [default_pack_dir(), *(rules or [])]:
        if folder.is_dir():
            read.extend(path for path in folder.rglob("*") if path.is_file())
        elif folder.is_file():
            read.append(folder)
    stdin_is_input = any(source.path is None for source in inputs)
    check_stdout(read, stdin_is_input)
    if output is None:
        return None
    return output_target(output, read, stdin_is_input)


def _is_single(inputs: list[Input], output_format: OutputFormat | None) -> bool:
    """One YAML or JSON intake file, shown explained (text) or as one JSON document."""
    return (
        len(inputs) == 1
        and inputs[0].kind in ("yaml", "json")
        and output_format in (None, OutputFormat.text, OutputFormat.json)
    )


def _score_single(
    source: Input,
    ruleset: Ruleset,
    output_format: OutputFormat,
    output: OutputTarget | None,
    top: int | None,
    fail_on: FailOn | None,
) -> None:
    from nmt_assess.engine import Engine
    from nmt_assess.models import Action, Intake
    from nmt_assess.readers.inputs import InputError, read_records
    from nmt_assess.readers.records import validate_record

    notices: list[str] = []
    try:
        records = list(
            read_records(source, ruleset.findings, _empty_map(), sys.stdin.buffer, notices)
        )
    except InputError as error:
        _report_problems(error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    if len(records) != 1:  # a JSON list or a FHIR Bundle: score it as a batch
        _note(notices)
        tally = _score_records(records, ruleset, output_format, output, 1)
        raise typer.Exit(_exit_code(tally, fail_on))
    result = validate_record(records[0], ruleset.findings)
    if not isinstance(result, Intake):
        _report_problems(result)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT)
    engine = Engine(ruleset)
    document = engine.assess(result)
    if output_format is OutputFormat.json:
        from nmt_assess.writers.json_writer import assessment_json

        _emit(assessment_json(document), output)
    else:
        _render(engine.score(result), ruleset, output, top)
    raised = {flag["action"] for flag in document["red_flags"]}
    if fail_on is not None and any(
        Action(action).severity <= Action(fail_on.value).severity for action in raised
    ):
        raise typer.Exit(exit_codes.RED_FLAG_RAISED)


def _render(
    assessment: Any, ruleset: Ruleset, output: OutputTarget | None, top: int | None
) -> None:
    from nmt_assess.writers.terminal import render_assessment

    _print(render_assessment(assessment, ruleset, top=top), output)


def _print(view: Any, output: OutputTarget | None) -> None:
    """A rich view on the terminal, or as plain text into the output file."""
    from rich.console import Console

    if output is None:
        Console().print(view)
        return
    from nmt_assess.output import open_output

    with open_output(output) as out:
        Console(file=out, width=100, no_color=True).print(view)


def _what_if(
    source: Input,
    ruleset: Ruleset,
    set_answers: list[str],
    unset: list[str],
    output_format: OutputFormat | None,
    output: OutputTarget | None,
) -> None:
    import json

    from nmt_assess.engine import SCHEMA_VERSION, Engine
    from nmt_assess.models import Intake
    from nmt_assess.problems import ProblemsError
    from nmt_assess.readers.intake_file import read_intake_file
    from nmt_assess.whatif import compare

    assert source.path is not None
    try:
        intake = read_intake_file(source.path, ruleset)
        changes = _parse_changes(ruleset, set_answers, unset)
    except ProblemsError as error:
        _report_problems(error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    merged: dict[str, Any] = {**intake.findings, **changes}
    findings = {f: v for f, v in merged.items() if v is not None}
    engine = Engine(ruleset)
    original = engine.assess(intake)
    variant = engine.assess(
        Intake.model_construct(id=intake.id, date=intake.date, findings=findings)
    )
    deltas = compare(original, variant)
    if output_format is OutputFormat.json:
        document = {
            "schema_version": SCHEMA_VERSION,
            "changes": {f: v for f, v in changes.items()},
            "deltas": deltas,
            "original": original,
            "variant": variant,
        }
        _emit(json.dumps(document, indent=2, ensure_ascii=False, default=list) + "\n", output)
        return
    _print_what_if(ruleset, changes, deltas, variant, output)


def _parse_changes(ruleset: Ruleset, set_answers: list[str], unset: list[str]) -> dict[str, object]:
    """FINDING=ANSWER pairs (answers as typed at the intake prompt) and FINDINGs to make unknown."""
    from nmt_assess.answers import Command, Invalid, parse_answer
    from nmt_assess.problems import Problem, ProblemsError, did_you_mean

    changes: dict[str, object] = {}
    problems = []
    for text, is_set in [(t, True) for t in set_answers] + [(t, False) for t in unset]:
        finding_id, _, answer = text.partition("=") if is_set else (text, "", "")
        option = "--set" if is_set else "--unset"
        finding = ruleset.findings.get(finding_id.strip())
        if finding is None:
            problems.append(
                Problem(
                    option,
                    None,
                    f"finding '{_echo(finding_id)}'",
                    "unknown finding",
                    did_you_mean(finding_id, ruleset.findings),
                )
            )
            continue
        if not is_set:
            changes[finding.id] = None
            continue
        value = parse_answer(finding, answer)
        if isinstance(value, Invalid | Command) or not answer:
            message = (
                _echo_within(value.message, answer)
                if isinstance(value, Invalid)
                else f"'{_echo(answer)}' is not an answer"
            )
            problems.append(
                Problem(
                    option,
                    None,
                    f"finding '{finding.id}'",
                    message,
                    "write FINDING=ANSWER, e.g. numbness=yes",
                )
            )
            continue
        changes[finding.id] = value
    if problems:
        raise ProblemsError(problems)
    return changes


def _echo(text: str) -> str:
    """A value typed on the command line as a message shows it: control characters as escapes
    (an ESC never reaches the terminal), cut to problems.ECHO_LIMIT characters."""
    from nmt_assess.problems import shown
    from nmt_assess.writers.sanitize import printable

    return shown(printable(text), as_text=True)


def _echo_within(message: str, answer: str) -> str:
    """An answer's message quotes the answer, or one word of it, as typed: each that could not
    be shown as it is is replaced by `_echo` of it (longest first)."""
    import re

    from nmt_assess.writers.sanitize import printable

    cleaned = answer.strip().lower()
    for word in sorted({cleaned, *re.split(r"[\s,;]+", cleaned)}, key=len, reverse=True):
        if word and _echo(word) != word:
            message = message.replace(word, _echo(word))
    return printable(message)


def _print_what_if(
    ruleset: Ruleset,
    changes: dict[str, object],
    deltas: list[Record],
    variant: Record,
    output: OutputTarget | None,
) -> None:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from nmt_assess.describe import value_words

    described = "; ".join(
        f"{ruleset.findings[f].label}: {'unknown' if v is None else value_words(v)}"
        for f, v in changes.items()
    )
    table = Table(box=None, pad_edge=False)
    for column in ("Cause", "Before", "After", "Change", "Rank", "Rules that moved it"):
        table.add_column(column)
    for delta in deltas:
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
    flags = ", ".join(f["title"] for f in variant["red_flags"]) or "none"
    view = Group(
        Text.from_markup(f"[bold]What if[/bold] {described}"),
        table,
        Text(f"Red flags in the variant: {flags}"),
        Text.from_markup(f"[dim italic]{variant['disclaimer']}[/dim italic]"),
    )
    _print(view, output)


def _short(rule_id: str) -> str:
    return rule_id.split(".", 1)[-1]


def _score_batch(
    inputs: list[Input],
    ruleset: Ruleset,
    mapping: ColumnMap,
    output_format: OutputFormat,
    output: OutputTarget | None,
    jobs: int | None,
) -> Tally:
    from nmt_assess.batch import default_jobs
    from nmt_assess.readers.inputs import read_records

    notices: list[str] = []
    records = (
        record
        for source in inputs
        for record in read_records(source, ruleset.findings, mapping, sys.stdin.buffer, notices)
    )
    tally = _score_records(records, ruleset, output_format, output, jobs or default_jobs())
    _note(notices)
    return tally


def _score_records(
    records: Iterable[object],
    ruleset: Ruleset,
    output_format: OutputFormat,
    output: OutputTarget | None,
    jobs: int,
) -> Tally:
    from nmt_assess.batch import Tally, score_stream
    from nmt_assess.readers.fhir import FhirUnavailable
    from nmt_assess.readers.inputs import InputError
    from nmt_assess.writers.formats import batch_writer_class

    tally = Tally()
    writer_class = batch_writer_class(output_format)
    try:
        with _opened(output) as out:
            writer = writer_class(out, ruleset)
            writer.begin()
            only_jsonl = output_format is OutputFormat.jsonl
            scored = score_stream(records, ruleset, jobs, only_jsonl)  # type: ignore[arg-type]
            # closing stops the worker processes now, not whenever the generator is collected
            with contextlib.closing(scored):
                for record in _with_progress(scored):
                    tally.add(record)
                    writer.write(record)
            writer.end()
    except InputError as error:
        _report_problems(error.problems)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    except FhirUnavailable as error:
        print(f"nmt-assess: {error}", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    print(tally.summary(), file=sys.stderr)
    return tally


def _opened(output: OutputTarget | None) -> contextlib.AbstractContextManager[TextIO]:
    if output is not None:
        from nmt_assess.output import open_output

        return open_output(output)
    return contextlib.nullcontext(sys.stdout)


def _with_progress(records: Iterator[Record]) -> Iterator[Record]:
    """A live count on stderr when a person is watching; nothing otherwise."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield from records
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} intakes scored"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("scoring", total=None)
        for record in records:
            progress.advance(task)
            yield record


def _batch_default(output: Path | None) -> OutputFormat:
    if output is not None:
        return _SUFFIX_FORMAT.get(output.suffix.lower(), OutputFormat.jsonl)
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.jsonl


def _exit_code(tally: Tally, fail_on: FailOn | None) -> int:
    from nmt_assess.models import Action

    if fail_on is not None and tally.raised_at_least(Action(fail_on.value)):
        return exit_codes.RED_FLAG_RAISED
    return exit_codes.SOME_FAILED if tally.failed else exit_codes.OK


def _load_column_map(path: Path) -> ColumnMap:
    from nmt_assess.marked_yaml import YamlSyntaxError, load_marked
    from nmt_assess.problems import Problem, ProblemsError
    from nmt_assess.readers.csv_reader import parse_column_map

    try:
        document = load_marked(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProblemsError(
            [Problem(str(path), None, "file", f"cannot read: {error.strerror}")]
        ) from None
    except (YamlSyntaxError, UnicodeDecodeError) as error:
        line = getattr(error, "line", None)
        raise ProblemsError([Problem(str(path), line, "map", str(error))]) from None
    result = parse_column_map(document, str(path))
    if isinstance(result, list):
        raise ProblemsError(result)
    return result


def _empty_map() -> ColumnMap:
    from nmt_assess.readers.csv_reader import ColumnMap

    return ColumnMap()


def _emit(text: str, output: OutputTarget | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from nmt_assess.output import open_output

    with open_output(output) as out:
        out.write(text)


def _note(notices: list[str]) -> None:
    for notice in notices:
        print(f"nmt-assess: {notice}", file=sys.stderr)


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    files = sorted({problem.file for problem in problems})
    count = len(problems)
    print(
        f"nmt-assess: {count} problem{'s' if count != 1 else ''} in {', '.join(files)}; "
        "nothing was scored.",
        file=sys.stderr,
    )
