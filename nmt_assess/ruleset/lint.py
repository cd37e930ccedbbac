"""`rules lint`: every problem of a pack (and its cases) in one run, errors and warnings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nmt_assess.marked_yaml import YamlSyntaxError, load_marked, position_of
from nmt_assess.models import Ruleset
from nmt_assess.problems import Problem, did_you_mean, lint_order
from nmt_assess.ruleset.checks import warnings
from nmt_assess.ruleset.loader import (
    Place,
    case_files,
    read_packs,
    report_validation_error,
    same_stem_problems,
    unreadable_value,
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
    from nmt_assess.cases import Case
    from nmt_assess.intake import validate_intake

    label = str(path)
    try:
        document = load_marked(path.read_bytes().decode("utf-8-sig"))
    except YamlSyntaxError as error:
        check = "duplicate-key" if error.duplicate else "yaml-syntax"
        return [Problem(label, error.line, "yaml", error.message, col=error.col, check=check)]
    except UnicodeDecodeError as error:
        return [
            Problem(label, None, "file", f"not UTF-8 text (byte {error.start})", check="encoding")
        ]
    except OSError as error:
        reason = error.strerror or str(error)
        return [Problem(label, None, "file", f"cannot read: {reason}", check="unreadable")]
    except (RecursionError, MemoryError):
        return [Problem(label, None, "yaml", "nested too deeply to read", check="yaml-syntax")]
    except ValueError as error:  # a value YAML cannot build, such as a 5,000-digit number
        return [Problem(label, None, "yaml", unreadable_value(error), check="yaml-syntax")]
    problems: list[Problem] = []

    def add(
        path_in_file: tuple[Any, ...], field: str, message: str, check: str, hint: str | None = None
    ) -> None:
        line, col = position_of(document, path_in_file)
        problems.append(Problem(label, line, field, message, hint, col=col, check=check))

    if document is None:
        return [
            Problem(
                label,
                1,
                "file",
                "empty file",
                "give the case, or delete the file",
                col=1,
                check="case-schema",
            )
        ]
    try:
        case = Case.model_validate(document)
    except ValidationError as error:
        report_validation_error(error, Place(label, document, (), ""), problems, "case-schema")
        return problems
    except RecursionError:
        return [Problem(label, None, "value", "nested too deeply", check="case-schema")]
    if case.id != path.stem:
        add(("id",), "id", f"must be '{path.stem}', the file's name", "case-id")
    if ruleset is None:
        return problems
    causes = [cause.id for cause in ruleset.causes]
    flags = [flag.id for flag in ruleset.red_flags]
    named: list[tuple[tuple[str, ...], str, list[str], str]] = [
        (("leading_cause",), case.leading_cause, causes, "cause")
    ]
    named += [(("expect", "top"), c, causes, "cause") for c in case.expect.top]
    named += [(("expect", "top_two"), c, causes, "cause") for c in case.expect.top_two]
    named += [(("expect", "red_flags"), f, flags, "red flag") for f in case.expect.red_flags]
    for place, item, known, kind in named:
        if item not in known:
            add(
                place,
                ".".join(place),
                f"unknown {kind} '{item}'",
                "case-unknown-id",
                did_you_mean(item, known),
            )
    result = validate_intake({"id": case.id, "findings": case.findings}, ruleset.findings)
    if isinstance(result, list):
        for problem in result:
            add(problem.path, problem.field, problem.message, "case-finding", problem.hint)
    return problems


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
