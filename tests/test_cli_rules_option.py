"""One `--rules` option for every command: each reads the pack it names, or NMT_ASSESS_RULES
when it is not given, and a path that cannot be a pack is the same one line and exit 2 in every
command. `rules lint`, `test` and `list` also take the packs as arguments (the older form)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nmt_assess.cli.app import app

DATA = Path(__file__).parent / "data"
MINI = str(DATA / "packs" / "mini")  # causes alpha and beta: the default pack has neither
INTAKE = str(DATA / "intakes" / "mini.yaml")
ANSWERS = str(DATA / "intakes" / "mini-answers.txt")

# Each command, with what its output shows only when it has read the mini pack.
COMMANDS: dict[str, tuple[list[str], str]] = {
    "score": (["score", INTAKE, "-f", "json"], '"alpha"'),
    "score batch": (["score", INTAKE, INTAKE, "-f", "jsonl", "-j", "1"], '"alpha"'),
    "questionnaire": (["questionnaire"], "nmt-assess intake (mini 1)"),
    "intake": (["intake", "--answers", ANSWERS], "AL Alpha"),
    "explain": (["explain", "alpha"], "Alpha (cause alpha)"),
    "practice": (
        ["practice", "--case", "alpha-with-c", "--answer", "alpha,beta", "-f", "json"],
        '"case": "1"',
    ),
    "rules lint": (["rules", "lint"], f"in {MINI}\n"),
    "rules test": (["rules", "test", "-f", "json"], '"case": "alpha-with-c"'),
    "rules list": (["rules", "list"], "alpha.c "),
    "rules show": (["rules", "show", "alpha.c"], "from pack mini"),
}
ARGUMENT_ALIAS = ["rules lint", "rules test", "rules list"]


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """intake saves its file, and practice its log, where they run."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NMT_ASSESS_HOME", str(tmp_path))
    monkeypatch.delenv("NMT_ASSESS_RULES", raising=False)


def run(args: list[str], env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_reads_the_pack_that_rules_names(name: str) -> None:
    args, shown = COMMANDS[name]
    result = run([*args, "--rules", MINI])
    assert result.exit_code == 0, result.output
    assert shown in result.stdout + result.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_reads_the_pack_that_nmt_assess_rules_names(name: str) -> None:
    args, shown = COMMANDS[name]
    result = run(args, env={"NMT_ASSESS_RULES": MINI})
    assert result.exit_code == 0, result.output
    assert shown in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["score", "explain", "rules show"])
def test_without_rules_or_the_variable_a_command_reads_the_default_pack(name: str) -> None:
    args, shown = COMMANDS[name]
    result = run(args)
    assert shown not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ARGUMENT_ALIAS)
def test_the_pack_arguments_are_the_same_as_rules(name: str) -> None:
    args, _ = COMMANDS[name]
    as_argument = run([*args, MINI])
    as_option = run([*args, "--rules", MINI])
    assert as_argument.exit_code == as_option.exit_code == 0
    assert (as_argument.stdout, as_argument.stderr) == (as_option.stdout, as_option.stderr)


@pytest.mark.parametrize("name", ARGUMENT_ALIAS)
def test_pack_arguments_override_nmt_assess_rules_even_when_it_names_no_pack(name: str) -> None:
    args, shown = COMMANDS[name]
    result = run([*args, MINI], env={"NMT_ASSESS_RULES": "/nonexistent/pack"})
    assert result.exit_code == 0, result.output
    assert shown in result.stdout + result.stderr


@pytest.mark.parametrize("name", ARGUMENT_ALIAS)
def test_pack_arguments_and_rules_together_are_refused(name: str) -> None:
    args, _ = COMMANDS[name]
    result = run([*args, MINI, "--rules", MINI])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("nmt-assess: give the packs as arguments or with --rules, not both\n")


def bad_paths(root: Path) -> dict[str, tuple[Path, str]]:
    """Paths that cannot be a pack, and why in words."""
    (root / "a-file.yaml").write_text("name: x\n", encoding="utf-8")
    (root / "no-pack-yaml").mkdir()
    (root / "no-pack-yaml" / "findings.yaml").write_text("findings: {}\n", encoding="utf-8")
    return {
        "missing": (root / "nowhere", "no such folder"),
        "a file": (root / "a-file.yaml", "not a folder"),
        "no pack.yaml": (root / "no-pack-yaml", "no pack.yaml in it"),
    }


@pytest.mark.parametrize("kind", ["missing", "a file", "no pack.yaml"])
@pytest.mark.parametrize("given", ["option", "variable", "argument"])
def test_a_path_that_is_not_a_pack_is_the_same_line_and_exit_2_in_every_command(
    tmp_path: Path, kind: str, given: str
) -> None:
    path, why = bad_paths(tmp_path)[kind]
    expected = f"nmt-assess: {path}: {why} (a rule pack is a folder with a pack.yaml)\n"
    names = ARGUMENT_ALIAS if given == "argument" else list(COMMANDS)
    for name in names:
        args, _ = COMMANDS[name]
        if given == "option":
            result = run([*args, "--rules", str(path)])
        elif given == "variable":
            result = run(args, env={"NMT_ASSESS_RULES": str(path)})
        else:
            result = run([*args, str(path)])
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected), name


def test_a_bad_pack_after_a_good_one_is_named(tmp_path: Path) -> None:
    result = run(["explain", "alpha", "--rules", MINI, "--rules", str(tmp_path / "gone")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"nmt-assess: {tmp_path / 'gone'}: no such folder")


def test_a_pack_named_with_pack_yml_is_a_pack(tmp_path: Path) -> None:
    import shutil

    pack = tmp_path / "yml"
    shutil.copytree(MINI, pack)
    (pack / "pack.yaml").rename(pack / "pack.yml")
    result = run(["explain", "alpha", "--rules", str(pack)])
    assert result.exit_code == 0, result.output


def test_every_command_that_reads_a_pack_has_the_same_rules_option() -> None:
    import typer.main

    root = typer.main.get_command(app)
    seen = []
    for name in COMMANDS:
        command = root
        for word in name.removesuffix(" batch").split():
            command = command.commands[word]  # type: ignore[attr-defined]
        [option] = [p for p in command.params if p.name == "rules"]
        seen.append((tuple(option.opts), option.envvar, option.multiple, option.help))
    assert seen[0][:3] == (("--rules",), "NMT_ASSESS_RULES", True)
    assert set(seen) == {seen[0]}
