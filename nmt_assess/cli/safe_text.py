"""Text from a file, made safe to hand to rich: control characters shown as escapes, markup
shown as written (a question holding `[y/n]` or `[/]` is printed, never interpreted)."""

from __future__ import annotations

from typing import Any

from nmt_assess.writers.sanitize import markup_block as safe_block
from nmt_assess.writers.sanitize import markup_safe as safe

__all__ = ["plain_console", "safe", "safe_block"]


def plain_console(*, stderr: bool = False) -> Any:
    """The console the interactive commands print with: no highlighting and no :emoji: codes."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, stderr=stderr)
