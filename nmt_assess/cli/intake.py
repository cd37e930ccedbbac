"""`nmt-assess intake`: a quick terminal intake that never loses an answer.

Screening comes first, on one screen; then the questions, adaptive by default. The intake file
is saved (atomically) after every answer, so Ctrl-C, a closed terminal or a crash loses nothing.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.options import RulesOption

if TYPE_CHECKING:
    from rich.console import Console

    from nmt_assess.engine import Engine
    from nmt_assess.models import Finding, Ruleset

_SECTIONS = ("history", "complaint", "examination")
_INTERRUPTED = 130


def intake(
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Intake file to write after every answer. "
            "Default: intake-<id>-<date>.yaml here (or the --from file).",
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="Resume or edit this intake: ask only what is unknown."),
    ] = None,
    review: Annotated[
        bool, typer.Option("--review", help="With --from: walk every answer, Enter keeps it.")
    ] = False,
    client_id: Annotated[str | None, typer.Option("--id", help="Client id (no names).")] = None,
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
    from rich.console import Console

    from nmt_assess.problems import ProblemsError
    from nmt_assess.readers.intake_file import read_intake_file
    from nmt_assess.ruleset import load_ruleset

    console = Console(highlight=False)
    if answers is None and not sys.stdin.isatty():
        print(
            "nmt-assess intake needs a terminal. To score an intake file use "
            "`nmt-assess score FILE`; for scripted input give --answers FILE.",
            file=sys.stderr,
        )
        raise typer.Exit(exit_codes.UNUSABLE_INPUT)
    try:
        ruleset = load_ruleset(rules)
        existing = read_intake_file(from_file, ruleset) if from_file else None
        lines = _answer_lines(answers, console) if answers else _keyboard(console)
    except ProblemsError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    except OSError as error:
        print(f"{answers}: file: cannot read: {error.strerror}", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    session = IntakeSession(
        ruleset, console, lines, client_only=client_only, adaptive=quick and not full
    )
    if existing is not None:
        session.findings.update(existing.findings)
        session.client_id = existing.id
        session.date = existing.date or session.date
    try:
        session.client_id = (
            session.client_id or client_id or session.ask_text("Client id (no names)")
        )
        session.path = save or from_file or Path(f"intake-{session.client_id}-{session.date}.yaml")
        session.save()
        if review:
            session.review()
        session.run()
    except KeyboardInterrupt:
        console.print(f"\nInterrupted. Every answer so far is saved in {session.path}")
        raise typer.Exit(_INTERRUPTED) from None
    session.finish()


def _keyboard(console: Console) -> Iterator[str]:
    while True:
        try:
            yield console.input("> ")
        except EOFError:
            return


def _answer_lines(path: Path, console: Console) -> Iterator[str]:
    lines = path.read_text(encoding="utf-8").splitlines()

    def replay() -> Iterator[str]:
        for line in lines:
            console.print(f"> {line}")
            yield line

    return replay()


def _initials(title: str) -> str:
    words = title.split()
    return "".join(w[0] for w in words).upper() if len(words) > 1 else title[:2].upper()


class _Finished(Exception):
    """The therapist typed `done`, input ended, or an emergency stopped the intake."""


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
        self.history: list[str] = []
        self.client_id: str | None = None
        self.date = dt.date.today()
        self.path = Path("intake.yaml")
        self.announced: set[str] = set()
        self.offered_stop = False

    # --- the flow ------------------------------------------------------------------------

    def run(self) -> None:
        legend = ", ".join(f"{_initials(c.title)} {c.title}" for c in self.ruleset.causes)
        self.console.print(f"[dim]Live ranking: {legend}.[/dim]")
        try:
            self.screen()
            while (finding_id := self.next_finding()) is not None:
                self.ask(finding_id)
        except _Finished:
            return

    def screen(self) -> None:
        """Every red-flag question first: the yes/no ones on one screen, then the rest."""
        from nmt_assess.models import FindingType

        pending = [f for f in self.screening() if f.id not in self.findings]
        if not pending:
            return
        self.console.print("\n[bold]Screening: red flags and precautions[/bold]")
        for finding in [f for f in pending if f.type is not FindingType.yes_no]:
            self.ask(finding.id)
        pending = [f for f in pending if f.type is FindingType.yes_no]
        if not pending:
            return
        for number, finding in enumerate(pending, 1):
            self.console.print(f"  {number:>2}. {finding.question}")
        while True:
            self.console.print("Any of these? Enter the numbers, [bold]none[/bold], or s to skip.")
            text = self.read().strip().lower()
            picked = self.parse_numbers(text, len(pending))
            if picked is not None or text in ("s", "skip"):
                break
            self.console.print("[yellow]Type numbers such as 1,4, or none.[/yellow]")
        if picked is None:
            self.skipped.update(f.id for f in pending)
            return
        for number, finding in enumerate(pending, 1):
            self.findings[finding.id] = number in picked
        self.save()
        self.alert_new_flags()

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
            self.console.print(
                f"[cyan]No remaining question could reorder the top two causes by "
                f"more than {STOP_MARGIN:.2f}.[/cyan] Finish now? [y/n]"
            )
            if self.read().strip().lower() in ("", "y", "yes"):
                return None
        return next_question(self.engine, self.findings, candidates)

    def ask(self, finding_id: str, default: Any = None) -> None:
        from nmt_assess.answers import Command, Invalid, parse_answer

        finding = self.ruleset.findings[finding_id]
        self.show_ranking()
        self.console.print(f"[bold]{finding.question}[/bold] {self.hint(finding)}")
        if finding.how_to:
            self.console.print(f"  [dim]{finding.how_to}[/dim]")
        if finding.choices:
            self.show_choices(finding)
        while True:
            text = self.read()
            if default is not None and not text.strip():
                return
            answer = parse_answer(finding, text)
            if isinstance(answer, Invalid):
                self.console.print(f"[yellow]{answer.message}[/yellow]")
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

    def go_back(self, current: str) -> None:
        if not self.history:
            self.console.print("[yellow]Nothing to go back to.[/yellow]")
            self.ask(current)
            return
        previous = self.history.pop()
        self.findings.pop(previous, None)
        self.skipped.discard(previous)
        self.save()
        self.ask(previous)

    def review(self) -> None:
        for finding_id in list(self.findings):
            finding = self.ruleset.findings[finding_id]
            if finding.section == "screening":
                continue
            self.console.print(f"[dim]now: {self.findings[finding_id]!r}; Enter keeps it[/dim]")
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
        self.console.print(f"\nSaved: {self.path}")

    # --- helpers -------------------------------------------------------------------------

    def read(self) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            raise _Finished from None

    def ask_text(self, label: str) -> str:
        while True:
            self.console.print(f"{label}:")
            text = self.read().strip()
            if text and all(ch.isalnum() or ch in "-_." for ch in text):
                return text
            self.console.print("[yellow]Use letters, digits, - _ or . (no names).[/yellow]")

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
        parts = [p for p in text.replace(",", " ").split() if p]
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
            return f"[dim]\\[{low:g}-{high:g} {finding.unit or ''}, s][/dim]"
        if kind is FindingType.multi_choice:
            return "[dim]\\[numbers or names, comma-separated; none; s][/dim]"
        return "[dim]\\[number or name, s][/dim]"

    def show_choices(self, finding: Finding) -> None:
        from rich.columns import Columns

        choices = finding.choices or ()
        cells = [f"{n:>2}. {c.replace('_', ' ')}" for n, c in enumerate(choices, 1)]
        self.console.print(Columns(cells, column_first=True, padding=(0, 2)))

    def show_ranking(self) -> None:
        """One line, readable at 80 columns: initials, a five-step bar and the probability."""
        probabilities = self.engine.probabilities(self.findings)
        short = {c.id: _initials(c.title) for c in self.ruleset.causes}
        parts = [
            f"{short[c]} {'█' * round(p * 5)}{'░' * (5 - round(p * 5))} {p:.2f}"
            for c, p in sorted(probabilities.items(), key=lambda item: -item[1])
        ]
        self.console.print("\n[dim]" + "  ".join(parts) + "[/dim]")

    def explain(self, finding: Finding) -> None:
        self.console.print(f"[cyan]{finding.meaning}[/cyan]")
        for cause in self.ruleset.causes:
            for rule in cause.rules:
                if finding.id in set(rule.findings()):
                    self.console.print(
                        f"  [cyan]{cause.title}: x{rule.lr.lr:g} {rule.because}[/cyan]"
                    )
        for flag in self.ruleset.red_flags:
            if finding.id in set(flag.when.findings()):
                self.console.print(f"  [red]Red flag ({flag.action.value}): {flag.title}[/red]")

    def alert_new_flags(self) -> None:
        from rich.panel import Panel

        for flag in self.engine.raised_flags(self.findings):
            if flag.id in self.announced:
                continue
            self.announced.add(flag.id)
            style = "red" if flag.action.is_referral_first else "yellow"
            self.console.print(
                Panel(
                    f"[bold]{flag.title}[/bold]\n{flag.advice}",
                    title=f"RED FLAG: {flag.action.value.upper()}",
                    border_style=style,
                )
            )
            if flag.action.value == "emergency":
                self.console.print("[bold red]Emergency. Stop the intake now?[/bold red] [y/n]")
                if self.read().strip().lower() in ("", "y", "yes"):
                    raise _Finished

    def intake(self) -> Any:
        from nmt_assess.models import Intake

        return Intake.model_validate(
            {"id": self.client_id, "date": self.date, "findings": self.findings}
        )

    def save(self) -> None:
        """The intake file as it stands: a valid intake in which unanswered means unknown."""
        import yaml

        from nmt_assess.output import atomic_text_file

        ordered = {
            f: list(v) if isinstance(v, tuple) else v
            for f in self.ruleset.findings
            if (v := self.findings.get(f)) is not None
        }
        document = {"id": self.client_id, "date": self.date, "findings": ordered}
        with atomic_text_file(self.path) as out:
            yaml.safe_dump(document, out, sort_keys=False, allow_unicode=True)
