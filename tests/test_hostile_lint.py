"""Red-team items 8 and 9 (first bullet): `rules lint` reports every problem in one run.

A field of a rule that fails (`lr: "2"`, `because: 5`) does not hide the rule's other
problems; a duplicate key, a tag such as `!!python/object` or a number too long does not hide
the rest of its file; a mapping key is its text as written (`yes:` is 'yes', not true). Packs
and intakes are generated here; each test asserts the exit code, that no traceback escapes,
that the inputs are unchanged and that no stray file is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from nmt_assess.cli.app import app
from nmt_assess.marked_yaml import YamlSyntaxError, load_marked, load_marked_all
from nmt_assess.models import ErrorRecord, SourcedAssessment
from nmt_assess.problems import ProblemsError
from nmt_assess.ruleset import load_ruleset

runner = CliRunner()
LOCATED = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): "
    r"\[(?P<check>[a-z-]+)\] (?P<rest>.*)$"
)
OVERLAY = "name: hostile\nversion: '1'\nextends: default\n"


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def lint(pack: Path) -> tuple[list[re.Match[str]], int]:
    """The lint lines of the pack, each located, and the exit code; nothing changed."""
    before = snapshot(pack.parent)
    result = run("rules", "lint", str(pack))
    assert snapshot(pack.parent) == before
    matches = []
    for line in result.stdout.splitlines():
        match = LOCATED.match(line)
        assert match, line
        matches.append(match)
    return matches, result.exit_code


def errors_in(matches: list[re.Match[str]], name: str) -> list[tuple[int, str]]:
    """(line, check) of every error in the file `name`, in order."""
    return [
        (int(m["line"]), m["check"])
        for m in matches
        if m["severity"] == "error" and m["file"].endswith(name)
    ]


def refused(pack: Path) -> None:
    with pytest.raises(ProblemsError):
        load_ruleset(pack)


# --- (a) a field of a rule that fails does not hide the rule's other problems --------------

#: The three other problems of the rule: each is found by a check of the whole ruleset.
OTHERS = {
    "when": ('{finding: tingling, is: "yes"}', "impossible-condition"),
    "source": ("[NOPE]", "unknown-source"),
    "lint_ignore": ("[bogus-check]", "unknown-check"),
}
#: A field that fails on its own, and the check that reports it.
FAILING_FIELDS = [
    ("lr", '"2"', "unknown-strength"),
    ("lr", "nope", "unknown-strength"),
    ("lr", "[1]", "schema"),
    ("lr", "-3", "schema"),
    ("lr", "true", "schema"),
    ("lr_absent", '"0.5"', "unknown-strength"),
    ("lr_absent", "[0.5]", "schema"),
    ("because", "5", "schema"),
    ("because", "yes", "schema"),
    ("unless", "7", "schema"),
    ("group", "[x]", "schema"),
    ("source", "S5", "schema"),
    ("lint_ignore", "lr-extreme", "schema"),
]


@pytest.mark.parametrize(("key", "value", "check"), FAILING_FIELDS)
def test_a_failing_field_of_a_rule_does_not_hide_its_other_problems(
    tmp_path: Path, key: str, value: str, check: str
) -> None:
    fields = {"id": "ischemia.x", "lr": "small", "lr_absent": "small_against", "because": "b"}
    fields |= {name: text for name, (text, _) in OTHERS.items()}
    fields[key] = value
    body = "".join(f"    {name}: {text}\n" for name, text in fields.items())
    rule = "  - " + body[4:]
    pack = write(
        tmp_path / "pack",
        {"pack.yaml": OVERLAY, "causes/ischemia.yaml": ("id: ischemia\nrules:\n" + rule)},
    )
    matches, code = lint(pack)
    assert code == 2
    lines = list(rule.splitlines())
    line_of = {line.strip(" -").split(":")[0]: number + 3 for number, line in enumerate(lines)}
    expected = {(line_of[name], found) for name, (_, found) in OTHERS.items() if name != key}
    expected.add((line_of[key], check))
    found = errors_in(matches, "ischemia.yaml")
    assert sorted(found) == sorted(expected), [m.group(0) for m in matches]
    # a stand-in brings no warning of its own about the rule (`because: 5`: no missing-because)
    assert [m.group(0) for m in matches if m["severity"] == "warning"] == []
    refused(pack)


def test_both_weights_given_as_unknown_text_are_each_reported(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "pack",
        {
            "pack.yaml": OVERLAY,
            "causes/ischemia.yaml": "id: ischemia\nrules:\n"
            "  - id: ischemia.x\n    when: tingling\n    lr: '2'\n    lr_absent: '1e-3'\n"
            "    because: b\n    source: [NOPE]\n",
        },
    )
    matches, code = lint(pack)
    assert code == 2
    assert errors_in(matches, "ischemia.yaml") == [
        (5, "unknown-strength"),
        (6, "unknown-strength"),
        (8, "unknown-source"),
    ]
    refused(pack)


# --- (b) YAML problems do not hide the rest of the file ------------------------------------

#: Independent problems, each one rule of a cause file: (rule text, the line within the rule
#: that is wrong, the check that reports it). Every one is reported, each at its line.
PROBLEM_RULES: list[tuple[str, int, str]] = [
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  lr: 3\n  because: b", 3, "duplicate-key"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: !!python/object:os.system {{}}", 2, "yaml-syntax"),
    ("!!python/object/apply:os.system ['true']", 0, "yaml-syntax"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 1" + "1" * 1500, 2, "yaml-syntax"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: !!float abc", 2, "yaml-syntax"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: '2'\n  because: b", 2, "unknown-strength"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  source: [NOPE]", 3, "unknown-source"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  lint_ignore: [bogus]", 3, "unknown-check"),
    (
        "id: ischemia.p{n}\n  when: {{finding: tingling, is: 'yes'}}\n  lr: 2",
        1,
        "impossible-condition",
    ),
    ("id: ischemia.p{n}\n  when: nope_finding\n  lr: 2", 1, "unknown-finding"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  because: 5", 3, "schema"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  yes: 1", 3, "schema"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  group: nope_group", 3, "unknown-group"),
    ("id: ischemia.p{n}\n  when: tingling\n  lr: 2\n  on: 1\n  off: 2", 3, "schema"),
]


def cause_file(chosen: list[int]) -> tuple[str, list[tuple[int, str]]]:
    """A cause file with the chosen problem rules, each between two good rules, and the
    (line, check) of every error expected in it."""
    lines = ["id: ischemia", "rules:"]
    expected = []
    for good, n in enumerate(chosen, 1):
        lines += [f"  - id: ischemia.good{good}", "    when: tingling", "    lr: 2"]
        lines += ["    because: b", "    source: [S5]"]
        text, offset, check = PROBLEM_RULES[n]
        rule = text.format(n=n).split("\n")
        start = len(lines) + 1
        lines += ["  - " + rule[0], *("  " + line for line in rule[1:])]
        expected.append((start + offset, check))
        if "on: 1" in text:  # `on:` and `off:` are two keys, not true and false
            expected.append((start + offset + 1, check))
    lines += ["  - id: ischemia.last", "    when: tingling", "    lr: 2", "    because: b"]
    return "\n".join(lines) + "\n", expected


SUBSETS = [
    list(range(len(PROBLEM_RULES))),
    [0, 1, 2, 3, 4],
    [0, 5, 6, 7, 8],
    [1, 9, 10, 11, 12, 13],
    *[list(pair) for pair in itertools.combinations(range(5), 2)],
]


@pytest.mark.parametrize("chosen", SUBSETS, ids=lambda c: "-".join(map(str, c)))
def test_every_problem_of_a_generated_cause_file_is_listed_in_one_lint(
    tmp_path: Path, chosen: list[int]
) -> None:
    text, expected = cause_file(chosen)
    pack = write(tmp_path / "pack", {"pack.yaml": OVERLAY, "causes/ischemia.yaml": text})
    matches, code = lint(pack)
    assert code == 2
    found = errors_in(matches, "ischemia.yaml")
    assert len(found) == len(expected), [m.group(0) for m in matches]
    assert sorted(found) == sorted(expected), [m.group(0) for m in matches]
    refused(pack)


def test_yaml_problems_in_every_file_of_a_pack_are_listed_with_the_rest(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "pack",
        {
            "pack.yaml": OVERLAY + "disable: [nope_rule]\nversion: '2'\n",
            "findings.yaml": "findings:\n  - id: extra_a\n    id: extra_b\n"
            "    type: yes_no\n    label: A\n    question: A?\n    asked_of: client\n"
            "    section: complaint\n    meaning: A.\n",
            "causes/ischemia.yaml": "id: ischemia\nrules:\n  - id: ischemia.q\n"
            "    when: extra_a\n    lr: !!python/name:os.system ''\n    source: [NOPE]\n",
            "sources.yaml": "sources:\n  S900: a\n  S900: b\n  S901: !!binary zz\n",
        },
    )
    matches, code = lint(pack)
    assert code == 2
    assert errors_in(matches, "pack.yaml") == [(4, "unknown-rule"), (5, "duplicate-key")]
    assert errors_in(matches, "findings.yaml") == [(3, "duplicate-key")]
    assert errors_in(matches, "ischemia.yaml") == [(5, "yaml-syntax"), (6, "unknown-source")]
    assert errors_in(matches, "sources.yaml") == [(3, "duplicate-key"), (4, "yaml-syntax")]
    refused(pack)


def test_a_standalone_pack_with_a_duplicate_key_in_pack_yaml_still_stands_alone(
    tmp_path: Path,
) -> None:
    from nmt_assess.ruleset import default_pack_dir

    default = default_pack_dir()
    files = {
        str(path.relative_to(default)): path.read_text(encoding="utf-8")
        for path in default.rglob("*.yaml")
        if "schema" not in path.parts and "cases" not in path.parts
    }
    files["pack.yaml"] = files["pack.yaml"] + "extends: none\nextends: none\n"
    pack = write(tmp_path / "pack", files)
    matches, code = lint(pack)
    assert code == 2
    assert [(m["check"], m["severity"]) for m in matches if m["severity"] == "error"] == [
        ("duplicate-key", "error")
    ]


CASE = """\
id: c1
id: c2
title: t
level: 1
leading_cause: nope_cause
story: !!python/object:os.system x
findings:
  yes: true
  on: false
  tingling: !!python/object:x y
  age: old
expect:
  top: [ischemia]
  red_flags: [nope_flag]
note: n
"""


def test_every_problem_of_a_case_file_is_listed_in_one_lint(tmp_path: Path) -> None:
    pack = write(tmp_path / "pack", {"pack.yaml": OVERLAY, "cases/c1.yaml": CASE})
    matches, code = lint(pack)
    assert code == 2
    assert errors_in(matches, "c1.yaml") == [
        (2, "duplicate-key"),
        (5, "case-unknown-id"),
        (6, "yaml-syntax"),
        (8, "case-finding"),
        (9, "case-finding"),
        (10, "yaml-syntax"),
        (11, "case-finding"),
        (14, "case-unknown-id"),
    ]
    messages = [m["rest"] for m in matches]
    assert "finding 'yes': unknown finding" in messages
    assert "finding 'on': unknown finding" in messages
    assert not any("True" in message for message in messages)


def test_a_case_with_a_schema_error_still_has_its_ids_checked(tmp_path: Path) -> None:
    case = CASE.replace("level: 1", "level: 9").replace("note: n\n", "")
    case = case.replace("id: c2\n", "").replace("story: !!python/object:os.system x", "story: s")
    pack = write(tmp_path / "pack", {"pack.yaml": OVERLAY, "cases/c1.yaml": case})
    matches, code = lint(pack)
    assert code == 2
    checks = [check for _, check in errors_in(matches, "c1.yaml")]
    assert checks.count("case-schema") == 2  # level, note
    assert checks.count("case-unknown-id") == 2
    assert checks.count("case-finding") == 3


# --- item 9: YAML 1.1 boolean keys are their text -----------------------------------------


def test_boolean_keys_are_their_text_and_not_duplicates(tmp_path: Path) -> None:
    pack = write(
        tmp_path / "pack",
        {
            "pack.yaml": OVERLAY,
            "causes/ischemia.yaml": "id: ischemia\nrules:\n  - id: ischemia.x\n"
            "    when: tingling\n    lr: 2\n    yes: 1\n    on: 2\n    Y: 3\n",
        },
    )
    matches, code = lint(pack)
    assert code == 2
    assert [m["rest"] for m in matches if m["severity"] == "error"] == [
        "rules.0.yes: unknown field",
        "rules.0.on: unknown field",
        "rules.0.Y: unknown field",
    ]


@pytest.mark.parametrize("key", ["yes", "no", "on", "off", "y", "N", "true", "null", "~"])
def test_an_intake_finding_key_is_named_as_written(tmp_path: Path, key: str) -> None:
    intake = tmp_path / "a.yaml"
    intake.write_text(f"findings:\n  {key}: true\n  tingling: true\n")
    before = snapshot(tmp_path)
    result = run("score", str(intake), "-f", "jsonl")
    assert result.exit_code == 1
    [record] = records_of(result.stdout)
    assert record["errors"] == [
        {"line": 2, "field": f"finding '{key}'", "message": "unknown finding", "hint": None}
    ]
    assert snapshot(tmp_path) == before


def test_merge_keys_still_merge() -> None:
    document = load_marked("base: &b {tingling: true}\nfindings:\n  <<: *b\n  numbness: false\n")
    assert document["findings"] == {"tingling": True, "numbness": False}


# --- callers that refuse a file with any problem, exactly as before ------------------------


def records_of(output: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    for record in records:
        if "errors" in record:
            ErrorRecord.model_validate(record)
        else:
            SourcedAssessment.model_validate(record)
    return records


HOSTILE_INTAKES = {
    "duplicate": ("findings:\n  tingling: true\n  tingling: false\n", 3, "duplicate key"),
    "bool-duplicate": ("findings:\n  yes: true\n  yes: false\n", 3, "duplicate key 'yes'"),
    "tag": ("findings:\n  tingling: !!python/object:os.system x\n", 2, "python/object"),
    "tag-then-duplicate": (
        "id: a\nid: b\nfindings:\n  tingling: !!python/object x\n  tingling: true\n",
        2,
        "duplicate key 'id'",
    ),
    "long number": ("findings:\n  age: " + "9" * 2000 + "\n", 2, "2000 digits"),
}


def test_an_intake_with_yaml_problems_is_still_one_error_record(tmp_path: Path) -> None:
    names = []
    for number, (name, (text, _, _)) in enumerate(HOSTILE_INTAKES.items()):
        (tmp_path / f"{number}-a.yaml").write_text("findings:\n  tingling: true\n")
        (tmp_path / f"{number}-b.yaml").write_text(text)
        names += ["good", name]
    before = snapshot(tmp_path)
    result = run("score", str(tmp_path), "-f", "jsonl")
    assert result.exit_code == 1
    records = records_of(result.stdout)
    assert len(records) == len(names)
    for name, record in zip(names, records, strict=True):
        if name == "good":
            assert "errors" not in record
            continue
        _, line, words = HOSTILE_INTAKES[name]
        [error] = record["errors"]
        assert error["line"] == line, record
        assert words in error["message"], record
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", list(HOSTILE_INTAKES))
def test_a_single_intake_with_yaml_problems_is_refused(tmp_path: Path, name: str) -> None:
    text, line, words = HOSTILE_INTAKES[name]
    intake = tmp_path / "a.yaml"
    intake.write_text(text)
    before = snapshot(tmp_path)
    result = run("score", str(intake))
    assert result.exit_code == 2
    assert f"{intake}:{line}: yaml: " in result.stderr
    assert words in result.stderr
    assert snapshot(tmp_path) == before


def test_load_marked_raises_the_first_problem_load_marked_all_lists_them() -> None:
    text = "a: 1\na: 2\nb: !!python/object x\nc: [1, !!python/name:x '']\nd: !!float z\n"
    document, problems = load_marked_all(text)
    assert document == {"a": 1, "b": None, "c": [1, None], "d": None}
    assert [(p.line, p.duplicate) for p in problems] == [
        (2, True),
        (3, False),
        (4, False),
        (5, False),
    ]
    with pytest.raises(YamlSyntaxError) as raised:
        load_marked(text)
    assert (raised.value.line, raised.value.message) == (2, "duplicate key 'a'")


def test_a_file_that_does_not_parse_is_still_one_error() -> None:
    with pytest.raises(YamlSyntaxError):
        load_marked_all("a: [1, 2\nb: 3\n")


# --- the column map ------------------------------------------------------------------------


def test_a_column_map_reads_unquoted_answer_words_as_written(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,Tingles\nr1,Yes\nr2,No\nr3,On\n")
    (tmp_path / "map.yaml").write_text(
        "columns:\n  Tingles: tingling\nanswers:\n  Yes: true\n  No: false\n  On: true\n"
    )
    before = snapshot(tmp_path)
    result = run(
        "score", str(tmp_path / "in.csv"), "--map", str(tmp_path / "map.yaml"), "-f", "jsonl"
    )
    assert result.exit_code == 0, result.stderr
    records = records_of(result.stdout)
    assert len(records) == 3
    assert all("errors" not in record for record in records)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "text",
    [
        "columns:\n  Tingles: tingling\n  Tingles: numbness\n",
        "columns:\n  Tingles: !!python/object x\n",
        "answers:\n  yes: true\n  yes: false\n",
    ],
)
def test_a_column_map_with_a_yaml_problem_is_still_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "in.csv").write_text("id,Tingles\nr1,Yes\n")
    (tmp_path / "map.yaml").write_text(text)
    before = snapshot(tmp_path)
    result = run("score", str(tmp_path / "in.csv"), "--map", str(tmp_path / "map.yaml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'map.yaml'}:" in result.stderr
    assert result.stdout == ""
    assert snapshot(tmp_path) == before
