"""Safe YAML loading that remembers where every mapping key and list item stood.

Rule authors and intake writers need errors that name a line. Every YAML file is parsed by
libyaml (PyYAML's C parser) when PyYAML was built with it, and by PyYAML's pure-Python parser
otherwise; both give the same values with the same positions and the same problems (a test
reads every YAML file of the repository both ways), and only the text of a syntax error that
stops the parse differs. Duplicate keys, which PyYAML would silently collapse, are rejected.

A problem with one value (a duplicate key, a tag such as `!!python/object`, a number too long)
does not stop the reading: `load_marked_all` collects each one, located, and goes on (the later
value of a duplicate key is ignored, a value that cannot be built is None), so that `rules lint`
lists them with every other problem of the file. `load_marked` raises the first of them: a file
with any is still refused. A file that does not parse at all is one YamlSyntaxError.

The loader is also the guard against hostile files, for intakes, column maps and packs alike:
aliases may add at most ALIAS_BUDGET values to what the file spells out (a 13-line "billion
laughs" would otherwise expand to a billion), nesting is capped at MAX_DEPTH, a number of more
than MAX_DIGITS digits is refused, and a UTF-8 byte-order mark is ignored. Each is a located
YamlSyntaxError, never an exception from deep inside PyYAML.

PyYAML is imported only when a YAML text is read (nmt_assess._marked_loader): the values,
their positions and the errors live here, for readers that never see YAML.

Plain scalars are kept as written beside their YAML 1.1 value (`plain_texts`, `key_texts`): an
id `0123`, `12:30` or `yes` is text to the user, not 83, 750 or true. A mapping key that is a
plain scalar is its text as written (`yes:` is the key 'yes', `on:` beside it is another key):
keys name things (findings, rules, columns, answer words). Timestamps are not converted: a date
is checked by whoever reads it, as ISO text.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

#: How many values aliases may add to those the file spells out.
ALIAS_BUDGET = 10_000
#: How deep mappings and lists may nest (a pack's conditions stay well under 20).
MAX_DEPTH = 100
#: The longest integer read; Python itself refuses to convert more than 4,300 digits.
MAX_DIGITS = 1_000


class MarkedDict(dict[Any, Any]):
    """A mapping that knows its own line and the line and column of each key (1-based)."""

    line: int = 0
    col: int = 0
    key_lines: dict[Hashable, int]
    key_cols: dict[Hashable, int]
    #: The text of each key, and of each value, that is a plain (unquoted) scalar, as written.
    key_texts: dict[Hashable, str]
    plain_texts: dict[Hashable, str]


class MarkedList(list[Any]):
    """A list that knows its own line and the line and column of each item (1-based)."""

    line: int = 0
    col: int = 0
    item_lines: list[int]
    item_cols: list[int]


class YamlSyntaxError(ValueError):
    """A file that is not valid YAML, with the parser's 1-based line and column."""

    def __init__(
        self, message: str, line: int | None, col: int | None = None, duplicate: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.duplicate = duplicate


def load_marked(text: str) -> Any:
    """Parse one YAML document into MarkedDict / MarkedList values; the first problem of the
    file, if any, is raised as a YamlSyntaxError."""
    document, problems = load_marked_all(text)
    if problems:
        raise problems[0]
    return document


def load_marked_all(text: str, *, libyaml: bool = True) -> tuple[Any, list[YamlSyntaxError]]:
    """One YAML document, and every problem with a value of it, located, in file order (the
    later value of a duplicate key left out, a value that cannot be built None). A file that
    does not parse, or breaks a limit of the whole (aliases, depth), raises YamlSyntaxError.
    `libyaml=False` parses in Python even where libyaml is present (the tests compare both)."""
    from nmt_assess._marked_loader import read

    return read(text, libyaml=libyaml)


def position_of(data: Any, path: Sequence[Hashable]) -> tuple[int | None, int | None]:
    """Line and column of the deepest node along `path` that carries a mark."""
    line: int | None = getattr(data, "line", None)
    col: int | None = getattr(data, "col", None)
    node = data
    for step in path:
        if isinstance(node, MarkedDict) and step in node:
            line, col = node.key_lines.get(step, line), node.key_cols.get(step, col)
            node = node[step]
        elif isinstance(node, MarkedList) and isinstance(step, int) and 0 <= step < len(node):
            line, col = node.item_lines[step], node.item_cols[step]
            node = node[step]
        elif isinstance(node, MarkedDict):
            continue  # a step of the model's (a union tag) that the file does not have
        else:
            break
    return line, col
