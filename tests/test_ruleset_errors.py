"""A broken rule pack is refused with every problem located to its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nmt_assess.problems import ProblemsError
from nmt_assess.ruleset import load_ruleset
from tests.conftest import MINI_PACK


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(MINI_PACK, target)
    return target


def add_rule(pack: Path, rule_yaml: str) -> None:
    path = pack / "causes" / "beta.yaml"
    path.write_text(path.read_text() + rule_yaml)


def problems(pack: Path) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        load_ruleset(pack)
    return [p.format().replace(str(pack) + "/", "") for p in caught.value.problems]


def test_the_mini_pack_loads(pack: Path) -> None:
    assert [c.id for c in load_ruleset(pack).causes] == ["alpha", "beta"]


def test_unknown_finding_in_a_condition(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: {all: [a, bb]}, lr: 2, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: finding 'bb': unknown finding (did you mean 'b'?)"
    ]


def test_unknown_named_strength(pack: Path) -> None:
    add_rule(pack, "  - id: beta.x\n    when: a\n    lr: smal\n    because: x\n")
    assert problems(pack) == [
        "causes/beta.yaml:12: rules.3.lr: unknown strength 'smal' (did you mean 'small'?)"
    ]


def test_likelihood_ratio_must_be_positive(pack: Path) -> None:
    add_rule(pack, "  - id: beta.x\n    when: a\n    lr: 0\n    because: x\n")
    assert problems(pack) == [
        "causes/beta.yaml:12: rules.3.lr: must be at least 0.001 "
        "(a likelihood ratio is a number from 0.001 to 1000)"
    ]


def test_undeclared_group(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: a, lr: 2, group: gg, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: group: unknown group 'gg' (declare it under 'groups')"
    ]


def test_choice_that_the_finding_does_not_have(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: {finding: where, any_of: [xx]}, lr: 2, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: finding 'where': 'xx' is not a choice of this finding "
        "(did you mean 'x'?)"
    ]


def test_threshold_that_can_never_hold(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: {finding: pain, gt: 10}, lr: 2, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: finding 'pain': 'gt 10' can never hold for a value from 0 to 10"
    ]


def test_operator_that_does_not_fit_the_finding_type(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: {finding: a, gt: 1}, lr: 2, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: finding 'a': 'gt' does not fit a yes_no finding (use one of: is)"
    ]


def test_duplicate_rule_id(pack: Path) -> None:
    add_rule(pack, "  - {id: alpha.a, when: a, lr: 2, because: x}\n")
    assert problems(pack) == [
        "causes/beta.yaml:10: id: rule id 'alpha.a' is used twice (first used in causes/alpha.yaml)"
    ]


def test_missing_required_field(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, lr: 2, because: x}\n")
    assert problems(pack) == ["causes/beta.yaml:10: rules.3.when: required field is missing"]


def test_duplicate_key_in_a_rule_file(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, id: beta.y, when: a, lr: 2, because: x}\n")
    assert problems(pack) == ["causes/beta.yaml:10: yaml: duplicate key 'id'"]


def test_cause_file_not_listed_in_the_pack(pack: Path) -> None:
    shutil.copy(pack / "causes" / "beta.yaml", pack / "causes" / "gamma.yaml")
    assert problems(pack) == [
        "causes/gamma.yaml: file: cause file not listed under 'causes' in pack.yaml "
        "(list it there, or name an existing cause)"
    ]


def test_missing_findings_file(pack: Path) -> None:
    (pack / "findings.yaml").unlink()
    assert "findings.yaml: file: missing (every rule pack needs this file)" in problems(pack)


def test_several_problems_are_reported_together(pack: Path) -> None:
    add_rule(pack, "  - {id: beta.x, when: zz, lr: 2, group: gg, because: x}\n")
    assert len(problems(pack)) == 2
