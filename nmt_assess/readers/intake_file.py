"""Read one intake file (YAML or JSON) into a validated Intake, or located problems."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nmt_assess.intake import IntakeProblem, validate_intake
from nmt_assess.marked_yaml import YamlSyntaxError, line_of, load_marked
from nmt_assess.models import Intake, Ruleset
from nmt_assess.problems import Problem, ProblemsError


def read_intake_file(path: Path | str, ruleset: Ruleset) -> Intake:
    """The validated intake in `path`; raises ProblemsError listing every problem."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ProblemsError(
            [Problem(label, None, "file", f"cannot read: {error.strerror}")]
        ) from None
    return parse_intake_text(data, label, ruleset)


def parse_intake_text(data: bytes, label: str, ruleset: Ruleset) -> Intake:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = Problem(
            label, None, "file", f"not UTF-8 text (byte {error.start})", "save the file as UTF-8"
        )
        raise ProblemsError([problem]) from None
    if not text.strip():
        raise ProblemsError([Problem(label, None, "file", "empty", "an intake needs 'findings'")])
    is_json = label.lower().endswith(".json")
    document, locate = _parse_json(text, label) if is_json else _parse_yaml(text, label)
    result = validate_intake(document, ruleset.findings)
    if isinstance(result, Intake):
        return result
    raise ProblemsError(_located(problem, label, locate) for problem in result)


def _parse_yaml(text: str, label: str) -> tuple[Any, Any]:
    try:
        document = load_marked(text)
    except YamlSyntaxError as error:
        raise ProblemsError([Problem(label, error.line, "yaml", error.message)]) from None
    return document, lambda path: line_of(document, path)


def _parse_json(text: str, label: str) -> tuple[Any, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        for key in keys:
            if keys.count(key) > 1:
                raise _DuplicateKey(key)
        return dict(pairs)

    try:
        document = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        raise ProblemsError([Problem(label, error.lineno, "json", error.msg)]) from None
    except _DuplicateKey as error:
        line = _json_key_line(text, str(error))
        raise ProblemsError([Problem(label, line, "json", f"duplicate key '{error}'")]) from None
    return document, lambda path: _json_key_line(text, str(path[-1])) if path else None


class _DuplicateKey(ValueError):
    pass


def _json_key_line(text: str, key: str) -> int | None:
    """JSON keeps no positions: find the key's first occurrence (good enough for ids)."""
    match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _located(problem: IntakeProblem, label: str, locate: Any) -> Problem:
    return Problem(label, locate(problem.path), problem.field, problem.message, problem.hint)
