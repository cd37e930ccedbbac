"""The `nmt-assess` command. Commands import what they need when they run, so start-up is fast.

`main` is the one entry point, so what can go wrong outside any one command is handled here for
all of them: closed standard streams, a reader that goes away (`| head -1`), a full disk under
standard output, an output file that cannot be written, and SIGTERM or SIGHUP (temporary files
are removed on the way out). Each ends with one line on stderr, never a traceback, and the exit
code documented in `exit_codes`."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from nmt_assess.cli import exit_codes
from nmt_assess.cli.errors import edge

if TYPE_CHECKING:
    from collections.abc import Callable


def _show_version(value: bool) -> None:
    if value:
        print(f"nmt-assess {version()}")
        raise typer.Exit(exit_codes.OK)


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


def _add_score(app: typer.Typer) -> None:
    from nmt_assess.cli import score

    app.command(name="score", help=score.__doc__)(edge(score.score))


def _add_questionnaire(app: typer.Typer) -> None:
    from nmt_assess.cli import questionnaire

    app.command(name="questionnaire", help=questionnaire.__doc__)(edge(questionnaire.questionnaire))


def _add_intake(app: typer.Typer) -> None:
    from nmt_assess.cli import intake

    app.command(name="intake", help=intake.intake.__doc__)(edge(intake.intake))


def _add_explain(app: typer.Typer) -> None:
    from nmt_assess.cli import explain

    app.command(name="explain", help=explain.explain.__doc__)(edge(explain.explain))


def _add_practice(app: typer.Typer) -> None:
    from nmt_assess.cli import practice

    app.command(name="practice", help=practice.practice.__doc__)(edge(practice.practice))


def _add_rules(app: typer.Typer) -> None:
    from nmt_assess.cli import rules

    app.add_typer(rules.app, name="rules")


#: The commands, in the order the help lists them, and how each is added to the app.
COMMANDS: dict[str, Callable[[typer.Typer], None]] = {
    "score": _add_score,
    "questionnaire": _add_questionnaire,
    "intake": _add_intake,
    "explain": _add_explain,
    "practice": _add_practice,
    "rules": _add_rules,
}


def build_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with the command `only` alone. A command line
    that names a command runs in the app of that command alone, so typer builds (and Python
    imports) nothing for the others; the command parses, helps and fails as in the full app,
    and any other command line (`--help`, `--version`, a mistyped command) gets the full app.
    Its parameters are coerced without a pydantic validator each (lean_params.py)."""
    from nmt_assess.cli import lean_params

    lean_params.install()
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
    app.callback()(_options)
    for name in COMMANDS if only is None else (only,):
        COMMANDS[name](app)
    return app


@functools.cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    # `app`, the full app (what tests and scripts invoke), is built when first asked for
    if name == "app":
        return _full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
            given = sys.argv[1:] if args is None else args
            path = single_json_score(given)
            if path is not None:
                code: object = _score_one_as_json(path)
            else:
                build_app(given[0] if given and given[0] in COMMANDS else None)(args=args)
                code = exit_codes.OK
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


def single_json_score(given: list[str]) -> str | None:
    """The PATH of `score PATH --format json` (or `-f json`, before or after PATH) and nothing
    else, with no NMT_ASSESS_RULES and no shell completion asked for: the commonest single
    intake, which `run` scores without typer. Typer would build a pydantic validator for each
    of score's thirteen parameters, twelve of them unused here, which costs more than the
    scoring; the score command is called with exactly the values typer would give it, and its
    exits are handled as typer handles them. None: let typer parse the command line."""
    from nmt_assess.cli.options import RULES_ENVVAR

    if len(given) != 4 or given[0] != "score" or RULES_ENVVAR in os.environ:
        return None
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None
    rest = given[1:]
    if rest[0] in ("--format", "-f") and rest[1] == "json":
        path = rest[2]
    elif rest[1] in ("--format", "-f") and rest[2] == "json":
        path = rest[0]
    else:
        return None
    return None if path.startswith("-") else path


def _score_one_as_json(path: str) -> int:
    from nmt_assess.cli import score
    from nmt_assess.writers.formats import OutputFormat

    try:
        edge(score.score)(
            paths=[path],
            output_format=OutputFormat.json,
            output=None,
            detail=None,
            jobs=None,
            input_format=None,
            column_map=None,
            fail_on=None,
            top=None,
            rules=None,
            set_answers=None,
            unset=None,
        )
    except typer.Exit as stop:  # as typer's main: the code it carries
        return int(stop.exit_code)
    except KeyboardInterrupt:  # as typer's main
        return exit_codes.INTERRUPTED
    return exit_codes.OK


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
