"""The intake session on a terminal: shows each prompt, reads the lines, saves the file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nmt_assess.cli.intake_view import ask_line, show_prompt, show_reply
from nmt_assess.cli.safe_text import safe
from nmt_assess.session import IntakeSession, id_problem
from nmt_assess.writers.intake_file import SaveFailed, free_name, kept_as_is, reserve, same_file

if TYPE_CHECKING:
    from rich.console import Console


class InputEnded(Exception):
    """The therapist typed `done`, input ended, or a red flag stopped the intake."""


class Terminal:
    """The session on a terminal: shows each prompt, reads lines, saves after each change."""

    def __init__(self, session: IntakeSession, console: Console, lines: Iterator[str]) -> None:
        self.session, self.console, self.lines = session, console, lines
        self.path = Path("intake.yaml")
        self.saved = -1

    def read(self) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            raise InputEnded from None

    def drive(self) -> None:
        """Ask until this part of the session is over or the input ends."""
        try:
            while (prompt := self.session.prompt()) is not None:
                show_prompt(self.console, self.session, prompt)
                reply = None
                while reply is None or reply.again:
                    ask_line(self.console, prompt)
                    reply = self.session.answer(self.read())
                    if self.session.revision != self.saved:
                        self.save()
                    show_reply(self.console, self.session, reply)
        except InputEnded:
            return

    def save(self) -> None:
        """The intake file as it stands: a valid intake in which unanswered means unknown."""
        from nmt_assess.writers.files import atomic_text_file

        text = self.session.document_text()
        try:
            with atomic_text_file(self.path) as out:
                out.write(text)
        except OSError as error:
            raise SaveFailed(error.strerror or str(error)) from None
        self.saved = self.session.revision

    def claim(self, wanted: Path, may_replace: Path | None, *, scripted: bool) -> Path:
        """The file this intake is saved to: `wanted`, unless that is a file the therapist did
        not ask to update; then (asked, or said when scripted) resume it or a new name."""
        if may_replace is not None and same_file(wanted, may_replace):
            return wanted
        if not os.path.lexists(wanted):
            return reserve(wanted)
        new = free_name(wanted)
        if not scripted and may_replace is None and self.offer_resume(wanted, new):
            if kept_as_is(wanted) is None:
                return wanted
            self.console.print(
                f"[yellow]{safe(wanted)} {kept_as_is(wanted)}; it is left as it is.[/yellow]"
            )
        new = reserve(new)
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
            earlier = read_intake_file(path, self.session.ruleset)
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
        self.session.resume(earlier)
        return True

    def ask_text(self, label: str) -> str:
        while True:
            self.console.print(f"{label}:")
            text = self.read().strip()
            problem = id_problem(text)
            if problem is None:
                return text
            self.console.print(f"[yellow]{problem[0].upper()}{problem[1:]}.[/yellow]")
