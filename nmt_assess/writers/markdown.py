"""Markdown: per intake the red flags, the ranking and the reasons, for notes and reports."""

from __future__ import annotations

from nmt_assess.writers.base import BatchWriter, Record, error_text, is_error, record_label


class MarkdownWriter(BatchWriter):
    def begin(self) -> None:
        self.out.write(f"# nmt-assess report ({self.ruleset.name} {self.ruleset.version})\n")

    def write(self, record: Record) -> None:
        out = self.out
        out.write(f"\n## {record_label(record)}\n\n")
        if is_error(record):
            out.write("Not scored:\n\n")
            out.writelines(f"- {error_text(e)}\n" for e in record["errors"])
            return
        if record["red_flags"]:
            out.write(
                "**Red flags**"
                + (" (refer before any treatment)" if record["referral_first"] else "")
                + ":\n\n"
            )
            out.writelines(
                f"- **{flag['action'].upper()}** {flag['title']}: {flag['advice']}\n"
                for flag in record["red_flags"]
            )
            out.write("\n")
        out.write("| Rank | Cause | Probability | Band |\n|---:|---|---:|---|\n")
        out.writelines(
            f"| {c['rank']} | {c['title']} | {c['probability']:.2f} | {c['band']} |\n"
            for c in record["causes"]
        )
        for cause in record["causes"]:
            counted = [c for c in cause["contributions"] if c["counted"]]
            if not counted:
                continue
            out.write(f"\n**{cause['title']}** ({cause['probability']:.2f}):\n\n")
            out.writelines(
                f"- x{c['factor']:g} {c['direction']}: {c['because']}\n" for c in counted
            )
        out.write(f"\n_{record['disclaimer']}_\n")
