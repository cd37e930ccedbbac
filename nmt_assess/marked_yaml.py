"""Safe YAML loading that remembers where every mapping key and list item stood.

Rule authors and intake writers need errors that name a line. The C loader is used when
libyaml is present; duplicate keys, which PyYAML would silently collapse, are rejected.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import yaml

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class MarkedDict(dict[Any, Any]):
    """A mapping that knows its own line and the line and column of each key (1-based)."""

    line: int = 0
    col: int = 0
    key_lines: dict[Hashable, int]
    key_cols: dict[Hashable, int]


class MarkedList(list[Any]):
    """A list that knows its own line and the line and column of each item (1-based)."""

    line: int = 0
    col: int = 0
    item_lines: list[int]
    item_cols: list[int]


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _MarkingLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> MarkedDict:
        self.flatten_mapping(node)
        mapping = MarkedDict()
        mapping.line = node.start_mark.line + 1
        mapping.col = node.start_mark.column + 1
        mapping.key_lines = {}
        mapping.key_cols = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in mapping:
                raise DuplicateKeyError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
            mapping.key_cols[key] = key_node.start_mark.column + 1
        return mapping

    def construct_marked_sequence(self, node: yaml.SequenceNode) -> MarkedList:
        items = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.col = node.start_mark.column + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        items.item_cols = [child.start_mark.column + 1 for child in node.value]
        return items


_MarkingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _MarkingLoader.construct_mapping
)
_MarkingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _MarkingLoader.construct_marked_sequence
)


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
    """Parse one YAML document into MarkedDict / MarkedList values."""
    try:
        return yaml.load(text, Loader=_MarkingLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "invalid YAML"
        raise YamlSyntaxError(
            message,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            duplicate=isinstance(error, DuplicateKeyError),
        ) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(str(error), None) from None


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
