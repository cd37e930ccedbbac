"""`rules lint`: every problem of a pack (and its cases) in one run, errors and warnings."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nmt_assess.models import Ruleset
from nmt_assess.problems import Problem, did_you_mean, lint_order
from nmt_assess.ruleset.checks import warnings
from nmt_assess.ruleset.loader import (
    case_files,
    read_packs,
    same_stem_problems,
)

if TYPE_CHECKING:
    from nmt_assess.cases import Case


def lint(
    chain: list[Path],
    case_packs: list[Path],
    select: Collection[str] = (),
    ignore: Collection[str] = (),
) -> tuple[Ruleset | None, list[Problem]]:
    """The ruleset (None when it cannot be built) and every problem, sorted by place: the
    errors of every file, the warnings and every case, in one run.

    Warnings are kept when `select` (if given) names them, `ignore` does not, and the pack
    whose file they are in does not list them under `lint_ignore`. Every error is kept."""
    ruleset, problems, _ = lint_with_cases(chain, case_packs, select, ignore)
    return ruleset, problems


def lint_with_cases(
    chain: list[Path],
    case_packs: list[Path],
    select: Collection[str] = (),
    ignore: Collection[str] = (),
) -> tuple[Ruleset | None, list[Problem], list[tuple[Path, Case]]]:
    """What `lint` gives, and the usable cases it read with their files, in file order (so
    that `rules test` reads each case once)."""
    from nmt_assess.cases import Case, read_case

    ruleset, problems, where = read_packs(chain)
    problems = list(problems)
    if ruleset is not None:
        silenced = {Path(pack.path): set(pack.lint_ignore) for pack in ruleset.packs}
        problems.extend(
            p
            for p in warnings(ruleset, where)
            if (not select or p.check in select)
            and p.check not in ignore
            and not _silenced_by_pack(p, silenced)
        )
    cases: list[tuple[Path, Case]] = []
    for pack in case_packs:
        files = case_files(pack)
        problems.extend(same_stem_problems(files))
        for path in files:
            result = read_case(path, ruleset)
            if isinstance(result, Case):
                cases.append((path, result))
            else:
                problems.extend(result)
    ordered = sorted(set(problems), key=lambda p: (*lint_order(p), p.field, p.check))
    return ruleset, ordered, cases


def _silenced_by_pack(problem: Problem, silenced: Mapping[Path, set[str]]) -> bool:
    path = Path(problem.file)
    return any(problem.check in ids and path.is_relative_to(root) for root, ids in silenced.items())


def check_ids_option(values: Sequence[str], *, ignoring: bool) -> tuple[list[str], str | None]:
    """The check ids of a `--select` or `--ignore` option (each value may list several, split
    by commas), or a message saying what is wrong with them."""
    from nmt_assess.ruleset.checks import REGISTRY

    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for check_id in ids:
        registered = REGISTRY.get(check_id)
        if registered is None:
            hint = did_you_mean(check_id, REGISTRY)
            return ids, f"unknown check '{check_id}'" + (f" ({hint})" if hint else "")
        if ignoring and registered.severity == "error":
            return ids, f"'{check_id}' is an error; errors cannot be ignored"
    return ids, None


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


def lint_packs(
    packs: Sequence[Path] | None, select: Collection[str] = (), ignore: Collection[str] = ()
) -> tuple[list[Path], Ruleset | None, list[Problem]]:
    """What `rules lint` does: the packs layered (the default pack under them unless the first
    stands alone), the ruleset they make (None when it cannot be built) and every problem;
    the cases linted are those of the packs given, or of the default pack when none is."""
    from nmt_assess.ruleset.loader import pack_chain

    chain = pack_chain(packs)
    ruleset, problems = lint(chain, case_packs(chain, packs), select, ignore)
    return chain, ruleset, problems


def case_packs(chain: list[Path], packs: Sequence[Path] | None) -> list[Path]:
    """The packs of a chain whose cases are linted and run: the ones given, not the default
    pack layered under them; the whole chain when none is given."""
    return chain[-len(packs) :] if packs else chain
