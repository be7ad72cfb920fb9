"""A document seen through its references: nodes found with the pointer where they are written, and schemas
reduced to their effective constraints (references followed, `allOf` members merged).

The review compares these views, never YAML text, so `$ref` versus inline and `allOf` versus one merged
schema are the same contract. Pointers stay real (`/components/schemas/Study/properties/x`), so a reported
location can be opened in the document and named in a waiver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import join_pointer
from generator.refs import Resolver, follow, resolve_pointer

Part = tuple[Any, str]  # a raw node and the pointer where it is written

LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")
# 0 is no lower bound for a length or a count, so `minLength: 0` is the same as none.
ZERO_IS_NONE = ("minLength", "minItems", "minProperties")
OTHER_KEYWORDS = (
    "format",
    "enum",
    "const",
    "default",
    "pattern",
    "multipleOf",
    "uniqueItems",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "readOnly",
    "writeOnly",
)
# Keys that document a schema without constraining a value.
DOCUMENTATION = frozenset(
    {"description", "title", "example", "examples", "externalDocs", "deprecated", "xml"}
)


@dataclass
class Schema:
    """The effective constraints of a schema; `pointer` is where its (first) definition is written."""

    pointer: str
    types: frozenset[str] | None = None
    nullable: bool = False
    keywords: dict[str, Part] = field(default_factory=dict)
    properties: dict[str, list[Part]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: list[Part] = field(default_factory=list)
    additional: bool | list[Part] = True  # additionalProperties: absent is true
    alternatives: dict[str, list[Part]] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        part = self.keywords.get(key)
        return None if part is None else part[0]

    def where(self, key: str) -> str:
        """Pointer of a keyword, or of the schema when the keyword is not written."""
        part = self.keywords.get(key)
        return self.pointer if part is None else part[1]

    @property
    def read_only(self) -> bool:
        return self.value("readOnly") is True

    @property
    def write_only(self) -> bool:
        return self.value("writeOnly") is True


class Doc:
    """One bundled OpenAPI document; internal references only (the loader bundled every other file)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._resolver = Resolver(document)

    def at(self, pointer: str) -> Any:
        try:
            return resolve_pointer(self.document, pointer)
        except (KeyError, ValueError):
            return None

    def deref(self, node: Any, pointer: str) -> Part:
        """The node a reference chain ends at, with its pointer; loops and dangling references stop the chain
        (the loader reports them)."""
        target, where, _ = follow(self.document, node, pointer)
        return target, where

    def schema(self, parts: list[Part]) -> Schema:
        """The effective schema of schemas that all apply (a property defined in two `allOf` members)."""
        first = self.deref(*parts[0])[1] if parts else ""
        merged = Schema(first)
        for raw, pointer in parts:
            node, where = self.deref(raw, pointer)
            self._merge(merged, node, where, {where})
        if merged.types is None and (merged.properties or merged.required or merged.additional is not True):
            merged.types = frozenset({"object"})  # `type: object` left out, as authors commonly do
        elif merged.types is None and merged.items:
            merged.types = frozenset({"array"})
        return merged

    def fingerprint(self, part: Part) -> str:
        """The structure of a schema without its documentation, for matching `oneOf` alternatives."""
        return json.dumps(_strip(self._resolver.inline(part[0])), sort_keys=True, default=str)

    def _merge(self, into: Schema, node: Any, pointer: str, active: set[str]) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            at = join_pointer(pointer, key)
            if key == "allOf" and isinstance(value, list):
                for i, member in enumerate(value):
                    target, where = self.deref(member, join_pointer(at, i))
                    if where not in active:  # an allOf that includes itself adds nothing
                        self._merge(into, target, where, active | {where})
            elif key == "type":
                self._type(into, value)
            elif key == "nullable":
                into.nullable = into.nullable or value is True
            elif key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    into.properties.setdefault(str(name), []).append((sub, join_pointer(at, name)))
            elif key == "required" and isinstance(value, list):
                into.required.update(str(n) for n in value)
            elif key == "items":
                into.items.append((value, at))
            elif key == "additionalProperties":
                _additional(into, value, at)
            elif key in ("oneOf", "anyOf") and isinstance(value, list):
                into.alternatives.setdefault(key, [(m, join_pointer(at, i)) for i, m in enumerate(value)])
            elif key in LOWER_BOUNDS or key in UPPER_BOUNDS:
                _bound(into, key, value, at)
            elif key == "enum" and isinstance(value, list) and "enum" in into.keywords:
                kept = {canonical(v) for v in value}
                into.keywords["enum"] = ([v for v in into.keywords["enum"][0] if canonical(v) in kept], at)
            elif key in OTHER_KEYWORDS:
                into.keywords.setdefault(key, (value, at))

    @staticmethod
    def _type(into: Schema, value: Any) -> None:
        names = (
            {value}
            if isinstance(value, str)
            else {str(v) for v in value}
            if isinstance(value, list)
            else set()
        )
        if "null" in names:
            into.nullable = True
            names.discard("null")
        if not names:
            return
        if into.types is None:
            into.types = frozenset(names)
        elif into.types != names:
            both: set[str] | frozenset[str] = into.types & names
            if not both and {"integer", "number"} <= (into.types | names):
                both = {"integer"}  # integer is the number that satisfies both members
            into.types = frozenset(both or into.types)


def _additional(into: Schema, value: Any, pointer: str) -> None:
    if value is False or into.additional is False:
        into.additional = False
    elif isinstance(value, dict) and value:
        into.additional = [*(into.additional if isinstance(into.additional, list) else []), (value, pointer)]


def _bound(into: Schema, key: str, value: Any, pointer: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if key in ZERO_IS_NONE and value == 0:
        return
    current = into.value(key)
    tighter = current is None or (value > current if key in LOWER_BOUNDS else value < current)
    if tighter:
        into.keywords[key] = (value, pointer)


def canonical(value: Any) -> str:
    """A hashable spelling of a JSON value, equal for equal values."""
    return json.dumps(value, sort_keys=True, default=str)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in DOCUMENTATION and not k.startswith("x-")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node
