"""An intake session (pure): a state machine over a rule pack, with no terminal and no files.

Screening comes first: the red-flag questions that are not yes/no one by one, the client's
yes/no questions a page at a time (pages sized for an 80x24 terminal), the therapist's checks
one by one; then the other questions, adaptive by default (or all, in catalog order). The caller
shows `prompt()`, reads a line, hands it to `answer(text)` and shows the `Reply`; `nmt-assess
intake` is one such caller, a script or a test is another. The answers so far are `intake()`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from nmt_assess.engine import Engine
    from nmt_assess.models import Finding, Intake, RedFlag, Ruleset

_SECTIONS = ("history", "complaint", "examination")
_ID_LIMIT = 64
#: The screening pages are sized for the smallest common terminal.
_SCREEN_WIDTH, _SCREEN_HEIGHT = 80, 24
#: Rows of a screening page that are not its questions: the ranking line and the blank line
#: before it, the heading, the prompt, the typed answer and one line for a correction.
_PAGE_CHROME = 6

#: A step of the intake: one question (its finding id) or one page of screening questions.
Step = str | tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One finding to ask. `keeping`: a review, where an empty answer keeps `kept`.
    `heading`: the first question of the screening."""

    finding: Finding
    keeping: bool = False
    kept: Any = None
    heading: bool = False


@dataclass(frozen=True)
class Page:
    """Yes/no screening questions asked together: the numbers of those that apply, or none.
    `lines`: each question wrapped to fit; `number` of `pages`, when a whole screening page."""

    findings: tuple[Finding, ...]
    lines: tuple[tuple[str, ...], ...]
    number: int | None
    pages: int
    heading: bool = False


@dataclass(frozen=True)
class Confirm:
    """A yes/no question to the therapist: finish now (nothing left could reorder the top two
    causes), or stop for an emergency or urgent red flag just raised."""

    kind: Literal["finish_early", "emergency", "urgent"]


Prompt = Question | Page | Confirm


@dataclass(frozen=True)
class Reply:
    """What an answer did. `again`: the same prompt waits for another line (after a message
    or an explanation); otherwise ask `prompt()` for what comes next."""

    kind: Literal[
        "answered",
        "kept",
        "skipped",
        "declined",
        "back",
        "nothing_back",
        "finished",
        "retry",
        "explain",
    ]
    message: str = ""
    #: "explain": the finding to explain (None: how a screening page works).
    finding: Finding | None = None
    #: "answered": the red flags this answer raised, to show at once.
    raised: tuple[RedFlag, ...] = ()

    @property
    def again(self) -> bool:
        return self.kind in ("retry", "explain")


def id_problem(text: str) -> str | None:
    """Why `text` cannot be a client id (it names the intake file), or None."""
    if not text or not all(ch.isalnum() or ch in "-_." for ch in text):
        return "use letters, digits, - _ or . (no names, no folders)"
    if set(text) == {"."}:
        return "use at least one letter or digit"
    if len(text) > _ID_LIMIT:
        return f"use at most {_ID_LIMIT} characters"
    return None


def file_safe(text: str) -> str:
    """A client id as it can stand in a file name: no folder, no control character."""
    return re.sub(r"[^\w.-]", "_", text, flags=re.ASCII)[:_ID_LIMIT].lstrip(".") or "client"


def _initials(title: str) -> str:
    words = title.split()
    return "".join(w[0] for w in words).upper() if len(words) > 1 else title[:2].upper()


class IntakeSession:
    def __init__(
        self,
        ruleset: Ruleset,
        *,
        client_only: bool = False,
        adaptive: bool = True,
        width: int = _SCREEN_WIDTH,
    ) -> None:
        from nmt_assess.engine import Engine

        self.ruleset = ruleset
        self.engine: Engine = Engine(ruleset)
        self.client_only = client_only
        self.adaptive = adaptive
        self.width = width
        self.findings: dict[str, Any] = {}
        self.skipped: set[str] = set()
        self.history: list[Step] = []
        self.client_id: str | None = None
        self.date = dt.date.today()
        self.announced: set[str] = set()
        self.offered_stop = False
        self.screen_pages: list[tuple[str, ...]] = []
        #: Counts the changes to the answers: save the intake file when it moves.
        self.revision = 0
        self._phase: Literal["review", "screen", "questions", "over"] = "screen"
        self._steps: list[Step] = []
        self._review: list[str] = []
        self._heading_due = True
        self._forced: Step | None = None
        self._confirm: Literal["finish_early", "emergency", "urgent"] | None = None
        self._current: Prompt | None = None
        self.start()

    # --- the flow ------------------------------------------------------------------------

    def start(self) -> None:
        """Ask what is unknown: screening first, then the questions (a new session starts so)."""
        self._steps = self.screening_steps()
        self._phase, self._heading_due, self._current = "screen", True, None

    def review(self) -> None:
        """Walk every answer there is (screening aside) before `start()`: Enter keeps it."""
        self._review = list(self.findings)
        self._phase, self._current = "review", None

    def resume(self, earlier: Intake) -> None:
        """Take up the answers, id and date of an earlier intake."""
        self.findings.update(earlier.findings)
        self.client_id = earlier.id or self.client_id
        self.date = earlier.date or self.date

    def prompt(self) -> Prompt | None:
        """What to ask now, or None when this part of the session is over."""
        if self._current is None:
            self._current = self._next_prompt()
        return self._current

    def answer(self, text: str) -> Reply:
        """The line typed to the current prompt, parsed as the prompt expects."""
        prompt = self.prompt()
        if prompt is None:
            raise ValueError("the session asks nothing now")
        if isinstance(prompt, Confirm):
            return self._confirmed(prompt, text)
        if isinstance(prompt, Page):
            return self._answer_page(prompt, text)
        return self._answer_question(prompt, text)

    @property
    def finished(self) -> bool:
        return self._phase == "over"

    def _next_prompt(self) -> Prompt | None:
        if self._confirm is not None:
            return Confirm(self._confirm)
        if self._forced is not None:
            forced = self._forced
            self._forced = None
            return self._step_prompt(forced)
        if self._phase == "review":
            while self._review:
                finding_id = self._review.pop(0)
                if self.ruleset.findings[finding_id].section == "screening":
                    continue
                finding = self.ruleset.findings[finding_id]
                return Question(finding, keeping=True, kept=self.findings[finding_id])
            self._phase = "over"
        if self._phase == "screen":
            step = next((s for s in self._steps if self.pending(s)), None)
            if step is not None:
                heading, self._heading_due = self._heading_due, False
                return self._step_prompt(step, heading=heading)
            self._phase = "questions"
        if self._phase == "questions":
            return self._next_question()
        return None

    def _next_question(self) -> Prompt | None:
        screening = {f.id for f in self.screening()}
        candidates = [
            f.id
            for section in _SECTIONS
            for f in self.asked_findings(section)
            if f.id not in self.findings and f.id not in self.skipped and f.id not in screening
        ]
        if not candidates:
            self._phase = "over"
            return None
        if not self.adaptive:
            return Question(self.ruleset.findings[candidates[0]])
        from nmt_assess.adaptive import could_reorder_top_two, next_question, on_site

        site_first = [f for f in self.ruleset.site_findings if f in candidates]
        if site_first:  # where it hurts decides which questions mean anything: asked first
            return Question(self.ruleset.findings[site_first[0]])
        candidates = on_site(self.engine, self.findings, candidates)
        if not candidates:
            self._phase = "over"
            return None

        if not self.offered_stop and not could_reorder_top_two(
            self.engine, self.findings, candidates
        ):
            self.offered_stop = True
            self._confirm = "finish_early"
            return Confirm("finish_early")
        finding_id = next_question(self.engine, self.findings, candidates)
        return None if finding_id is None else Question(self.ruleset.findings[finding_id])

    def _step_prompt(self, step: Step, *, heading: bool = False) -> Prompt:
        if isinstance(step, str):
            return Question(self.ruleset.findings[step], heading=heading)
        shown = tuple(self.ruleset.findings[f] for f in step if self.pending(f))
        pages = self.screen_pages
        number = pages.index(step) + 1 if step in pages else None
        lines = tuple(tuple(self.item_lines(n, f)) for n, f in enumerate(shown, 1))
        return Page(shown, lines, number, len(pages), heading=heading)

    def _answer_question(self, prompt: Question, text: str) -> Reply:
        from nmt_assess.answers import Command, Invalid, parse_answer

        finding_id = prompt.finding.id
        if prompt.keeping and not text.strip():
            return self._moved("kept")
        answer = parse_answer(prompt.finding, text)
        if isinstance(answer, Invalid):
            return Reply("retry", answer.message)
        if answer is Command.why:
            return Reply("explain", finding=prompt.finding)
        if answer is Command.back:
            return self._back(finding_id)
        if answer is Command.done:
            return self._stop()
        if answer is Command.skip:
            self.skipped.add(finding_id)
            self.findings.pop(finding_id, None)
            self.history.append(finding_id)
            self.revision += 1
            return self._moved("skipped")
        self.findings[finding_id] = answer
        self.skipped.discard(finding_id)
        self.history.append(finding_id)
        self.revision += 1
        return self._moved("answered", raised=self._new_flags())

    def _answer_page(self, prompt: Page, text: str) -> Reply:
        shown = prompt.findings
        ids = tuple(f.id for f in shown)
        text = text.strip().lower()
        picked = self.parse_numbers(text, len(shown))
        if picked is None:
            if text in ("s", "skip"):
                self.skipped.update(ids)
                self.history.append(ids)
                return self._moved("skipped")
            if text in ("done",):
                return self._stop()
            if text in ("b", "back"):
                return self._back(ids)
            if text.startswith(("?", "why")):
                which = text.lstrip("?").removeprefix("why").strip()
                if which.isdigit() and 1 <= int(which) <= len(shown):
                    return Reply("explain", finding=shown[int(which) - 1])
                return Reply("explain")
            return Reply("retry", "Type numbers such as 1,4, or none.")
        for number, finding in enumerate(shown, 1):
            self.findings[finding.id] = number in picked
            self.skipped.discard(finding.id)
        self.history.append(ids)
        self.revision += 1
        return self._moved("answered", raised=self._new_flags())

    def _confirmed(self, prompt: Confirm, text: str) -> Reply:
        text = text.strip().lower()
        if text in ("y", "yes"):
            self._confirm = None
            return self._stop()
        if text in ("n", "no"):
            self._confirm = None
            return self._moved("declined")
        if text == "done":
            self._confirm = None
            return self._stop()
        return Reply("retry", "Type y (yes) or n (no).")

    def _back(self, current: Step) -> Reply:
        """Undo the last step and ask it again (a page shows all its questions again)."""
        if not self.history:
            if isinstance(current, str):
                self._forced = current
            return self._moved("nothing_back")
        previous = self.history.pop()
        for finding_id in (previous,) if isinstance(previous, str) else previous:
            self.findings.pop(finding_id, None)
            self.skipped.discard(finding_id)
        self.revision += 1
        self._forced = previous
        return self._moved("back")

    def _stop(self) -> Reply:
        self._phase = "over"
        self._forced = None
        return self._moved("finished")

    def _moved(self, kind: Any, raised: tuple[RedFlag, ...] = ()) -> Reply:
        self._current = None
        return Reply(kind, raised=raised)

    def _new_flags(self) -> tuple[RedFlag, ...]:
        """Each newly raised flag; an emergency or urgent one offers to stop."""
        new = tuple(
            f for f in self.engine.raised_flags(self.findings) if f.id not in self.announced
        )
        self.announced.update(flag.id for flag in new)
        stopping = [flag for flag in new if flag.action.is_referral_first]
        if stopping:
            worst = min(stopping, key=lambda flag: flag.action.severity)
            self._confirm = "emergency" if worst.action.value == "emergency" else "urgent"
        return new

    # --- the questions -------------------------------------------------------------------

    def screening_steps(self) -> list[Step]:
        from nmt_assess.models import FindingType

        findings = self.screening()
        single = [f.id for f in findings if f.type is not FindingType.yes_no]
        # where it hurts closes the questions asked one by one: the screening pages and the
        # site-specific questions that follow depend on it
        sites = [f for f in self.ruleset.site_findings if f in single]
        single = [f for f in single if f not in sites] + sites
        listed = [f for f in findings if f.type is FindingType.yes_no and f.asked_of == "client"]
        checks = [f.id for f in findings if f.type is FindingType.yes_no and f.asked_of != "client"]
        self.screen_pages = self.pages(listed)
        return [*single, *self.screen_pages, *checks]

    def pages(self, findings: list[Finding]) -> list[tuple[str, ...]]:
        """The listed questions in pages that fit the screen with their prompt."""
        budget = _SCREEN_HEIGHT - _PAGE_CHROME
        pages: list[tuple[str, ...]] = []
        page: list[str] = []
        used = 0
        for finding in findings:
            rows = len(self.item_lines(0, finding))
            if page and used + rows > budget:
                pages.append(tuple(page))
                page, used = [], 0
            page.append(finding.id)
            used += rows
        if page:
            pages.append(tuple(page))
        return pages

    def item_lines(self, number: int, finding: Finding) -> list[str]:
        import textwrap

        width = min(self.width, _SCREEN_WIDTH) - 1
        return textwrap.wrap(
            printable(finding.question),
            width=width,
            initial_indent=f"  {number:>2}. ",
            subsequent_indent=" " * 6,
        ) or [f"  {number:>2}."]

    def pending(self, step: Step) -> bool:
        ids = (step,) if isinstance(step, str) else step
        return any(f not in self.findings and f not in self.skipped for f in ids)

    def screening(self) -> list[Finding]:
        from nmt_assess.adaptive import screening_findings

        return [
            self.ruleset.findings[f]
            for f in screening_findings(self.engine)
            if not (self.client_only and self.ruleset.findings[f].asked_of == "therapist")
        ]

    def asked_findings(self, section: str) -> list[Finding]:
        # the questions of a screen that does not concern the client (STarT Back for a neck
        # complaint) are not asked
        not_asked = self.engine.builder.screens.not_to_ask(self.findings, self._read_by_rules)
        return [
            f
            for f in self.ruleset.findings.values()
            if f.section == section
            and not (self.client_only and f.asked_of == "therapist")
            and f.id not in not_asked
        ]

    @functools.cached_property
    def _read_by_rules(self) -> frozenset[str]:
        """Every finding a rule or a red flag reads."""
        ruleset = self.ruleset
        used = {f for cause in ruleset.causes for rule in cause.rules for f in rule.findings()}
        return frozenset(used | {f for flag in ruleset.red_flags for f in flag.when.findings()})

    @staticmethod
    def parse_numbers(text: str, count: int) -> set[int] | None:
        if text == "none":
            return set()
        parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
        if parts and all(p.isdigit() and 1 <= int(p) <= count for p in parts):
            return {int(p) for p in parts}
        return None

    # --- what stands so far --------------------------------------------------------------

    def legend(self) -> str:
        """The causes' initials, as the ranking line shows them."""
        return ", ".join(f"{_initials(c.title)} {c.title}" for c in self.ruleset.causes)

    def ranking_line(self) -> str:
        """One line, readable at 80 columns: initials, a five-step bar and the probability."""
        probabilities = self.engine.probabilities(self.findings)
        short = {c.id: _initials(c.title) for c in self.ruleset.causes}
        parts = [
            f"{short[c]} {'█' * round(p * 5)}{'░' * (5 - round(p * 5))} {p:.2f}"
            for c, p in sorted(probabilities.items(), key=lambda item: -item[1])
        ]
        return "  ".join(parts)

    def raised(self) -> list[RedFlag]:
        """The red flags the answers so far raise."""
        return list(self.engine.raised_flags(self.findings))

    def intake(self) -> Intake:
        from nmt_assess.models import Intake

        return Intake.model_validate(
            {"id": self.client_id, "date": self.date, "findings": self.findings}
        )

    def document_text(self) -> str:
        """The intake file as it stands: a valid intake in which unanswered means unknown."""
        import yaml

        ordered = {
            f: list(v) if isinstance(v, tuple) else v
            for f in self.ruleset.findings
            if (v := self.findings.get(f)) is not None
        }
        document = {"id": self.client_id, "date": self.date, "findings": ordered}
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
