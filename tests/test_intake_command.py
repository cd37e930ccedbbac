"""`nmt-assess intake`: scripted answers, every answer type and command, saving and resuming."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.models import Ruleset
from nmt_assess.readers.intake_file import read_intake_file

runner = CliRunner()


def screen(*picked: str, client_only: bool = False) -> list[str]:
    """The answers to the screening pages (the numbers of `picked` on each page, else none),
    then "n" to each of the therapist's screening checks."""
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.session import IntakeSession

    session = IntakeSession(load_ruleset(), client_only=client_only, width=80)
    answers = []
    for step in session.screening_steps():
        if isinstance(step, tuple):
            numbers = [str(step.index(f) + 1) for f in picked if f in step]
            answers.append(",".join(numbers) or "none")
        elif session.ruleset.findings[step].type.value == "yes_no":
            answers.append("y" if step in picked else "n")
    return answers


SCREEN = screen()  # every screening page and check: nothing applies


def screen_pages() -> list[tuple[str, ...]]:
    """The client's screening pages, each the ids it lists."""
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.session import IntakeSession

    session = IntakeSession(load_ruleset(), client_only=False, width=80)
    return [step for step in session.screening_steps() if isinstance(step, tuple)]


def singles(
    age: str = "40", pain: str = "5", regions: str = "neck", client_only: bool = False
) -> list[str]:
    """The answers to the red-flag questions that are not yes/no, asked first one by one: age,
    pain and regions as given, "s" (skip) for the others (onset, duration, measurements)."""
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.session import IntakeSession

    session = IntakeSession(load_ruleset(), client_only=client_only, width=80)
    given = {"age": age, "pain_intensity": pain, "pain_locations": regions}
    return [
        given.get(step, "s")
        for step in session.screening_steps()
        if isinstance(step, str) and session.ruleset.findings[step].type.value != "yes_no"
    ]


def _single_steps(client_only: bool = False) -> list[str]:
    """The screening questions asked one by one (not yes/no), in order."""
    from nmt_assess.ruleset import load_ruleset
    from nmt_assess.session import IntakeSession

    session = IntakeSession(load_ruleset(), client_only=client_only, width=80)
    return [
        step
        for step in session.screening_steps()
        if isinstance(step, str) and session.ruleset.findings[step].type.value != "yes_no"
    ]


def run_intake(tmp_path: Path, answers: list[str], *options: str) -> tuple[object, Path]:
    script = tmp_path / "answers.txt"
    script.write_text("\n".join(answers) + "\n")
    saved = tmp_path / "intake.yaml"
    result = runner.invoke(
        app, ["intake", "--answers", str(script), "--save", str(saved), *options]
    )
    return result, saved


def saved_findings(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text())["findings"]


def full_screening(
    age: str = "40", pain: str = "5", regions: str = "neck", client_only: bool = False
) -> list[str]:
    """Client id, then the red-flag questions that are not yes/no, then the screening pages."""
    screening = screen(client_only=True) if client_only else SCREEN
    return ["K-1", *singles(age, pain, regions, client_only), *screening]


def test_screening_comes_first_and_none_answers_every_flag_question_no(
    tmp_path: Path, ruleset: Ruleset
) -> None:
    result, saved = run_intake(tmp_path, [*full_screening(), "done"])
    assert result.exit_code == 0, result.stdout
    findings = saved_findings(saved)
    assert findings["saddle_numbness"] is False and findings["calf_swelling_redness"] is False
    assert findings["age"] == 40 and findings["pain_intensity"] == 5
    assert findings["pain_locations"] == ["neck"]
    assert "Screening: red flags and precautions" in result.stdout
    assert "supports, and does not replace, clinical judgement" in result.stdout
    read_intake_file(saved, ruleset)  # a valid intake


def test_a_raised_flag_is_shown_at_once(tmp_path: Path, ruleset: Ruleset) -> None:
    calf = screen("calf_swelling", "recent_surgery")  # a swollen calf with a Wells risk factor
    result, _ = run_intake(tmp_path, ["K-1", *singles(), *calf, "n", "done"])
    assert "RED FLAG: URGENT" in result.stdout
    assert "Possible deep-vein thrombosis" in result.stdout


def test_an_emergency_flag_offers_to_stop_the_intake(tmp_path: Path, ruleset: Ruleset) -> None:
    saddle = screen("saddle_numbness")
    result, saved = run_intake(tmp_path, ["K-1", *singles(regions="low_back"), saddle[0], "y"])
    assert "RED FLAG: EMERGENCY" in result.stdout
    assert "Stop the intake now?" in result.stdout
    assert result.stdout.index("RED FLAGS: refer before any treatment") > result.stdout.index(
        "Stop the intake now?"
    )
    assert saved_findings(saved)["saddle_numbness"] is True


def test_each_answer_type_back_skip_why_and_invalid_input(tmp_path: Path) -> None:
    # age: "sixty" is re-asked; then 61. pain: 12 is re-asked; then 7. Other singles skipped.
    invalid_then_valid = {"age": ["sixty", "61"], "pain_intensity": ["12", "7"]}
    firsts = [
        answer
        for step in _single_steps()
        for answer in invalid_then_valid.get(
            step, ["neck, 1"] if step == "pain_locations" else ["s"]
        )
    ]
    answers = [
        "K-1",
        *firsts,
        *SCREEN,
        "?",
        "maybe",
        "y",  # why, invalid, then yes
        "s",  # skip the next question
        "b",  # back: that question is asked again
        "n",
        "done",
    ]
    result, saved = run_intake(tmp_path, answers, "--full")
    assert result.exit_code == 0
    out = result.stdout
    assert "type a number from 0 to 120" in out
    assert "12 is outside 0 to 10" in out
    assert "answer y (yes), n (no) or s (skip)" in out
    findings = saved_findings(saved)
    assert findings["age"] == 61 and findings["pain_intensity"] == 7
    assert findings["pain_locations"] == ["neck", "head_temple"]
    # --full asks in catalog order: sedentary_work, then repetitive_motion
    assert findings["sedentary_work"] is True
    assert findings["repetitive_motion"] is False
    assert "Works or spends most of the day sitting" in out  # the `?` explanation


def test_choices_by_number_or_name_and_multi_choice_none(tmp_path: Path) -> None:
    # --full, client only: history first. Answer history quickly, then the complaint questions.
    # Onset and duration are red-flag questions (new or long-standing), so screening asks them.
    given = {"age": "30", "pain_intensity": "4", "pain_onset": "2", "pain_duration": "chronic"}
    answers = [
        "K-1",
        *(
            given.get(step, "none" if step == "pain_locations" else "s")
            for step in _single_steps(client_only=True)
        ),
        *screen(client_only=True),
        "done",
    ]
    _, saved = run_intake(tmp_path, answers, "--full", "--client-only")
    findings = saved_findings(saved)
    assert findings["pain_locations"] == []
    assert findings["pain_onset"] == "gradual"
    assert findings["pain_duration"] == "chronic"


def test_client_only_never_asks_the_therapist(tmp_path: Path, ruleset: Ruleset) -> None:
    result, saved = run_intake(
        tmp_path, [*full_screening(client_only=True), *["n"] * 80], "--client-only"
    )
    asked = set(saved_findings(saved))
    therapist = {f.id for f in ruleset.findings.values() if f.asked_of == "therapist"}
    assert asked & therapist == set()
    assert result.exit_code == 0


def test_the_quick_intake_offers_to_stop_when_no_question_could_reorder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nmt_assess.adaptive

    monkeypatch.setattr(nmt_assess.adaptive, "could_reorder_top_two", lambda *a, **k: False)
    # where the symptoms are is asked right after screening, before any offer
    result, saved = run_intake(tmp_path, [*full_screening(), "none", "y"])
    assert "Where do you feel numbness, tingling" in result.stdout
    assert "No remaining question could reorder the top two causes" in result.stdout
    assert set(saved_findings(saved)) <= {*_screening_ids(), "symptom_locations"}


def test_declining_the_offer_keeps_asking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nmt_assess.adaptive

    monkeypatch.setattr(nmt_assess.adaptive, "could_reorder_top_two", lambda *a, **k: False)
    _, saved = run_intake(tmp_path, [*full_screening(), "none", "n", "y", "done"])
    skipped = singles().count("s")  # the red-flag questions full_screening skips
    # screening, where the symptoms are, and the one question answered after declining
    assert len(saved_findings(saved)) == len(_screening_ids()) - skipped + 2


def _screening_ids() -> set[str]:
    from nmt_assess.adaptive import screening_findings
    from nmt_assess.engine import Engine
    from nmt_assess.ruleset import load_ruleset

    return set(screening_findings(Engine(load_ruleset())))


def test_input_ending_early_leaves_a_valid_partial_intake(tmp_path: Path, ruleset: Ruleset) -> None:
    result, saved = run_intake(tmp_path, ["K-1", "40"])
    assert result.exit_code == 0
    intake = read_intake_file(saved, ruleset)
    assert intake.findings == {"age": 40}


def test_ctrl_c_keeps_every_answer_so_far(
    tmp_path: Path, ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nmt_assess.cli.intake_terminal import Terminal

    original = Terminal.read
    calls = {"n": 0}

    def read_then_interrupt(self: Terminal) -> str:
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(Terminal, "read", read_then_interrupt)
    result, saved = run_intake(tmp_path, [*full_screening()])
    assert result.exit_code == 130
    assert "Every answer so far is saved" in result.stdout
    # read: client id, age, age at onset (skipped), then the interrupt
    assert read_intake_file(saved, ruleset).findings == {"age": 40}


def test_resume_asks_only_what_is_unknown(tmp_path: Path, ruleset: Ruleset) -> None:
    earlier = tmp_path / "earlier.yaml"
    earlier.write_text(
        "id: K-7\ndate: 2026-11-20\nfindings:\n  age: 50\n  pain_intensity: 4\n"
        "  pain_locations: [neck]\n  sedentary_work: true\n"
    )
    script = tmp_path / "answers.txt"
    # skip the red-flag questions still unknown (age at onset, onset, duration...)
    known = {"age", "pain_intensity", "pain_locations"}
    unknown = [step for step in _single_steps() if step not in known]
    script.write_text("\n".join(["s"] * len(unknown) + [*SCREEN, "n", "done"]) + "\n")
    result = runner.invoke(
        app, ["intake", "--from", str(earlier), "--answers", str(script), "--full"]
    )
    assert result.exit_code == 0
    out = result.stdout
    assert "Client id" not in out and "How old are you?" not in out
    assert "sitting, for example at a desk" not in out  # sedentary_work was answered
    findings = read_intake_file(earlier, ruleset).findings
    assert findings["sedentary_work"] is True
    assert findings["repetitive_motion"] is False  # the first unknown, answered now
    assert yaml.safe_load(earlier.read_text())["date"].isoformat() == "2026-11-20"


def test_review_walks_every_answer_and_enter_keeps_it(tmp_path: Path, ruleset: Ruleset) -> None:
    earlier = tmp_path / "earlier.yaml"
    earlier.write_text("id: K-8\nfindings:\n  sedentary_work: true\n  repetitive_motion: true\n")
    script = tmp_path / "answers.txt"
    script.write_text("\nn\ndone\n")
    result = runner.invoke(
        app, ["intake", "--from", str(earlier), "--review", "--answers", str(script)]
    )
    assert result.exit_code == 0
    findings = read_intake_file(earlier, ruleset).findings
    assert findings["sedentary_work"] is True
    assert findings["repetitive_motion"] is False


def test_without_a_terminal_it_points_to_score(tmp_path: Path) -> None:
    result = runner.invoke(app, ["intake"], input="")
    assert result.exit_code == 2
    assert "nmt-assess score FILE" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_real_terminal_session(tmp_path: Path, ruleset: Ruleset) -> None:
    """Drive the intake in a pseudo-terminal, as a therapist would type it."""
    pexpect = pytest.importorskip("pexpect")  # in the test extra; CI installs it
    command = shutil.which("nmt-assess") or str(Path(sys.executable).parent / "nmt-assess")
    saved = tmp_path / "session.yaml"
    child = pexpect.spawn(
        command,
        ["intake", "--save", str(saved), "--client-only"],
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 80),
        env={"TERM": "xterm", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )
    child.expect("Client id")
    child.sendline("PTY-1")
    child.expect("How old are you")
    child.expect("> ")  # the end of the prompt
    child.sendline("45")
    # the other questions asked one by one (onset, duration, measurements...): skipped, but
    # the pain scale; where it hurts comes last
    while seen := child.expect(["Where do you feel the pain", "how bad is your pain", r"s\]"]):
        child.expect("> ")
        child.sendline("6" if seen == 1 else "s")
    child.expect("> ")
    child.sendline("wrist_hand")
    while child.expect(["Numbers of any that apply", "Where do you feel numbness"]) == 0:
        child.sendline("none")  # each screening page
    child.expect("> ")  # where the symptoms are: asked first after screening
    child.sendline("wrist_hand")
    child.expect(r"\[y/n/s\]")
    child.sendline("y")
    child.expect(r"\]")
    child.sendline("done")
    child.expect("Saved: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    intake = read_intake_file(saved, ruleset)
    assert intake.id == "PTY-1"
    assert intake.findings["pain_locations"] == ("wrist_hand",)
    assert len(intake.findings) >= 20
