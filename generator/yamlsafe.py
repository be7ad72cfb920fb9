"""Safe YAML reading with a line for every JSON pointer.

Only plain data comes out (no object construction). Keys are strings, so `200:` and `"200":` are the same
response code. Dates stay strings, so examples keep their JSON meaning. Duplicate keys and recursive aliases
are errors, and alias expansion is bounded so a "billion laughs" document is refused instead of swallowed.
"""

from __future__ import annotations

import functools
import json
import pickle
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.diagnostics import join_pointer, split_pointer

# Expansion budget: the document's own node count times this, plus a floor for small files.
EXPANSION_FACTOR = 10
EXPANSION_FLOOR = 100_000

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlProblem(Exception):
    """A YAML document that cannot be used, located by line and JSON pointer."""

    code: str
    message: str
    line: int | None
    pointer: str = ""


@dataclass
class YamlDocument:
    data: Any
    root: Node | None  # the composed node tree, kept to find lines only when a problem needs one
    text: str | None = None  # a JSON source, composed into `root` only when a line is asked for

    def line_of(self, pointer: str) -> int | None:
        """Line of the node at pointer, or of its nearest ancestor that exists in the source."""
        if self.root is None and self.text is not None:
            loader = _Loader(self.text)
            try:
                self.root = loader.get_single_node()
            finally:
                loader.dispose()
            self.text = None
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for token in split_pointer(pointer):
            child: Node | None = None
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value == token:
                        line, child = key.start_mark.line + 1, value
                        break
            elif isinstance(node, SequenceNode) and token.isdigit() and int(token) < len(node.value):
                child = node.value[int(token)]
                line = child.start_mark.line + 1
            if child is None:
                return line
            node = child
        return line


def load_yaml(text: str) -> YamlDocument:
    if text.lstrip()[:1] in ("{", "["):
        document = _load_json(text)
        if document is not None:
            return document
    data, root = _load_yaml_once(text)
    return YamlDocument(pickle.loads(data), root)  # a fresh copy: callers may change what they read


# A review reads each spec at two commits and a generation reads each shared file once per version, mostly
# the same text: parse each text once per process (the node tree is only read, to find lines).
@functools.lru_cache(maxsize=32)
def _load_yaml_once(text: str) -> tuple[bytes, Node | None]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem("yaml-syntax", _tab_hint(text, mark) or _yaml_message(exc), line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml-syntax", str(exc).strip(), None) from None
    finally:
        loader.dispose()
    if node is None:
        return pickle.dumps(None), None
    data = _Builder(loader, _count_distinct(node)).build(node)
    return pickle.dumps(data, pickle.HIGHEST_PROTOCOL), node


def _load_json(text: str) -> YamlDocument | None:
    """JSON (a subset of YAML) read by the C parser: the same data, many times faster on large documents.

    None when the text is not strict JSON, so the YAML reader takes it and reports any problem itself.
    """

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            raise _NotJson  # duplicate keys: the YAML reader locates and reports them
        return result

    def constant(name: str) -> Any:
        raise _NotJson  # NaN and Infinity are not JSON values

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, _NotJson):
        return None
    return YamlDocument(data, None, text)


class _NotJson(Exception):
    pass


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "; ".join(parts) or "invalid YAML"


def _tab_hint(text: str, mark: Any) -> str | None:
    """PyYAML reports a tab as "a character that cannot start any token"; say what it is."""
    if mark is None:
        return None
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" not in line[: mark.column + 1]:
        return None
    return (
        f"a tab character at column {line.index(chr(9)) + 1}: YAML indents with spaces only "
        "(replace the tab with spaces)"
    )


def _count_distinct(root: Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return len(seen)


_JSON_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null")}
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def _unsupported_tag(node: Node, pointer: str) -> YamlProblem:
    return YamlProblem(
        "yaml-unsupported-tag",
        f"tag {node.tag!r} is not plain data; only JSON-compatible values are allowed",
        node.start_mark.line + 1,
        pointer,
    )


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, distinct_nodes: int) -> None:
        self.constructor = loader
        self.budget = max(EXPANSION_FLOOR, distinct_nodes * EXPANSION_FACTOR)
        self.limit = self.budget
        self.active: set[int] = set()
        self.path: list[str | int] = []  # where the builder is; joined into a pointer only for a problem

    def pointer(self) -> str:
        return join_pointer("", *self.path)

    def build(self, node: Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlProblem(
                "yaml-alias-bomb",
                f"alias expansion exceeds {self.limit} nodes; refusing the document (YAML bomb?)",
                node.start_mark.line + 1,
                self.pointer(),
            )
        if isinstance(node, ScalarNode):
            if node.tag.endswith(":str"):
                return node.value
            return self._scalar(node)
        if id(node) in self.active:
            raise YamlProblem(
                "yaml-recursive-alias",
                "alias refers to a node that contains it",
                node.start_mark.line + 1,
                self.pointer(),
            )
        if node.tag not in _COLLECTION_TAGS:
            raise _unsupported_tag(node, self.pointer())
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    self.path.append(i)
                    items.append(self.build(item))
                    self.path.pop()
                return items
            assert isinstance(node, MappingNode)
            return self._mapping(node)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        if node.tag not in _JSON_SCALAR_TAGS:
            raise _unsupported_tag(node, self.pointer())
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode) -> dict[str, Any]:
        self.constructor.flatten_mapping(node)  # resolves `<<` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem(
                    "yaml-complex-key",
                    "mapping keys must be plain scalars",
                    key_node.start_mark.line + 1,
                    self.pointer(),
                )
            key = key_node.value
            self.path.append(key)
            if key in result:
                raise YamlProblem(
                    "yaml-duplicate-key",
                    f"duplicate key {key!r}",
                    key_node.start_mark.line + 1,
                    self.pointer(),
                )
            result[key] = self.build(value_node)
            self.path.pop()
        return result
