"""A compact summary row per intake for the terminal: id, top cause, probability, red flag, and
notes (the ranking secondary to a referral, suggestions withheld, red flags not screened)."""

from __future__ import annotations

from nmt_assess.writers.base import (
    SECONDARY,
    BatchWriter,
    Record,
    error_text,
    is_error,
    most_severe_action,
    record_label,
    unanswered_questions,
)
from nmt_assess.writers.sanitize import printable

_ROW = "{:<28} {:<27} {:>5}  {:<9} {}\n"


class TableWriter(BatchWriter):
    def begin(self) -> None:
        self.out.write(_ROW.format("INTAKE", "TOP CAUSE", "P", "RED FLAG", "NOTES"))

    def write(self, record: Record) -> None:
        label = _fit(printable(record_label(record)), 28)
        if is_error(record):
            more = len(record["errors"]) - 1
            self.out.write(
                f"{label:<28} ERROR "
                + printable(error_text(record["errors"][0]))
                + (f" (+{more} more)" if more else "")
                + "\n"
            )
            return
        top = record["causes"][0]
        action = most_severe_action(record).upper()
        self.out.write(
            _ROW.format(
                label,
                _fit(printable(top["title"]), 27),
                f"{top['probability']:.2f}",
                action,
                printable(_notes(record)),
            ).rstrip()
            + "\n"
        )


def _notes(record: Record) -> str:
    notes = []
    if record["referral_first"]:
        notes.append(f"ranking {SECONDARY}")
    if any(cause.get("withheld") for cause in record["causes"]):
        notes.append("hands-on suggestions withheld")
    flags = record.get("unscreened_red_flags") or ()
    if flags:
        notes.append(
            f"not screened: {len(flags)} flag(s), ask {', '.join(unanswered_questions(record))}"
        )
    return "; ".join(notes)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else "..." + text[-(width - 3) :]
