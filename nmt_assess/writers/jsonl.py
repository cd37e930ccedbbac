"""JSON Lines: one record per line, the core's JSON shape (the default when piped)."""

from __future__ import annotations

from typing import BinaryIO

import orjson

from nmt_assess.writers.base import BatchWriter, Record


class JsonlWriter(BatchWriter):
    """orjson writes these documents about ten times faster than json.dumps, and its UTF-8
    bytes go straight to the binary stream under the text one, skipping a decode and encode."""

    def begin(self) -> None:
        self.out.flush()  # anything already written to the text layer goes first
        self.binary: BinaryIO | None = getattr(self.out, "buffer", None)

    def write(self, record: Record) -> None:
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        if self.binary is not None:
            self.binary.write(line)
        else:  # a text-only stream (in tests, a StringIO)
            self.out.write(line.decode())

    def end(self) -> None:
        if self.binary is not None:
            self.binary.flush()
