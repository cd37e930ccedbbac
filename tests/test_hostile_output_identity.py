"""Red-team findings on outputs (fix-output): an output is refused by the identity of what it
writes to, whatever the spelling (items 6); CSV cells never split a row nor start a formula
(item 5); echoed values are shown safely (item 9); `intake --from` never rewrites a file whose
layout it cannot keep (item 9).

Redirections run through a real shell (`sh -c 'exec ...'`, so /proc/$$ is the command's own
process). No real /dev path is given to --output: descriptors and files live in tmp_path."""

from __future__ import annotations

import csv
import hashlib
import io
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


# --- shared by the CSV tests below ---------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- item 5: a CSV cell never splits a row nor starts a formula ---------------------------------

#: Texts a cell may hold: line breaks of every kind, each before a formula, and other controls.
HOSTILE = [
    "x\r=1+1",
    "x\n=1+1",
    "x\r\n+1+1",
    "\r=1+1",
    "\n@SUM(A1)",
    "x\u2028-1",
    "x\x85=1",
    "x\x0b=1",
    "\t=1",
    '=HYPERLINK("http://x")',
    "\x1b[2J",
]
FORMULA = ("=", "+", "-", "@")


def assert_safe_rows(rows: list[list[str]], records: int) -> None:
    """One header and one row per record; no cell starts a formula (a number may be negative)
    or holds a control character."""
    assert len(rows) == 1 + records, rows
    width = len(rows[0])
    for row in rows:
        assert len(row) == width, row
        for cell in row:
            assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in cell), cell
            assert "\u2028" not in cell
            if cell.startswith(FORMULA):
                float(cell)  # only a number may start with '-' (or '+')


def test_score_csv_cells_from_json_lines_ids_and_values(tmp_path: Path) -> None:
    source = tmp_path / "cr.jsonl"
    lines = [json.dumps({"id": text, "findings": {}}) for text in HOSTILE]
    lines += [
        json.dumps({"id": f"v{n}", "findings": {"age": text}}) for n, text in enumerate(HOSTILE)
    ]
    source.write_text("".join(line + "\n" for line in lines))
    before = snapshot(tmp_path)
    result = shell("NMT score cr.jsonl -f csv -o out.csv", tmp_path)
    assert result.returncode == exit_codes.SOME_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    rows = read_csv((tmp_path / "out.csv").read_text())
    assert_safe_rows(rows, len(lines))
    assert [row[3] for row in rows[1 : len(HOSTILE) + 1]] == [
        "x\\r=1+1",
        "x\\n=1+1",
        "x\\r\\n+1+1",
        "\\r=1+1",
        "\\n@SUM(A1)",
        "x\\u2028-1",
        "x\\x85=1",
        "x\\x0b=1",
        "\\t=1",
        '\'=HYPERLINK("http://x")',
        "\\x1b[2J",
    ]
    after = snapshot(tmp_path)
    del after["out.csv"]
    assert after == before  # the input unchanged, no stray file


def test_score_csv_cells_from_a_csv_input(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    rows = [["id", "tingling"], *[[text, "yes"] for text in HOSTILE], *[["w", t] for t in HOSTILE]]
    with source.open("w", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    before = snapshot(tmp_path)
    result = shell("NMT score in.csv -f csv -o out.csv", tmp_path)
    assert result.returncode in (exit_codes.OK, exit_codes.SOME_FAILED), result.stderr
    assert "Traceback" not in result.stderr
    assert_safe_rows(read_csv((tmp_path / "out.csv").read_text()), 2 * len(HOSTILE))
    after = snapshot(tmp_path)
    del after["out.csv"]
    assert after == before


@pytest.mark.parametrize("name", ["x\r=1+1.jsonl", "=cmd\n.jsonl", "@x\x1b.jsonl"])
def test_score_csv_cells_from_a_file_name(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("".join(line + "\n" for line in LINES[:3]))
    result = shell(f"NMT score {shlex.quote(name)} -f csv -o out.csv", tmp_path)
    assert result.returncode == exit_codes.OK, result.stderr
    rows = read_csv((tmp_path / "out.csv").read_text())
    assert_safe_rows(rows, 3)
    assert {row[0] for row in rows[1:]} == {csv_cell_of(name)}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out.csv"])


def csv_cell_of(text: str) -> str:
    from nmt_assess.writers.sanitize import csv_cell

    return csv_cell(text)


#: The class file is read line by line (a line break inside a quoted cell is not kept), so its
#: hostile cells hold the other control characters.
IN_ONE_LINE = [t for t in [*HOSTILE, "\x07=1", "-x\x1b"] if len(f"a{t}a".splitlines()) == 1]


def test_practice_grades_csv_cells(tmp_path: Path) -> None:
    from tests.conftest import MINI_PACK

    answers = tmp_path / "class.csv"
    rows = [["student", "case", "ranking", "flags", "support"]]
    rows += [[text, "alpha-with-c", "alpha,beta", "none", ""] for text in IN_ONE_LINE]
    rows += [["s", text, "alpha,beta", "none", ""] for text in IN_ONE_LINE]  # an error row each
    rows += [["t", "alpha-with-c", text, text, text] for text in IN_ONE_LINE]
    with answers.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    before = snapshot(tmp_path)
    result = subprocess.run(
        [*NMT, "practice", "--rules", str(MINI_PACK), "--answers", str(answers), "-f", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "d")},
    )
    assert result.returncode == 1, result.stderr  # some rows could not be graded
    assert "Traceback" not in result.stderr
    graded = read_csv(result.stdout)
    assert_safe_rows(graded, 3 * len(IN_ONE_LINE))
    assert [row[0] for row in graded[1:6]] == [csv_cell_of(t) for t in IN_ONE_LINE[:5]]
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cell_is_one_line_and_never_a_formula(text: str) -> None:
    from nmt_assess.writers.sanitize import csv_cell

    for cell in (csv_cell(text), csv_cell("a" + text), csv_cell(text + "a")):
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\n").writerow([cell, "next"])
        (row,) = read_csv(buffer.getvalue())
        assert row == [cell, "next"]
        assert not cell.startswith(FORMULA)


# --- item 9: --set / --unset echo values safely; intake --from keeps a file it cannot rewrite ---

LONG = "a" * 5000


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--set", "\x1b[2J=yes"),
        ("--set", f"{LONG}=yes"),
        ("--unset", "tin\x1bgling"),
        ("--unset", LONG),
        ("--set", "tingling=\x1b[2Jyes"),
        ("--set", f"age={'9' * 5000}"),
        ("--set", "age=\x07\x1b]0;title\x07"),
        ("--set", f"pain_locations=wrist_hand,{'q' * 500},\x1b[2J"),
        ("--set", "pain_locations=\x1b[2J"),
        ("--set", "pain_locations=\u202eevil"),
        ("--set", "tingling="),
        ("--set", "\u2028=yes"),
    ],
)
def test_what_if_values_are_echoed_escaped_and_cut(tmp_path: Path, option: str, value: str) -> None:
    source = tmp_path / "i.yaml"
    source.write_bytes(VALID_YAML.read_bytes())
    before = snapshot(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "nmt_assess", "score", str(source), option, value],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == exit_codes.UNUSABLE_INPUT
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines  # the problem and "nothing was scored"
    assert lines[0].startswith(f"{option}: finding ")
    for line in lines:
        assert line.isprintable(), line
        assert len(line) < 300, len(line)
    assert snapshot(tmp_path) == before


def test_what_if_with_good_values_still_scores(tmp_path: Path) -> None:
    result = subprocess.run(
        [*NMT, "score", str(VALID_YAML), "--set", "age=70", "--unset", "tingling", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == exit_codes.OK, result.stderr
    assert json.loads(result.stdout)["changes"] == {"age": 70, "tingling": None}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("%YAML 1.1\n---\nid: K-9\nfindings:\n  age: 50\n", "starts with a YAML directive"),
        ("%YAML 1.2\n---\nid: K-9\nfindings: {age: 50}\n...\n", "starts with a YAML directive"),
        ("%TAG !x! tag:example.com,2026:\n---\nid: K-9\nfindings:\n  age: 50\n", "directive"),
    ],
)
def test_intake_from_a_file_with_a_directive_keeps_it_and_saves_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, reason: str
) -> None:
    from typer.testing import CliRunner

    from nmt_assess.cli.app import app
    from tests.test_intake_command import SCREEN

    monkeypatch.chdir(tmp_path)
    source = tmp_path / "k9.yaml"
    source.write_text(text)
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join([*SCREEN, "done"]) + "\n")
    result = CliRunner().invoke(app, ["intake", "--from", str(source), "--answers", str(answers)])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code == 0, output
    assert source.read_text() == text  # not rewritten: the directive stays
    said = " ".join(result.stdout.split())
    assert reason in said and "left as it is" in said
    written = sorted(p.name for p in tmp_path.glob("intake-*.yaml"))
    assert len(written) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["k9.yaml", "answers.txt", *written]
    )
    saved = (tmp_path / written[0]).read_text()
    assert "age: 50" in saved


def test_intake_from_a_file_of_several_documents_is_refused_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from nmt_assess.cli.app import app

    monkeypatch.chdir(tmp_path)
    text = "id: K-9\nfindings:\n  age: 50\n---\nid: K-10\nfindings: {}\n"
    source = tmp_path / "two.yaml"
    source.write_text(text)
    answers = tmp_path / "answers.txt"
    answers.write_text("done\n")
    result = CliRunner().invoke(app, ["intake", "--from", str(source), "--answers", str(answers)])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == exit_codes.UNUSABLE_INPUT
    assert result.stderr.strip().startswith(f"{source}:4:")
    assert source.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.txt", "two.yaml"]


def test_kept_as_is_names_every_layout_it_cannot_write_back(tmp_path: Path) -> None:
    from nmt_assess.writers.intake_file import kept_as_is

    cases = {
        "plain.yaml": ("id: K-9\nfindings:\n  age: 50\n", None),
        "marker.yaml": ("---\nid: K-9\nfindings:\n  age: 50\n", None),
        "directive.yaml": ("%YAML 1.1\n---\nid: K-9\nfindings: {}\n", "directive"),
        "two.yaml": ("id: a\n---\nid: b\n", "more than one YAML document"),
        "comment.yaml": ("id: a # x\nfindings: {}\n", "comments"),
    }
    for name, (text, reason) in cases.items():
        (tmp_path / name).write_text(text)
        said = kept_as_is(tmp_path / name)
        assert (said is None) if reason is None else (reason in (said or "")), (name, said)
