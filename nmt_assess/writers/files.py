"""Where output goes, and writing it so that nothing the user had is destroyed.

One rule for every file the tool writes (`score -o`, `questionnaire -o`, `rules schema -o`, an
intake's save file):
- a regular file, or a path that does not exist yet, is written to a temporary file in the same
  folder, flushed, fsynced and renamed into place, so an interrupted run never leaves a file
  that looks complete. A new file gets the usual mode (0666 less the umask); a replaced file
  keeps its mode (and, when we may, its owner);
- a symlink is followed: its target is written that way, in the target's folder;
- a character device, a FIFO or a path that names an open descriptor, however it is spelled
  (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`, `/proc/thread-self/fd/N`, `/proc/PID/fd/N`, a
  symlink to one of them) is written through directly, never replaced;
- anything else (a folder, a socket, a block device) is refused, and so is a target that is one of
  the inputs: the same resolved path, or the same file (st_dev, st_ino) through another name, a
  hard link or an open descriptor. Standard output is held to the same check (`check_stdout`).

Every failure is an `OutputError`, `PATH: cannot write: reason`; the command line's entry point
turns it into one line on stderr and exit code 2. A reader that goes away (a closed pipe) is a
`ClosedPipe`, which ends the run quietly. Standard output is written through the same guarded
file, so the same two cases cover it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
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

#: Where a system without /proc keeps its descriptor paths (real devices there, not symlinks).
_DESCRIPTOR_PATH = re.compile(r"/dev/(?P<std>stdin|stdout|stderr)|/dev/fd/(?P<fd>[0-9]+)")
_STANDARD = {"stdin": 0, "stdout": 1, "stderr": 2}
#: A process's (or one of its threads') folder of open descriptors, once symlinks are resolved:
#: /dev/fd, /proc/self/fd, /proc/thread-self/fd and /proc/PID/fd all end up here.
_DESCRIPTOR_FOLDER = re.compile(r"/proc/(?P<pid>[0-9]+)(?:/task/[0-9]+)?/fd")
_DESCRIPTOR_NAME = re.compile(r"[0-9]+")


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
    #: Appended to (another process's descriptor on a regular file): never truncated.
    append: bool = False


def output_target(
    path: Path, inputs: Iterable[Path] = (), stdin_is_input: bool = False
) -> OutputTarget:
    """Check, before any work is done, that `path` can be written and is none of `inputs`.
    Raises OutputError. Writing can still fail later (a full disk); `open_output` says so then."""
    label = str(path)
    named = _named_descriptor(path)
    if named is not None:
        return _descriptor_target(label, path, *named, inputs, stdin_is_input)
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


def check_stdout(inputs: Iterable[Path] = (), stdin_is_input: bool = False) -> None:
    """Before anything is read: standard output redirected onto an input (`1<>day.jsonl`,
    `>> day.jsonl`) would overwrite it as it is read. Raises OutputError."""
    try:
        status = os.fstat(1)
    except OSError:  # closed: writing says so
        return
    if stat.S_ISREG(status.st_mode):
        _refuse_inputs(STDOUT_LABEL, None, status, inputs, stdin_is_input)


def _named_descriptor(path: Path) -> tuple[int, int] | None:
    """(process id, descriptor) when `path` names an open descriptor, whatever its spelling:
    symlinks are followed one at a time until one sits in a /proc/PID/fd folder (the last link,
    to the file behind the descriptor, is never followed: that file is not what is written)."""
    current = str(path)
    for _ in range(64):  # a longer chain is a loop: opening it will say so
        folder = os.path.realpath(os.path.dirname(current) or ".")
        name = os.path.basename(current)
        match = _DESCRIPTOR_FOLDER.fullmatch(folder)
        if match and _DESCRIPTOR_NAME.fullmatch(name):
            return int(match["pid"]), int(name)
        if not os.path.isdir("/proc/self/fd"):  # no /proc: the classic device names only
            literal = _DESCRIPTOR_PATH.fullmatch(os.path.join(folder, name))
            if literal:
                std = literal["std"]
                return os.getpid(), _STANDARD[std] if std else int(literal["fd"])
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.join(folder, link)
    return None


def _descriptor_target(
    label: str,
    path: Path,
    pid: int,
    fd: int,
    inputs: Iterable[Path],
    stdin_is_input: bool,
) -> OutputTarget:
    """A descriptor is written through, never renamed over; the file behind it is checked
    against the inputs like any other output."""
    own = pid == os.getpid() or os.path.isdir(f"/proc/self/task/{pid}")
    try:
        # another process's descriptor is opened anew through its /proc path
        status = os.fstat(fd) if own else os.stat(path)
        read_only = (
            fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
            if own
            else not os.access(path, os.W_OK)
        )
    except OSError as error:
        if error.errno == errno.EBADF:
            raise OutputError(label, f"descriptor {fd} is not open") from None
        raise OutputError(label, reason_of(error)) from None
    _refuse_inputs(label, None, status, inputs, stdin_is_input)
    if own and read_only:
        raise OutputError(label, f"descriptor {fd} is open for reading only")
    if own:
        return OutputTarget(label, path, descriptor=fd)
    kind = stat.S_IFMT(status.st_mode)
    if kind not in (stat.S_IFREG, stat.S_IFCHR, stat.S_IFIFO):
        raise OutputError(label, "not a regular file, character device or FIFO")
    if read_only:
        raise OutputError(label, "permission denied")
    return OutputTarget(label, path, direct=True, append=stat.S_ISREG(status.st_mode))


def _refuse_inputs(
    label: str,
    target: Path | None,
    status: os.stat_result,
    inputs: Iterable[Path],
    stdin_is_input: bool,
) -> None:
    """Refuse a target (a resolved path, or None for a descriptor) that is one of the inputs:
    the same file by identity, whatever the spelling. A terminal or /dev/null may be both."""
    same = (status.st_dev, status.st_ino)
    shared = not stat.S_ISCHR(status.st_mode)
    for source in inputs:
        try:
            other = os.stat(source)
        except OSError:
            continue
        if (shared and (other.st_dev, other.st_ino) == same) or (
            target is not None and Path(os.path.realpath(source)) == target
        ):
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
            append = os.O_APPEND if target.append else 0
            fd = os.open(target.target, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | append)
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
