"""Scoring from paths, as `nmt-assess score` does for a batch: expand the paths, check the
output and the CSV columns before reading, then stream every record through the scorer and
the chosen writer. The library face of the score command: no terminal, no typer.

    from nmt_assess import load_ruleset, score_inputs
    summary = score_inputs(["exports/"], load_ruleset(), output="out.jsonl", format="jsonl")
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from nmt_assess.writers.formats import OutputFormat

if TYPE_CHECKING:
    from nmt_assess.batch import Record, Tally
    from nmt_assess.engine.document import Detail
    from nmt_assess.models import Action, Intake, Ruleset
    from nmt_assess.readers.csv_reader import ColumnMap
    from nmt_assess.readers.inputs import Input
    from nmt_assess.readers.records import RawRecord
    from nmt_assess.writers.files import OutputTarget

#: The output format an --output file's suffix asks for.
SUFFIX_FORMAT = {
    ".json": OutputFormat.json,
    ".jsonl": OutputFormat.jsonl,
    ".csv": OutputFormat.csv,
    ".md": OutputFormat.markdown,
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
}

Progress = Callable[[Iterator["Record"]], Iterator["Record"]]


def is_single_intake(inputs: Sequence[Input], output_format: OutputFormat | None) -> bool:
    """One YAML or JSON intake file, shown explained (text) or as one JSON document."""
    return (
        len(inputs) == 1
        and inputs[0].kind in ("yaml", "json")
        and output_format in (None, OutputFormat.text, OutputFormat.json)
    )


#: The formats that can carry a summary document; every other format explains in full.
SUMMARY_FORMATS = (OutputFormat.json, OutputFormat.jsonl)


class DetailUnavailable(ValueError):
    """A summary was asked of a format that only explains in full."""

    def __init__(self, output_format: OutputFormat) -> None:
        super().__init__(
            f"--detail summary is for the json and jsonl formats, not {output_format.value} "
            "(leave out --format, or choose json or jsonl)"
        )


def check_detail(output_format: OutputFormat, detail: Detail) -> None:
    """Raise DetailUnavailable when the format cannot carry documents at that detail."""
    if detail != "full" and output_format not in SUMMARY_FORMATS:
        raise DetailUnavailable(output_format)


def default_batch_format(output: Path | None, terminal: bool) -> OutputFormat:
    """The --output file's suffix decides; else a table for a person, JSON Lines for a pipe."""
    if output is not None:
        return SUFFIX_FORMAT.get(output.suffix.lower(), OutputFormat.jsonl)
    return OutputFormat.table if terminal else OutputFormat.jsonl


def find_inputs(paths: Sequence[str], input_format: str | None = None) -> list[Input]:
    """The intake files that `paths` (files, folders, globs, `-`) name. Raises InputError for
    one that cannot be read, NoIntakes when they name none."""
    from nmt_assess.readers.inputs import expand_inputs

    inputs = expand_inputs(list(paths), input_format)
    if not inputs:
        raise NoIntakes(paths)
    return inputs


class NoIntakes(Exception):
    """The paths name no intake file: nothing was scored."""

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__(
            f"no intake files in {', '.join(paths)} "
            "(looked for .yaml .yml .json .jsonl .csv); nothing was scored"
        )


def checked_output(
    output: Path, inputs: Sequence[Input], column_map: Path | None, packs: Sequence[Path]
) -> OutputTarget:
    """The output file, checked before anything is read: raises OutputError for one that
    cannot be written or that is any file the run reads (an input, the map, a pack's file)."""
    from nmt_assess.writers.files import output_target

    read, stdin_is_input = _files_read(inputs, column_map, packs)
    return output_target(output, read, stdin_is_input)


def checked_stdout(inputs: Sequence[Input], column_map: Path | None, packs: Sequence[Path]) -> None:
    """Standard output, checked before anything is read like an output file: redirected onto
    a file the run reads (`1<>day.jsonl`, `>> day.jsonl`) it raises OutputError."""
    from nmt_assess.writers.files import check_stdout

    check_stdout(*_files_read(inputs, column_map, packs))


def _files_read(
    inputs: Sequence[Input], column_map: Path | None, packs: Sequence[Path]
) -> tuple[list[Path], bool]:
    """Every file the run reads, and whether standard input is one of the inputs."""
    from nmt_assess.ruleset import default_pack_dir

    read = [source.path for source in inputs if source.path is not None]
    if column_map is not None:
        read.append(column_map)
    for folder in [default_pack_dir(), *packs]:
        if folder.is_dir():
            read.extend(path for path in folder.rglob("*") if path.is_file())
        elif folder.is_file():
            read.append(folder)
    return read, any(source.path is None for source in inputs)


def score_sources(
    inputs: Sequence[Input],
    ruleset: Ruleset,
    column_map: ColumnMap,
    output_format: OutputFormat,
    output: OutputTarget | TextIO | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
    detail: Detail = "full",
) -> Tally:
    """Every record of every input, scored at that detail and written in input order, with
    up to `jobs` processes (None: as many as pay); the summary keeps the readers' notices
    (e.g. a CSV's skipped rows). JSON Lines files written as JSON Lines are read by the
    worker processes themselves, a span of lines each."""
    from nmt_assess.batch import score_spans, shared_spans
    from nmt_assess.readers.inputs import read_records

    check_detail(output_format, detail)
    spans = shared_spans(inputs, jobs) if output_format is OutputFormat.jsonl else None
    if spans is not None:
        blocks = score_spans(spans, ruleset, jobs, detail)
        return _written(blocks, ruleset, output_format, output, progress)
    notices: list[str] = []
    stream = stdin if stdin is not None else sys.stdin.buffer
    records = (
        record
        for source in inputs
        for record in read_records(source, ruleset.findings, column_map, stream, notices)
    )
    summary = score_records(records, ruleset, output_format, output, jobs, progress, detail)
    summary.notices.extend(notices)
    return summary


def score_records(
    records: Iterable[object],
    ruleset: Ruleset,
    output_format: OutputFormat,
    output: OutputTarget | TextIO | None,
    jobs: int | None,
    progress: Progress | None = None,
    detail: Detail = "full",
) -> Tally:
    """Read records scored with up to `jobs` processes (None: as many as pay) and written by
    the format's writer. Raises DetailUnavailable, before anything is read, for a summary in
    a format other than json or jsonl."""
    from nmt_assess.batch import score_stream

    check_detail(output_format, detail)
    only_jsonl = output_format is OutputFormat.jsonl
    scored = score_stream(records, ruleset, jobs, only_jsonl, detail)  # type: ignore[arg-type]
    return _written(scored, ruleset, output_format, output, progress)


def _written(
    scored: Generator[Record, None, None],
    ruleset: Ruleset,
    output_format: OutputFormat,
    output: OutputTarget | TextIO | None,
    progress: Progress | None,
) -> Tally:
    """The scored records written by the format's writer, and what the batch did."""
    from nmt_assess.batch import Tally
    from nmt_assess.writers.formats import batch_writer_class

    summary = Tally()
    writer_class = batch_writer_class(output_format)
    with _opened(output) as out:
        writer = writer_class(out, ruleset)
        writer.begin()
        # closing stops the worker processes now, not whenever the generator is collected
        with contextlib.closing(scored):
            for record in progress(scored) if progress else scored:
                summary.add(record)
                writer.write(record)
        writer.end()
    return summary


def score_inputs(
    paths: Sequence[str | Path],
    ruleset: Ruleset,
    output: str | Path | TextIO | None = None,
    format: OutputFormat | str = OutputFormat.jsonl,
    jobs: int | None = None,
    input_format: str | None = None,
    column_map: str | Path | None = None,
    detail: Detail = "full",
) -> Tally:
    """Score every intake the paths name into `output` (a path, written atomically; an open
    text file; or standard output) as `format`, with documents at that `detail` ("summary":
    json and jsonl only). Raises InputError, ProblemsError, OutputError or DetailUnavailable
    before anything is scored; returns the summary (scored, failed, red flags)."""
    check_detail(OutputFormat(format), detail)
    inputs = find_inputs([str(path) for path in paths], input_format)
    map_path = Path(column_map) if column_map is not None else None
    target: OutputTarget | TextIO | None
    if isinstance(output, str | Path):
        target = checked_output(Path(output), inputs, map_path, [])
    else:
        target = output
    mapping = column_map_for(inputs, ruleset, map_path)
    return score_sources(
        inputs, ruleset, mapping, OutputFormat(format), target, jobs, detail=detail
    )


def column_map_for(inputs: Sequence[Input], ruleset: Ruleset, path: Path | None) -> ColumnMap:
    """The column map in `path` (none: CSV titles are finding ids), checked against the
    headers of every CSV input before any record is read. Raises ProblemsError for a map
    that cannot be used, InputError for a CSV whose columns it cannot place."""
    from nmt_assess.readers.csv_reader import ColumnMap, load_column_map
    from nmt_assess.readers.inputs import check_csv_headers

    mapping = load_column_map(path) if path is not None else ColumnMap()
    check_csv_headers(list(inputs), ruleset.findings, mapping)
    return mapping


def read_single(
    source: Input, ruleset: Ruleset, stdin: BinaryIO | None = None
) -> tuple[Intake | list[RawRecord], list[str]]:
    """One intake file's intake, validated, or (a JSON list, a FHIR Bundle: several records)
    its records, to be scored as a batch; with the reader's notices (a partial FHIR date is
    noted even for one response). Raises InputError when its one record is not a valid intake."""
    from nmt_assess.readers.csv_reader import ColumnMap
    from nmt_assess.readers.inputs import InputError, read_records
    from nmt_assess.readers.records import validate_record

    notices: list[str] = []
    stream = stdin if stdin is not None else sys.stdin.buffer
    records = list(read_records(source, ruleset.findings, ColumnMap(), stream, notices))
    if len(records) != 1:
        return records, notices
    result = validate_record(records[0], ruleset.findings)
    if isinstance(result, list):
        raise InputError(result)
    return result, notices


def raises_at_least(document: Mapping[str, Any], action: Action) -> bool:
    """Whether the assessment document (full or summary) raised a red flag at least as severe
    as `action` (--fail-on)."""
    from nmt_assess.models import Action

    return any(Action(flag["action"]).severity <= action.severity for flag in document["red_flags"])


def _opened(output: OutputTarget | TextIO | None) -> contextlib.AbstractContextManager[TextIO]:
    from nmt_assess.writers.files import OutputTarget, open_output

    if isinstance(output, OutputTarget):
        return open_output(output)
    return contextlib.nullcontext(output if output is not None else sys.stdout)
