"""`rules lint`: every problem of a pack (and its cases) in one run, errors and warnings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nmt_assess.models import Ruleset
from nmt_assess.problems import Problem, lint_order
from nmt_assess.ruleset.checks import warnings
from nmt_assess.ruleset.loader import (
    case_files,
    read_packs,
    same_stem_problems,
)


def lint(chain: list[Path], case_packs: list[Path]) -> tuple[Ruleset | None, list[Problem]]:
    """The ruleset (None when it cannot be built) and every problem, sorted by place: the
    errors of every file, the warnings and every case, in one run."""
    ruleset, problems, where = read_packs(chain)
    problems = list(problems)
    if ruleset is not None:
        problems.extend(warnings(ruleset, where))
    for pack in case_packs:
        files = case_files(pack)
        problems.extend(same_stem_problems(files))
        for path in files:
            problems.extend(lint_case(path, ruleset))
    return ruleset, sorted(set(problems), key=lambda p: (*lint_order(p), p.field, p.check))


def lint_case(path: Path, ruleset: Ruleset | None) -> list[Problem]:
    """A case's problems: its own shape always, its ids and findings when there is a ruleset."""
    from nmt_assess.cases import Case, read_case

    result = read_case(path, ruleset)
    return [] if isinstance(result, Case) else result


def exit_code(problems: list[Problem], strict: bool) -> int:
    if any(p.severity == "error" for p in problems):
        return 2
    return 1 if strict and problems else 0


def github_annotation(problem: Problem) -> str:
    """A GitHub Actions workflow command, so problems show on the lines of a pull request."""
    level = "error" if problem.severity == "error" else "warning"
    message = problem.format_lint().split(": ", 2)[-1].replace("%", "%25").replace("\n", "%0A")
    return (
        f"::{level} file={problem.file},line={problem.line or 1},col={problem.col or 1},"
        f"title={problem.check}::{message}"
    )


def as_dict(problem: Problem) -> Mapping[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "col": problem.col,
        "severity": problem.severity,
        "check": problem.check,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }
