"""Snapshots of the CLI: the stdout, stderr and exit code of each command's main paths.

Each case runs in-process (typer's CliRunner) on the mini pack (tests/data/packs/mini), so a
rewrite of the default pack's clinical data leaves them alone. The run is made stable: the
working folder is a fresh temporary one holding `data` (a link to tests/data), so every path in
the output is relative and the same on every machine; the terminal is 100 columns without colour;
what still varies (today's date, pack sha256, the version, absolute folders) is replaced by a
placeholder. Each snapshot is one file, tests/snapshots/<case>.txt.

After an intended change of output, update them all and review the diff before committing:

    NMT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.rich_utils
from typer.testing import CliRunner

import nmt_assess
from nmt_assess.cli.app import app
from nmt_assess.ruleset import default_pack_dir

TESTS = Path(__file__).parent
SNAPSHOTS = TESTS / "snapshots"
UPDATE = os.environ.get("NMT_UPDATE_SNAPSHOTS") == "1"
# A fixed, colourless terminal; no rule packs from the caller's environment.
ENV: dict[str, str | None] = {
    "COLUMNS": "100",
    "LINES": "50",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "FORCE_COLOR": None,
    "PY_COLORS": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "NMT_ASSESS_RULES": None,
}
MINI = ("--rules", "data/packs/mini")
MINI_INTAKE = "data/intakes/mini.yaml"
FLAGGED = "data/intakes/mini-flagged.yaml"
BATCH = "data/batch/mini.jsonl"  # four records: one with an unknown finding
CASE = ("--case", "alpha-with-c", "--log", "log.jsonl")
JSON = ("--support", "c", "--format", "json")
PROBLEMS = ("data/packs/mini", "data/packs/mini-problems")  # an error and a warning


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    stdin: str | None = None


def score(name: str, *args: str) -> Case:
    return Case(f"score-{name}", ("score", *args, *MINI))


CASES = [
    # --- score: one intake --------------------------------------------------------------------
    score("text", MINI_INTAKE),
    score("text-red-flags", FLAGGED),
    score("text-top-1", FLAGGED, "--top", "1"),
    *(score(f"one-{f}", FLAGGED, "--format", f) for f in ("json", "jsonl", "csv", "markdown")),
    *(score(f"one-{f}", FLAGGED, "--format", f) for f in ("table", "html", "fhir")),
    score("what-if", MINI_INTAKE, "--set", "b=true", "--set", "pain=9", "--unset", "a"),
    score("what-if-json", MINI_INTAKE, "--set", "c=true", "--format", "json"),
    Case(
        "score-stdin-json",
        ("score", "-", "--input-format", "json", "--format", "jsonl", *MINI),
        stdin='{"id": "S-9", "findings": {"b": true, "kind": "q"}}\n',
    ),
    # --- score: a batch with an error record ----------------------------------------------------
    *(score(f"batch-{f}", BATCH, "-j", "1", "--format", f) for f in ("json", "jsonl", "csv")),
    *(score(f"batch-{f}", BATCH, "-j", "1", "--format", f) for f in ("markdown", "table")),
    *(score(f"batch-{f}", BATCH, "-j", "1", "--format", f) for f in ("html", "fhir", "text")),
    score("batch-default-not-a-terminal", BATCH, "-j", "1"),
    score("batch-fail-on-urgent", BATCH, "-j", "1", "-f", "csv", "--fail-on", "urgent"),
    # --- score: errors and their exit codes -----------------------------------------------------
    score("error-bad-intake", "data/intakes/mini-bad.yaml"),
    score("error-no-such-file", "no/such/intake.yaml"),
    score("error-set-on-a-batch", BATCH, "--set", "b=true"),
    score("error-set-unknown-finding", MINI_INTAKE, "--set", "bb=true"),
    score("error-fail-on-urgent", FLAGGED, "--fail-on", "urgent", "-f", "json"),
    score("error-unknown-format", MINI_INTAKE, "--format", "pdf"),
    Case("score-error-no-path", ("score",)),
    Case("score-error-bad-rule-pack", ("score", MINI_INTAKE, "--rules", "data/lint/yaml-syntax")),
    # --- explain -------------------------------------------------------------------------------
    *(
        Case(f"explain-{kind}", ("explain", target, *MINI))
        for kind, target in [
            ("finding", "a"),
            ("cause", "alpha"),
            ("rule", "alpha.c"),
            ("region", "x"),
            ("red-flag", "c_flag"),
            ("source", "M1"),
            ("unknown-target", "alpah"),
        ]
    ),
    Case("explain-rule-json", ("explain", "beta.where", "--format", "json", *MINI)),
    # --- practice ------------------------------------------------------------------------------
    Case("practice-graded", ("practice", *MINI, *CASE, "--answer", "beta,alpha", "--flags", "1")),
    Case(
        "practice-graded-json",
        ("practice", *MINI, *CASE, "--answer", "alpha,beta", "--flags", "old_a,c_flag", *JSON),
    ),
    Case("practice-interactive", ("practice", *MINI, *CASE), stdin="1,2\nold_a\na\n"),
    Case("practice-error-unknown-case", ("practice", *MINI, "--case", "nope", "--answer", "1,2")),
    Case("practice-error-bad-ranking", ("practice", *MINI, *CASE, "--answer", "alpah,beta")),
    # --- rules ---------------------------------------------------------------------------------
    Case("rules-lint-clean", ("rules", "lint", "--strict", "data/packs/mini")),
    Case("rules-lint-clean-json", ("rules", "lint", "--format", "json", "data/packs/mini")),
    Case("rules-lint-problems", ("rules", "lint", *PROBLEMS)),
    Case(
        "rules-lint-problems-github",
        ("rules", "lint", "-f", "github", *PROBLEMS),
    ),
    Case(
        "rules-lint-ignore-warning",
        ("rules", "lint", "--ignore", "missing-source", *PROBLEMS),
    ),
    Case("rules-list", ("rules", "list", "data/packs/mini")),
    Case("rules-show-rule", ("rules", "show", "alpha.c_no", *MINI)),
    Case("rules-show-red-flag", ("rules", "show", "old_a", *MINI)),
    Case("rules-show-unknown", ("rules", "show", "alpha.z", *MINI)),
    Case("rules-test", ("rules", "test", "data/packs/mini")),
    Case("rules-test-json", ("rules", "test", "--format", "json", "data/packs/mini")),
    # --- questionnaire and intake ----------------------------------------------------------------
    Case("questionnaire", ("questionnaire", *MINI)),
    Case(
        "intake-scripted",
        ("intake", *MINI, "--answers", "data/intakes/mini-answers.txt", "--id", "S-1"),
    ),
    Case("intake-error-bad-id", ("intake", *MINI, "--id", "Ann Smith", "--answers", "/dev/null")),
    # --- help ----------------------------------------------------------------------------------
    Case("help", ("--help",)),
    Case("no-command", ()),
    *(
        Case(f"help-{command}", (command, "--help"))
        for command in ("score", "explain", "practice", "questionnaire", "intake", "rules")
    ),
    *(
        Case(f"help-rules-{command}", ("rules", command, "--help"))
        for command in ("lint", "test", "schema", "list", "show", "new")
    ),
    Case("unknown-command", ("scroe",)),
]


def normalise(text: str, workdir: Path) -> str:
    """Replace what differs between machines and days by placeholders."""
    for folder, name in [
        (workdir.resolve(), "<tmp>"),
        (workdir, "<tmp>"),
        (TESTS.resolve(), "<tests>"),
        (default_pack_dir().resolve(), "<default-pack>"),
    ]:
        text = text.replace(str(folder), name)
    text = text.replace(dt.date.today().isoformat(), "<today>")
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = text.replace(f"nmt-assess {nmt_assess.__version__}", "nmt-assess <version>")
    # rich pads lines to the width; editors strip trailing blanks, so the snapshots hold none
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def render(case: Case, workdir: Path) -> str:
    result = CliRunner().invoke(app, list(case.args), input=case.stdin, env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a bug, never a snapshot
    stdin = "" if case.stdin is None else f"--- stdin\n{case.stdin}"
    return normalise(
        f"$ {shlex.join(('nmt-assess', *case.args))}\n{stdin}"
        f"--- exit code {result.exit_code}\n"
        f"--- stdout\n{result.stdout}"
        f"--- stderr\n{result.stderr}",
        workdir,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_snapshot(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").symlink_to(TESTS / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    # typer reads these once at import, from GITHUB_ACTIONS, FORCE_COLOR and TERMINAL_WIDTH
    monkeypatch.setattr(typer.rich_utils, "FORCE_TERMINAL", False)
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", None)
    actual = render(case, tmp_path)
    snapshot = SNAPSHOTS / f"{case.name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(actual, encoding="utf-8")
        return
    assert snapshot.exists(), f"no snapshot {snapshot.name}: run NMT_UPDATE_SNAPSHOTS=1 pytest"
    assert actual == snapshot.read_text(encoding="utf-8")


def test_every_snapshot_file_belongs_to_a_case() -> None:
    names = {f"{case.name}.txt" for case in CASES}
    assert len(names) == len(CASES), "two cases share a name"
    stale = sorted(p.name for p in SNAPSHOTS.glob("*") if p.name not in names)
    if UPDATE:
        for name in stale:
            (SNAPSHOTS / name).unlink()
        return
    assert stale == [], "snapshots of no case: delete them or run NMT_UPDATE_SNAPSHOTS=1 pytest"
