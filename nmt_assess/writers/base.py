"""The interface every batch writer follows: begin, one write per record, end.

Writers take the records as JSON-shaped dicts: an assessment (the core's JSON document plus
`source`) or an error record (`errors` instead of `causes`). One input record, one output record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from nmt_assess.models import Ruleset

Record = dict[str, Any]


class WrittenBlock(dict[str, Any]):
    """Records a worker process has already written as JSON Lines: `lines`, one per record, in
    input order. Only a JSON Lines writer receives these; the mapping holds what the batch
    summary reads of them: `scored`, `failed` and `most_severe` (action -> records whose most
    severe red flag it is)."""

    __slots__ = ("lines",)

    def __init__(self, lines: bytes, scored: int, failed: int, most_severe: dict[str, int]) -> None:
        super().__init__(scored=scored, failed=failed, most_severe=most_severe)
        self.lines = lines

    def __reduce__(self) -> Any:  # sent from worker processes
        return (WrittenBlock, (self.lines, self["scored"], self["failed"], self["most_severe"]))


class BatchWriter:
    def __init__(self, out: TextIO, ruleset: Ruleset) -> None:
        self.out = out
        self.ruleset = ruleset

    def begin(self) -> None:
        """Write what comes before the first record."""

    def write(self, record: Record) -> None:
        raise NotImplementedError

    def end(self) -> None:
        """Write what comes after the last record."""


def figure(probability: float, bounds: Any) -> str:
    """A cause's probability with the range its uncertain weights allow: "0.74 (0.55-0.86)";
    the point alone when the range is that point."""
    low, high = bounds if bounds else (probability, probability)
    if f"{low:.2f}" == f"{high:.2f}":
        return f"{probability:.2f}"
    return f"{probability:.2f} ({low:.2f}-{high:.2f})"


def cause_title(title: str, site: Any) -> str:
    """The cause's title, with its most likely site when it has sites."""
    if not site:
        return title
    name = site["title"] if isinstance(site, dict) else site.title
    return f"{title}: {name}"


def is_error(record: Record) -> bool:
    return "errors" in record


def record_label(record: Record) -> str:
    """The intake id, or where the record came from when it has none."""
    if record.get("intake_id"):
        return str(record["intake_id"])
    source = record.get("source") or {}
    line = f":{source['line']}" if source.get("line") else f"#{source.get('record', '?')}"
    return f"{source.get('file', '?')}{line}"


def most_severe_action(record: Record) -> str:
    flags = record.get("red_flags") or []
    return str(flags[0]["action"]) if flags else ""


def error_text(error: dict[str, Any]) -> str:
    hint = f" ({error['hint']})" if error.get("hint") else ""
    return f"{error['field']}: {error['message']}{hint}"


#: How every format marks the ranking when an emergency or urgent flag was raised.
SECONDARY = "secondary to the referral"


def unanswered_questions(record: Record) -> list[str]:
    """Every finding the unscreened red flags wait for, without repeats, in flag order."""
    flags = record.get("unscreened_red_flags") or ()
    return list(dict.fromkeys(f for flag in flags for f in flag["unanswered"]))


def finding_label(ruleset: Ruleset, finding_id: str) -> str:
    finding = ruleset.findings.get(finding_id)
    return finding.label if finding is not None else finding_id


def not_screened_line(record: Record, ruleset: Ruleset) -> str | None:
    """The line naming the red flags left open and every question they wait for."""
    flags = record.get("unscreened_red_flags") or ()
    if not flags:
        return None
    ids = ", ".join(flag["id"] for flag in flags)
    questions = ", ".join(
        f"{finding_label(ruleset, f)} ({f})" for f in unanswered_questions(record)
    )
    return (
        f"Not screened: {len(flags)} red flag(s) depend on unanswered questions ({ids}); "
        f"ask before treating: {questions}"
    )


def withheld_lines(record: Record, ruleset: Ruleset) -> list[str]:
    """One line per raised flag that kept suggestions back: what, and why."""
    by_flag: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for cause in record.get("causes") or ():
        for entry in cause.get("withheld") or ():
            regions, tests, muscles = by_flag.setdefault(entry["flag"], ([], [], []))
            target = tests
            if entry["kind"] == "muscles_to_palpate":  # a pain region, or a muscle lying there
                target = regions if entry["item"] == entry["region"] else muscles
            if entry["item"] not in target:
                target.append(entry["item"])
    flags = {flag["id"]: flag for flag in record.get("red_flags") or ()}
    lines = []
    for flag_id, (regions, tests, muscles) in by_flag.items():
        flag = flags.get(flag_id, {})
        restricts = flag.get("restricts")
        where = (
            "the whole body"
            if restricts == "body"
            else ", ".join(r.replace("_", " ") for r in (restricts or {}).get("regions", ()))
        )
        parts = []
        if regions:
            parts.append("muscles to palpate in " + ", ".join(r.replace("_", " ") for r in regions))
        if muscles:
            parts.append("muscles that lie in a restricted region: " + ", ".join(muscles))
        if tests:
            parts.append("hands-on tests: " + ", ".join(finding_label(ruleset, t) for t in tests))
        lines.append(
            f"Withheld: {'; '.join(parts)}. Because of {flag.get('title', flag_id)} "
            f"({flag_id}): hands off {where or 'the restricted area'}."
        )
    return lines


def found_words(ruleset: Ruleset, finding_id: str, value: Any) -> str:
    """What was found, in words: "Slump test: negative", "Tingling: no", "Age: 71 years"."""
    from nmt_assess.plain_words import value_words

    finding = ruleset.findings.get(finding_id)
    label = finding.label if finding is not None else finding_id
    if value is None:
        return f"{label}: unknown"
    if isinstance(value, bool):
        stem, test = (
            (label[: -len(" positive")], True) if label.endswith(" positive") else (label, False)
        )
        if test:
            return f"{stem}: {'positive' if value else 'negative'}"
        return f"{label}: {'yes' if value else 'no'}"
    unit = f" {finding.unit}" if finding is not None and finding.unit else ""
    return f"{label}: {value_words(value)}{unit}"


def findings_found(ruleset: Ruleset, finding_ids: Any, answers: Any) -> str:
    """The witnesses of a reason or a flag as what was found, comma-separated."""
    answers = answers or {}
    return ", ".join(found_words(ruleset, f, answers.get(f)) for f in finding_ids)


#: How every format heads the screens section: a prognosis, never a cause.
SCREENS_HEADING = "Screens (prognosis, not a cause)"


def score_words(score: dict[str, Any]) -> str:
    """A screen's score: "total 5", "total 4-6" while items are unanswered, "total 8 (given)"."""
    low, high = score["low"], score["high"]
    value = f"{low:g}" if low == high else f"{low:g}-{high:g}"
    return f"{score['title']} {value}{' (given)' if score.get('given') else ''}"


def screen_lines(screen: dict[str, Any], ruleset: Ruleset) -> tuple[str, str | None, str | None]:
    """A screen as the report shows it: the headline (result and scores), the advice (None
    while the result is open), and the unanswered items (None when all are answered)."""
    scores = ", ".join(score_words(score) for score in screen["scores"])
    result = screen.get("result")
    state = result["title"] if result else "not complete"
    headline = f"{screen['title']}: {state} ({scores})"
    unanswered = None
    if screen.get("unanswered"):
        asked = ", ".join(f"{finding_label(ruleset, f)} ({f})" for f in screen["unanswered"])
        unanswered = (
            f"Unanswered (the result holds whatever the answers): {asked}"
            if result
            else f"Ask to complete it: {asked}"
        )
    return headline, result["advice"] if result else None, unanswered
