"""A compact summary row per intake for the terminal: id, top cause, probability, red flag."""

from __future__ import annotations

from nmt_assess.writers.base import (
    BatchWriter,
    Record,
    error_text,
    is_error,
    most_severe_action,
    record_label,
)

_ROW = "{:<28} {:<27} {:>5}  {}\n"


class TableWriter(BatchWriter):
    def begin(self) -> None:
        self.out.write(_ROW.format("INTAKE", "TOP CAUSE", "P", "RED FLAG"))

    def write(self, record: Record) -> None:
        label = _fit(record_label(record), 28)
        if is_error(record):
            self.out.write(
                f"{label:<28} ERROR {error_text(record['errors'][0])}"
                + (f" (+{len(record['errors']) - 1} more)" if len(record["errors"]) > 1 else "")
                + "\n"
            )
            return
        top = record["causes"][0]
        action = most_severe_action(record).upper()
        self.out.write(
            _ROW.format(label, _fit(top["title"], 27), f"{top['probability']:.2f}", action)
        )


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3) :]
