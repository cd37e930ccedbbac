"""The README's "From Python" section runs as written, so it cannot drift from the library."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import CASES_DIR

README = Path(__file__).parent.parent / "README.md"


def _from_python_snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_shows_each_command() -> None:
    code = "\n".join(_from_python_snippets())
    for call in (
        "score(",
        "score_inputs(",
        "explain(",
        "what_if(",
        "grade_case(",
        "lint(",
        "run_cases(",
        "IntakeSession(",
    ):
        assert call in code


def test_the_from_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(CASES_DIR / "cts-keyboard-worker.yaml", tmp_path / "intake.yaml")
    (tmp_path / "exports").mkdir()
    for name in ("cts-keyboard-worker.yaml", "anticoagulated-hip-gait.yaml"):
        shutil.copy(CASES_DIR / name, tmp_path / "exports" / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for snippet in _from_python_snippets():
        exec(compile(snippet, str(README), "exec"), namespace)
    summary = namespace["summary"]
    assert (summary.scored, summary.failed) == (2, 0)  # type: ignore[attr-defined]
    assert namespace["session"].intake().findings["age"] == 45  # type: ignore[attr-defined]
    assert len((tmp_path / "scored.jsonl").read_text(encoding="utf-8").splitlines()) == 2
