"""Output formats: each member maps to exactly one writer (a test checks every member maps)."""

from __future__ import annotations

from enum import Enum
from importlib import import_module

from nmt_assess.writers.base import BatchWriter


class OutputFormat(str, Enum):
    text = "text"  # the explained view of one intake (rich)
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    fhir = "fhir"


# Module and class of each format's writer, imported only when chosen (rich, fhir are heavy).
# `text` is for one intake and summarises a batch as a table. No default: a member missing here
# is an error, never another format's writer.
WRITERS: dict[OutputFormat, tuple[str, str]] = {
    OutputFormat.text: ("nmt_assess.writers.table", "TableWriter"),
    OutputFormat.table: ("nmt_assess.writers.table", "TableWriter"),
    OutputFormat.json: ("nmt_assess.writers.json_list", "JsonListWriter"),
    OutputFormat.jsonl: ("nmt_assess.writers.jsonl", "JsonlWriter"),
    OutputFormat.csv: ("nmt_assess.writers.csv_writer", "CsvWriter"),
    OutputFormat.markdown: ("nmt_assess.writers.markdown", "MarkdownWriter"),
    OutputFormat.html: ("nmt_assess.writers.html_report", "HtmlWriter"),
    OutputFormat.fhir: ("nmt_assess.writers.fhir_writer", "FhirBundleWriter"),
}


def batch_writer_class(output_format: OutputFormat) -> type[BatchWriter]:
    """The writer for a batch in this format; ValueError for a format with no writer."""
    try:
        module, name = WRITERS[output_format]
    except KeyError:
        raise ValueError(f"no writer for output format {output_format!r}") from None
    writer: type[BatchWriter] = getattr(import_module(module), name)
    return writer
