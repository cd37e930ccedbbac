"""The located YAML loader gives the same values, positions and problems whether libyaml or
PyYAML's pure-Python parser reads the file (the second is what runs where PyYAML was built
without libyaml): every YAML file of the repository, and hostile documents, read both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nmt_assess import _marked_loader, marked_yaml
from nmt_assess.marked_yaml import (
    MAX_DEPTH,
    MarkedDict,
    MarkedList,
    YamlSyntaxError,
    load_marked_all,
)

ROOT = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(
    path
    for folder in (ROOT / "rules", ROOT / "tests" / "data")
    for path in folder.rglob("*")
    if path.suffix in (".yaml", ".yml") and path.is_file()
)


def marks(value: Any) -> Any:
    """Every position the loader recorded, nested like the value."""
    if isinstance(value, MarkedDict):
        return (
            "map",
            value.line,
            value.col,
            value.key_lines,
            value.key_cols,
            value.key_texts,
            value.plain_texts,
            {key: marks(item) for key, item in value.items()},
        )
    if isinstance(value, MarkedList):
        return (
            "list",
            value.line,
            value.col,
            value.item_lines,
            value.item_cols,
            [marks(item) for item in value],
        )
    return type(value).__name__


def read_both(text: str) -> tuple[Any, Any]:
    results = []
    for libyaml in (True, False):
        try:
            document, problems = load_marked_all(text, libyaml=libyaml)
        except YamlSyntaxError as error:
            results.append(("error", error.line, error.duplicate))
        else:
            found = [(p.message, p.line, p.col, p.duplicate) for p in problems]
            results.append((document, marks(document), found))
    return results[0], results[1]


def test_libyaml_is_what_parses_here() -> None:
    # the parity below compares two parsers only where PyYAML has libyaml
    assert _marked_loader.HAS_LIBYAML
    assert yaml.__with_libyaml__


def test_the_repository_has_yaml_files_of_every_kind() -> None:
    names = {path.relative_to(ROOT).parts[:2] for path in YAML_FILES}
    assert ("rules", "cases") in names
    assert ("rules", "causes") in names
    assert ("tests", "data") in names
    assert len(YAML_FILES) > 100


#: Where PyYAML's two parsers themselves disagree: its Python scanner ends a plain scalar at
#: `?` inside a flow mapping (`{question: A?, ...}`), libyaml does not.
PARSERS_DISAGREE = {"tests/data/packs/mini/findings.yaml": 4}


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_yaml_file_reads_alike_with_both_parsers(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return  # not_utf8.yaml: refused before any parser sees it
    with_libyaml, in_python = read_both(text)
    relative = str(path.relative_to(ROOT))
    if relative in PARSERS_DISAGREE:
        assert with_libyaml[0] != "error"
        assert in_python == ("error", PARSERS_DISAGREE[relative], False)
    else:
        assert with_libyaml == in_python


HOSTILE = {
    "billion laughs": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    ),
    "alias to itself": "findings: &a {x: *a}\n",
    "a few aliases": "base: &b {x: 1, y: [1, 2]}\nother: *b\nmore: {<<: *b, z: 3}\n",
    "nested past the limit": "a: " + "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20) + "\n",
    "mappings past the limit": "a:\n" + "".join(f"{'  ' * i} k{i}:\n" for i in range(1, 130)),
    "nested to the limit": "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n",
    "duplicate keys": "a: 1\nb: 2\na: 3\nc: {d: 1, d: 2}\n",
    "keys as written": "yes: 1\non: 2\n0123: 3\n12:30: 4\n~: 5\n",
    "a tag": "a: !!python/object:os.system x\nb: !!float abc\nc: !!int 7\n",
    "a long number": "a: " + "9" * (marked_yaml.MAX_DIGITS + 1) + "\nb: 2\n",
    "a date": "when: 2024-01-02\n",
    "a byte-order mark": "\ufeffa: [1, 2]\n",
    "not a mapping key": "? [1, 2]\n: x\n",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_yaml_reads_alike_with_both_parsers(name: str) -> None:
    with_libyaml, in_python = read_both(HOSTILE[name])
    assert with_libyaml == in_python


def test_past_the_depth_limit_is_refused_at_the_same_place_both_ways() -> None:
    for libyaml in (True, False):
        with pytest.raises(YamlSyntaxError) as raised:
            load_marked_all(HOSTILE["mappings past the limit"], libyaml=libyaml)
        assert raised.value.message == f"nested more than {MAX_DEPTH} levels deep"
        assert (raised.value.line, raised.value.col) == (101, 202)


@pytest.mark.parametrize(
    "text", [HOSTILE["nested past the limit"], HOSTILE["mappings past the limit"]]
)
def test_the_depth_check_of_a_tree_raises_where_the_full_shape_check_does(text: str) -> None:
    # a document without `*` has no alias: the quicker walk must stop at the same node
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    errors = []
    for check in (_marked_loader._check_shape, _marked_loader._check_depth):
        with pytest.raises(yaml.constructor.ConstructorError) as raised:
            check(node)
        mark = raised.value.problem_mark
        errors.append((raised.value.problem, mark.line, mark.column))
    assert errors[0] == errors[1]


def test_a_syntax_error_is_located_both_ways() -> None:
    for libyaml in (True, False):
        with pytest.raises(YamlSyntaxError) as raised:
            load_marked_all("a: 1\nb: [2\nc: 3\n", libyaml=libyaml)
        assert raised.value.line is not None
        assert "\n" not in raised.value.message
