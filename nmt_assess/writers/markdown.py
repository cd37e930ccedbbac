"""Markdown: per intake the red flags, the ranking and the reasons, for notes and reports.

Text from files goes through `_md`: on one line, with HTML and Markdown syntax escaped, so an
id or a label can neither forge a line of the report nor add markup.
"""

from __future__ import annotations

import html
import re

from nmt_assess.writers.base import (
    SCREENS_HEADING,
    SECONDARY,
    BatchWriter,
    Record,
    cause_title,
    error_text,
    figure,
    findings_found,
    is_error,
    not_screened_line,
    record_label,
    screen_lines,
    withheld_lines,
)
from nmt_assess.writers.sanitize import printable

# Markdown syntax that can act inside a line (& < > become HTML entities first). Text from a
# file never starts a line here, so the line-start markers (- + 1. >) cannot act.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|~])")


def _md(text: str) -> str:
    """Text from a file as literal Markdown on one line."""
    return _MARKDOWN.sub(r"\\\1", html.escape(printable(text), quote=False))


class MarkdownWriter(BatchWriter):
    def begin(self) -> None:
        self.out.write(
            f"# nmt-assess report ({_md(self.ruleset.name)} {_md(self.ruleset.version)})\n"
        )

    def write(self, record: Record) -> None:
        out = self.out
        out.write(f"\n## {_md(record_label(record))}\n\n")
        if is_error(record):
            out.write("Not scored:\n\n")
            out.writelines(f"- {_md(error_text(e))}\n" for e in record["errors"])
            return
        if record["red_flags"]:
            out.write(
                "**Red flags**"
                + (" (refer before any treatment)" if record["referral_first"] else "")
                + ":\n\n"
            )
            out.writelines(
                f"- **{_md(flag['action'].upper())}** {_md(flag['title'])}: {_md(flag['advice'])}\n"
                for flag in record["red_flags"]
            )
            out.write("\n")
        else:
            out.write("**Red flags**: none raised.\n\n")
        unscreened = not_screened_line(record, self.ruleset)
        if unscreened:
            out.write(f"**{_md(unscreened)}**\n\n")
        for line in withheld_lines(record, self.ruleset):
            out.write(f"**{_md(line)}**\n\n")
        if record.get("screens"):
            out.write(f"**{SCREENS_HEADING}**:\n\n")
            for screen in record["screens"]:
                headline, advice, unanswered = screen_lines(screen, self.ruleset)
                tail = "".join(f" {_md(text)}" for text in (advice, unanswered) if text)
                out.write(f"- **{_md(headline)}**.{tail}\n")
            out.write("\n")
        if record["referral_first"]:
            out.write(f"_Ranking {SECONDARY}:_\n\n")
        out.write("| Rank | Cause | Probability (range) | Band |\n|---:|---|---:|---|\n")
        out.writelines(
            f"| {c['rank']} | {_md(cause_title(c['title'], c.get('site')))} "
            f"| {figure(c['probability'], c.get('range'))} | {_md(c['band'])} |\n"
            for c in record["causes"]
        )
        answers = record.get("answers")
        for cause in record["causes"]:
            counted = [c for c in cause["contributions"] if c["counted"]]
            if not counted:
                continue
            title = cause_title(cause["title"], cause.get("site"))
            out.write(
                f"\n**{_md(title)}** ({figure(cause['probability'], cause.get('range'))}):\n\n"
            )
            out.writelines(
                f"- x{c['factor']:g} {c['direction']}: "
                f"{_md(findings_found(self.ruleset, c['findings'], answers))}: "
                f"{_md(c['because'])}\n"
                for c in counted
            )
        out.write(f"\n_{_md(record['disclaimer'])}_\n")
