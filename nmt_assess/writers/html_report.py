"""A self-contained HTML report: per intake the red flags, a bar chart of the five causes as
inline SVG, the reasons, and a section written for the client.

A report of many intakes opens with a summary: the counts, then the clients with emergency or
urgent flags (emergency first) and the records that could not be scored, each linked to its
section. The sections are held in a spooled temporary file (in memory while small, an unnamed
file after that) until the summary can be written above them. Every text from a file is
escaped (`html.escape`); anchors are numbers, never ids.
"""

from __future__ import annotations

import shutil
import tempfile
from html import escape
from typing import IO, Any

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
    most_severe_action,
    not_screened_line,
    record_label,
    screen_lines,
    withheld_lines,
)

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:2px solid #ccc;margin-top:2rem;padding-top:1rem}
.flags{border:2px solid #c00;background:#fff3f3;padding:.5rem 1rem;border-radius:4px}
.flags.minor{border-color:#c90;background:#fffbef}
.action{font-weight:bold;text-transform:uppercase}
.error{color:#a00}
.warn{color:#8a5a00;font-weight:bold}
.client{background:#f3f8ff;padding:.5rem 1rem;border-radius:4px}
.client.referral{background:#fff3f3;border:2px solid #c00}
.secondary{opacity:.55}
.dim{color:#666;font-size:.9em}
"""
_BAR_WIDTH = 300
#: Sections are held in memory up to this size, then in an unnamed temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024


class HtmlWriter(BatchWriter):
    def begin(self) -> None:
        # closed in end(); unnamed, so an interrupted run leaves nothing behind
        self.sections: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            _SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
        )
        self.count = 0
        self.failed: list[tuple[int, str]] = []
        self.serious: list[tuple[int, int, str, str]] = []  # severity, number, label, action
        self.actions: dict[str, int] = {}

    def write(self, record: Record) -> None:
        self.count += 1
        number = self.count
        label = record_label(record)
        out = self.sections
        out.write(f'<section id="intake-{number}"><h2>{escape(label)}</h2>\n')
        if is_error(record):
            self.failed.append((number, label))
            out.write('<p class="error">Not scored:</p><ul>')
            out.writelines(f"<li>{escape(error_text(e))}</li>" for e in record["errors"])
            out.write("</ul></section>\n")
            return
        action = most_severe_action(record)
        if action:
            self.actions[action] = self.actions.get(action, 0) + 1
        if action in ("emergency", "urgent"):
            self.serious.append((0 if action == "emergency" else 1, number, label, action))
        out.write(_flags(record))
        out.write(_notices(record, self))
        out.write(_screens(record, self))
        secondary = record["referral_first"]
        heading = f"Causes, ranked ({SECONDARY})" if secondary else "Causes, ranked"
        out.write(f'<div class="{"secondary" if secondary else "ranking"}"><h3>{heading}</h3>')
        out.write(_chart(record))
        out.write(_reasons(record, self))
        out.write("</div>\n")
        out.write(self._client_section(record))
        out.write(f'<p class="dim">{escape(record["disclaimer"])}</p></section>\n')

    def end(self) -> None:
        title = f"nmt-assess report ({self.ruleset.name} {self.ruleset.version})"
        self.out.write(
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n"
        )
        if self.count > 1:
            self.out.write(self._summary())
        self.sections.seek(0)
        shutil.copyfileobj(self.sections, self.out)
        self.sections.close()
        self.out.write("</body></html>\n")

    def _summary(self) -> str:
        scored = self.count - len(self.failed)
        counts = ", ".join(
            f"{self.actions[a]} {a}"
            for a in ("emergency", "urgent", "refer", "caution", "local")
            if a in self.actions
        )
        parts = [
            '<section id="summary"><h2>Summary</h2>',
            f"<p>{self.count} intakes: {scored} scored, {len(self.failed)} not scored. "
            f"Most severe red flag per intake: {escape(counts) or 'none raised'}.</p>",
        ]
        if self.serious:
            items = "".join(
                f'<li><span class="action">{action}</span> '
                f'<a href="#intake-{number}">{escape(label)}</a></li>'
                for _, number, label, action in sorted(self.serious)
            )
            parts.append(f'<div class="flags"><h3>Refer first</h3><ol>{items}</ol></div>')
        if self.failed:
            items = "".join(
                f'<li><a href="#intake-{number}">{escape(label)}</a></li>'
                for number, label in self.failed
            )
            parts.append(f'<h3 class="error">Not scored</h3><ul>{items}</ul>')
        parts.append('<p class="dim">Each intake follows in input order.</p></section>\n')
        return "".join(parts)

    def _client_section(self, record: Record) -> str:
        """What a session involves; when a raised flag restricts treatment, the referral advice
        instead."""
        restricting = [f for f in record["red_flags"] if f.get("restricts")]
        if restricting:
            advice = "".join(f"<p>{escape(f['advice'])}</p>" for f in restricting)
            return (
                '<div class="client referral"><h3>For the client</h3>'
                "<p><strong>Before any treatment:</strong></p>"
                f"{advice}</div>\n"
            )
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in self.ruleset.client_information)
        return f'<div class="client"><h3>For the client</h3>{paragraphs}</div>\n'


def _flags(record: Record) -> str:
    if not record["red_flags"]:
        return '<p class="dim">Red flags: none raised.</p>\n'
    css = "flags" if record["referral_first"] else "flags minor"
    heading = "Red flags: refer before any treatment" if record["referral_first"] else "Precautions"
    items = "".join(
        f'<li><span class="action">{escape(f["action"])}</span> '
        f"<strong>{escape(f['title'])}</strong>: {escape(f['advice'])}</li>"
        for f in record["red_flags"]
    )
    return f'<div class="{css}"><h3>{heading}</h3><ul>{items}</ul></div>\n'


def _notices(record: Record, writer: HtmlWriter) -> str:
    lines = withheld_lines(record, writer.ruleset)
    unscreened = not_screened_line(record, writer.ruleset)
    if unscreened:
        lines.append(unscreened)
    return "".join(f'<p class="warn">{escape(line)}</p>\n' for line in lines)


def _screens(record: Record, writer: HtmlWriter) -> str:
    """The screens that concern the client: a prognosis, shown apart from the causes."""
    items = []
    for screen in record.get("screens") or ():
        headline, advice, unanswered = screen_lines(screen, writer.ruleset)
        more = f": {escape(advice)}" if advice else ""
        if unanswered:
            more += f' <span class="{"dim" if advice else "warn"}">{escape(unanswered)}</span>'
        items.append(f"<li><strong>{escape(headline)}</strong>{more}</li>")
    if not items:
        return ""
    return f'<div class="screens"><h3>{SCREENS_HEADING}</h3><ul>{"".join(items)}</ul></div>\n'


def _chart(record: Record) -> str:
    causes = record["causes"]
    row = 26
    height = row * len(causes) + 4
    fill = "#999" if record["referral_first"] else "#3a7"
    bars = []
    for index, cause in enumerate(causes):
        y = index * row + 4
        width = round(cause["probability"] * _BAR_WIDTH)
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="13">{escape(cause["title"])}</text>'
            f'<rect x="190" y="{y}" width="{_BAR_WIDTH}" height="18" fill="#eee"/>'
            f'<rect x="190" y="{y}" width="{width}" height="18" fill="{fill}"/>'
            f'<text x="{200 + _BAR_WIDTH}" y="{y + 15}" font-size="13">'
            f"{figure(cause['probability'], cause.get('range'))} {escape(cause['band'])}</text>"
        )
    label = "Probability of each cause"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'width="{300 + _BAR_WIDTH}" height="{height}">{"".join(bars)}</svg>\n'
    )


def _reasons(record: Record, writer: HtmlWriter) -> str:
    parts = []
    answers: Any = record.get("answers")
    for cause in record["causes"]:
        counted = [c for c in cause["contributions"] if c["counted"]]
        items = (
            "".join(
                f"<li>x{c['factor']:g} {escape(c['direction'])}: "
                f"<strong>{escape(findings_found(writer.ruleset, c['findings'], answers))}"
                f"</strong>: {escape(c['because'])}</li>"
                for c in counted
            )
            or '<li class="dim">No answered finding bears on this cause yet.</li>'
        )
        checks = "".join(f"<li>{escape(c['question'])}</li>" for c in cause["check_next"])
        check_list = f"<p>Check next:</p><ul>{checks}</ul>" if checks else ""
        muscles = "".join(
            f"<li>{escape(region.replace('_', ' '))}: {escape(', '.join(names))}</li>"
            for region, names in cause.get("muscles_to_palpate", {}).items()
        )
        muscle_list = f"<p>Muscles to palpate:</p><ul>{muscles}</ul>" if muscles else ""
        parts.append(
            f"<h4>{cause['rank']}. {escape(cause_title(cause['title'], cause.get('site')))} "
            f"({figure(cause['probability'], cause.get('range'))})</h4>"
            f"<ul>{items}</ul>{muscle_list}{check_list}"
        )
    return "".join(parts) + "\n"
