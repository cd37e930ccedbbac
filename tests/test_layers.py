"""The shape of the house: the library never imports the CLI's tools, the scorer never
imports a reader or a writer, and every command reads the same --rules / NMT_ASSESS_RULES."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nmt_assess.cli.app import app
from tests.conftest import DATA

PACKAGE = Path(__file__).parent.parent / "nmt_assess"


def _imports(path: Path) -> set[str]:
    """Every module the file imports, at any depth (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _library_modules() -> list[Path]:
    """Every module but the CLI's (and `python -m nmt_assess`, which starts it)."""
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if "cli" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"
    ]


@pytest.mark.parametrize("path", _library_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_library_module_imports_typer_or_the_cli(path: Path) -> None:
    imported = _imports(path)
    assert not {name for name in imported if name.split(".")[0] == "typer"}
    assert not {name for name in imported if name.startswith("nmt_assess.cli")}


SCORING = [*(PACKAGE / "engine").glob("*.py"), PACKAGE / "ruleset" / "compile.py"]


@pytest.mark.parametrize("path", SCORING, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_scoring_module_imports_a_reader_or_a_writer(path: Path) -> None:
    imported = _imports(path)
    assert not {
        name
        for name in imported
        if name.startswith(("nmt_assess.readers", "nmt_assess.writers"))
        or name in ("nmt_assess.scoring", "nmt_assess.batch")
    }


def test_no_library_module_is_left_with_typer_imported_at_import_time() -> None:
    import subprocess
    import sys

    modules = [
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in _library_modules()
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('typer' in sys.modules, 'rich' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    typer_loaded, _rich_loaded = result.stdout.split()
    assert typer_loaded == "False"


MISSING_PACK = "/nonexistent/nmt-assess-pack"
INTAKE = str(DATA / "intakes" / "mini.yaml")

COMMANDS = {
    "score": ["score", INTAKE],
    "score batch": ["score", INTAKE, INTAKE, "-f", "jsonl"],
    "questionnaire": ["questionnaire"],
    "intake": ["intake", "--answers", str(DATA / "intakes" / "mini-answers.txt")],
    "explain": ["explain", "numbness"],
    "practice": ["practice", "--case", "1", "--answer", "1,2,3,4,5"],
    "rules lint": ["rules", "lint"],
    "rules test": ["rules", "test"],
    "rules list": ["rules", "list"],
    "rules show": ["rules", "show", "any.rule"],
}


@pytest.mark.parametrize("args", COMMANDS.values(), ids=list(COMMANDS))
def test_every_command_reads_the_rules_from_the_environment(
    args: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, args, env={"NMT_ASSESS_RULES": MISSING_PACK, "NMT_ASSESS_HOME": str(tmp_path)}
    )
    assert result.exit_code == 2, result.output
    assert MISSING_PACK in result.output


def test_the_exit_codes_live_in_one_module() -> None:
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.name == "exit_codes.py":
            continue
        text = path.read_text(encoding="utf-8")
        for code in ("130", "141", "143"):
            assert f"= {code}" not in text, f"{path.name} defines exit code {code}"
