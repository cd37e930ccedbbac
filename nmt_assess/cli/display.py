"""Printing for commands: rich views on the terminal or into an output file, plain text,
and a live count while a batch runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nmt_assess.batch import Record
    from nmt_assess.writers.files import OutputTarget


def print_view(view: Any, output: OutputTarget | None) -> None:
    """A rich view on the terminal, or as plain text into the output file."""
    from rich.console import Console

    if output is None:
        Console().print(view)
        return
    from nmt_assess.writers.files import open_output

    with open_output(output) as out:
        Console(file=out, width=100, no_color=True).print(view)


def emit(text: str, output: OutputTarget | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from nmt_assess.writers.files import open_output

    with open_output(output) as out:
        out.write(text)


def with_progress(records: Iterator[Record]) -> Iterator[Record]:
    """A live count on stderr when a person is watching; nothing otherwise."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield from records
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nmt_assess.writers.base import WrittenBlock

    columns = (SpinnerColumn(), TextColumn("{task.completed} intakes scored"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("scoring", total=None)
        for record in records:
            blocked = type(record) is WrittenBlock
            progress.advance(task, record["scored"] + record["failed"] if blocked else 1)
            yield record
