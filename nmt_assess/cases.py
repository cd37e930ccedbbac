"""The case library: intakes with the ranking and red flags a clinician would expect."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nmt_assess.models import Ruleset
from nmt_assess.models.base import FileForm
from nmt_assess.problems import Problem, did_you_mean

if TYPE_CHECKING:
    from nmt_assess.models import Assessment


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: The leading cause; a list where a mixed presentation may be led by either.
    top: Annotated[
        tuple[str, ...], FileForm(lambda schema: {"anyOf": [{"type": "string"}, schema]})
    ]
    #: Causes that must rank in the top two.
    top_two: tuple[str, ...] = ()
    #: Red flags that must be raised.
    red_flags: tuple[str, ...] = ()
    #: Red flags that must not be raised (the look-alike of a flag's case).
    not_red_flags: tuple[str, ...] = ()
    #: No flag that sends the client to a doctor (emergency, urgent, refer) may be raised.
    no_referral: bool = False
    #: No cause may be shown in a band above this one (a client's form without examination).
    max_band: str | None = None
    #: The site the leading cause names (a nerve compression's entrapment site).
    site: str | None = None

    @field_validator("top", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str
    title: str
    level: int = Field(ge=1, le=3)
    leading_cause: str
    story: str
    findings: dict[str, Any]
    expect: Expectation
    note: str
    date: Any = None


def unknown_ids(case: Case, ruleset: Ruleset) -> Iterator[str]:
    """Cause and red-flag ids the case names that the ruleset does not have."""
    causes = {cause.id for cause in ruleset.causes}
    flags = {flag.id for flag in ruleset.red_flags}
    for cause_id in (case.leading_cause, *case.expect.top, *case.expect.top_two):
        if cause_id not in causes:
            yield f"unknown cause '{cause_id}'"
    for flag_id in (*case.expect.red_flags, *case.expect.not_red_flags):
        if flag_id not in flags:
            yield f"unknown red flag '{flag_id}'"
    bands = [band.label for band in ruleset.bands]
    if case.expect.max_band is not None and case.expect.max_band not in bands:
        yield f"unknown band '{case.expect.max_band}'"
    sites = {site.id for cause in ruleset.causes for site in cause.sites}
    if case.expect.site is not None and case.expect.site not in sites:
        yield f"unknown site '{case.expect.site}'"


def unmet_expectations(
    assessment: Assessment | Mapping[str, Any], expect: Expectation, bands: Sequence[str] = ()
) -> list[str]:
    """What the assessment got wrong against the case, in words; empty when it passes.
    `assessment`: an Assessment, or the document it is made from (`Engine.document`).
    `bands`: the pack's band labels, lowest first (for `max_band`)."""
    from nmt_assess.models import Action

    document = assessment if isinstance(assessment, Mapping) else assessment.model_dump()
    causes, flags = document["causes"], document["red_flags"]
    ranking = [cause["id"] for cause in causes]
    raised = {flag["id"] for flag in flags}
    failures = []
    if ranking[0] not in expect.top:
        failures.append(f"top cause is {ranking[0]}, expected {' or '.join(expect.top)}")
    for cause_id in expect.top_two:
        if cause_id not in ranking[:2]:
            failures.append(f"{cause_id} ranks {ranking.index(cause_id) + 1}, expected top two")
    for flag_id in expect.red_flags:
        if flag_id not in raised:
            failures.append(f"red flag {flag_id} was not raised")
    for flag_id in expect.not_red_flags:
        if flag_id in raised:
            failures.append(f"red flag {flag_id} was raised, expected not")
    if expect.no_referral:
        referrals = [f["id"] for f in flags if Action(f["action"]).severity <= 2]
        if referrals:
            failures.append(f"referral raised ({', '.join(referrals)}), expected none")
    if expect.max_band is not None and expect.max_band in bands:
        ceiling = bands.index(expect.max_band)
        failures.extend(
            f"{cause['id']} is {cause['band']}, expected at most {expect.max_band}"
            for cause in causes
            if cause["band"] in bands and bands.index(cause["band"]) > ceiling
        )
    if expect.site is not None:
        site = causes[0]["site"]
        if site is None or site["id"] != expect.site:
            named = site["id"] if site is not None else "no site"
            failures.append(f"the leading cause names {named}, expected {expect.site}")
    return failures


def read_case(path: Path, ruleset: Ruleset | None) -> Case | list[Problem]:
    """The case in `path`, or every problem with it, located (file:line, field, check id): its
    own shape always, its ids and findings when there is a ruleset.

    The one case loader: `rules lint`, `rules test`, `practice` and `explain` all read cases
    through it, so a bad case file is the same located error everywhere."""
    from nmt_assess.marked_yaml import position_of
    from nmt_assess.ruleset.loader import (
        Place,
        read_located_yaml,
        report_validation_error,
        without_knock_ons,
    )
    from nmt_assess.validation import validate_intake

    label = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start})"
        return [Problem(label, None, "file", message, "save the file as UTF-8", check="unreadable")]
    except OSError as error:
        message = f"cannot read: {error.strerror or error}"
        return [Problem(label, None, "file", message, check="unreadable")]
    # a duplicate key or a tag such as !!python/object: the case is refused, and the rest of
    # the file is checked too, so that one lint lists every problem
    document, problems, readable = read_located_yaml(label, text)
    if not readable:
        return problems
    if document is None:
        hint = "give the case, or delete the file"
        empty = Problem(label, 1, "file", "empty file", hint, col=1, check="case-schema")
        return problems or [empty]

    def add(
        path_in_file: tuple[Any, ...], field: str, message: str, check: str, hint: str | None = None
    ) -> None:
        line, col = position_of(document, path_in_file)
        problems.append(Problem(label, line, field, message, hint, col=col, check=check))

    try:
        case = Case.model_validate(document)
    except ValidationError as error:
        report_validation_error(error, Place(label, document, (), ""), problems, "case-schema")
        # with stand-ins for the fields that failed, its ids and findings are checked all the
        # same (a `story: !!python/object` must not hide an unknown cause)
        failed = {str(detail["loc"][0]) for detail in error.errors() if detail["loc"]}
        if not isinstance(document, Mapping) or not failed <= _CASE_STAND_INS.keys():
            return without_knock_ons(problems)
        try:
            case = Case.model_validate({**document, **{k: _CASE_STAND_INS[k] for k in failed}})
        except ValidationError:
            return without_knock_ons(problems)
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
    return without_knock_ons(problems) or case


#: Stand-ins for the fields of a case that failed (and are reported) that nothing else reads.
_CASE_STAND_INS: dict[str, Any] = {
    "title": "",
    "level": 1,
    "story": "",
    "note": "",
    "date": None,
    "findings": {},
}


def read_cases(packs: Sequence[Path], ruleset: Ruleset) -> tuple[dict[str, Case], list[Problem]]:
    """Every usable case of the packs by id (a later pack's case replaces one of the same id),
    and the problems of the case files that cannot be used."""
    from nmt_assess.ruleset import prebuilt
    from nmt_assess.ruleset.loader import case_files, default_pack_dir

    if list(packs) == [default_pack_dir()]:
        prebuilt_cases = prebuilt.cases_for(ruleset)  # read when the wheel was built
        if prebuilt_cases is not None:
            return dict(prebuilt_cases), []
    cases: dict[str, Case] = {}
    problems: list[Problem] = []

    for path in (path for pack in packs for path in case_files(pack)):
        result = read_case(path, ruleset)
        if isinstance(result, Case):
            cases[result.id] = result
        else:
            problems.extend(result)
    return cases, problems


def case_leaders(ruleset: Ruleset, packs: Sequence[Path] | None) -> dict[str, str]:
    """Case id -> the cause it is led by, over the usable cases of every pack in use (what
    `explain` lists under a cause; `rules lint` reports the bad case files)."""
    from nmt_assess.ruleset.loader import pack_chain

    cases, _ = read_cases(pack_chain(packs), ruleset)
    return {case_id: case.leading_cause for case_id, case in cases.items()}


def run_cases(
    ruleset: Ruleset, packs: Sequence[Path], only: str | None = None
) -> list[dict[str, Any]]:
    """Score every case in the packs' cases/ (or only the one whose file stem is `only`) and
    check its expectations: one result per case, as `rules test -f json` prints it. The pack
    must lint clean first (ruleset.lint.lint), which has read and checked every case."""
    from nmt_assess.ruleset.loader import case_files

    cases = []
    for path in (path for pack in packs for path in case_files(pack)):
        if only is None or path.stem == only:
            case = read_case(path, ruleset)
            assert isinstance(case, Case)  # lint has read and checked every case
            cases.append((path, case))
    return _case_results(ruleset, cases)


def _case_results(ruleset: Ruleset, cases: Iterable[tuple[Path, Case]]) -> list[dict[str, Any]]:
    """Each case (with the file it is in) scored and checked against its expectations."""
    from nmt_assess.engine import Engine
    from nmt_assess.models import Intake
    from nmt_assess.validation import validate_intake

    engine = Engine(ruleset)
    results = []
    for path, case in cases:
        intake = validate_intake({"id": case.id, "findings": case.findings}, ruleset.findings)
        assert isinstance(intake, Intake)
        # the document, not its model: validating it into one costs more than scoring it
        document = engine.document(intake, check_next=False)
        failures = unmet_expectations(document, case.expect, [band.label for band in ruleset.bands])
        results.append(
            {
                "case": case.id,
                "file": str(path),
                "passed": not failures,
                "failures": failures,
                "expected": {
                    "top": list(case.expect.top),
                    "top_two": list(case.expect.top_two),
                    "red_flags": list(case.expect.red_flags),
                },
                "ranking": [
                    {"cause": c["id"], "probability": c["probability"]} for c in document["causes"]
                ],
                "red_flags": [f["id"] for f in document["red_flags"]],
                "deciding": {
                    c["id"]: [
                        f"x{x['factor']:g} {x['rule']}" for x in c["contributions"] if x["counted"]
                    ][:3]
                    for c in document["causes"][:2]
                },
            }
        )
    return results


class PackDoesNotLint(Exception):
    """`rules test` refused: the packs have lint errors, so no case was run."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("the pack does not lint; no case was run")
        self.problems = problems


class NoSuchCase(Exception):
    """`rules test --case ID` names no case of the packs."""


def check_cases(packs: Sequence[Path] | None, only: str | None = None) -> list[dict[str, Any]]:
    """What `rules test` does: lint the packs, then run the cases of the packs given (of the
    default pack when none is), or only the case `only`. Raises PackDoesNotLint (with the lint
    errors) or NoSuchCase; returns one result per case, as run_cases does."""
    from nmt_assess.ruleset.lint import case_packs, lint_with_cases
    from nmt_assess.ruleset.loader import pack_chain

    chain = pack_chain(packs)
    tested = case_packs(chain, packs)
    checked = _prebuilt_cases(chain, tested)
    if checked is not None:
        ruleset, cases = checked
    else:
        linted, problems, cases = lint_with_cases(chain, tested)
        errors = [p for p in problems if p.severity == "error"]
        if errors or linted is None:
            raise PackDoesNotLint(errors)
        ruleset = linted
    if only is not None:
        cases = [(path, case) for path, case in cases if path.stem == only]
        if not cases:
            raise NoSuchCase(f"no case '{only}' in {', '.join(map(str, tested))}")
    return _case_results(ruleset, cases)


def _prebuilt_cases(
    chain: list[Path], tested: list[Path]
) -> tuple[Ruleset, list[tuple[Path, Case]]] | None:
    """The default pack and its cases with their files, when they come from the wheel's
    artifact, which was built from these very files and found to lint without error (so they
    need no lint or reading again); else None."""
    from nmt_assess.ruleset import prebuilt
    from nmt_assess.ruleset.loader import case_files, default_pack_dir, load_ruleset

    if not chain == tested == [default_pack_dir()]:
        return None
    ruleset = load_ruleset()
    cases = prebuilt.cases_for(ruleset) if prebuilt.lints_clean(ruleset) else None
    if cases is None:
        return None
    files = case_files(chain[0])
    if sorted(path.stem for path in files) != sorted(cases):
        return None  # not the files the artifact was built from: lint them
    return ruleset, [(path, cases[path.stem]) for path in files]
