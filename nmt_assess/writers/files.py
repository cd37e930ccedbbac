"""Where output goes, and writing it so that nothing the user had is destroyed.

One rule for every file the tool writes (`score -o`, `questionnaire -o`, `rules schema -o`, an
intake's save file):
- a regular file, or a path that does not exist yet, is written to a temporary file in the same
  folder, flushed, fsynced and renamed into place, so an interrupted run never leaves a file
  that looks complete. A new file gets the usual mode (0666 less the umask); a replaced file
  keeps its mode (and, when we may, its owner);
- a symlink is followed: its target is written that way, in the target's folder;
- a character device, a FIFO or a descriptor path (`/dev/stdout`, `/dev/fd/N`) is written
  through directly, never replaced;
- anything else (a folder, a socket, a block device) is refused, and so is a path that is one of
  the inputs (same resolved path, or the same file through another name or a hard link).

Every failure is an `OutputError`, `PATH: cannot write: reason`; the command line's entry point
turns it into one line on stderr and exit code 2. A reader that goes away (a closed pipe) is a
`ClosedPipe`, which ends the run quietly. Standard output is written through the same guarded
file, so the same two cases cover it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

STDOUT_LABEL = "<stdout>"

#: Paths that name an open descriptor of this process: written through that descriptor.
_DESCRIPTOR_PATH = re.compile(
    r"/dev/(?P<std>stdout|stderr)|/dev/fd/(?P<fd>\d+)|/proc/self/fd/(?P<pfd>\d+)"
)


class OutputError(Exception):
    """An output that cannot be written; nothing half-written is left behind."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: cannot write: {reason}")
        self.label = label
        self.reason = reason


class ClosedPipe(Exception):
    """Whoever read our output stopped reading (`| head -1`): not an error of ours."""


def reason_of(error: OSError) -> str:
    """An OSError as the reason part of a message: `no space left on device`."""
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class OutputTarget:
    """A checked output path: `label` is as the user wrote it, `target` is where bytes go."""

    label: str
    target: Path
    #: Written through an already open descriptor (`/dev/stdout`, `/dev/fd/N`).
    descriptor: int | None = None
    #: Written through directly: a character device or a FIFO.
    direct: bool = False


def output_target(
    path: Path, inputs: Iterable[Path] = (), stdin_is_input: bool = False
) -> OutputTarget:
    """Check, before any work is done, that `path` can be written and is none of `inputs`.
    Raises OutputError. Writing can still fail later (a full disk); `open_output` says so then."""
    label = str(path)
    match = _DESCRIPTOR_PATH.fullmatch(label)
    if match:
        fd = {"stdout": 1, "stderr": 2}.get(match["std"] or "") or int(match["fd"] or match["pfd"])
        return OutputTarget(label, path, descriptor=fd)
    target = Path(os.path.realpath(path))
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise OutputError(label, reason_of(error)) from None
    if status is not None:
        _refuse_inputs(label, target, status, inputs, stdin_is_input)
        if stat.S_ISDIR(status.st_mode):
            raise OutputError(label, "it is a folder (give a file name)")
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            if not os.access(target, os.W_OK):
                raise OutputError(label, "permission denied")
            return OutputTarget(label, target, direct=True)
        if not stat.S_ISREG(status.st_mode):
            raise OutputError(label, "not a regular file, character device or FIFO")
        if not os.access(target, os.W_OK):
            raise OutputError(label, "the file is read-only")
    _check_folder(label, target.parent)
    return OutputTarget(label, target)


def _refuse_inputs(
    label: str, target: Path, status: os.stat_result, inputs: Iterable[Path], stdin_is_input: bool
) -> None:
    same = (status.st_dev, status.st_ino)
    for source in inputs:
        try:
            other = os.stat(source)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == same or Path(os.path.realpath(source)) == target:
            raise OutputError(
                label, f"it is also an input ({source}); nothing was read, write elsewhere"
            )
    if stdin_is_input:
        with contextlib.suppress(OSError):
            other = os.fstat(0)
            if stat.S_ISREG(other.st_mode) and (other.st_dev, other.st_ino) == same:
                raise OutputError(
                    label, "it is also the standard input; nothing was read, write elsewhere"
                )


def _check_folder(label: str, folder: Path) -> None:
    if not folder.exists():
        raise OutputError(label, f"no such folder: {folder}")
    if not folder.is_dir():
        raise OutputError(label, f"not a folder: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        read_only = not os.access(folder, os.W_OK) and _read_only_filesystem(folder)
        raise OutputError(
            label, f"{'read-only file system' if read_only else 'permission denied'}: {folder}"
        )


def _read_only_filesystem(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@contextlib.contextmanager
def open_output(target: OutputTarget | Path) -> Iterator[TextIO]:
    """A UTF-8 text stream to the output, written as the module docstring says. Raises
    OutputError (or ClosedPipe) for a write that fails; a temporary file never outlives it."""
    if isinstance(target, Path):
        target = output_target(target)
    if target.descriptor is not None or target.direct:
        with _direct(target) as out:
            yield out
        return
    with _atomic(target) as out:
        yield out


#: The old name, kept for the commands that write one small file.
atomic_text_file = open_output


@contextlib.contextmanager
def _direct(target: OutputTarget) -> Iterator[TextIO]:
    try:
        if target.descriptor is not None:
            fd = os.dup(target.descriptor)
        else:  # no O_CREAT: if the device went away, say so rather than create a plain file
            fd = os.open(target.target, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise OutputError(target.label, reason_of(error)) from None
    out = _text_stream(GuardedFile(fd, target.label))
    try:
        yield out
        out.flush()
    finally:
        _close_quietly(out)


#: The signals the command line turns into an orderly stop (see cli.app).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """A stop signal that arrives inside waits until the end of it: for steps that must not be
    cut in half (a temporary file made but not yet known to its cleanup, a fork)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held signal is handled here


@contextlib.contextmanager
def _atomic(target: OutputTarget) -> Iterator[TextIO]:
    final = target.target
    made: tuple[int, str, TextIO] | None = None
    try:
        with signals_held():  # a stop signal is handled once the file is known to the cleanup
            made = _temporary_file(target)
        yield made[2]
    except BaseException:
        if made is not None:
            _discard(made[2], made[1])
        raise
    fd, temporary, out = made
    try:
        out.flush()
        os.fsync(fd)
        out.close()
        os.replace(temporary, final)
    except OSError as error:
        _discard(out, temporary)
        raise OutputError(target.label, reason_of(error)) from None
    except BaseException:
        _discard(out, temporary)
        raise
    _sync_folder(final.parent)


def _temporary_file(target: OutputTarget) -> tuple[int, str, TextIO]:
    final = target.target
    try:
        existing: os.stat_result | None = os.stat(final)
    except OSError:
        existing = None
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=f".{final.name[:200]}.", suffix=".part", dir=final.parent
        )
    except OSError as error:
        raise OutputError(target.label, reason_of(error)) from None
    try:
        _set_mode(fd, existing)
        return fd, temporary, _text_stream(GuardedFile(fd, target.label))
    except OSError as error:
        os.close(fd)
        _discard(None, temporary)
        raise OutputError(target.label, reason_of(error)) from None


def _set_mode(fd: int, existing: os.stat_result | None) -> None:
    """mkstemp makes 0600 files: a new file gets 0666 less the umask, a replaced one its own."""
    if existing is None:
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        return
    os.fchmod(fd, stat.S_IMODE(existing.st_mode))
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (existing.st_uid, existing.st_gid):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(fd, existing.st_uid, existing.st_gid)
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))  # chown clears set-id bits


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a crash only once the folder is on disk too."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _discard(out: TextIO | None, temporary: str) -> None:
    if out is not None:
        _close_quietly(out)
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _close_quietly(out: TextIO) -> None:
    """Close without writing again what could not be written (the buffer is dropped)."""
    buffer = getattr(out, "buffer", None)
    raw = getattr(buffer, "raw", None)
    if isinstance(raw, GuardedFile):
        raw.discard = True
    with contextlib.suppress(OSError, OutputError, ClosedPipe, ValueError):
        out.close()


def _text_stream(raw: GuardedFile, line_buffering: bool = False) -> TextIO:
    return io.TextIOWrapper(
        io.BufferedWriter(raw, buffer_size=64 * 1024),
        encoding="utf-8",
        newline="",
        line_buffering=line_buffering,
    )


class GuardedFile(io.FileIO):
    """A file descriptor whose failed writes are OutputError (or ClosedPipe), never an OSError
    that some caller might take for a failed read, or that the command framework would swallow.
    `closed_reason` makes every write fail (standard output closed by the shell)."""

    def __init__(
        self, fd: int, label: str, closefd: bool = True, closed_reason: str | None = None
    ) -> None:
        super().__init__(fd, "w", closefd=closefd)
        self.label = label
        self.closed_reason = closed_reason
        #: Set once a write failed for good: later flushes drop the data instead of failing again.
        self.discard = False

    def write(self, data: ReadableBuffer) -> int:
        if self.discard:
            return memoryview(data).nbytes
        if self.closed_reason is not None:
            self.discard = True
            raise OutputError(self.label, self.closed_reason)
        try:
            return super().write(data)
        except BrokenPipeError:
            self.discard = True
            raise ClosedPipe(self.label) from None
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EINTR):
                raise
            self.discard = True
            raise OutputError(self.label, reason_of(error)) from None


def guarded_stdout(encoding: str, errors: str, line_buffering: bool, closed: bool) -> TextIO:
    """Standard output written through a GuardedFile (descriptor 1 stays open)."""
    raw = GuardedFile(
        1, STDOUT_LABEL, closefd=False, closed_reason="it is closed" if closed else None
    )
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=encoding,
        errors=errors,
        line_buffering=line_buffering,
    )
