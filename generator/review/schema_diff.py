"""Compares two schemas in the direction they are used.

In a request the client writes the value: a schema that accepts less (tightened) breaks clients, one that
accepts more does not. In a response the client reads the value: a schema that allows more (a new enum value,
null, a missing property) breaks clients, one that allows less does not. Rule ids that differ by direction
are spelled `<direction>-<event>` in the policy table; this module builds them from the direction.
"""

from __future__ import annotations

import re

from generator.diagnostics import unescape_pointer_token
from generator.review import required_sets
from generator.review.effective import LOWER_BOUNDS, UPPER_BOUNDS, Doc, Part, Schema, canonical
from generator.review.recorder import Recorder, Side
from generator.review.schema_values import absent, enum_of, is_reordered, names, show, values, widens

# Formats whose values are a superset of another's: the value sets of the wider one contain the narrower one.
WIDER_FORMAT = frozenset({("int32", "int64"), ("float", "double"), ("int32", "double")})
_COMPONENT = re.compile(r"^/components/schemas/([^/]+)$")

Emitted = tuple[str, str, str, Side]  # rule id, location, message, side


class SchemaDiff:
    """Compares the schemas of one operation in one direction. Each pair of definitions is compared once;
    reached again (a shared schema used by another response or media type), its changes are recorded again
    for that part of the call, so a finding lists every status and media type it affects."""

    def __init__(
        self,
        base: Doc,
        head: Doc,
        recorder: Recorder,
        operation: tuple[str, str],
        direction: str,
        shared: dict[tuple[str, str, str], list[Emitted]] | None = None,
    ):
        self.base = base
        self.head = head
        self.recorder = recorder
        self.operation = operation
        self.direction = direction
        self.context = ""
        self.done: dict[tuple[str, str], list[Emitted]] = {}
        self.active: list[tuple[str, str]] = []
        self.cut: set[tuple[str, str]] = set()  # pairs whose comparison stopped at a recursion
        # Pairs compared for an earlier operation, in this direction: a shared schema is compared once.
        self.shared = {} if shared is None else shared

    def compare(self, base: list[Part], head: list[Part], context: str) -> None:
        self.context = context
        self._compare(self.base.schema(base), self.head.schema(head), "$")

    # Reporting.

    def _emit(self, rule_id: str, location: str, message: str, side: Side = "head") -> None:
        self._record((rule_id, location, message, side))

    def _record(self, emitted: Emitted) -> None:
        rule_id, location, message, side = emitted
        self.recorder.add(
            rule_id,
            operation=self.operation,
            location=location,
            side=side,
            message=message,
            direction=self.direction,
            context=self.context,
        )
        for key in self.active:
            self.done[key].append(emitted)

    def _tightened(self, location: str, message: str) -> None:
        self._emit(f"{self.direction}-constraint-tightened", location, message)

    def _loosened(self, location: str, message: str) -> None:
        self._emit(f"{self.direction}-constraint-loosened", location, message)

    # Comparison.

    def _compare(self, b: Schema, h: Schema, where: str) -> None:
        key = (b.pointer, h.pointer)
        if key in self.done:
            if key in self.active:  # a recursion: what it finds is recorded where it started
                self.cut.update(self.active)
                return
            for emitted in list(self.done[key]):  # the same pair from another part of the call
                self._record(emitted)
            return
        known = self.shared.get((self.direction, *key))
        self.done[key] = []
        if known is not None:
            self.active.append(key)  # replayed into this operation's record of the pair too
            try:
                for emitted in known:
                    self._record(emitted)
            finally:
                self.active.pop()
            return
        self.active.append(key)
        try:
            self._compare_new(b, h, _name(h.pointer) or _name(b.pointer) or where)
        finally:
            self.active.pop()
        if key not in self.cut:
            self.shared[(self.direction, *key)] = self.done[key]

    def _compare_new(self, b: Schema, h: Schema, where: str) -> None:
        if self._wrapped(b, h, where):
            return
        tighter: list[tuple[str, str]] = []  # (pointer, what): one finding per schema and direction of change
        looser: list[tuple[str, str]] = []
        if self._types(b, h, where, tighter, looser):
            self._format(b, h, where, tighter, looser)
            self._enum(b, h, where, tighter, looser)
            self._bounds(b, h, tighter, looser)
            self._simple(b, h, tighter, looser)
        for found, report in ((tighter, self._tightened), (looser, self._loosened)):
            if found:
                location = found[0][0] if len(found) == 1 else h.pointer
                report(location, f"{where}: " + "; ".join(text for _, text in found))
        self._nullable(b, h, where)
        if self.direction == "request":
            self._default(b, h, where)
        judged = required_sets.judge(self.base, b, self.head, h)  # `required` alternatives, by meaning
        if judged is not None and judged[0] != "same":
            report = self._loosened if judged[0] == "looser" else self._tightened
            report(h.where("anyOf") if "anyOf" in h.alternatives else h.pointer, f"{where}: {judged[1]}")
        self._properties(b, h, where, required=judged is None)
        self._items(b, h, where)
        self._additional(b, h, where)
        for kind in ("oneOf",) if judged else ("oneOf", "anyOf"):
            self._alternatives(kind, b, h, where)

    def _wrapped(self, b: Schema, h: Schema, where: str) -> bool:
        """`anyOf`/`oneOf` put around the previous schema (accepts more), or taken away (accepts less)."""
        for kind in ("anyOf", "oneOf"):
            if kind in h.alternatives and kind not in b.alternatives and _bare(h):
                match = self._member(self.head, h.alternatives[kind], self.base, b)
                if match is not None:
                    self._loosened(h.where(kind), f"{where}: {kind} added around the previous schema")
                    self._compare(b, self.head.schema([match]), where)
                    return True
            if kind in b.alternatives and kind not in h.alternatives and _bare(b):
                match = self._member(self.base, b.alternatives[kind], self.head, h)
                if match is not None:
                    self._tightened(h.pointer, f"{where}: {kind} removed, one of its alternatives left")
                    self._compare(self.base.schema([match]), h, where)
                    return True
        return False

    @staticmethod
    def _member(doc: Doc, members: list[Part], other_doc: Doc, other: Schema) -> Part | None:
        """The member that is `other`: the same definition, or one written the same way."""
        for raw, pointer in members:
            if doc.deref(raw, pointer)[1] == other.pointer:
                return raw, pointer
        wanted = other_doc.fingerprint((other_doc.at(other.pointer), other.pointer))
        for part in members:
            if doc.fingerprint(part) == wanted:
                return part
        return None

    def _types(
        self, b: Schema, h: Schema, where: str, tighter: list[tuple[str, str]], looser: list[tuple[str, str]]
    ) -> bool:
        """False when the type changed to an unrelated one: one `type-changed`, nothing else about values."""
        location = h.where("type") if "type" in h.keywords else h.pointer
        if b.types == h.types:
            return True
        if b.types is None:
            tighter.append((location, f"type {names(h.types)} required (was any)"))
        elif h.types is None:
            looser.append((h.pointer, f"type {names(b.types)} no longer required"))
        elif widens(b.types, h.types):
            looser.append((location, f"type {names(b.types)} → {names(h.types)}"))
        elif widens(h.types, b.types):
            tighter.append((location, f"type {names(b.types)} → {names(h.types)}"))
        else:
            self._emit("type-changed", location, f"{where}: type {names(b.types)} → {names(h.types)}")
            return False
        return True

    def _format(
        self, b: Schema, h: Schema, where: str, tighter: list[tuple[str, str]], looser: list[tuple[str, str]]
    ) -> None:
        bf, hf = b.value("format"), h.value("format")
        if bf == hf:
            return
        if bf is None:
            tighter.append((h.where("format"), f"format {hf} added"))
        elif hf is None:
            looser.append((h.pointer, f"format {bf} removed"))
        elif (bf, hf) in WIDER_FORMAT:
            looser.append((h.where("format"), f"format {bf} → {hf}"))
        elif (hf, bf) in WIDER_FORMAT:
            tighter.append((h.where("format"), f"format {bf} → {hf}"))
        else:
            self._emit("type-changed", h.where("format"), f"{where}: format {bf} → {hf}")

    def _nullable(self, b: Schema, h: Schema, where: str) -> None:
        if b.nullable and not h.nullable:
            self._emit(f"{self.direction}-nullable-removed", h.pointer, f"{where}: no longer nullable")
        elif h.nullable and not b.nullable:
            self._emit(f"{self.direction}-nullable-added", h.pointer, f"{where}: now nullable")

    def _enum(
        self, b: Schema, h: Schema, where: str, tighter: list[tuple[str, str]], looser: list[tuple[str, str]]
    ) -> None:
        before, after = enum_of(b), enum_of(h)
        if not isinstance(before, list) and not isinstance(after, list):
            return
        location = h.where("enum") if "enum" in h.keywords else h.where("const")
        if not isinstance(before, list):
            tighter.append((location, f"values limited to {values(after)}"))
            return
        if not isinstance(after, list):
            looser.append((h.pointer, f"enum {values(before)} removed, any value allowed"))
            return
        old, new = {canonical(v) for v in before}, {canonical(v) for v in after}
        removed = [v for v in before if canonical(v) not in new]
        added = [v for v in after if canonical(v) not in old]
        if removed:
            self._emit(
                f"{self.direction}-enum-value-removed",
                location,
                f"{where}: enum value(s) {values(removed)} removed",
            )
        if added:
            self._emit(
                f"{self.direction}-enum-value-added",
                location,
                f"{where}: enum value(s) {values(added)} added",
            )
        if is_reordered([canonical(v) for v in before], [canonical(v) for v in after]):
            self._emit("reordered", location, f"{where}: enum values reordered")

    def _bounds(
        self, b: Schema, h: Schema, tighter: list[tuple[str, str]], looser: list[tuple[str, str]]
    ) -> None:
        for key in (*LOWER_BOUNDS, *UPPER_BOUNDS):
            before, after = b.value(key), h.value(key)
            if before == after:
                continue
            change = f"{key} {show(before)} → {show(after)}"
            if after is None:
                looser.append((h.pointer, change))
            elif before is None or (after > before if key in LOWER_BOUNDS else after < before):
                tighter.append((h.where(key), change))
            else:
                looser.append((h.where(key), change))

    def _simple(
        self, b: Schema, h: Schema, tighter: list[tuple[str, str]], looser: list[tuple[str, str]]
    ) -> None:
        for key in ("exclusiveMinimum", "exclusiveMaximum", "uniqueItems", "pattern", "multipleOf"):
            before, after = b.value(key), h.value(key)
            if before == after or (absent(before) and absent(after)):
                continue
            change = f"{key} {show(before)} → {show(after)}"
            if absent(before):
                tighter.append((h.where(key), change))
            elif absent(after):
                looser.append((h.pointer, change))
            elif isinstance(before, bool) or isinstance(after, bool) or key in ("pattern", "multipleOf"):
                # Neither tighter nor looser (another pattern): it breaks in both directions.
                (tighter if self.direction == "request" else looser).append((h.where(key), change))
            else:  # OpenAPI 3.1 numeric exclusive bounds
                lower = key == "exclusiveMinimum"
                tighter_now = after > before if lower else after < before
                (tighter if tighter_now else looser).append((h.where(key), change))

    def _default(self, b: Schema, h: Schema, where: str) -> None:
        if "default" not in b.keywords and "default" not in h.keywords:
            return
        before, after = b.value("default"), h.value("default")
        if "default" not in b.keywords:
            self._emit("default-added", h.where("default"), f"{where}: default {show(after)} added")
        elif "default" not in h.keywords:
            self._emit("default-changed", h.pointer, f"{where}: default {show(before)} removed")
        elif canonical(before) != canonical(after):
            self._emit(
                "default-changed", h.where("default"), f"{where}: default {show(before)} → {show(after)}"
            )

    def _properties(self, b: Schema, h: Schema, where: str, required: bool = True) -> None:
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
            if not required:
                pass  # judged with the alternatives
            elif name in h.required and name not in b.required:
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
            self._compare(self.base.schema([was]), self.head.schema([now]), f"{where}({kind}[{i}])")
        for was in gone[len(came) :]:
            self._tightened(h.pointer, f"{where}: {kind} alternative {was[1]} removed")
        for now in came[len(gone) :]:
            self._loosened(now[1], f"{where}: {kind} alternative added")


def _name(pointer: str) -> str | None:
    """A shared schema is named after its component, whichever operation reaches it."""
    found = _COMPONENT.match(pointer)
    return unescape_pointer_token(found.group(1)) if found else None


def _bare(schema: Schema) -> bool:
    """No constraint besides its alternatives: the schema is exactly its `anyOf`/`oneOf`."""
    return (
        schema.types is None
        and not schema.keywords
        and not schema.properties
        and not schema.items
        and schema.additional is True
        and len(schema.alternatives) == 1
    )
