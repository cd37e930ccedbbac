"""One JSON document: a list of records, streamed element by element."""

from __future__ import annotations

import json

from nmt_assess.writers.base import BatchWriter, Record


class JsonListWriter(BatchWriter):
    _first = True

    def begin(self) -> None:
        self.out.write("[")

    def write(self, record: Record) -> None:
        separator = "\n" if self._first else ",\n"
        self._first = False
        self.out.write(separator + json.dumps(record, indent=2, ensure_ascii=False))

    def end(self) -> None:
        self.out.write("\n]\n")
