"""The lint checks as a registry: --select and --ignore, a pack's lint_ignore, the docs table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from nmt_assess.ruleset.checks import REGISTRY, checks_table, with_checks_table

runner = CliRunner()
ROOT = Path(__file__).parent.parent
GUIDE = ROOT / "docs" / "rules.md"
CHECK = re.compile(r": (?:error|warning): \[([a-z-]+)\] ")
#: A rule with no because and no source, and an extreme LR: three warnings about one rule.
CAUSE = (
    "id: ischemia\nrules:\n"
    "  - {id: ischemia.x, when: taut_band, lr: 30, lr_absent: 0.5, population: a study}\n"
)


def pack(tmp_path: Path, pack_yaml: str = "") -> Path:
    root = tmp_path / "pack"
    (root / "causes").mkdir(parents=True)
    (root / "pack.yaml").write_text(f"name: p\nversion: '1'\nextends: default\n{pack_yaml}")
    (root / "causes" / "ischemia.yaml").write_text(CAUSE)
    return root


def checks_reported(root: Path, *options: str) -> tuple[list[str], int]:
    result = runner.invoke(app, ["rules", "lint", str(root), *options])
    return CHECK.findall(result.stdout), result.exit_code


def test_without_options_every_warning_is_reported(tmp_path: Path) -> None:
    assert checks_reported(pack(tmp_path)) == (
        ["missing-because", "missing-source", "lr-extreme"],
        0,
    )


def test_select_reports_only_the_warnings_named(tmp_path: Path) -> None:
    root = pack(tmp_path)
    assert checks_reported(root, "--select", "lr-extreme,missing-source") == (
        ["missing-source", "lr-extreme"],
        0,
    )
    assert checks_reported(root, "--select", "lr-extreme", "--select", "missing-because") == (
        ["missing-because", "lr-extreme"],
        0,
    )


def test_ignore_drops_the_warnings_named(tmp_path: Path) -> None:
    root = pack(tmp_path)
    assert checks_reported(root, "--ignore", "missing-because,lr-extreme") == (
        ["missing-source"],
        0,
    )
    assert checks_reported(
        root, "--strict", "--ignore", "missing-because,lr-extreme,missing-source"
    ) == ([], 0)


def test_select_never_hides_an_error(tmp_path: Path) -> None:
    root = pack(tmp_path)
    (root / "causes" / "ischemia.yaml").write_text(CAUSE.replace("taut_band", "no_such"))
    checks, code = checks_reported(root, "--select", "missing-source")
    assert (checks, code) == (["missing-source", "unknown-finding"], 2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--ignore", "schema"], "--ignore: 'schema' is an error; errors cannot be ignored"),
        (["--ignore", "lr-extrem"], "--ignore: unknown check 'lr-extrem' (did you mean "),
        (["--select", "missing-source,nope"], "--select: unknown check 'nope'"),
    ],
)
def test_a_wrong_check_id_in_an_option_is_a_usage_error(
    tmp_path: Path, options: list[str], message: str
) -> None:
    result = runner.invoke(app, ["rules", "lint", str(pack(tmp_path)), *options])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("nmt-assess: " + message), result.stderr


def test_a_packs_lint_ignore_silences_warnings_in_its_own_files(tmp_path: Path) -> None:
    root = pack(tmp_path, "lint_ignore: [missing-source, lr-extreme]\n")
    assert checks_reported(root) == (["missing-because"], 0)


def test_a_packs_lint_ignore_does_not_silence_the_packs_below(tmp_path: Path) -> None:
    base = pack(tmp_path, "lint_ignore: [missing-source]\n")
    top = tmp_path / "top"
    top.mkdir()
    (top / "pack.yaml").write_text("name: top\nversion: '1'\nlint_ignore: [missing-because]\n")
    result = runner.invoke(app, ["rules", "lint", str(base), str(top)])
    assert CHECK.findall(result.stdout) == ["missing-because", "lr-extreme"]


@pytest.mark.parametrize(
    ("ignored", "message"),
    [
        ("schema", "'schema' is an error; errors cannot be ignored"),
        ("missing-sorce", "unknown check 'missing-sorce' (did you mean 'missing-source'?)"),
    ],
)
def test_a_packs_lint_ignore_takes_only_warning_ids(
    tmp_path: Path, ignored: str, message: str
) -> None:
    root = pack(tmp_path, f"lint_ignore: [lr-extreme, {ignored}]\n")
    result = runner.invoke(app, ["rules", "lint", str(root)])
    assert result.exit_code == 2
    [error] = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert error.startswith(f"{root}/pack.yaml:4:")
    assert f"[unknown-check] lint_ignore.1: {message}" in error


def test_every_check_has_a_severity_and_a_one_line_description() -> None:
    for check in REGISTRY.values():
        assert check.severity in ("error", "warning")
        assert check.description and "\n" not in check.description and "|" not in check.description
    assert all(c.severity == "warning" for c in REGISTRY.values() if c.about_one_rule)


def test_the_docs_table_is_the_one_the_registry_renders() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert checks_table() in guide
    assert with_checks_table(guide) == guide
    for check_id in REGISTRY:
        assert f"\n| {check_id} | " in guide


def test_the_docs_command_rewrites_a_stale_table(tmp_path: Path) -> None:
    stale = tmp_path / "rules.md"
    stale.write_text(GUIDE.read_text(encoding="utf-8").replace("| few-rules |", "| few-rule |"))
    done = subprocess.run(
        [sys.executable, "-m", "nmt_assess.ruleset.checks", "--docs", str(stale)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert stale.read_text(encoding="utf-8") == GUIDE.read_text(encoding="utf-8")
