"""Output formats: each member maps to one writer (a test checks every member maps)."""

from __future__ import annotations

from enum import Enum

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


def batch_writer_class(output_format: OutputFormat) -> type[BatchWriter]:
    """The writer for a batch; `text` is for one intake and summarises a batch as a table."""
    if output_format in (OutputFormat.text, OutputFormat.table):
        from nmt_assess.writers.table import TableWriter

        return TableWriter
    if output_format is OutputFormat.json:
        from nmt_assess.writers.json_list import JsonListWriter

        return JsonListWriter
    if output_format is OutputFormat.jsonl:
        from nmt_assess.writers.jsonl import JsonlWriter

        return JsonlWriter
    if output_format is OutputFormat.csv:
        from nmt_assess.writers.csv_writer import CsvWriter

        return CsvWriter
    if output_format is OutputFormat.markdown:
        from nmt_assess.writers.markdown import MarkdownWriter

        return MarkdownWriter
    if output_format is OutputFormat.html:
        from nmt_assess.writers.html_report import HtmlWriter

        return HtmlWriter
    from nmt_assess.writers.fhir_writer import FhirBundleWriter

    return FhirBundleWriter
