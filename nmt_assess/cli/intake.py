"""`nmt-assess intake`: a quick terminal intake that never loses an answer.

Screening comes first, paged to fit an 80x24 terminal; then the questions, adaptive by default.
The intake file is saved (atomically) after every answer, so Ctrl-C, a closed terminal or a
crash loses nothing; and no file the therapist did not ask to update is ever replaced.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption
from nmt_assess.cli.safe_text import safe
from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console

    from nmt_assess.engine import Engine
    from nmt_assess.models import Finding, Ruleset

_SECTIONS = ("history", "complaint", "examination")
#: The keys an intake file holds; a --from file with any other key (a case file) is kept as it
#: is and the answers go to a new file, so nothing in it is lost.
_INTAKE_KEYS = frozenset({"id", "date", "findings"})
_ID_LIMIT = 64
#: The screening pages are sized for the smallest common terminal.
_SCREEN_WIDTH, _SCREEN_HEIGHT = 80, 24
#: Rows of a screening page that are not its questions: the ranking line and the blank line
#: before it, the heading, the prompt, the typed answer and one line for a correction.
_PAGE_CHROME = 6

#: A step of the intake: one question (its finding id) or one page of screening questions.
Step = str | tuple[str, ...]


class _Unusable(Exception):
    """The command line cannot be used: one line for stderr, exit 2 (before any question)."""


def intake(
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Intake file to write after every answer (never an existing file: a new name "
            "is picked). Default: intake-<id>-<date>.yaml here (or the --from file).",
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="Resume or edit this intake: ask only what is unknown."),
    ] = None,
    review: Annotated[
        bool, typer.Option("--review", help="With --from: walk every answer, Enter keeps it.")
    ] = False,
    client_id: Annotated[
        str | None, typer.Option("--id", help="Client id: letters, digits, - _ . (no names).")
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Ask every question in catalog order (default: adaptive)."),
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="Adaptive questioning (the default).")
    ] = True,
    client_only: Annotated[
        bool, typer.Option("--client-only", help="Skip what the therapist observes and tests.")
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="Read the answers, one per line as typed, from this file."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Run a client intake in the terminal, red flags first, and end with the assessment."""
    from nmt_assess.cli.safe_text import plain_console
    from nmt_assess.readers.intake_file import read_intake_file
    from nmt_assess.ruleset import load_ruleset

    console = plain_console()
    if answers is None and not sys.stdin.isatty():
        print(
            "nmt-assess intake needs a terminal. To score an intake file use "
            "`nmt-assess score FILE`; for scripted input give --answers FILE.",
            file=sys.stderr,
        )
        raise typer.Exit(exit_codes.UNUSABLE_INPUT)
    try:
        if client_id is not None and (why := id_problem(client_id)) is not None:
            raise _Unusable(f"--id: '{printable(client_id)[:80]}' cannot be used: {why}")
        ruleset = load_ruleset(rules)
        existing = read_intake_file(from_file, ruleset) if from_file else None
        keep_reason = None if from_file is None else kept_as_is(from_file)
        may_replace = from_file if from_file is not None and keep_reason is None else None
        wanted = save or may_replace
        check_folder(wanted or Path("intake.yaml"))
        lines = _answer_lines(answers, console) if answers else _keyboard(console)
    except _Unusable as error:
        print(f"nmt-assess: {error}", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    session = IntakeSession(
        ruleset, console, lines, client_only=client_only, adaptive=quick and not full
    )
    if existing is not None:
        session.findings.update(existing.findings)
        session.client_id = existing.id
        session.date = existing.date or session.date
    if from_file is not None and keep_reason is not None:
        console.print(
            f"[yellow]{safe(from_file)} {keep_reason}: it is left as it is, and the answers "
            "are saved to a new intake file.[/yellow]"
        )
    try:
        session.client_id = (
            session.client_id or client_id or session.ask_text("Client id (no names)")
        )
        default = Path(f"intake-{file_safe(session.client_id)}-{session.date}.yaml")
        session.path = session.claim(wanted or default, may_replace, scripted=answers is not None)
        session.save()
        if review:
            session.review()
        session.run()
        session.finish()
    except KeyboardInterrupt:
        console.print(f"\nInterrupted. Every answer so far is saved in {safe(session.path)}")
        raise typer.Exit(exit_codes.INTERRUPTED) from None
    except _SaveFailed as error:
        print(f"{printable(str(session.path))}: cannot write: {error}", file=sys.stderr)
        print("The answers so far, as an intake file:", file=sys.stderr)
        sys.stdout.write(session.document_text())
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None


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


def kept_as_is(path: Path) -> str | None:
    """Why the --from file must not be rewritten (saving would lose something), or None.

    Only a YAML file that holds nothing but id, date and findings, and no comment, is rewritten
    in place: a case file's title, story and note, a JSON file's format and a comment
    written by hand are not things the intake can write back."""
    import yaml

    if path.suffix.lower() not in (".yaml", ".yml"):
        return "is not a YAML intake file"
    try:
        text = path.read_bytes().decode("utf-8-sig")
        starts = [
            event
            for event in yaml.parse(text, Loader=yaml.SafeLoader)
            if isinstance(event, yaml.DocumentStartEvent)
        ]
        document = yaml.safe_load(text) if len(starts) <= 1 else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        return "cannot be read back"
    if len(starts) > 1:
        return "holds more than one YAML document"
    if any(start.version or start.tags for start in starts):
        return "starts with a YAML directive (%YAML or %TAG)"
    if not isinstance(document, dict) or not set(document) <= _INTAKE_KEYS:
        extra = sorted(str(key) for key in document) if isinstance(document, dict) else []
        others = [key for key in extra if key not in _INTAKE_KEYS]
        return f"holds more than an intake ({', '.join(others[:4])})"
    if "#" in text:
        return "holds comments"
    if not path.is_file() or os.path.islink(path):
        return "is not a regular file"
    return None


def check_folder(path: Path) -> None:
    """Fail before the first question when the intake could not be saved to `path`."""
    if path.is_dir():
        raise _Unusable(f"{printable(str(path))}: cannot write: is a folder")
    folder = path.parent
    reason = None
    if not folder.exists():
        reason = f"the folder {printable(str(folder))} does not exist"
    elif not folder.is_dir():
        reason = f"{printable(str(folder))} is not a folder"
    else:
        try:
            handle, probe = tempfile.mkstemp(prefix=".nmt-assess-", suffix=".probe", dir=folder)
            os.close(handle)
            os.unlink(probe)
        except OSError as error:
            reason = f"the folder {printable(str(folder))}: {error.strerror or error}"
    if reason is not None:
        raise _Unusable(f"{printable(str(path))}: cannot write: {reason}")


def free_name(path: Path) -> Path:
    """`path` with -2, -3 ... before the suffix: the first name not taken."""
    for number in range(2, 10_000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise _SaveFailed("no free file name")


def _keyboard(console: Console) -> Iterator[str]:
    while True:
        try:
            yield console.input("> ")
        except EOFError:
            return


def _answer_lines(path: Path, console: Console) -> Iterator[str]:
    from nmt_assess.problems import Problem, ProblemsError

    label = printable(str(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProblemsError(
            [Problem(label, None, "file", f"cannot read: {error.strerror or error}")]
        ) from None
    try:
        lines = data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problem = Problem(
            label, line, "file", f"not UTF-8 text (byte {error.start})", "save it as UTF-8"
        )
        raise ProblemsError([problem]) from None

    def replay() -> Iterator[str]:
        for line in lines:
            console.print(f"> {safe(line)}")
            yield line

    return replay()


def _initials(title: str) -> str:
    words = title.split()
    return "".join(w[0] for w in words).upper() if len(words) > 1 else title[:2].upper()


class _SaveFailed(Exception):
    """The intake file could not be written (the answers are printed instead)."""


class _Finished(Exception):
    """The therapist typed `done`, input ended, or a red flag stopped the intake."""


class IntakeSession:
    def __init__(
        self,
        ruleset: Ruleset,
        console: Console,
        lines: Iterator[str],
        *,
        client_only: bool,
        adaptive: bool,
    ) -> None:
        from nmt_assess.engine import Engine

        self.ruleset = ruleset
        self.engine: Engine = Engine(ruleset)
        self.console = console
        self.lines = lines
        self.client_only = client_only
        self.adaptive = adaptive
        self.findings: dict[str, Any] = {}
        self.skipped: set[str] = set()
        self.history: list[Step] = []
        self.client_id: str | None = None
        self.date = dt.date.today()
        self.path = Path("intake.yaml")
        self.announced: set[str] = set()
        self.offered_stop = False
        self.screen_pages: list[tuple[str, ...]] = []

    # --- the flow ------------------------------------------------------------------------

    def run(self) -> None:
        legend = ", ".join(f"{_initials(c.title)} {c.title}" for c in self.ruleset.causes)
        self.console.print(f"[dim]Live ranking: {safe(legend)}.[/dim]")
        try:
            self.screen()
            while (finding_id := self.next_finding()) is not None:
                self.ask(finding_id)
        except _Finished:
            return

    def screen(self) -> None:
        """Every red-flag question first: those that are not yes/no one by one, then the
        client's yes/no questions a page at a time, then the therapist's checks one by one
        (a client's "none" never answers an examination)."""
        steps = self.screening_steps()
        announced = False
        while (step := next((s for s in steps if self.pending(s)), None)) is not None:
            if not announced:
                self.console.print("\n[bold]Screening: red flags and precautions[/bold]")
                announced = True
            self.ask_step(step)

    def screening_steps(self) -> list[Step]:
        from nmt_assess.models import FindingType

        findings = self.screening()
        single = [f.id for f in findings if f.type is not FindingType.yes_no]
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

        width = min(self.console.width, _SCREEN_WIDTH) - 1
        return textwrap.wrap(
            printable(finding.question),
            width=width,
            initial_indent=f"  {number:>2}. ",
            subsequent_indent=" " * 6,
        ) or [f"  {number:>2}."]

    def pending(self, step: Step) -> bool:
        ids = (step,) if isinstance(step, str) else step
        return any(f not in self.findings and f not in self.skipped for f in ids)

    def ask_step(self, step: Step) -> None:
        if isinstance(step, str):
            self.ask(step)
        else:
            self.ask_page(step)

    def ask_page(self, page: tuple[str, ...]) -> None:
        """One page of yes/no questions: the numbers of those that apply, or none."""
        from rich.markup import escape

        shown = [self.ruleset.findings[f] for f in page if self.pending(f)]
        self.show_ranking()
        pages = self.screen_pages
        where = f", page {pages.index(page) + 1} of {len(pages)}" if page in pages else ""
        self.console.print(f"[bold]Does any of these apply to the client{where}?[/bold]")
        for number, finding in enumerate(shown, 1):
            for line in self.item_lines(number, finding):
                self.console.print(escape(line))
        while True:
            self.console.print(
                "Numbers of any that apply (e.g. 1,4), [bold]none[/bold], s skip, ? help, "
                "b back, done."
            )
            text = self.read().strip().lower()
            picked = self.parse_numbers(text, len(shown))
            if picked is not None:
                break
            if text in ("s", "skip"):
                self.skipped.update(f.id for f in shown)
                self.history.append(tuple(f.id for f in shown))
                return
            if text in ("done",):
                raise _Finished
            if text in ("b", "back"):
                self.go_back(tuple(f.id for f in shown))
                return
            if text.startswith(("?", "why")):
                self.explain_page(text.lstrip("?").removeprefix("why").strip(), shown)
                continue
            self.console.print("[yellow]Type numbers such as 1,4, or none.[/yellow]")
        for number, finding in enumerate(shown, 1):
            self.findings[finding.id] = number in picked
            self.skipped.discard(finding.id)
        self.history.append(tuple(f.id for f in shown))
        self.save()
        self.alert_new_flags()

    def explain_page(self, which: str, shown: list[Finding]) -> None:
        if which.isdigit() and 1 <= int(which) <= len(shown):
            self.explain(shown[int(which) - 1])
            return
        self.console.print(
            "[cyan]Each question screens for a red flag: a sign that needs a doctor, or that "
            "makes deep work unsafe. Type the numbers of those that apply, none if none applies, "
            "s to leave them unscreened (the report says so), b to go back, done to finish. "
            "?3 explains question 3.[/cyan]"
        )

    def next_finding(self) -> str | None:
        screening = {f.id for f in self.screening()}
        candidates = [
            f.id
            for section in _SECTIONS
            for f in self.asked_findings(section)
            if f.id not in self.findings and f.id not in self.skipped and f.id not in screening
        ]
        if not candidates:
            return None
        if not self.adaptive:
            return candidates[0]
        from nmt_assess.adaptive import STOP_MARGIN, could_reorder_top_two, next_question

        if not self.offered_stop and not could_reorder_top_two(
            self.engine, self.findings, candidates
        ):
            self.offered_stop = True
            if self.confirm(
                f"[cyan]No remaining question could reorder the top two causes by "
                f"more than {STOP_MARGIN:.2f}.[/cyan] Finish now?"
            ):
                return None
        return next_question(self.engine, self.findings, candidates)

    def ask(self, finding_id: str, default: Any = None) -> None:
        from nmt_assess.answers import Command, Invalid, parse_answer

        finding = self.ruleset.findings[finding_id]
        self.show_ranking()
        self.console.print(f"[bold]{safe(finding.question)}[/bold] {self.hint(finding)}")
        if finding.how_to:
            self.console.print(f"  [dim]{safe(finding.how_to)}[/dim]")
        if finding.choices:
            self.show_choices(finding)
        while True:
            text = self.read()
            if default is not None and not text.strip():
                return
            answer = parse_answer(finding, text)
            if isinstance(answer, Invalid):
                self.console.print(f"[yellow]{safe(answer.message)}[/yellow]")
            elif answer is Command.why:
                self.explain(finding)
            elif answer is Command.back:
                self.go_back(finding_id)
                return
            elif answer is Command.done:
                raise _Finished
            elif answer is Command.skip:
                self.skipped.add(finding_id)
                self.findings.pop(finding_id, None)
                self.history.append(finding_id)
                self.save()
                return
            else:
                self.findings[finding_id] = answer
                self.skipped.discard(finding_id)
                self.history.append(finding_id)
                self.save()
                self.alert_new_flags()
                return

    def go_back(self, current: Step) -> None:
        """Undo the last step and ask it again (a page shows all its questions again)."""
        if not self.history:
            self.console.print("[yellow]Nothing to go back to.[/yellow]")
            if isinstance(current, str):
                self.ask(current)
            return
        previous = self.history.pop()
        for finding_id in (previous,) if isinstance(previous, str) else previous:
            self.findings.pop(finding_id, None)
            self.skipped.discard(finding_id)
        self.save()
        self.ask_step(previous)

    def review(self) -> None:
        from nmt_assess.plain_words import value_words

        for finding_id in list(self.findings):
            finding = self.ruleset.findings[finding_id]
            if finding.section == "screening":
                continue
            now = value_words(self.findings[finding_id])
            self.console.print(f"[dim]now: {safe(now)}; Enter keeps it[/dim]")
            try:
                self.ask(finding_id, default=self.findings[finding_id])
            except _Finished:
                return

    def finish(self) -> None:
        from nmt_assess.writers.terminal import render_assessment

        self.save()
        intake = self.intake()
        self.console.print()
        self.console.print(render_assessment(self.engine.score(intake), self.ruleset))
        self.console.print(f"\nSaved: {safe(self.path)}")

    # --- the file ------------------------------------------------------------------------

    def claim(self, wanted: Path, may_replace: Path | None, *, scripted: bool) -> Path:
        """The file this intake is saved to: `wanted`, unless that is a file the therapist did
        not ask to update; then (asked, or said when scripted) resume it or a new name."""
        if may_replace is not None and _same_file(wanted, may_replace):
            return wanted
        if not os.path.lexists(wanted):
            return _reserve(wanted)
        new = free_name(wanted)
        if not scripted and may_replace is None and self.offer_resume(wanted, new):
            if kept_as_is(wanted) is None:
                return wanted
            self.console.print(
                f"[yellow]{safe(wanted)} {kept_as_is(wanted)}; it is left as it is.[/yellow]"
            )
        new = _reserve(new)
        self.console.print(
            f"[yellow]{safe(wanted)} already exists: it is left as it is, and this intake is "
            f"saved to {safe(new)}.[/yellow]"
        )
        return new

    def offer_resume(self, path: Path, new: Path) -> bool:
        """Ask whether to resume the intake in `path`; True when its answers were taken up."""
        from nmt_assess.problems import ProblemsError
        from nmt_assess.readers.intake_file import read_intake_file

        try:
            earlier = read_intake_file(path, self.ruleset)
        except ProblemsError as error:
            self.console.print(f"[yellow]{safe(error.problems[0].format())}[/yellow]")
            return False
        self.console.print(
            f"{safe(path)} already exists. [bold]r[/bold] resume it (ask only what is unknown), "
            f"[bold]n[/bold] save this intake to {safe(new)} instead. \\[r/n]"
        )
        while (text := self.read().strip().lower()) not in ("r", "resume", "n", "new"):
            self.console.print("[yellow]Type r to resume or n for a new file.[/yellow]")
        if text in ("n", "new"):
            return False
        self.findings.update(earlier.findings)
        self.client_id = earlier.id or self.client_id
        self.date = earlier.date or self.date
        return True

    def document_text(self) -> str:
        import yaml

        ordered = {
            f: list(v) if isinstance(v, tuple) else v
            for f in self.ruleset.findings
            if (v := self.findings.get(f)) is not None
        }
        document = {"id": self.client_id, "date": self.date, "findings": ordered}
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)

    def save(self) -> None:
        """The intake file as it stands: a valid intake in which unanswered means unknown."""
        from nmt_assess.writers.files import atomic_text_file

        text = self.document_text()
        try:
            with atomic_text_file(self.path) as out:
                out.write(text)
        except OSError as error:
            raise _SaveFailed(error.strerror or str(error)) from None

    # --- helpers -------------------------------------------------------------------------

    def read(self) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            raise _Finished from None

    def confirm(self, question: str) -> bool:
        """A yes/no question that takes only y or n (done finishes the intake)."""
        while True:
            self.console.print(f"{question} \\[y/n]")
            text = self.read().strip().lower()
            if text in ("y", "yes"):
                return True
            if text in ("n", "no"):
                return False
            if text == "done":
                raise _Finished
            self.console.print("[yellow]Type y (yes) or n (no).[/yellow]")

    def ask_text(self, label: str) -> str:
        while True:
            self.console.print(f"{label}:")
            text = self.read().strip()
            problem = id_problem(text)
            if problem is None:
                return text
            self.console.print(f"[yellow]{problem[0].upper()}{problem[1:]}.[/yellow]")

    def screening(self) -> list[Finding]:
        from nmt_assess.adaptive import screening_findings

        return [
            self.ruleset.findings[f]
            for f in screening_findings(self.engine)
            if not (self.client_only and self.ruleset.findings[f].asked_of == "therapist")
        ]

    def asked_findings(self, section: str) -> list[Finding]:
        return [
            f
            for f in self.ruleset.findings.values()
            if f.section == section and not (self.client_only and f.asked_of == "therapist")
        ]

    @staticmethod
    def parse_numbers(text: str, count: int) -> set[int] | None:
        if text == "none":
            return set()
        parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
        if parts and all(p.isdigit() and 1 <= int(p) <= count for p in parts):
            return {int(p) for p in parts}
        return None

    def hint(self, finding: Finding) -> str:
        from nmt_assess.models import FindingType

        kind = finding.type
        if kind is FindingType.yes_no:
            return "[dim]\\[y/n/s][/dim]"
        if kind is FindingType.scale_0_10:
            return "[dim]\\[0-10, s][/dim]"
        if kind is FindingType.number:
            low, high = finding.bounds or (0, 0)
            return f"[dim]\\[{low:g}-{high:g} {safe(finding.unit or '')}, s][/dim]"
        if kind is FindingType.multi_choice:
            return "[dim]\\[numbers or names, comma-separated; none; s][/dim]"
        return "[dim]\\[number or name, s][/dim]"

    def show_choices(self, finding: Finding) -> None:
        from rich.columns import Columns

        choices = finding.choices or ()
        cells = [f"{n:>2}. {safe(c.replace('_', ' '))}" for n, c in enumerate(choices, 1)]
        self.console.print(Columns(cells, column_first=True, padding=(0, 2)))

    def show_ranking(self) -> None:
        """One line, readable at 80 columns: initials, a five-step bar and the probability."""
        probabilities = self.engine.probabilities(self.findings)
        short = {c.id: _initials(c.title) for c in self.ruleset.causes}
        parts = [
            f"{short[c]} {'█' * round(p * 5)}{'░' * (5 - round(p * 5))} {p:.2f}"
            for c, p in sorted(probabilities.items(), key=lambda item: -item[1])
        ]
        self.console.print("\n[dim]" + safe("  ".join(parts)) + "[/dim]")

    def explain(self, finding: Finding) -> None:
        self.console.print(f"[cyan]{safe(finding.meaning)}[/cyan]")
        for cause in self.ruleset.causes:
            for rule in cause.rules:
                if finding.id in set(rule.findings()):
                    self.console.print(
                        f"  [cyan]{safe(cause.title)}: x{rule.lr.lr:g} {safe(rule.because)}[/cyan]"
                    )
        for flag in self.ruleset.red_flags:
            if finding.id in set(flag.when.findings()):
                self.console.print(
                    f"  [red]Red flag ({flag.action.value}): {safe(flag.title)}[/red]"
                )

    def alert_new_flags(self) -> None:
        """Each newly raised flag at once; an emergency or urgent one offers to stop."""
        from rich.panel import Panel

        new = [f for f in self.engine.raised_flags(self.findings) if f.id not in self.announced]
        for flag in new:
            self.announced.add(flag.id)
            style = "red" if flag.action.is_referral_first else "yellow"
            self.console.print(
                Panel(
                    f"[bold]{safe(flag.title)}[/bold]\n{safe(flag.advice)}",
                    title=f"RED FLAG: {flag.action.value.upper()}",
                    border_style=style,
                )
            )
        stopping = [flag for flag in new if flag.action.is_referral_first]
        if not stopping:
            return
        worst = min(stopping, key=lambda flag: flag.action.severity)
        question = (
            "[bold red]Emergency. Stop the intake now?[/bold red]"
            if worst.action.value == "emergency"
            else "[bold red]Urgent: no treatment today. Stop the intake now?[/bold red]"
        )
        if self.confirm(question):
            raise _Finished

    def intake(self) -> Any:
        from nmt_assess.models import Intake

        return Intake.model_validate(
            {"id": self.client_id, "date": self.date, "findings": self.findings}
        )


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return one.resolve() == other.resolve()


def _reserve(path: Path) -> Path:
    """Create `path` empty, or the first free -N name after it if it appeared meanwhile."""
    candidate = path
    for _ in range(100):
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            candidate = free_name(path)
            continue
        except OSError as error:
            raise _SaveFailed(error.strerror or str(error)) from None
        return candidate
    raise _SaveFailed("no free file name")
