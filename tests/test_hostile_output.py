"""Hostile use of outputs, streams and signals: nothing the user had is destroyed, nothing is left
behind, and each failure is one line on stderr with its documented exit code.

Signals, pipes and closed descriptors need a real process: those tests run
`python -m nmt_assess` (the one entry point, `cli.app.main`). Device nodes and FIFOs are made in
tmp_path; a real /dev path is never given to --output."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nmt_assess.cli import exit_codes
from nmt_assess.cli.app import app
from nmt_assess.engine import SCHEMA_VERSION
from tests.conftest import CASES_DIR, DATA

runner = CliRunner()
BATCH = DATA / "batch"
VALID_YAML = DATA / "intakes" / "valid.yaml"
#: A JSON Lines intake that scores (one line of the test batch that is valid).
GOOD_LINE = json.dumps(
    {"id": "R-1", "findings": {"tingling": True, "pain_locations": ["wrist_hand"], "age": 40}}
)


# --- helpers -----------------------------------------------------------------------------------


def nmt(
    *args: str,
    cwd: Path | None = None,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.PIPE,
    preexec: Callable[[], None] | None = None,
    prelude: str = "",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it. `prelude` is Python run first in the same process (to
    simulate a failure the machine cannot be made to produce, such as a full disk)."""
    command = [sys.executable, "-m", "nmt_assess", *args]
    if prelude:
        entry = "from nmt_assess.cli.app import main; main()"
        command = [sys.executable, "-c", f"{prelude}\n{entry}", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=preexec,
        env={**os.environ, **(env or {})},
    )


def snapshot(folder: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry under `folder`: its kind and mode, and its content's hash for a file."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISLNK(info.st_mode):
            digest = os.readlink(path)
        else:
            digest = str(info.st_rdev)
        found[str(path.relative_to(folder))] = (stat.filemode(info.st_mode), info.st_ino, digest)
    return {name: (digest, ino, mode) for name, (mode, ino, digest) in found.items()}


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in (result.stdout or "")
    assert "Traceback" not in result.stderr


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with a batch (day.jsonl: two valid records, two bad), a valid YAML intake and a
    column map, as a clinic would have them."""
    (tmp_path / "day.jsonl").write_bytes((BATCH / "intakes.jsonl").read_bytes())
    (tmp_path / "i.yaml").write_bytes(VALID_YAML.read_bytes())
    (tmp_path / "map.yaml").write_bytes((BATCH / "export-map.yaml").read_bytes())
    return tmp_path


def many_intakes(path: Path, count: int) -> Path:
    path.write_text((GOOD_LINE + "\n") * count)
    return path


# --- -o is one of the inputs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["day.jsonl", "-o", "day.jsonl"], "day.jsonl"),  # intakes replaced by assessments
        (["i.yaml", "-o", "i.yaml"], "i.yaml"),  # an intake replaced by the text view
        (["i.yaml", "day.jsonl", "-o", "./sub/../day.jsonl"], "day.jsonl"),  # another spelling
        (["day.jsonl", "-o", "link.jsonl"], "day.jsonl"),  # a symlink to an input
        (["day.jsonl", "-o", "hard.jsonl"], "day.jsonl"),  # a hard link to an input
        (["."], "day.jsonl"),  # found in a searched folder; -o added below
        (["day.jsonl", "--map", "map.yaml", "-o", "map.yaml"], "map.yaml"),
    ],
)
def test_an_output_that_is_an_input_is_refused_before_anything_is_read(
    work: Path, arguments: list[str], named: str
) -> None:
    (work / "sub").mkdir()
    (work / "link.jsonl").symlink_to("day.jsonl")
    os.link(work / "day.jsonl", work / "hard.jsonl")
    if arguments == ["."]:
        arguments = [".", "-o", "day.jsonl"]
    before = snapshot(work)
    result = nmt("score", *arguments, cwd=work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    line = one_line(result)  # no "scored" summary: nothing was read or scored
    assert ": cannot write: it is also an input" in line
    assert named in line
    assert result.stdout == ""
    assert snapshot(work) == before


def test_an_output_that_is_the_standard_input_is_refused(work: Path) -> None:
    before = snapshot(work)
    with (work / "day.jsonl").open("rb") as stdin:
        result = nmt("score", "-", "-o", "day.jsonl", cwd=work, stdin=stdin)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "cannot write: it is also the standard input" in one_line(result)
    assert snapshot(work) == before


def test_an_output_that_is_a_rule_pack_file_is_refused(work: Path) -> None:
    pack = work / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: clinic\nversion: 1.0.0\n")
    before = snapshot(work)
    result = nmt("score", "day.jsonl", "--rules", "pack", "-o", "pack/pack.yaml", cwd=work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "pack/pack.yaml: cannot write: it is also an input" in one_line(result)
    assert snapshot(work) == before


# --- what is written, and how ------------------------------------------------------------------


def test_a_new_output_file_gets_the_umask_mode(work: Path) -> None:
    result = nmt("score", "day.jsonl", "-o", "out.jsonl", cwd=work, preexec=lambda: _umask(0o027))
    assert result.returncode == exit_codes.SOME_FAILED  # two of the four records are bad
    no_traceback(result)
    assert stat.S_IMODE((work / "out.jsonl").stat().st_mode) == 0o640
    assert len((work / "out.jsonl").read_text().splitlines()) == 4  # one out per record in


def _umask(mask: int) -> None:
    os.umask(mask)


def test_a_replaced_output_file_keeps_its_mode(work: Path) -> None:
    target = work / "out.csv"
    target.write_text("old\n")
    target.chmod(0o604)
    result = nmt("score", "day.jsonl", "-o", "out.csv", cwd=work)
    assert result.returncode == exit_codes.SOME_FAILED
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert target.read_text().startswith("source,line,record,id,status")
    assert sorted(p.name for p in work.iterdir()) == ["day.jsonl", "i.yaml", "map.yaml", "out.csv"]


def test_a_symlink_is_followed_and_its_target_replaced_in_the_targets_folder(work: Path) -> None:
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "scores.jsonl").write_text("old\n")
    (work / "latest.jsonl").symlink_to(elsewhere / "scores.jsonl")
    result = nmt("score", "day.jsonl", "-o", "latest.jsonl", cwd=work)
    assert result.returncode == exit_codes.SOME_FAILED
    assert (work / "latest.jsonl").is_symlink()  # the link is kept, its target written
    assert len((elsewhere / "scores.jsonl").read_text().splitlines()) == 4
    assert [p.name for p in elsewhere.iterdir()] == ["scores.jsonl"]


def test_a_character_device_is_written_through_not_replaced(work: Path) -> None:
    null = work / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = snapshot(work)
    result = nmt("score", "i.yaml", "-f", "jsonl", "-o", "null", cwd=work)
    assert result.returncode == exit_codes.OK
    no_traceback(result)
    assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert snapshot(work) == before


def test_a_fifo_is_written_through(work: Path) -> None:
    fifo = work / "scores.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = nmt("score", "day.jsonl", "-f", "csv", "-o", str(fifo), cwd=work)
    reader.join(timeout=60)
    assert result.returncode == exit_codes.SOME_FAILED
    no_traceback(result)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received[0].decode().startswith("source,line,record,id,status")
    assert len(received[0].decode().splitlines()) == 5  # a header and one row per record


def test_a_descriptor_path_is_written_through_that_descriptor() -> None:
    from nmt_assess.writers.files import open_output, output_target

    assert output_target(Path("/dev/stdout")).descriptor == 1
    assert output_target(Path("/dev/stderr")).descriptor == 2
    read_end, write_end = os.pipe()
    try:
        target = output_target(Path(f"/dev/fd/{write_end}"))
        assert target.descriptor == write_end
        with open_output(target) as out:
            out.write("through the pipe\n")
        os.close(write_end)
        assert os.read(read_end, 100) == b"through the pipe\n"
    finally:
        os.close(read_end)


@pytest.mark.parametrize(
    ("suffix", "start"),
    [
        (".json", '{\n  "schema_version": 3'),
        (".jsonl", '{"schema_version":3'),
        (".csv", "source,line,record,id,status"),
        (".md", "# nmt-assess report"),
        (".html", "<!DOCTYPE html>"),
        (".txt", "nmt-assess  intake C-0042"),  # no format of its own: the explained view
    ],
)
def test_one_intake_written_to_a_file_takes_the_format_of_its_suffix(
    tmp_path: Path, suffix: str, start: str
) -> None:
    target = tmp_path / f"report{suffix}"
    result = runner.invoke(app, ["score", str(VALID_YAML), "-o", str(target)])
    assert result.exit_code == exit_codes.OK
    assert result.stdout == ""
    assert target.read_text().startswith(start)
    assert list(tmp_path.iterdir()) == [target]


def test_a_what_if_goes_to_the_output_file(tmp_path: Path) -> None:
    target = tmp_path / "variant.json"
    result = runner.invoke(
        app, ["score", str(VALID_YAML), "--set", "tingling=yes", "-o", str(target)]
    )
    assert result.exit_code == exit_codes.OK
    assert result.stdout == ""
    assert json.loads(target.read_text())["changes"] == {"tingling": True}


# --- an output that cannot be written ------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("missing/out.jsonl", "no such folder"),
        ("afolder", "it is a folder"),
        ("a-socket", "not a regular file, character device or FIFO"),
    ],
)
def test_an_output_that_cannot_be_written_is_exit_2_before_scoring(
    work: Path, output: str, reason: str
) -> None:
    import socket

    (work / "afolder").mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(work / "a-socket"))
    try:
        before = snapshot(work)
        result = nmt("score", "day.jsonl", "-o", output, cwd=work)
    finally:
        server.close()
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    line = one_line(result)
    assert line.startswith(f"nmt-assess: {output}: cannot write: ") and reason in line
    assert snapshot(work) == before


def test_a_read_only_folder_is_exit_2_before_scoring(work: Path) -> None:
    # We are root, whom a mode does not stop: make the check see a read-only folder.
    (work / "locked").mkdir()
    prelude = (
        "import os\n"
        "real = os.access\n"
        "os.access = lambda p, m, **k: False if str(p).endswith('locked') and m & os.W_OK "
        "else real(p, m, **k)\n"
    )
    before = snapshot(work)
    result = nmt("score", "day.jsonl", "-o", "locked/out.jsonl", cwd=work, prelude=prelude)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "locked/out.jsonl: cannot write: permission denied" in one_line(result)
    assert snapshot(work) == before


def test_a_read_only_file_is_not_replaced(work: Path) -> None:
    target = work / "out.jsonl"
    target.write_text("keep me\n")
    prelude = (
        "import os\n"
        "real = os.access\n"
        "os.access = lambda p, m, **k: False if str(p).endswith('out.jsonl') and m & os.W_OK "
        "else real(p, m, **k)\n"
    )
    before = snapshot(work)
    result = nmt("score", "day.jsonl", "-o", "out.jsonl", cwd=work, prelude=prelude)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "out.jsonl: cannot write: the file is read-only" in one_line(result)
    assert snapshot(work) == before


def test_a_full_disk_while_writing_a_device_is_exit_2(work: Path) -> None:
    full = work / "full"  # a node like /dev/full: every write is ENOSPC
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    before = snapshot(work)
    result = nmt("score", "i.yaml", "-o", "full", cwd=work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result) == "nmt-assess: full: cannot write: no space left on device"
    assert snapshot(work) == before


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_at_the_end_leaves_no_temporary_file_and_the_old_file_whole(
    work: Path, existing: bool
) -> None:
    if existing:
        (work / "out.jsonl").write_text("yesterday's scores\n")
    prelude = (
        "import errno, os\n"
        "def full(fd):\n"
        "    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "os.fsync = full\n"
    )
    before = snapshot(work)
    result = nmt("score", "day.jsonl", "-o", "out.jsonl", cwd=work, prelude=prelude)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result) == "nmt-assess: out.jsonl: cannot write: no space left on device"
    assert snapshot(work) == before


# --- standard streams, for every command -------------------------------------------------------
#: Every cause of the default pack, a complete ranking for `practice --answer`.
CAUSE_ORDER = [
    "nerve_compression",
    "trigger_points",
    "ischemia",
    "postural_distortion",
    "biomechanical_dysfunction",
]

COMMANDS = [
    ["score", str(VALID_YAML)],
    ["score", str(BATCH / "intakes.jsonl"), "-f", "jsonl"],
    ["score", str(VALID_YAML), "--set", "tingling=yes"],
    ["questionnaire"],
    ["explain", "tingling"],
    ["practice", "--case", "cts-keyboard-worker", "--answer", ",".join(CAUSE_ORDER)],
    ["practice", "--stats"],
    ["rules", "list"],
    ["rules", "show", "ischemia.eased_by_heat"],
    ["rules", "test"],
    ["rules", "schema"],
    ["--version"],
    ["--help"],
]


def _close(fd: int) -> Callable[[], None]:
    return lambda: os.close(fd)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """The practice log and any other user file go to tmp_path."""
    return {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_closed_stdout_is_one_line_and_exit_2(
    command: list[str], tmp_path: Path, home: dict[str, str]
) -> None:
    result = nmt(*command, cwd=tmp_path, stdout=None, preexec=_close(1), env=home)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result).endswith("<stdout>: cannot write: it is closed")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_full_stdout_is_one_line_and_exit_2(
    command: list[str], tmp_path: Path, home: dict[str, str]
) -> None:
    with open("/dev/full", "w") as full:  # as a shell's `> /dev/full`: only stdout, never -o
        result = nmt(*command, cwd=tmp_path, stdout=full, env=home)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result).endswith("<stdout>: cannot write: no space left on device")


@pytest.mark.parametrize(
    "command",
    [
        ["score", "-"],
        ["score", "-", "--input-format", "jsonl"],
        ["practice", "--case", "cts-keyboard-worker"],  # asks for the ranking on stdin
    ],
    ids=" ".join,
)
def test_reading_a_closed_stdin_is_one_line_and_exit_2(
    command: list[str], tmp_path: Path, home: dict[str, str]
) -> None:
    result = nmt(*command, cwd=tmp_path, stdin=None, preexec=_close(0), env=home)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result).endswith("<stdin>: cannot read: it is closed")


def test_a_closed_stdin_does_not_matter_to_a_command_that_does_not_read_it(
    tmp_path: Path,
) -> None:
    result = nmt("score", str(VALID_YAML), "-f", "json", stdin=None, preexec=_close(0))
    assert result.returncode == exit_codes.OK
    assert json.loads(result.stdout)["intake_id"] == "C-0042"


def test_a_closed_stdout_never_lets_an_output_file_take_its_place(work: Path) -> None:
    """With descriptor 1 closed, the temporary file would be opened as descriptor 1, and any
    stray print would land in the user's file."""
    result = nmt("score", "day.jsonl", "-o", "out.jsonl", cwd=work, stdout=None, preexec=_close(1))
    assert result.returncode == exit_codes.SOME_FAILED
    lines = (work / "out.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(
        json.loads(line)["schema_version"] == SCHEMA_VERSION for line in lines
    )


@pytest.mark.parametrize(("output_format", "jobs"), [("jsonl", "1"), ("jsonl", "2"), ("csv", "2")])
def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, output_format: str, jobs: str) -> None:
    source = many_intakes(tmp_path / "many.jsonl", 6000)  # far more than a pipe holds
    before = snapshot(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "nmt_assess", "score", str(source), "-f", output_format, "-j", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # as `| head -1`
    process.stdout.close()
    code = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert first
    assert code == exit_codes.CLOSED_PIPE
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert snapshot(tmp_path) == before


# --- signals and dying parents -----------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _temporary_files(folder: Path) -> list[Path]:
    return list(folder.glob(".*.part"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_removes_the_temporary_file(tmp_path: Path, jobs: str) -> None:
    source = many_intakes(tmp_path / "many.jsonl", 60_000)
    before = snapshot(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "nmt_assess", "score", str(source), "-o", "out.jsonl", "-j", jobs],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    _wait_for(lambda: bool(_temporary_files(tmp_path)))
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == exit_codes.TERMINATED
    assert "Traceback" not in stdout + stderr
    assert stderr.strip().splitlines() == ["nmt-assess: stopped by SIGTERM"]
    assert snapshot(tmp_path) == before  # no out.jsonl, no temporary file


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_workers_die_with_a_killed_main_process(tmp_path: Path) -> None:
    source = many_intakes(tmp_path / "many.jsonl", 60_000)
    process = subprocess.Popen(
        [sys.executable, "-m", "nmt_assess", "score", str(source), "-o", "out.jsonl", "-j", "64"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    _wait_for(lambda: len(_children(process.pid)) >= 2)
    time.sleep(0.3)  # all workers started
    workers = _children(process.pid)
    assert 2 <= len(workers) <= len(os.sched_getaffinity(0))  # --jobs 64 is capped at the cores
    process.kill()
    process.wait(timeout=30)
    _wait_for(lambda: not any(_alive(pid) for pid in workers), seconds=10)
    for temporary in _temporary_files(tmp_path):  # kill -9 leaves it: nothing can remove it
        temporary.unlink()
    assert not (tmp_path / "out.jsonl").exists()


def test_a_worker_whose_parent_dies_exits_without_the_kernels_help(tmp_path: Path) -> None:
    """The watchdog thread is the fallback where PR_SET_PDEATHSIG is not available."""
    script = (
        "import os, sys, time\n"
        "from nmt_assess import batch\n"
        "batch.PARENT_CHECK_SECONDS = 0.05\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    batch._watch_parent(os.getppid())\n"  # ends only through os._exit
        "    time.sleep(60)\n"
        "print(child, flush=True)\n"
        "time.sleep(0.3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    worker = int(result.stdout)
    try:
        _wait_for(lambda: not _alive(worker), seconds=10)
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


# --- exit codes and defaults -------------------------------------------------------------------


def test_jobs_are_capped_at_the_cores_and_the_chunks() -> None:
    from nmt_assess.batch import default_jobs, worker_count

    cores = len(os.sched_getaffinity(0))
    assert default_jobs() == cores
    assert worker_count(1000, 1000) == cores
    assert worker_count(1000, 1) == 1
    assert worker_count(1, 50) == 1


def test_parallel_scoring_of_few_chunks_gives_every_record(tmp_path: Path) -> None:
    source = many_intakes(tmp_path / "many.jsonl", 4100)  # three chunks
    result = nmt("score", str(source), "-f", "jsonl", "--jobs", "1000")
    assert result.returncode == exit_codes.OK
    no_traceback(result)
    assert len(result.stdout.splitlines()) == 4100


@pytest.mark.parametrize("kind", ["empty folder", "folder of other files"])
def test_no_intake_files_found_is_exit_2(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    if kind != "empty folder":
        (folder / "notes.txt").write_text("not an intake\n")
    before = snapshot(tmp_path)
    result = nmt("score", str(folder))
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "no intake files in" in one_line(result)
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


def test_version_is_the_installed_version() -> None:
    from importlib.metadata import version

    result = nmt("--version")
    assert result.returncode == exit_codes.OK
    assert result.stdout == f"nmt-assess {version('nmt-assess')}\n"


def test_a_case_file_scored_into_a_pipe_still_works() -> None:
    """The guarded standard output is transparent when nothing goes wrong."""
    case = CASES_DIR / "cts-keyboard-worker.yaml"
    result = nmt("score", str(case), "-f", "json")
    assert result.returncode == exit_codes.OK
    assert json.loads(result.stdout)["intake_id"] == "cts-keyboard-worker"
    assert result.stderr == ""
