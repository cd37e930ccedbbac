"""JSON Lines: one record per line, the core's JSON shape (the default when piped)."""

from __future__ import annotations

import json

from nmt_assess.writers.base import BatchWriter, Record


class JsonlWriter(BatchWriter):
    def write(self, record: Record) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
