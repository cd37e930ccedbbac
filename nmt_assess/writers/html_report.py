"""A self-contained HTML report: per intake the red flags, a bar chart of the five causes as
inline SVG, the reasons, and a section written for the client."""

from __future__ import annotations

from html import escape

from nmt_assess.writers.base import BatchWriter, Record, error_text, is_error, record_label

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:2px solid #ccc;margin-top:2rem;padding-top:1rem}
.flags{border:2px solid #c00;background:#fff3f3;padding:.5rem 1rem;border-radius:4px}
.flags.minor{border-color:#c90;background:#fffbef}
.action{font-weight:bold;text-transform:uppercase}
.error{color:#a00}
.client{background:#f3f8ff;padding:.5rem 1rem;border-radius:4px}
.dim{color:#666;font-size:.9em}
"""
_BAR_WIDTH = 300


class HtmlWriter(BatchWriter):
    def begin(self) -> None:
        title = f"nmt-assess report ({self.ruleset.name} {self.ruleset.version})"
        self.out.write(
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n"
        )

    def write(self, record: Record) -> None:
        out = self.out
        out.write(f"<section><h2>{escape(record_label(record))}</h2>\n")
        if is_error(record):
            out.write('<p class="error">Not scored:</p><ul>')
            out.writelines(f"<li>{escape(error_text(e))}</li>" for e in record["errors"])
            out.write("</ul></section>\n")
            return
        out.write(_flags(record))
        out.write(_chart(record))
        out.write(_reasons(record))
        out.write(self._client_section(record))
        out.write(f'<p class="dim">{escape(record["disclaimer"])}</p></section>\n')

    def end(self) -> None:
        self.out.write("</body></html>\n")

    def _client_section(self, record: Record) -> str:
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in self.ruleset.client_information)
        return f'<div class="client"><h3>For the client</h3>{paragraphs}</div>\n'


def _flags(record: Record) -> str:
    if not record["red_flags"]:
        return ""
    css = "flags" if record["referral_first"] else "flags minor"
    heading = "Red flags: refer before any treatment" if record["referral_first"] else "Precautions"
    items = "".join(
        f'<li><span class="action">{escape(f["action"])}</span> '
        f"<strong>{escape(f['title'])}</strong>: {escape(f['advice'])}</li>"
        for f in record["red_flags"]
    )
    return f'<div class="{css}"><h3>{heading}</h3><ul>{items}</ul></div>\n'


def _chart(record: Record) -> str:
    causes = record["causes"]
    row = 26
    height = row * len(causes) + 4
    bars = []
    for index, cause in enumerate(causes):
        y = index * row + 4
        width = round(cause["probability"] * _BAR_WIDTH)
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="13">{escape(cause["title"])}</text>'
            f'<rect x="190" y="{y}" width="{_BAR_WIDTH}" height="18" fill="#eee"/>'
            f'<rect x="190" y="{y}" width="{width}" height="18" fill="#3a7"/>'
            f'<text x="{200 + _BAR_WIDTH}" y="{y + 15}" font-size="13">'
            f"{cause['probability']:.2f} {escape(cause['band'])}</text>"
        )
    label = "Probability of each cause"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'width="{300 + _BAR_WIDTH}" height="{height}">{"".join(bars)}</svg>\n'
    )


def _reasons(record: Record) -> str:
    parts = []
    for cause in record["causes"]:
        counted = [c for c in cause["contributions"] if c["counted"]]
        items = (
            "".join(
                f"<li>x{c['factor']:g} {escape(c['direction'])}: {escape(c['because'])}</li>"
                for c in counted
            )
            or '<li class="dim">No answered finding bears on this cause yet.</li>'
        )
        checks = "".join(f"<li>{escape(c['question'])}</li>" for c in cause["check_next"])
        check_list = f"<p>Check next:</p><ul>{checks}</ul>" if checks else ""
        parts.append(
            f"<h4>{cause['rank']}. {escape(cause['title'])} ({cause['probability']:.2f})</h4>"
            f"<ul>{items}</ul>{check_list}"
        )
    return "".join(parts) + "\n"
