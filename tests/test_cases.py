"""Every bundled case: the ranking and red flags a clinician would expect."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from nmt_assess.cases import Case, unknown_ids, unmet_expectations
from nmt_assess.engine import score
from nmt_assess.models import Ruleset
from nmt_assess.readers.intake_file import read_intake_file
from tests.conftest import CASES_DIR

CASE_FILES = sorted(CASES_DIR.glob("*.yaml"))


def load_case(path: Path) -> Case:
    return Case.model_validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_case(ruleset: Ruleset, path: Path) -> None:
    case = load_case(path)
    assert case.id == path.stem
    assert list(unknown_ids(case, ruleset)) == []
    assessment = score(ruleset, read_intake_file(path, ruleset))
    assert unmet_expectations(assessment, case.expect) == []


def test_library_size_and_coverage() -> None:
    cases = [load_case(path) for path in CASE_FILES]
    assert len(cases) >= 24
    leaders = Counter(case.leading_cause for case in cases)
    assert len(leaders) == 5 and min(leaders.values()) >= 3, leaders
    assert sum(1 for case in cases if case.expect.red_flags) >= 6
    assert {case.level for case in cases} == {1, 2, 3}


def test_unmet_expectations_names_each_failure(ruleset: Ruleset) -> None:
    path = CASES_DIR / "cts-keyboard-worker.yaml"
    assessment = score(ruleset, read_intake_file(path, ruleset))
    wrong = load_case(path).expect.model_copy(
        update={
            "top": ("ischemia",),
            "top_two": ("ischemia",),
            "red_flags": ("deep_vein_thrombosis",),
        }
    )
    failures = unmet_expectations(assessment, wrong)
    assert failures[0] == "top cause is nerve_compression, expected ischemia"
    assert failures[1].startswith("ischemia ranks ")
    assert failures[2] == "red flag deep_vein_thrombosis was not raised"


@pytest.mark.parametrize("path", CASE_FILES[::7], ids=lambda p: p.stem)
def test_the_document_and_its_model_fail_the_same_expectations(
    ruleset: Ruleset, path: Path
) -> None:
    """`rules test` checks the document; the model (the Python API) must fail alike, on every
    kind of expectation."""
    from nmt_assess.engine import Engine

    engine = Engine(ruleset)
    intake = read_intake_file(path, ruleset)
    document = engine.document(intake, check_next=False)
    model = engine.score(intake, check_next=False)
    raised = tuple(flag["id"] for flag in document["red_flags"])
    others = [cause.id for cause in ruleset.causes if cause.id != document["causes"][0]["id"]]
    bands = [band.label for band in ruleset.bands]
    own = load_case(path).expect
    wrong = own.model_copy(
        update={
            "top": (others[0],),
            "top_two": (others[-1],),
            "red_flags": ("deep_vein_thrombosis",),
            "not_red_flags": raised,
            "no_referral": True,
            "max_band": bands[0],
            "site": "no_such_site",
        }
    )
    for expect in (own, wrong):
        assert unmet_expectations(document, expect, bands) == unmet_expectations(
            model, expect, bands
        )
    assert len(unmet_expectations(document, wrong, bands)) >= 4
