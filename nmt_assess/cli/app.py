"""The `nmt-assess` command. Commands import what they need when they run, so start-up is fast.

`main` is the one entry point, so what can go wrong outside any one command is handled here for
all of them: closed standard streams, a reader that goes away (`| head -1`), a full disk under
standard output, an output file that cannot be written, and SIGTERM or SIGHUP (temporary files
are removed on the way out). Each ends with one line on stderr, never a traceback, and the exit
code documented in `exit_codes`."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from types import FrameType
from typing import Annotated

import typer

from nmt_assess.cli import exit_codes, explain, intake, practice, questionnaire, rules, score
from nmt_assess.cli.errors import edge

app = typer.Typer(
    name="nmt-assess",
    help=(
        "Assess a neuromuscular-therapy client intake against the five NMT causes of pain, "
        "red flags first. Supports, and does not replace, clinical judgement."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        print(f"nmt-assess {version()}")
        raise typer.Exit(exit_codes.OK)


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    pass


app.command(name="score", help=score.__doc__)(edge(score.score))
app.command(name="questionnaire", help=questionnaire.__doc__)(edge(questionnaire.questionnaire))
app.command(name="intake", help=intake.intake.__doc__)(edge(intake.intake))
app.command(name="explain", help=explain.explain.__doc__)(edge(explain.explain))
app.command(name="practice", help=practice.practice.__doc__)(edge(practice.practice))
app.add_typer(rules.app, name="rules")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("nmt-assess")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main() -> None:
    sys.exit(run())


def run(args: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    from nmt_assess.writers.files import ClosedPipe, OutputError

    _guard_standard_streams()
    _stop_on_signals()
    try:
        try:
            app(args=args)
            code: object = exit_codes.OK
        except SystemExit as stop:
            code = stop.code
        sys.stdout.flush()  # here, not at interpreter exit, where a failure is a traceback
    except ClosedPipe:
        _silence_stdout()
        return exit_codes.CLOSED_PIPE
    except OutputError as error:
        _silence_stdout()
        print(f"nmt-assess: {error}", file=sys.stderr)
        return exit_codes.UNUSABLE_INPUT
    except OSError as error:  # a read or write failed where no command expected it
        _silence_stdout()
        where = f"{error.filename}: " if error.filename else ""
        print(f"nmt-assess: {where}{error.strerror or error}", file=sys.stderr)
        return exit_codes.UNUSABLE_INPUT
    if code is None:
        return exit_codes.OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return exit_codes.UNUSABLE_INPUT


def _guard_standard_streams() -> None:
    """A closed descriptor 0, 1 or 2 is reopened on /dev/null, so no file we open later takes
    its number (and gets our prints). Reading a closed stdin or writing a closed stdout is then
    a clear error; stdout is written through writers.files.GuardedFile, so a full disk or a reader
    that went away is told apart from any other failure."""
    from nmt_assess.writers.files import guarded_stdout

    closed = {fd for fd in (0, 1, 2) if not _is_open(fd)}
    for fd in sorted(closed):
        opened = os.open(os.devnull, os.O_RDWR)
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)
    if 2 in closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    if 0 in closed:
        sys.stdin = io.TextIOWrapper(io.BufferedReader(_ClosedInput()), encoding="utf-8")
    previous = sys.stdout
    if previous is not None and 1 not in closed:
        previous.flush()
        sys.stdout = guarded_stdout(
            previous.encoding,
            previous.errors or "strict",
            bool(previous.line_buffering),
            closed=False,
        )
    else:
        sys.stdout = guarded_stdout("utf-8", "strict", False, closed=True)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class _ClosedInput(io.RawIOBase):
    """Standard input that the shell closed (`<&-`): reading it is an error, not an empty file."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise OSError(9, "cannot read: it is closed", "<stdin>")


def _silence_stdout() -> None:
    """Whatever is still buffered for stdout goes nowhere, quietly, at interpreter exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    raw = getattr(getattr(sys.stdout, "buffer", None), "raw", None)
    if raw is not None and hasattr(raw, "discard"):
        raw.discard = True


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP unwind like an exception, so every temporary file is removed."""

    def stop(number: int, frame: FrameType | None) -> None:
        signal.signal(number, signal.SIG_IGN)  # a second signal must not interrupt the cleanup
        with contextlib.suppress(OSError):  # not print: stderr may be mid-write
            os.write(2, f"nmt-assess: stopped by {signal.Signals(number).name}\n".encode())
        raise SystemExit(128 + number)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, stop)
