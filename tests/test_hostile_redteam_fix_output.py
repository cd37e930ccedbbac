"""Red-team findings on outputs (fix-output): an output is refused by the identity of what it
writes to, whatever the spelling (items 6); CSV cells never split a row nor start a formula
(item 5); echoed values are shown safely (item 9); `intake --from` never rewrites a file whose
layout it cannot keep (item 9).

Redirections run through a real shell (`sh -c 'exec ...'`, so /proc/$$ is the command's own
process). No real /dev path is given to --output: descriptors and files live in tmp_path."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nmt_assess.cli import exit_codes
from tests.conftest import DATA

VALID_YAML = DATA / "intakes" / "valid.yaml"
NMT = [sys.executable, "-m", "nmt_assess"]
LINES = [json.dumps({"id": f"R-{n}", "findings": {"tingling": True, "age": 40}}) for n in range(40)]


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under `folder`: its inode and its content's hash."""
    return {
        str(path.relative_to(folder)): (path.lstat().st_ino, _digest(path))
        for path in sorted(folder.rglob("*"))
    }


def _digest(path: Path) -> str:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return os.readlink(path)
    if stat.S_ISREG(info.st_mode):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return stat.filemode(info.st_mode)


def shell(command: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`nmt-assess ARGS REDIRECTIONS` as a shell runs it; NMT is the command."""
    nmt = f"{shlex.quote(sys.executable)} -m nmt_assess"
    return subprocess.run(
        ["sh", "-c", command.replace("NMT", f"exec {nmt}")],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "i.yaml").write_bytes(VALID_YAML.read_bytes())
    (tmp_path / "day.jsonl").write_text("".join(line + "\n" for line in LINES))
    return tmp_path


# --- item 6: every spelling of an open descriptor ----------------------------------------------

SPELLINGS = [
    "/dev/fd/3",
    "/proc/self/fd/3",
    "/proc/thread-self/fd/3",
    "/proc/$$/fd/3",  # the command's own process id (the shell execs it)
    "fd3-link",  # a symlink to /proc/self/fd/3
    "fd-folder/3",  # a symlink to the folder /proc/self/fd
]


def _links(work: Path) -> None:
    (work / "fd3-link").symlink_to("/proc/self/fd/3")
    (work / "fd-folder").symlink_to("/proc/self/fd")


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize(("source", "options"), [("i.yaml", "-f json"), ("day.jsonl", "-f jsonl")])
def test_a_descriptor_open_on_an_input_is_refused_whatever_its_spelling(
    work: Path, spelling: str, source: str, options: str
) -> None:
    _links(work)
    before = snapshot(work)
    result = shell(f"NMT score {source} {options} -o {spelling} 3<>{source}", work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert f"cannot write: it is also an input ({source})" in one_line(result)
    assert result.stdout == ""
    assert snapshot(work) == before


@pytest.mark.parametrize("spelling", [*SPELLINGS, "/proc/self/fd/1", "/proc/thread-self/fd/1"])
def test_a_descriptor_on_a_regular_file_is_written_through_never_renamed_over(
    work: Path, spelling: str
) -> None:
    _links(work)
    log = work / "log.txt"
    log.write_text("OLD\n")
    inode = log.stat().st_ino
    before = snapshot(work)
    del before["log.txt"]
    redirection = ">>log.txt" if spelling.endswith("/1") else "3>>log.txt"
    result = shell(f"NMT score day.jsonl -f jsonl -o {spelling} {redirection}", work)
    assert result.returncode == exit_codes.OK, result.stderr
    assert "Traceback" not in result.stderr
    assert log.stat().st_ino == inode  # the same file, appended to
    lines = log.read_text().splitlines()
    assert lines[0] == "OLD"
    assert [json.loads(line)["intake_id"] for line in lines[1:]] == [f"R-{n}" for n in range(40)]
    after = snapshot(work)
    del after["log.txt"]
    assert after == before  # no stray file


@pytest.mark.parametrize(
    ("redirection", "message"),
    [
        ("3<log.txt", "descriptor 3 is open for reading only"),
        ("", "descriptor 3 is not open"),
    ],
)
def test_a_descriptor_that_cannot_be_written_is_refused_before_scoring(
    work: Path, redirection: str, message: str
) -> None:
    (work / "log.txt").write_text("OLD\n")
    before = snapshot(work)
    result = shell(f"NMT score day.jsonl -o /proc/self/fd/3 {redirection}", work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert one_line(result).endswith(f"/proc/self/fd/3: cannot write: {message}")
    assert snapshot(work) == before


def test_another_processs_descriptor_is_appended_to_not_renamed_over(work: Path) -> None:
    log = work / "log.txt"
    log.write_text("OLD\n")
    inode = log.stat().st_ino
    with log.open("ab") as held:
        other = subprocess.Popen(["sleep", "60"], stdout=held)
    try:
        result = shell(f"NMT score day.jsonl -f jsonl -o /proc/{other.pid}/fd/1", work)
    finally:
        other.kill()
        other.wait()
    assert result.returncode == exit_codes.OK, result.stderr
    assert log.stat().st_ino == inode
    lines = log.read_text().splitlines()
    assert lines[0] == "OLD" and len(lines) == 1 + len(LINES)


@pytest.mark.parametrize(
    "command",
    [
        "NMT score i.yaml 1<>i.yaml",
        "NMT score i.yaml >>i.yaml",
        "NMT score i.yaml -o /dev/stdout 1<>i.yaml",
        "NMT score i.yaml -f json -o /proc/self/fd/1 >>i.yaml",
        "NMT score day.jsonl -f jsonl 1<>day.jsonl",
        "NMT score day.jsonl -f csv >>day.jsonl",
        "NMT score day.jsonl i.yaml -o out.jsonl >>day.jsonl",
        "NMT score - -f jsonl <day.jsonl >>day.jsonl",
        "NMT score i.yaml --set tingling=no 1<>i.yaml",
    ],
)
def test_standard_output_on_an_input_is_refused_before_anything_is_read(
    work: Path, command: str
) -> None:
    before = snapshot(work)
    result = shell(command, work)
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    line = one_line(result)
    assert "<stdout>: cannot write: it is also" in line
    assert line.endswith("nothing was read, write elsewhere")
    assert snapshot(work) == before


def test_standard_output_on_another_regular_file_still_works(work: Path) -> None:
    result = shell("NMT score day.jsonl -f jsonl >out.jsonl", work)
    assert result.returncode == exit_codes.OK, result.stderr
    assert len((work / "out.jsonl").read_text().splitlines()) == len(LINES)


def test_standard_output_on_a_character_device_is_not_checked_as_a_file(work: Path) -> None:
    """A terminal or /dev/null is no input file, even when standard input is read."""
    result = shell("NMT score - -f jsonl -o /dev/stdout <day.jsonl >/dev/null", work)
    assert result.returncode == exit_codes.OK, result.stderr
