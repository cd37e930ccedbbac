"""CSV: one row per record with each cause's probability and rank, and the red flags."""

from __future__ import annotations

import csv

from nmt_assess.writers.base import BatchWriter, Record, error_text, is_error, most_severe_action


class CsvWriter(BatchWriter):
    def begin(self) -> None:
        self.rows = csv.writer(self.out, lineterminator="\n")
        self.cause_ids = [cause.id for cause in self.ruleset.causes]
        per_cause = [f"{c}_{what}" for c in self.cause_ids for what in ("probability", "rank")]
        self.rows.writerow(
            [
                "source",
                "line",
                "record",
                "id",
                "status",
                "top_cause",
                "top_probability",
                "red_flag_action",
                "red_flags",
                *per_cause,
                "errors",
            ]
        )

    def write(self, record: Record) -> None:
        source = record.get("source") or {}
        where = [source.get("file", ""), source.get("line") or "", source.get("record", "")]
        if is_error(record):
            errors = "; ".join(error_text(e) for e in record["errors"])
            blanks = [""] * (4 + 2 * len(self.cause_ids))
            self.rows.writerow([*where, record.get("intake_id") or "", "error", *blanks, errors])
            return
        by_id = {cause["id"]: cause for cause in record["causes"]}
        per_cause = [v for c in self.cause_ids for v in (by_id[c]["probability"], by_id[c]["rank"])]
        top = record["causes"][0]
        flags = ";".join(flag["id"] for flag in record["red_flags"])
        self.rows.writerow(
            [
                *where,
                record.get("intake_id") or "",
                "scored",
                top["id"],
                top["probability"],
                most_severe_action(record),
                flags,
                *per_cause,
                "",
            ]
        )
