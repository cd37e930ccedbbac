"""Reading intake files: every problem reported at once, located, nothing coerced or dropped."""

from __future__ import annotations

import pytest

from nmt_assess.models import Ruleset
from nmt_assess.problems import ProblemsError
from nmt_assess.readers.intake_file import read_intake_file
from tests.conftest import DATA

INTAKES = DATA / "intakes"


def problems(name: str, ruleset: Ruleset) -> list[str]:
    with pytest.raises(ProblemsError) as caught:
        read_intake_file(INTAKES / name, ruleset)
    return [p.format() for p in caught.value.problems]


def test_valid_yaml_intake(ruleset: Ruleset) -> None:
    result = read_intake_file(INTAKES / "valid.yaml", ruleset)
    assert result.id == "C-0042"
    assert result.date is not None and result.date.isoformat() == "2026-11-23"
    assert result.findings == {
        "tingling": True,
        "numbness": False,
        "pain_intensity": 7,
        "pain_locations": ("wrist_hand", "forearm"),
        "pain_duration": "chronic",
    }


def test_null_means_unknown(ruleset: Ruleset) -> None:
    result = read_intake_file(INTAKES / "valid.yaml", ruleset)
    assert "shaking_hand_relieves" not in result.findings


def test_valid_json_intake(ruleset: Ruleset) -> None:
    result = read_intake_file(INTAKES / "valid.json", ruleset)
    assert result.findings == {"tingling": True, "age": 52.5, "pain_quality": ("burning",)}


def test_every_problem_is_reported_with_its_line(ruleset: Ruleset) -> None:
    path = INTAKES / "many_problems.yaml"
    assert problems("many_problems.yaml", ruleset) == [
        f"{path}:3: finding 'tinglng': unknown finding (did you mean 'tingling'?)",
        f"{path}:4: finding 'numbness': expected true or false, got 'yes'",
        f"{path}:5: finding 'pain_intensity': 11 is outside 0 to 10",
        f"{path}:6: finding 'pain_duration': choice not allowed: 'forever' "
        "(one of: acute, subacute, chronic)",
        f"{path}:7: finding 'pain_locations': a choice is listed twice",
    ]


def test_a_fractional_age_is_a_valid_number(ruleset: Ruleset) -> None:
    assert all("'age'" not in line for line in problems("many_problems.yaml", ruleset))


def test_json_problem_names_the_line_of_the_key(ruleset: Ruleset) -> None:
    path = INTAKES / "bad_value.json"
    assert problems("bad_value.json", ruleset) == [
        f"{path}:5: finding 'pain_intensity': expected a whole number from 0 to 10, got 7.5"
    ]


def test_duplicate_keys_are_rejected_not_collapsed(ruleset: Ruleset) -> None:
    assert problems("duplicate_key.yaml", ruleset) == [
        f"{INTAKES / 'duplicate_key.yaml'}:4: yaml: duplicate key 'tingling'"
    ]


def test_yaml_syntax_error_names_the_line(ruleset: Ruleset) -> None:
    [line] = problems("syntax_error.yaml", ruleset)
    assert line.startswith(f"{INTAKES / 'syntax_error.yaml'}:4: yaml: ")


def test_bytes_that_are_not_utf8(ruleset: Ruleset) -> None:
    [line] = problems("not_utf8.yaml", ruleset)
    assert (
        line
        == f"{INTAKES / 'not_utf8.yaml'}: file: not UTF-8 text (byte 34) (save the file as UTF-8)"
    )


def test_empty_file(ruleset: Ruleset) -> None:
    assert problems("empty.yaml", ruleset) == [
        f"{INTAKES / 'empty.yaml'}: file: empty (an intake needs 'findings')"
    ]


def test_unknown_top_level_key_is_not_ignored(ruleset: Ruleset) -> None:
    path = INTAKES / "unknown_key.yaml"
    assert problems("unknown_key.yaml", ruleset) == [
        f"{path}:1: findings: required key is missing (findings: {{finding_id: value}})",
        f"{path}:2: finding: unknown key (did you mean 'findings'?)",
    ]


def test_missing_file(ruleset: Ruleset) -> None:
    [line] = problems("no-such-file.yaml", ruleset)
    assert line == f"{INTAKES / 'no-such-file.yaml'}: file: cannot read: No such file or directory"
