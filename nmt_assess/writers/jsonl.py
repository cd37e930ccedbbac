"""JSON Lines: one record per line, the core's JSON shape (the default when piped)."""

from __future__ import annotations

from typing import BinaryIO

import orjson

from nmt_assess.writers.base import BatchWriter, Record, WrittenBlock


class JsonlWriter(BatchWriter):
    """orjson writes these documents about ten times faster than json.dumps, and its UTF-8
    bytes go straight to the binary stream under the text one, skipping a decode and encode."""

    #: Lines are written in blocks of about this many bytes: a 12 KB line is larger than the
    #: stream's own buffer, so each would otherwise be a system call.
    BLOCK = 256 * 1024

    def begin(self) -> None:
        self.out.flush()  # anything already written to the text layer goes first
        self.binary: BinaryIO | None = getattr(self.out, "buffer", None)
        self.pending: list[bytes] = []
        self.pending_size = 0

    def write(self, record: Record) -> None:
        if type(record) is WrittenBlock:
            line = record.lines
        else:
            line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        self.pending.append(line)
        self.pending_size += len(line)
        if self.pending_size >= self.BLOCK:
            self._write_pending()

    def end(self) -> None:
        self._write_pending()
        if self.binary is not None:
            self.binary.flush()

    def _write_pending(self) -> None:
        block = b"".join(self.pending)
        if self.binary is not None:
            self.binary.write(block)
        else:  # a text-only stream (in tests, a StringIO)
            self.out.write(block.decode())
        self.pending.clear()
        self.pending_size = 0
