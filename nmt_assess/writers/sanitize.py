"""Text from files made safe for where it is shown: a terminal line, a Markdown page, a CSV cell."""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls (ESC, CR, BEL, newline ...) and the Unicode line separators and bidi
# overrides: any of them in an id or a label could move the cursor, clear the screen or forge a
# line of the report.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text with every control character shown as its escape (ESC as \\x1b), on one line."""
    return _UNSAFE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def csv_cell(text: str) -> str:
    """A CSV cell that stays one cell of one row and that a spreadsheet shows as text: control
    characters (a CR or LF would split the row, and the csv module does not quote a lone CR)
    are shown as escapes first, then a cell starting like a formula gets a leading '. Every CSV
    writer passes every text cell through here."""
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def markup_safe(text: Any) -> str:
    """`text` as one printable line in which rich sees no markup."""
    from rich.markup import escape

    return escape(printable(str(text)))


def markup_block(text: Any) -> str:
    """Like `markup_safe`, but a paragraph keeps its line breaks (a story, a teaching note)."""
    return "\n".join(markup_safe(line) for line in str(text).split("\n"))
