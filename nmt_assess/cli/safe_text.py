"""Text from a file, made safe to hand to rich: control characters shown as escapes, markup
shown as written (a question holding `[y/n]` or `[/]` is printed, never interpreted)."""

from __future__ import annotations

from typing import Any

from nmt_assess.writers.sanitize import printable


def safe(text: Any) -> str:
    """`text` as one printable line in which rich sees no markup."""
    from rich.markup import escape

    return escape(printable(str(text)))


def plain_console(*, stderr: bool = False) -> Any:
    """The console the interactive commands print with: no highlighting and no :emoji: codes."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, stderr=stderr)


def safe_block(text: Any) -> str:
    """Like `safe`, but a paragraph keeps its line breaks (a story, a teaching note)."""
    return "\n".join(safe(line) for line in str(text).split("\n"))
