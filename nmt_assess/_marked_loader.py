"""The located YAML loader behind nmt_assess.marked_yaml (which see): PyYAML's parser (libyaml
when present, else PyYAML's own) with a constructor that records where every mapping key and
list item stood, rejects duplicate keys and over-long numbers, and checks the shape of the
document (aliases, depth) before building it. Imported only when a YAML text is read."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from nmt_assess.marked_yaml import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    MAX_DIGITS,
    MarkedDict,
    MarkedList,
    YamlSyntaxError,
)

#: Whether libyaml parses (PyYAML built without it parses in Python, some ten times slower).
HAS_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


#: PyYAML's stubs type the constructor registry and the resolver loosely: the loaders here are
#: typed as Any, as the base they extend.
_SafeLoader: Any = yaml.SafeLoader


class _Marking(_SafeLoader):  # type: ignore[misc]
    """The marking constructor and key resolver, over whichever parser a subclass brings: the
    subclasses put theirs first in the method order (C or Python), and take everything else
    from here. Built on SafeLoader for the types only: no method of a parser is defined here."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        #: the problems found while building values, in file order
        self.problems: list[YamlSyntaxError] = []
        #: for each node being composed, whether it is a mapping key
        self._is_key: list[bool] = []
        #: False when the text has no `*`, so no node can be an alias of another
        self.aliases_possible = True

    # --- keys as written ------------------------------------------------------------------

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        # the composer gives a mapping key the index None (a value gets its key node); no path
        # resolvers are ever added, so BaseResolver's own bookkeeping is not needed
        self._is_key.append(current_index is None and type(current_node) is yaml.MappingNode)

    def ascend_resolver(self) -> None:
        if self._is_key:
            self._is_key.pop()

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and self._is_key and self._is_key[-1]:
            return _MERGE_TAG if value == "<<" else _STR_TAG  # `<<` still merges
        tag: str = super().resolve(kind, value, implicit)
        return tag

    # --- values: a problem is collected, and the value is None ----------------------------

    def construct_document(self, node: yaml.Node) -> Any:
        if self.aliases_possible:
            _check_shape(node)
        else:
            _check_depth(node)
        # deep: every value is built inside construct_object, where its problems are caught
        data = self.construct_object(node, deep=True)
        self.constructed_objects.clear()
        self.recursive_objects.clear()
        self.deep_construct = False
        return data

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag == _STR_TAG and type(node) is yaml.ScalarNode:
            return node.value  # what construct_yaml_str gives, without its dispatch
        if node in self.constructed_objects:
            return self.constructed_objects[node]
        old_deep = self.deep_construct
        try:
            return super().construct_object(node, deep=deep)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark or node.start_mark
            message = error.problem or error.context or "invalid YAML"
            self._collect(message, mark, duplicate=isinstance(error, DuplicateKeyError))
        except (ValueError, TypeError, OverflowError) as error:  # such as `!!float abc`
            self._collect(f"cannot read {_short(node)} ({type(error).__name__})", node.start_mark)
        self.recursive_objects.pop(node, None)
        self.deep_construct = old_deep
        self.constructed_objects[node] = None  # an alias to it is None too, reported once
        return None

    def _collect(self, message: str, mark: Any, duplicate: bool = False) -> None:
        self.problems.append(
            YamlSyntaxError(_one_line(message), mark.line + 1, mark.column + 1, duplicate)
        )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> MarkedDict:
        self.flatten_mapping(node)
        mapping = MarkedDict()
        mapping.line = node.start_mark.line + 1
        mapping.col = node.start_mark.column + 1
        mapping.key_lines = {}
        mapping.key_cols = {}
        mapping.key_texts = {}
        mapping.plain_texts = {}
        for key_node, value_node in node.value:
            found = len(self.problems)
            key = self.construct_object(key_node, deep=True)
            if len(self.problems) > found:
                continue  # a key that cannot be built: reported, the pair is left out
            if not isinstance(key, Hashable):
                self._collect("a mapping key must be a plain value", key_node.start_mark)
                continue
            if key in mapping:
                self._collect(f"duplicate key '{key}'", key_node.start_mark, duplicate=True)
                self.construct_object(value_node, deep=True)  # its own problems; then ignored
                continue
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
            mapping.key_cols[key] = key_node.start_mark.column + 1
            if _is_plain(key_node):
                mapping.key_texts[key] = key_node.value
            if _is_plain(value_node):
                mapping.plain_texts[key] = value_node.value
        return mapping

    def construct_bounded_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(ch.isalnum() for ch in node.value)
        if digits > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {digits} digits (at most {MAX_DIGITS})", node.start_mark
            )
        value: int = super().construct_yaml_int(node)
        return value

    def construct_marked_sequence(self, node: yaml.SequenceNode) -> MarkedList:
        items = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.col = node.start_mark.column + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        items.item_cols = [child.start_mark.column + 1 for child in node.value]
        return items


_Marking.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Marking.construct_mapping)
_Marking.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Marking.construct_marked_sequence
)
_Marking.add_constructor("tag:yaml.org,2002:int", _Marking.construct_bounded_int)
_Marking.add_constructor("tag:yaml.org,2002:timestamp", _Marking.construct_yaml_str)


class _PythonMarkingLoader(_Marking):
    """PyYAML's pure-Python reader, scanner, parser and composer (SafeLoader's own)."""


_LOADERS: dict[bool, type[_Marking]] = {False: _PythonMarkingLoader}
if HAS_LIBYAML:
    from yaml._yaml import CParser

    class _CMarkingLoader(CParser, _Marking):
        """libyaml parses and composes; construction and key resolution are _Marking's."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.problems = []
            self._is_key = []
            self.aliases_possible = True

    _LOADERS[True] = _CMarkingLoader


def _is_plain(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and not node.style  # plain: None, or "" from libyaml


def _check_shape(root: yaml.Node) -> None:
    """Refuse, before anything is built, a document whose aliases expand beyond ALIAS_BUDGET
    values, that refers to itself, or that nests deeper than MAX_DEPTH. One pass over the
    node graph, each node once: the expanded size is counted, never built."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    reused: yaml.Node | None = None
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            depth = 1 + max((depths[id(child)] for child in children), default=0)
            if depth > MAX_DEPTH:
                raise yaml.constructor.ConstructorError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", node.start_mark
                )
            depths[id(node)] = depth
            continue
        if id(node) in sizes:
            reused = reused or node
            continue
        if id(node) in open_nodes:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to a value that contains it", node.start_mark
            )
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise yaml.constructor.ConstructorError(
                    None, None, "an alias refers to a value that contains it", child.start_mark
                )
            if id(child) in sizes:
                reused = reused or child
            else:
                stack.append((child, False))
        if len(open_nodes) > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", node.start_mark
            )
    if reused is not None and sizes[id(root)] > len(sizes) + ALIAS_BUDGET:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"aliases expand to more than {ALIAS_BUDGET} extra values (write the values out)",
            reused.start_mark,
        )


def _check_depth(root: yaml.Node) -> None:
    """_check_shape for a document without aliases (a tree): the same error at the same node
    (the first, in the same walk, nested more than MAX_DEPTH deep), in a quarter of the time."""
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", node.start_mark
            )
        kind = type(node)
        if kind is mapping:
            for key, value in node.value:
                push((key, depth + 1))
                push((value, depth + 1))
        elif kind is sequence:
            stack.extend([(child, depth + 1) for child in node.value])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def read(text: str, *, libyaml: bool = True) -> tuple[Any, list[YamlSyntaxError]]:
    """marked_yaml.load_marked_all, which see."""
    loader = _LOADERS[libyaml and HAS_LIBYAML](text.removeprefix("\ufeff"))
    loader.aliases_possible = "*" in text
    try:
        return loader.get_single_data(), loader.problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = _one_line(error.problem or error.context or "invalid YAML")
        raise YamlSyntaxError(
            message,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            duplicate=isinstance(error, DuplicateKeyError),
        ) from None
    except yaml.YAMLError as error:  # a ReaderError (a control character): a position, no mark
        position = getattr(error, "position", None)
        line = None if position is None else text.count("\n", 0, position) + 1
        raise YamlSyntaxError(_one_line(str(error).splitlines()[0]), line) from None
    except (ValueError, RecursionError, MemoryError) as error:  # from a constructor, unlocated
        raise YamlSyntaxError(f"cannot be read ({type(error).__name__})", None) from None
    finally:
        loader.dispose()


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _short(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else "a value"
    tag = node.tag.removeprefix("tag:yaml.org,2002:")
    text = repr(value) if isinstance(node, yaml.ScalarNode) else value
    return f"{text if len(text) <= 40 else text[:37] + '...'} as {tag}"
