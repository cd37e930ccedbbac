"""Hostile use of `intake`, `practice` and `explain`: nothing the user gave is lost, nothing that
names the answer is shown, and every bad input is one located line with a documented exit code.

Each test asserts the exit code, that no traceback was printed, that the inputs are unchanged
and that no stray file was written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from nmt_assess.cli.app import app
from nmt_assess.models import Ruleset
from nmt_assess.readers.intake_file import read_intake_file
from tests.conftest import CASES_DIR
from tests.test_intake_command import SCREEN, screen, screen_pages, singles

runner = CliRunner()
TODAY = dt.date.today().isoformat()
CTS = "cts-keyboard-worker"
RANKING = "nerve_compression,trigger_points,ischemia,postural_distortion,biomechanical_dysfunction"


def invoke(*args: str | Path) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    return result


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def script(folder: Path, *answers: str) -> Path:
    path = folder / "answers.txt"
    path.write_text("\n".join(answers) + "\n", encoding="utf-8")
    return path


def quick_answers(*extra: str) -> list[str]:
    return ["K-1", *singles(), *SCREEN, *extra]


# --- intake: no file is ever overwritten -------------------------------------------------------


@pytest.mark.parametrize("given", ["", "../x\n"])
def test_answers_that_end_before_the_client_id_save_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """An empty answers file (or one that runs out at the id prompt) is one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    answers = tmp_path / "answers.txt"
    answers.write_text(given, encoding="utf-8")
    result = invoke("intake", "--answers", answers)
    assert result.exit_code == 2
    assert "the answers ended before the client id" in result.stderr
    assert files_in(tmp_path) == {"answers.txt": given.encode()}


def test_an_existing_default_file_is_kept_and_a_new_name_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    earlier = tmp_path / f"intake-K-1-{TODAY}.yaml"
    earlier.write_text("id: K-1\nfindings: {age: 70}\n")
    answers = script(tmp_path, *quick_answers("done"))
    before = files_in(tmp_path)
    result = invoke("intake", "--answers", answers)
    assert result.exit_code == 0
    assert earlier.read_text() == "id: K-1\nfindings: {age: 70}\n"
    new = tmp_path / f"intake-K-1-{TODAY}-2.yaml"
    assert f"is saved to {new.name}" in " ".join(result.stdout.split())
    assert set(files_in(tmp_path)) == {*before, new.name}
    assert yaml.safe_load(new.read_text())["findings"]["age"] == 40


def test_an_existing_save_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_bytes(b"precious: data\n")
    answers = script(tmp_path, *quick_answers("done"))
    result = invoke("intake", "--answers", answers, "--save", target)
    assert result.exit_code == 0
    assert target.read_bytes() == b"precious: data\n"
    assert (tmp_path / "mine-2.yaml").exists()
    assert set(files_in(tmp_path)) == {"mine.yaml", "mine-2.yaml", "answers.txt"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("case.yaml", (CASES_DIR / f"{CTS}.yaml").read_text()),  # title, story, expect, note
        ("commented.yaml", "# first visit, by hand\nid: K-9\nfindings:\n  age: 50 # asked twice\n"),
        ("export.json", '{"id": "K-9", "findings": {"age": 50}}'),
    ],
)
def test_from_a_file_it_cannot_write_back_keeps_it_and_saves_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ruleset: Ruleset, name: str, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    source = tmp_path / name
    source.write_text(text)
    answers = script(tmp_path, *SCREEN, "done")
    result = invoke("intake", "--from", source, "--answers", answers)
    assert result.exit_code == 0
    assert source.read_text() == text
    assert "left as it is" in result.stdout
    written = [p for p in tmp_path.glob("intake-*.yaml")]
    assert len(written) == 1
    kept = read_intake_file(source, ruleset).findings
    assert read_intake_file(written[0], ruleset).findings.items() >= kept.items()
    assert set(files_in(tmp_path)) == {name, "answers.txt", written[0].name}


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "..", "x\x1b[2J", "", "x" * 65, "a b"])
def test_an_id_with_path_or_control_characters_is_refused_before_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_id: str
) -> None:
    monkeypatch.chdir(tmp_path)
    answers = script(tmp_path, *quick_answers("done"))
    result = invoke("intake", "--answers", answers, "--id", bad_id)
    assert result.exit_code == 2
    assert "--id:" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "\x1b" not in result.stderr
    assert "How old" not in result.stdout
    assert set(files_in(tmp_path)) == {"answers.txt"}


def test_an_id_from_a_file_is_made_safe_in_the_default_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    source = work / "export.json"
    source.write_text('{"id": "../../escape", "findings": {"age": 50}}')
    answers = script(tmp_path, *SCREEN, "done")
    result = invoke("intake", "--from", source, "--answers", answers)
    assert result.exit_code == 0
    written = list(work.glob("intake-*.yaml"))
    assert len(written) == 1 and "/" not in written[0].name.removeprefix("intake-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.txt", "work"]


def test_a_missing_folder_is_one_line_before_the_first_question(tmp_path: Path) -> None:
    answers = script(tmp_path, *quick_answers("done"))
    result = invoke("intake", "--answers", answers, "--save", tmp_path / "nowhere" / "x.yaml")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
    assert "Client id" not in result.stdout
    assert set(files_in(tmp_path)) == {"answers.txt"}


def test_a_file_as_the_folder_or_a_folder_as_the_file_is_refused(tmp_path: Path) -> None:
    answers = script(tmp_path, *quick_answers("done"))
    (tmp_path / "plain").write_text("x")
    for target in (tmp_path / "plain" / "x.yaml", tmp_path):
        result = invoke("intake", "--answers", answers, "--save", target)
        assert result.exit_code == 2, target
        assert result.stderr.count("\n") == 1 and "cannot write" in result.stderr
        assert "Client id" not in result.stdout
    assert set(files_in(tmp_path)) == {"answers.txt", "plain"}


def test_an_unwritable_folder_is_refused_before_the_first_question(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes through file modes; /proc/self takes no new files
        folder = Path("/proc/self")
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o555)
    answers = script(tmp_path, *quick_answers("done"))
    result = invoke("intake", "--answers", answers, "--save", folder / "x.yaml")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Client id" not in result.stdout


# --- intake: screening ----------------------------------------------------------------------


def test_the_emergency_stop_shows_y_n_and_asks_again_until_it_gets_one(tmp_path: Path) -> None:
    saddle = screen("saddle_numbness")[0]
    answers = script(tmp_path, "K-1", *singles(regions="low back"), saddle, "maybe", "", "y")
    result = invoke("intake", "--answers", answers, "--save", tmp_path / "s.yaml")
    assert result.exit_code == 0
    assert "Stop the intake now? [y/n]" in result.stdout
    assert result.stdout.count("Stop the intake now? [y/n]") == 3  # maybe and Enter re-ask
    assert "RED FLAGS: refer before any treatment" in result.stdout


def test_an_urgent_flag_also_offers_to_stop(tmp_path: Path) -> None:
    calf = screen("calf_swelling_redness", "calf_swelling", "recent_surgery")
    answers = script(tmp_path, "K-1", *singles(regions="calf"), *calf, "y")
    saved = tmp_path / "s.yaml"
    result = invoke("intake", "--answers", answers, "--save", saved)
    assert result.exit_code == 0
    assert "Urgent" in result.stdout and "Stop the intake now? [y/n]" in result.stdout
    assert yaml.safe_load(saved.read_text())["findings"]["calf_swelling_redness"] is True


def test_every_screening_page_fits_an_80_by_24_terminal(tmp_path: Path) -> None:
    answers = script(tmp_path, *quick_answers("done"))
    result = invoke("intake", "--answers", answers, "--save", tmp_path / "s.yaml")
    lines = result.stdout.splitlines()
    prompts = [i for i, line in enumerate(lines) if line.startswith("Numbers of any that apply")]
    assert len(prompts) >= 2  # the list is paged
    for prompt in prompts:
        start = max(i for i in range(prompt) if lines[i].startswith("Does any of these apply"))
        # the blank line and the ranking above the page, the page, its prompt, the typed line
        assert (prompt - start + 1) + 2 + 1 <= 24
        assert all(len(line) <= 80 for line in lines[start : prompt + 1])


def test_help_back_and_done_work_on_a_screening_page(tmp_path: Path) -> None:
    cauda = screen_pages()[0].index("saddle_numbness") + 1
    answers = script(tmp_path, "K-1", *singles(), "?", f"?{cauda}", "b", "jaw", "done")
    saved = tmp_path / "s.yaml"
    result = invoke("intake", "--answers", answers, "--save", saved)
    assert result.exit_code == 0
    out = result.stdout
    assert "Each question screens for a red flag" in out
    assert "Red flag (emergency): Possible cauda equina syndrome" in out  # ?N explains item N
    assert out.count("Where do you feel the pain") == 2  # b went back to it
    assert yaml.safe_load(saved.read_text())["findings"]["pain_locations"] == ["jaw"]


def test_the_clients_none_never_answers_an_examination(tmp_path: Path, ruleset: Ruleset) -> None:
    pages = [a for a in SCREEN if a == "none"]
    answers = script(tmp_path, "K-1", *singles(), *pages, "done")
    saved = tmp_path / "s.yaml"
    result = invoke("intake", "--answers", answers, "--save", saved)
    assert result.exit_code == 0
    findings = yaml.safe_load(saved.read_text())["findings"]
    therapist = {f.id for f in ruleset.findings.values() if f.asked_of == "therapist"}
    assert findings["saddle_numbness"] is False
    assert not therapist & set(findings)
    assert "Observe the client walking" in result.stdout  # the first check, asked on its own


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("wrist hand", ["wrist_hand"]),
        ("Wrist Hand, head temple", ["head_temple", "wrist_hand"]),
        ("head temple neck", ["head_temple", "neck"]),
        ("wrist-hand;5", ["neck", "wrist_hand"]),
    ],
)
def test_region_names_are_accepted_as_displayed(
    tmp_path: Path, typed: str, expected: list[str]
) -> None:
    answers = script(tmp_path, "K-1", *singles(regions=typed), "done")
    saved = tmp_path / "s.yaml"
    assert invoke("intake", "--answers", answers, "--save", saved).exit_code == 0
    assert sorted(yaml.safe_load(saved.read_text())["findings"]["pain_locations"]) == expected


def test_review_shows_answers_in_words(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.yaml"
    earlier.write_text(
        "id: K-8\nfindings:\n  sedentary_work: true\n  pain_locations: [neck, wrist_hand]\n"
    )
    answers = script(tmp_path, "", "", "done")
    result = invoke("intake", "--from", earlier, "--review", "--answers", answers)
    assert result.exit_code == 0
    assert "now: yes;" in result.stdout and "now: neck, wrist hand;" in result.stdout
    assert "True" not in result.stdout and "('neck'" not in result.stdout


@pytest.mark.parametrize("data", [b"K-1\n\xff\xfe40\n", b"\x80", b"K-1\n" * 3 + b"\xc3\x28\n"])
def test_non_utf8_answers_are_one_located_line(tmp_path: Path, data: bytes) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_bytes(data)
    result = invoke("intake", "--answers", answers, "--save", tmp_path / "s.yaml")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "not UTF-8" in result.stderr
    assert f"{answers}:" in result.stderr
    assert set(files_in(tmp_path)) == {"answers.txt"}


def test_markup_and_control_characters_in_answers_are_shown_harmlessly(tmp_path: Path) -> None:
    answers = script(tmp_path, "K-1", "[/]", "[bold red]x", "\x1b[2J40", "40", "5", "neck", "done")
    result = invoke("intake", "--answers", answers, "--save", tmp_path / "s.yaml")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "> [/]" in result.stdout and "> [bold red]x" in result.stdout


# --- practice -------------------------------------------------------------------------------


def case_titles() -> dict[str, str]:
    return {
        p.stem: yaml.safe_load(p.read_text())["title"] for p in sorted(CASES_DIR.glob("*.yaml"))
    }


@pytest.mark.parametrize("seed", range(6))
def test_the_case_is_presented_without_its_id_or_title(tmp_path: Path, seed: int) -> None:
    result = invoke("practice", "--seed", seed, "--log", tmp_path / "log")
    out = result.stdout
    assert "Practice case" in out
    for case_id, title in case_titles().items():
        assert case_id not in out and title not in out


@pytest.mark.parametrize("output_format", ["json", "csv", "text"])
def test_no_output_format_names_the_case_id(tmp_path: Path, output_format: str) -> None:
    log = tmp_path / "log"
    result = invoke(
        "practice", "--case", CTS, "--answer", RANKING, "--format", output_format, "--log", log
    )
    assert result.exit_code == 0
    assert CTS not in result.stdout + result.stderr
    assert json.loads(log.read_text())["case"] == CTS  # the log, not shown, keeps the id


def test_csv_format_prints_csv(tmp_path: Path) -> None:
    result = invoke(
        "practice", "--case", "1", "--answer", RANKING, "--format", "csv", "--log", tmp_path / "l"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.exit_code == 0 and len(rows) == 1
    assert rows[0]["case"] == "1" and rows[0]["top_correct"] in ("True", "False")


def grade_with_log(log: Path, *extra: str) -> Result:
    return invoke("practice", "--case", CTS, "--answer", RANKING, "--log", log, *extra)


@pytest.mark.parametrize(
    "content",
    [
        b"# my notes\nnot json at all\n",  # a foreign file
        b"\x89PNG\r\n\x1a\n\x00\x00binary",  # a foreign binary file
    ],
)
def test_a_foreign_log_is_never_written_and_the_grade_stands_(
    tmp_path: Path, content: bytes
) -> None:
    log = tmp_path / "notes.txt"
    log.write_bytes(content)
    result = grade_with_log(log, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["top_correct"] is True
    assert log.read_bytes() == content
    assert result.stderr.count("\n") == 1 and "not logged" in result.stderr


def test_an_unwritable_log_costs_nothing(tmp_path: Path) -> None:
    folder_log = tmp_path / "a-folder"
    folder_log.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "file").write_text("x")
    for log in (folder_log, fifo, tmp_path / "file" / "log.jsonl"):
        result = grade_with_log(log)
        assert result.exit_code == 0, log
        assert "Top cause: Nerve compression is right" in result.stdout
        assert result.stderr.count("\n") == 1 and "not logged" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder", "fifo", "file"]


def test_a_corrupted_log_gets_the_attempt_on_its_own_line(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    good = (Path(__file__).parent / "data" / "practice" / "log.jsonl").read_bytes()
    log.write_bytes(good + b'\xff\xfe garbage\n{"time": 5, "case": "x"}\n{"cut off')
    assert grade_with_log(log).exit_code == 0
    assert log.read_bytes().startswith(good)
    last = log.read_bytes().splitlines()[-1]
    assert json.loads(last)["case"] == CTS
    result = invoke("practice", "--stats", "--log", log, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["attempts"] == 5  # the four good ones and this one
    assert result.stderr.count("\n") == 1
    assert "4 line(s) left out of the figures" in result.stderr


def test_stats_of_a_big_log_of_garbage_is_one_warning(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(os.urandom(200_000))
    for output_format in ("json", "csv", "text"):
        result = invoke("practice", "--stats", "--log", log, "--format", output_format)
        assert result.exit_code == 0
        assert result.stderr.count("\n") <= 1


def teacher_pack(tmp_path: Path, broken: str) -> Path:
    pack = tmp_path / "teacher"
    (pack / "cases").mkdir(parents=True)
    (pack / "pack.yaml").write_text('name: teacher\nversion: "1"\nextends: default\n')
    (pack / "cases" / "broken.yaml").write_text(broken)
    return pack


@pytest.mark.parametrize(
    "broken",
    [
        "id: broken\ntitle: x\nlevel: 9\n",
        "id: broken\nfindings: [\n",
        "- just\n- a list\n",
        "id: broken\ntitle: t\nlevel: 1\nleading_cause: ischemia\nstory: s\nnote: n\n"
        "expect: {top: ischemia}\nfindings: {no_such_finding: true}\n",
    ],
)
def test_a_bad_case_file_is_one_located_line(tmp_path: Path, broken: str) -> None:
    pack = teacher_pack(tmp_path, broken)
    log = tmp_path / "log"
    good = invoke("practice", "--rules", pack, "--case", CTS, "--answer", RANKING, "--log", log)
    assert good.exit_code == 0
    problem = [line for line in good.stderr.splitlines() if "broken.yaml" in line]
    assert len(problem) == 1 and f"{pack / 'cases' / 'broken.yaml'}" in problem[0]
    bad = invoke("practice", "--rules", pack, "--case", "broken", "--answer", RANKING)
    assert bad.exit_code == 2
    assert "case 'broken' cannot be used" in bad.stderr
    assert (pack / "cases" / "broken.yaml").read_text() == broken


def test_non_utf8_class_answers_are_one_line(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_bytes(b"student,case,ranking\nana,\xff,1\n")
    result = invoke("practice", "--answers", answers)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{answers}:2: not UTF-8" in result.stderr


def class_rows(count: int) -> list[dict[str, Any]]:
    students = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain"]
    rows = []
    for n in range(count):
        bad = n % 5 == 4
        rows.append(
            {
                "student": students[n % len(students)],
                "case": "no-such-case" if bad else CTS,
                "ranking": RANKING,
                "flags": "none",
            }
        )
    return rows


def test_class_grades_one_row_each_formula_cells_neutralised_and_exit_1(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    with answers.open("w", newline="", encoding="utf-8-sig") as out:  # Excel's BOM
        writer = csv.DictWriter(out, ["student", "case", "ranking", "flags"])
        writer.writeheader()
        writer.writerows(class_rows(300))
    before = answers.read_bytes()
    result = invoke("practice", "--answers", answers)
    assert result.exit_code == 1  # some rows could not be graded
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 300
    assert sum(1 for row in rows if row["error"]) == 60
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(value)
    assert answers.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv"]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_class_grades_with_semicolons_are_read(tmp_path: Path) -> None:
    answers = tmp_path / "class.csv"
    answers.write_text(f'sep=;\nstudent;case;ranking;flags\nana;{CTS};"{RANKING}";none\n')
    result = invoke("practice", "--answers", answers, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["top_correct"] is True


# --- explain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kind"),
    [("cauda_equina", "red flag"), ("S25", "source"), ("[S25]", "source")],
)
def test_explain_knows_red_flags_and_source_tags(target: str, kind: str) -> None:
    result = invoke("explain", target, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["kind"] == kind
    text = invoke("explain", target)
    assert text.exit_code == 0
    assert f"({kind} {data['id']})" in text.stdout


def test_explain_a_source_lists_what_cites_it() -> None:
    data = json.loads(invoke("explain", "S100", "--format", "json").stdout)
    assert "cauda_equina" in data["cited_by_red_flags"]


def test_explain_an_unknown_hostile_target_is_one_line() -> None:
    result = invoke("explain", "\x1b[2J[/]" + "x" * 5000)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr


def test_in_a_terminal_an_existing_file_can_be_resumed(tmp_path: Path, ruleset: Ruleset) -> None:
    """Typed at a real terminal: the existing file is offered for resuming, and `x` is asked
    again until r or n."""
    import shutil
    import sys

    import pexpect

    command = shutil.which("nmt-assess") or str(Path(sys.executable).parent / "nmt-assess")
    earlier = tmp_path / f"intake-PTY-2-{TODAY}.yaml"
    earlier.write_text("id: PTY-2\nfindings:\n  age: 45\n  pain_intensity: 6\n")
    child = pexpect.spawn(
        command,
        ["intake", "--client-only"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 80),
        env={"TERM": "xterm", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    child.expect("Client id")
    child.sendline("PTY-2")
    child.expect(r"already exists.*\[r/n\]")
    child.sendline("x")
    child.expect("Type r to resume")
    child.sendline("r")
    # age and pain intensity were known: the other single questions are skipped
    while child.expect(["Where do you feel the pain", r"s\]"]) == 1:
        child.expect("> ")  # the end of the prompt
        child.sendline("s")
    child.expect("> ")
    child.sendline("wrist hand")
    child.expect("Numbers of any that apply")
    child.sendline("done")
    child.expect("Saved: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    intake = read_intake_file(earlier, ruleset)
    assert intake.findings["age"] == 45 and intake.findings["pain_locations"] == ("wrist_hand",)
    assert sorted(p.name for p in tmp_path.iterdir()) == [earlier.name]
