"""The command line's start-up path: a command line that names a command runs in an app of
that command alone (cli.app.build_app), which must parse, help and fail exactly as the full app
does, and must not import the other commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nmt_assess.cli import app as app_module
from nmt_assess.cli.app import COMMANDS, build_app, run

DATA = Path(__file__).parent / "data"
runner = CliRunner()

COMMAND_LINES = [
    *([name, "--help"] for name in COMMANDS),
    *([name, "--no-such-option"] for name in COMMANDS),
    ["score"],
    ["score", "no-such-file.json", "--format", "json"],
    ["score", str(DATA / "intakes" / "valid.json"), "--format", "nope"],
    ["score", str(DATA / "intakes" / "valid.json"), "--jobs", "0"],
    ["explain", "--format", "json", "no_such_thing"],
    ["practice", "--level", "9"],
    ["rules"],
    ["rules", "test", "--help"],
    ["rules", "lint", "--help"],
    ["rules", "no-such-subcommand"],
    ["intake", "--rules", "no-such-folder"],
]


@pytest.mark.parametrize("line", COMMAND_LINES, ids=" ".join)
def test_a_command_alone_behaves_as_in_the_full_app(line: list[str]) -> None:
    alone = runner.invoke(build_app(line[0]), line, env={"COLUMNS": "100"})
    full = runner.invoke(build_app(), line, env={"COLUMNS": "100"})
    assert (alone.exit_code, alone.stdout, alone.stderr) == (
        full.exit_code,
        full.stdout,
        full.stderr,
    )
    assert alone.stdout or alone.stderr


def test_the_module_app_is_the_full_app() -> None:
    listed = runner.invoke(app_module.app, ["--help"], env={"COLUMNS": "100"}).stdout
    assert all(name in listed for name in COMMANDS)


def test_run_builds_the_app_of_the_command_named(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str | None] = []

    def recording(only: str | None = None) -> object:
        built.append(only)
        return build_app(only)

    monkeypatch.setattr(app_module, "build_app", recording)
    assert run(["explain", "--format", "json", "ischemia"]) == 0
    assert run(["--version"]) == 0
    assert run(["not-a-command"]) == 2
    assert built == ["explain", None, None]


def test_scoring_one_json_intake_imports_no_other_command_nor_yaml(tmp_path: Path) -> None:
    # as in an installed wheel: the default pack prebuilt (a checkout reads its YAML)
    from nmt_assess.ruleset import prebuilt

    root = Path(__file__).resolve().parent.parent
    artifact = tmp_path / "default.pickle"
    artifact.write_bytes(prebuilt.build(root / "rules", root / "nmt_assess"))
    script = (
        "import sys, pathlib\n"
        "from nmt_assess.ruleset import prebuilt\n"
        f"prebuilt.artifact_path = lambda: pathlib.Path({str(artifact)!r})\n"
        "from nmt_assess.cli.app import run\n"
        f"code = run(['score', {str(DATA / 'intakes' / 'valid.json')!r}, '--format', 'json'])\n"
        "sys.stdout.flush()\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('nmt_assess.cli.', 'numpy',"
        " 'rich', 'fhir', 'nmt_assess.teaching', 'nmt_assess.session', 'yaml',"
        " 'nmt_assess.models.assessment')))\n"
        "print(json.dumps(loaded), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert json.loads(done.stdout)["intake_id"]
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert "nmt_assess.cli.score" in loaded
    for other in ("intake", "explain", "practice", "questionnaire", "rules"):
        assert f"nmt_assess.cli.{other}" not in loaded
    assert not [m for m in loaded if m.startswith(("numpy", "rich", "fhir", "yaml"))]
    assert not [m for m in loaded if m.startswith(("nmt_assess.teaching", "nmt_assess.session"))]
    assert "nmt_assess.models.assessment" not in loaded  # its document needs no model


@pytest.mark.parametrize(
    "line",
    [
        ["explain", "ischemia"],
        ["rules", "test", "--case", "cts-keyboard-worker", "--format", "json"],
        ["score", str(DATA / "intakes" / "valid.json"), "--top", "2"],
        ["practice", "--case", "1", "--answer", "ANSWER", "--flags", "none", "--log", "LOG"],
    ],
)
def test_commands_through_typer_build_no_pydantic_validator(
    line: list[str], tmp_path: Path
) -> None:
    """Typer 0.29 would build a pydantic TypeAdapter for each parameter (its `_adapters`);
    the lean coercion (cli/lean_params.py) builds none for a valid command line."""
    from nmt_assess.ruleset import load_ruleset

    answer = ",".join(cause.id for cause in load_ruleset().causes)
    given = {"ANSWER": answer, "LOG": str(tmp_path / "log.jsonl")}
    line = [given.get(part, part) for part in line]
    script = (
        "import sys, json\n"
        "from nmt_assess.cli.app import run\n"
        f"code = run({line!r})\n"
        "sys.stdout.flush()\n"
        "print(json.dumps([code, 'typer._adapters' in sys.modules]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    code, built_validators = json.loads(done.stderr.strip().splitlines()[-1])
    assert code == 0
    assert not built_validators


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (["score", "a.json", "--format", "json"], "a.json"),
        (["score", "a.yaml", "-f", "json"], "a.yaml"),
        (["score", "--format", "json", "a.json"], "a.json"),
        (["score", "-f", "json", "a.json"], "a.json"),
        (["score", "a.json", "--format", "text"], None),
        (["score", "a.json", "--format", "JSON"], None),
        (["score", "a.json", "--format=json"], None),
        (["score", "-", "--format", "json"], None),
        (["score", "a.json", "--top", "1"], None),
        (["score", "a.json", "b.json", "--format", "json"], None),
        (["explain", "a.json", "--format", "json"], None),
        (["score", "a.json", "--format", "json", "--rules", "p"], None),
    ],
)
def test_the_single_json_score_is_told_exactly(line: list[str], path: str | None) -> None:
    assert app_module.single_json_score(line) == path


def test_the_rules_variable_leaves_the_command_line_to_typer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NMT_ASSESS_RULES", "pack")
    assert app_module.single_json_score(["score", "a.json", "--format", "json"]) is None


INTAKE_FILES = [
    DATA / "intakes" / "valid.json",
    DATA / "intakes" / "valid.yaml",
    DATA / "intakes" / "mini-flagged.yaml",
    DATA / "intakes" / "bad_value.json",
    DATA / "intakes" / "syntax_error.yaml",
    DATA / "intakes" / "not_utf8.yaml",
    DATA / "intakes" / "empty.yaml",
    DATA / "intakes",
    DATA / "batch" / "bundle.json",
    DATA / "batch" / "intakes.jsonl",
    DATA / "batch" / "export.csv",
    DATA / "no-such-file.json",
]
ENTRY = "import sys, nmt_assess.cli.app as app\n{patch}app.main()\n"


def invoke(arguments: list[str], *, through_typer: bool, cwd: Path) -> tuple[int, str, str]:
    patch = "app.single_json_score = lambda given: None\n" if through_typer else ""
    done = subprocess.run(
        [sys.executable, "-c", ENTRY.format(patch=patch), *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("path", INTAKE_FILES, ids=lambda p: p.name)
def test_scoring_one_file_as_json_is_the_same_with_or_without_typer(
    path: Path, tmp_path: Path
) -> None:
    for line in (["score", str(path), "--format", "json"], ["score", "-f", "json", str(path)]):
        assert app_module.single_json_score(line) == str(path)
        direct = invoke(line, through_typer=False, cwd=tmp_path)
        typed = invoke(line, through_typer=True, cwd=tmp_path)
        assert direct == typed
        assert "Traceback" not in direct[2]
    assert list(tmp_path.iterdir()) == []
