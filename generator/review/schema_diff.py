"""Compares two schemas in the direction they are used.

In a request the client writes the value: a schema that accepts less (tightened) breaks clients, one that
accepts more does not. In a response the client reads the value: a schema that allows more (a new enum value,
null, a missing property) breaks clients, one that allows less does not. Rule ids that differ by direction
are spelled `<direction>-<event>` in the policy table; this module builds them from the direction.
"""

from __future__ import annotations

from typing import Any

from generator.review.effective import LOWER_BOUNDS, UPPER_BOUNDS, Doc, Part, Schema, canonical
from generator.review.recorder import Recorder, Side


class SchemaDiff:
    """Compares the schemas of one operation in one direction; each pair of definitions is visited once, so
    recursive schemas end and a schema used twice is reported once."""

    def __init__(self, base: Doc, head: Doc, recorder: Recorder, operation: tuple[str, str], direction: str):
        self.base = base
        self.head = head
        self.recorder = recorder
        self.operation = operation
        self.direction = direction
        self.visited: set[tuple[str, str]] = set()

    def compare(self, base: list[Part], head: list[Part], where: str) -> None:
        self._compare(self.base.schema(base), self.head.schema(head), where)

    # Reporting.

    def _emit(self, rule_id: str, location: str, message: str, side: Side = "head") -> None:
        self.recorder.add(
            rule_id,
            operation=self.operation,
            location=location,
            side=side,
            message=message,
            direction=self.direction,
        )

    def _tightened(self, location: str, message: str) -> None:
        self._emit(f"{self.direction}-constraint-tightened", location, message)

    def _loosened(self, location: str, message: str) -> None:
        self._emit(f"{self.direction}-constraint-loosened", location, message)

    def _changed(self, location: str, message: str) -> None:
        """A constraint that is neither tighter nor looser (another pattern): breaking in both directions."""
        if self.direction == "request":
            self._tightened(location, message)
        else:
            self._loosened(location, message)

    # Comparison.

    def _compare(self, b: Schema, h: Schema, where: str) -> None:
        if (b.pointer, h.pointer) in self.visited:
            return
        self.visited.add((b.pointer, h.pointer))
        self._types(b, h, where)
        self._nullable(b, h, where)
        self._enum(b, h, where)
        self._bounds(b, h, where)
        self._simple(b, h, where)
        if self.direction == "request":
            self._default(b, h, where)
        self._properties(b, h, where)
        self._items(b, h, where)
        self._additional(b, h, where)
        for kind in ("oneOf", "anyOf"):
            self._alternatives(kind, b, h, where)

    def _types(self, b: Schema, h: Schema, where: str) -> None:
        location = h.where("type") if "type" in h.keywords else h.pointer
        if b.types != h.types:
            if b.types is None:
                self._tightened(location, f"{where}: type {_names(h.types)} required (was any)")
            elif h.types is None:
                self._loosened(location, f"{where}: type {_names(b.types)} no longer required")
            else:
                self._emit("type-changed", location, f"{where}: type {_names(b.types)} → {_names(h.types)}")
        bf, hf = b.value("format"), h.value("format")
        if bf == hf:
            return
        if bf is None:
            self._tightened(h.where("format"), f"{where}: format {hf} added")
        elif hf is None:
            self._loosened(h.pointer, f"{where}: format {bf} removed")
        else:
            self._emit("type-changed", h.where("format"), f"{where}: format {bf} → {hf}")

    def _nullable(self, b: Schema, h: Schema, where: str) -> None:
        if b.nullable and not h.nullable:
            self._emit(f"{self.direction}-nullable-removed", h.pointer, f"{where}: no longer nullable")
        elif h.nullable and not b.nullable:
            self._emit(f"{self.direction}-nullable-added", h.pointer, f"{where}: now nullable")

    def _enum(self, b: Schema, h: Schema, where: str) -> None:
        before, after = b.value("enum"), h.value("enum")
        if not isinstance(before, list) and not isinstance(after, list):
            return
        location = h.where("enum")
        if not isinstance(before, list):
            self._tightened(location, f"{where}: values limited to {_values(after)}")
            return
        if not isinstance(after, list):
            self._loosened(location, f"{where}: enum {_values(before)} removed, any value allowed")
            return
        old, new = {canonical(v) for v in before}, {canonical(v) for v in after}
        removed = [v for v in before if canonical(v) not in new]
        added = [v for v in after if canonical(v) not in old]
        if removed:
            self._emit(
                f"{self.direction}-enum-value-removed",
                location,
                f"{where}: enum value(s) {_values(removed)} removed",
            )
        if added:
            self._emit(
                f"{self.direction}-enum-value-added",
                location,
                f"{where}: enum value(s) {_values(added)} added",
            )
        if is_reordered([canonical(v) for v in before], [canonical(v) for v in after]):
            self._emit("reordered", location, f"{where}: enum values reordered")

    def _bounds(self, b: Schema, h: Schema, where: str) -> None:
        for key in (*LOWER_BOUNDS, *UPPER_BOUNDS):
            before, after = b.value(key), h.value(key)
            if before == after:
                continue
            change = f"{where}: {key} {_show(before)} → {_show(after)}"
            if after is None:
                self._loosened(h.pointer, change)
            elif before is None or (after > before if key in LOWER_BOUNDS else after < before):
                self._tightened(h.where(key), change)
            else:
                self._loosened(h.where(key), change)

    def _simple(self, b: Schema, h: Schema, where: str) -> None:
        for key in ("exclusiveMinimum", "exclusiveMaximum", "uniqueItems", "pattern", "multipleOf"):
            before, after = b.value(key), h.value(key)
            if before == after or (_absent(before) and _absent(after)):
                continue
            change = f"{where}: {key} {_show(before)} → {_show(after)}"
            if _absent(before):
                self._tightened(h.where(key), change)
            elif _absent(after):
                self._loosened(h.pointer, change)
            elif isinstance(before, bool) or isinstance(after, bool) or key in ("pattern", "multipleOf"):
                self._changed(h.where(key), change)
            else:  # OpenAPI 3.1 numeric exclusive bounds
                lower = key == "exclusiveMinimum"
                tighter = after > before if lower else after < before
                (self._tightened if tighter else self._loosened)(h.where(key), change)

    def _default(self, b: Schema, h: Schema, where: str) -> None:
        if "default" not in b.keywords and "default" not in h.keywords:
            return
        before, after = b.value("default"), h.value("default")
        if "default" not in b.keywords:
            self._emit("default-added", h.where("default"), f"{where}: default {_show(after)} added")
        elif "default" not in h.keywords:
            self._emit("default-changed", h.pointer, f"{where}: default {_show(before)} removed")
        elif canonical(before) != canonical(after):
            self._emit(
                "default-changed", h.where("default"), f"{where}: default {_show(before)} → {_show(after)}"
            )

    def _properties(self, b: Schema, h: Schema, where: str) -> None:
        before = self._visible(self.base, b)
        after = self._visible(self.head, h)
        d = self.direction
        for name in before:
            if name not in after:
                self._emit(
                    f"{d}-property-removed",
                    b.properties[name][0][1],
                    f"{where}.{name}: property removed",
                    "base",
                )
        for name, schema in after.items():
            location = h.properties[name][0][1]
            if name not in before:
                if d == "response":
                    self._emit("response-property-added", location, f"{where}.{name}: property added")
                elif name in h.required and "default" not in schema.keywords:
                    self._emit(
                        "request-required-property-added",
                        location,
                        f"{where}.{name}: required property added",
                    )
                else:
                    kind = "required property with a default" if name in h.required else "optional property"
                    self._emit("request-property-added", location, f"{where}.{name}: {kind} added")
                continue
            if name in h.required and name not in b.required:
                self._emit(f"{d}-property-became-required", location, f"{where}.{name}: now required")
            elif name in b.required and name not in h.required:
                self._emit(f"{d}-property-became-optional", location, f"{where}.{name}: no longer required")
            self._compare(before[name], schema, f"{where}.{name}")
        if is_reordered(list(before), list(after)):
            self._emit("reordered", h.pointer, f"{where}: properties reordered")

    def _visible(self, doc: Doc, schema: Schema) -> dict[str, Schema]:
        """Properties that travel in this direction: readOnly are never sent, writeOnly never returned."""
        visible = {}
        for name, parts in schema.properties.items():
            prop = doc.schema(parts)
            if not (prop.read_only if self.direction == "request" else prop.write_only):
                visible[name] = prop
        return visible

    def _items(self, b: Schema, h: Schema, where: str) -> None:
        if b.items and h.items:
            self._compare(self.base.schema(b.items), self.head.schema(h.items), f"{where}[]")
        elif b.items:
            self._loosened(h.pointer, f"{where}: item schema removed, any item allowed")
        elif h.items:
            self._tightened(h.items[0][1], f"{where}: item schema added")

    def _additional(self, b: Schema, h: Schema, where: str) -> None:
        before, after = b.additional, h.additional
        if isinstance(before, list) and isinstance(after, list):
            self._compare(self.base.schema(before), self.head.schema(after), f"{where}.*")
        elif (before is True and after is not True) or (isinstance(before, list) and after is False):
            self._tightened(h.pointer, f"{where}: additional properties restricted")
        elif (after is True and before is not True) or (before is False and isinstance(after, list)):
            self._loosened(h.pointer, f"{where}: additional properties allowed")

    def _alternatives(self, kind: str, b: Schema, h: Schema, where: str) -> None:
        before, after = b.alternatives.get(kind, []), h.alternatives.get(kind, [])
        if not before and not after:
            return
        if not before:
            self._tightened(after[0][1], f"{where}: {kind} introduced")
            return
        if not after:
            self._loosened(h.pointer, f"{where}: {kind} removed")
            return
        old = [self.base.fingerprint(p) for p in before]
        new = [self.head.fingerprint(p) for p in after]
        gone = [p for p, f in zip(before, old, strict=True) if f not in set(new)]
        came = [p for p, f in zip(after, new, strict=True) if f not in set(old)]
        for i, (was, now) in enumerate(zip(gone, came, strict=False)):
            self.compare([was], [now], f"{where}({kind}[{i}])")
        for was in gone[len(came) :]:
            self._tightened(h.pointer, f"{where}: {kind} alternative {was[1]} removed")
        for now in came[len(gone) :]:
            self._loosened(now[1], f"{where}: {kind} alternative added")


def is_reordered(before: list[str], after: list[str]) -> bool:
    """True when the entries both lists have appear in another order."""
    common = set(before) & set(after)
    return [x for x in before if x in common] != [x for x in after if x in common]


def _absent(value: Any) -> bool:
    return value is None or value is False


def _names(types: frozenset[str] | None) -> str:
    return "/".join(sorted(types)) if types else "any"


def _values(values: Any) -> str:
    return ", ".join(canonical(v) for v in values) if isinstance(values, list) else _show(values)


def _show(value: Any) -> str:
    return "none" if value is None else canonical(value)
