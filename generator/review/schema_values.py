"""How the schema comparison names types and values, and which type sets contain others."""

from __future__ import annotations

from typing import Any

from generator.review.effective import Schema, canonical


def is_reordered(before: list[str], after: list[str]) -> bool:
    """True when the entries both lists have appear in another order."""
    common = set(before) & set(after)
    return [x for x in before if x in common] != [x for x in after if x in common]


def absent(value: Any) -> bool:
    return value is None or value is False


def names(types: frozenset[str] | None) -> str:
    return "/".join(sorted(types)) if types else "any"


def values(found: Any) -> str:
    return ", ".join(canonical(v) for v in found) if isinstance(found, list) else show(found)


def show(value: Any) -> str:
    return "none" if value is None else canonical(value)


def widens(before: frozenset[str], after: frozenset[str]) -> bool:
    """Whether every value of the `before` types is a value of the `after` types (integers are numbers)."""
    return all(t in after or (t == "integer" and "number" in after) for t in before)


def enum_of(schema: Schema) -> Any:
    if "enum" in schema.keywords:
        return schema.value("enum")
    if "const" in schema.keywords:
        return [schema.value("const")]
    return None
