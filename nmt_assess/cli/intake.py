"""`nmt-assess intake`: a quick terminal intake that never loses an answer.

Screening comes first, paged to fit an 80x24 terminal; then the questions, adaptive by default.
The intake file is saved (atomically) after every answer, so Ctrl-C, a closed terminal or a
crash loses nothing; and no file the therapist did not ask to update is ever replaced. The
questions and answers are the library's (`nmt_assess.session`); this module reads the lines,
shows the prompts (`cli/intake_view.py`) and saves the file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.intake_terminal import InputEnded, Terminal
from nmt_assess.cli.intake_view import finish
from nmt_assess.cli.options import RulesOption
from nmt_assess.cli.safe_text import safe
from nmt_assess.session import IntakeSession, file_safe, id_problem
from nmt_assess.writers.intake_file import SaveFailed, folder_problem, kept_as_is
from nmt_assess.writers.sanitize import printable

if TYPE_CHECKING:
    from rich.console import Console


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
        if (why := folder_problem(wanted or Path("intake.yaml"))) is not None:
            raise _Unusable(why)
        lines = _answer_lines(answers, console) if answers else _keyboard(console)
    except _Unusable as error:
        print(f"nmt-assess: {error}", file=sys.stderr)
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
    terminal = Terminal(
        IntakeSession(
            ruleset, client_only=client_only, adaptive=quick and not full, width=console.width
        ),
        console,
        lines,
    )
    session = terminal.session
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
        try:
            session.client_id = (
                session.client_id or client_id or terminal.ask_text("Client id (no names)")
            )
            default = Path(f"intake-{file_safe(session.client_id)}-{session.date}.yaml")
            terminal.path = terminal.claim(
                wanted or default, may_replace, scripted=answers is not None
            )
        except InputEnded:
            # nothing is answered before the file is chosen: there is nothing to save
            print(
                "nmt-assess: the answers ended before the client id and the file to save to "
                "were given; nothing was saved (give --id, or start the answers with the id)",
                file=sys.stderr,
            )
            raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None
        terminal.save()
        if review:
            session.review()
            terminal.drive()
            session.start()
        console.print(f"[dim]Live ranking: {safe(session.legend())}.[/dim]")
        terminal.drive()
        finish(console, session, terminal)
    except KeyboardInterrupt:
        console.print(f"\nInterrupted. Every answer so far is saved in {safe(terminal.path)}")
        raise typer.Exit(exit_codes.INTERRUPTED) from None
    except SaveFailed as error:
        print(f"{printable(str(terminal.path))}: cannot write: {error}", file=sys.stderr)
        print("The answers so far, as an intake file:", file=sys.stderr)
        sys.stdout.write(session.document_text())
        raise typer.Exit(exit_codes.UNUSABLE_INPUT) from None


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


def _keyboard(console: Console) -> Iterator[str]:
    while True:
        try:
            yield console.input("> ")
        except EOFError:
            return
