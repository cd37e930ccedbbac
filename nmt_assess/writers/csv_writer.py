"""CSV: one row per record with each cause's probability and rank, the red flags, whether the
ranking is secondary to a referral, the red flags not screened and the questions they wait
for, what a red flag withheld, and each screen's result (`start_back:medium`, or
`start_back:not_complete`) with the screen items left unanswered.

Every text cell goes through `csv_cell`, so a spreadsheet never runs one as a formula."""

from __future__ import annotations

import csv
from typing import Any

from nmt_assess.writers.base import (
    SECONDARY,
    BatchWriter,
    Record,
    error_text,
    is_error,
    most_severe_action,
    unanswered_questions,
)
from nmt_assess.writers.sanitize import csv_cell


class CsvWriter(BatchWriter):
    def begin(self) -> None:
        self.rows = csv.writer(self.out, lineterminator="\n")
        self.cause_ids = [cause.id for cause in self.ruleset.causes]
        per_cause = [f"{c}_{what}" for c in self.cause_ids for what in ("probability", "rank")]
        self._row(
            [
                "source",
                "line",
                "record",
                "id",
                "status",
                "top_cause",
                "top_probability",
                "top_range",
                "top_band",
                "top_site",
                "red_flag_action",
                "red_flags",
                *per_cause,
                "errors",
                "ranking",
                "unscreened_red_flags",
                "unanswered_questions",
                "withheld",
                "screens",
                "screen_unanswered",
            ]
        )

    def _row(self, cells: list[Any]) -> None:
        self.rows.writerow([_cell(cell) for cell in cells])

    def write(self, record: Record) -> None:
        source = record.get("source") or {}
        where = [source.get("file", ""), source.get("line") or "", source.get("record", "")]
        if is_error(record):
            errors = "; ".join(error_text(e) for e in record["errors"])
            blanks = [""] * (7 + 2 * len(self.cause_ids))
            self._row([*where, record.get("intake_id") or "", "error", *blanks, errors, *[""] * 6])
            return
        by_id = {cause["id"]: cause for cause in record["causes"]}
        per_cause = [v for c in self.cause_ids for v in (by_id[c]["probability"], by_id[c]["rank"])]
        top = record["causes"][0]
        flags = ";".join(flag["id"] for flag in record["red_flags"])
        withheld = dict.fromkeys(
            f"{entry['kind']}:{entry['item']} ({entry['flag']})"
            for cause in record["causes"]
            for entry in cause.get("withheld") or ()
        )
        self._row(
            [
                *where,
                record.get("intake_id") or "",
                "scored",
                top["id"],
                top["probability"],
                "-".join(f"{end:g}" for end in top.get("range") or ()),
                top["band"],
                (top.get("site") or {}).get("id", ""),
                most_severe_action(record),
                flags,
                *per_cause,
                "",
                SECONDARY if record["referral_first"] else "",
                ";".join(flag["id"] for flag in record.get("unscreened_red_flags") or ()),
                ";".join(unanswered_questions(record)),
                ";".join(withheld),
                ";".join(
                    f"{s['id']}:{s['result']['id'] if s['result'] else 'not_complete'}"
                    for s in record.get("screens") or ()
                ),
                ";".join(f for s in record.get("screens") or () for f in s["unanswered"]),
            ]
        )


def _cell(value: Any) -> Any:
    """A number as it is; anything else (an id, a file name, a message) as safe text."""
    if isinstance(value, int | float):
        return value
    return csv_cell(str(value))
