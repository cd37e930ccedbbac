"""The scalar and the batch evaluator fill the same Result, bit for bit, for every bundled pack,
the case library, random intakes and packs past the old size limits; shared document entries
cannot be changed. Run it under the oldest and newest supported Python (their sum() differs):

    python -m pytest tests/test_evaluators.py
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from nmt_assess.batch import ChunkScorer
from nmt_assess.engine import Engine
from nmt_assess.engine.batch import BatchEvaluator
from nmt_assess.engine.scalar import Result, ScalarEvaluator
from nmt_assess.models import AnyOf, FindingTest, FindingType, Intake, Ruleset
from nmt_assess.ruleset import load_ruleset
from nmt_assess.ruleset.compile import compile_pack
from nmt_assess.validation import validate_intake
from tests.conftest import CASES_DIR
from tests.test_batch_evaluator import random_intakes

PACKS = Path(__file__).parent / "data" / "packs"


def bits(result: Result) -> str:
    """The result with every float as its exact bits (repr tells 0.0 from -0.0)."""
    return repr(result)


def assert_same_results(ruleset: Ruleset, documents: list[dict[str, Any]]) -> None:
    pack = compile_pack(ruleset)
    batch = BatchEvaluator(pack).results(documents)
    scalar = ScalarEvaluator(pack)
    for document, result in zip(documents, batch, strict=True):
        intake = validate_intake(document, ruleset.findings)
        assert isinstance(intake, Intake)
        assert result is not None, document.get("id")
        assert bits(result) == bits(scalar.evaluate(intake.findings)), document.get("id")


def case_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        case = yaml.safe_load(path.read_text())
        documents.append({"id": case["id"], "findings": case["findings"]})
    return documents


def test_random_intakes_give_the_same_results(ruleset: Ruleset) -> None:
    assert_same_results(ruleset, random_intakes(ruleset, 600, seed=21))


def test_the_case_library_gives_the_same_results(ruleset: Ruleset) -> None:
    assert_same_results(ruleset, case_documents())


#: Test packs that load (mini-problems holds lint problems on purpose).
USABLE_PACKS = sorted(p.name for p in PACKS.iterdir() if p.is_dir() and p.name != "mini-problems")


@pytest.mark.parametrize("pack", USABLE_PACKS)
def test_every_bundled_test_pack_gives_the_same_results(pack: str) -> None:
    ruleset = load_ruleset([PACKS / pack])
    assert_same_results(ruleset, random_intakes(ruleset, 300, seed=22))


def big_pack(ruleset: Ruleset, rules: int, flags: int) -> Ruleset:
    """The default pack with one cause of `rules` rules (some in one large group, one of over
    62 tests) and `flags` red flags (one of over 62 tests)."""
    yes_no = [f for f, finding in ruleset.findings.items() if finding.type is FindingType.yes_no]
    wide = AnyOf(any=tuple(FindingTest(finding=yes_no[i % len(yes_no)]) for i in range(70)))
    cause = ruleset.causes[0]
    made = []
    for number in range(rules):
        rule = cause.rules[number % len(cause.rules)]
        update: dict[str, Any] = {"id": f"{rule.id}.{number}"}
        if number % 3 == 0:
            update["group"] = "big"
        if number == rules - 1:
            update["when"] = wide
        made.append(rule.model_copy(update=update))
    many_flags = []
    for number in range(flags):
        flag = ruleset.red_flags[number % len(ruleset.red_flags)]
        update = {"id": f"{flag.id}.{number}"}
        if number == flags - 1:
            update["when"] = wide
        many_flags.append(flag.model_copy(update=update))
    causes = (cause.model_copy(update={"rules": tuple(made)}), *ruleset.causes[1:])
    return ruleset.model_copy(update={"causes": causes, "red_flags": tuple(many_flags)})


def test_a_pack_of_1000_rules_and_300_flags_stays_on_the_batch_path(ruleset: Ruleset) -> None:
    big = big_pack(ruleset, rules=1000, flags=300)
    assert ChunkScorer(big, vectorise=True).fast is not None
    documents = random_intakes(big, 120, seed=23)
    assert_same_results(big, documents)
    engine = Engine(big)
    fast = BatchEvaluator(engine.pack).assess_documents(documents)
    for document, built in zip(documents, fast, strict=True):
        intake = validate_intake(document, big.findings)
        assert isinstance(intake, Intake)
        assert repr(built) == repr(engine.document(intake)), document["id"]


def test_a_finding_of_over_62_choices_stays_on_the_batch_path(ruleset: Ruleset) -> None:
    choices = tuple(f"c{i}" for i in range(70))
    finding = ruleset.findings["pain_locations"].model_copy(update={"choices": choices})
    findings = {**ruleset.findings, "pain_locations": finding}
    wide = ruleset.model_copy(update={"findings": findings, "referral": {}})
    documents = [
        {"id": str(i), "findings": {"pain_locations": random.Random(i).sample(choices, k=i % 5)}}
        for i in range(40)
    ]
    assert_same_results(wide, documents)


def test_shared_entries_cannot_be_changed(ruleset: Ruleset) -> None:
    documents = random_intakes(ruleset, 300, seed=24)
    first, second = (
        list(BatchEvaluator(compile_pack(ruleset)).assess_documents(documents[:2])) for _ in "ab"
    )
    assert first[0] is not None and second[0] is not None
    contributions = [c for cause in first[0]["causes"] for c in cause["contributions"]]
    assert contributions
    with pytest.raises(TypeError):
        contributions[0]["share"] = 1.0
    with pytest.raises(AttributeError):
        contributions[0]["findings"].append("x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        first[0]["ruleset"]["name"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        contributions[0].update(share=1.0)  # type: ignore[attr-defined]
    assert first[0] == second[0]
