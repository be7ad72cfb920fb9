"""Parameters and error statuses in a conformance statement, and which of them it describes once for all the
operations that document them the same way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from generator.model import Operation, Parameter
from generator.render.docviews import anchor, literal, public_text

SHARED_AT = 3  # a status or parameter documented the same way in this many operations is described once
Entry = TypeVar("Entry", bound=Hashable)
_BOUND_KEYS = (
    ("minimum", "≥"),
    ("exclusiveMinimum", ">"),
    ("maximum", "≤"),
    ("exclusiveMaximum", "<"),
    ("minLength", "length ≥"),
    ("maxLength", "length ≤"),
    ("minItems", "items ≥"),
    ("maxItems", "items ≤"),
    ("pattern", "pattern"),
)


@dataclass(frozen=True)
class Ref:
    """A link to an entry described once for the whole statement."""

    label: str
    anchor: str


@dataclass(frozen=True)
class ParameterView:
    name: str
    location: str
    type: str
    required: bool
    default: str | None
    bounds: tuple[str, ...]  # `≥ 1`, `≤ 200`
    enum: tuple[str, ...]
    description: str

    @property
    def anchor(self) -> str:
        return "param-" + anchor(f"{self.location}-{self.name}")


@dataclass(frozen=True)
class StatusView:
    status: str
    meaning: str
    media_types: tuple[str, ...]


@dataclass(frozen=True)
class SharedParameter:
    anchor: str
    parameter: ParameterView
    operations: int


@dataclass(frozen=True)
class SharedStatus:
    anchor: str
    status: StatusView
    operations: int  # how many operations answer with it


@dataclass(frozen=True)
class Shared:
    """What the statement describes once: entry → (anchor, number of operations)."""

    statuses: dict[StatusView, tuple[str, int]]
    parameters: dict[ParameterView, tuple[str, int]]


def described_once(operations: list[Operation]) -> Shared:
    """The 4xx/5xx statuses and the parameters (other than DICOM attributes) enough operations share."""
    statuses = shared_entries(
        Counter(status_view(r) for op in operations for r in op.responses if r.status[:1] in "45"),
        lambda st: f"status-{st.status}",
    )
    parameters = shared_entries(
        Counter(parameter_view(p) for op in operations for p in op.parameters if not p.dicom_attribute),
        lambda p: p.anchor,
    )
    return Shared(statuses, parameters)


def shared_entries(counts: Counter[Entry], key: Callable[[Entry], str]) -> dict[Entry, tuple[str, int]]:
    """The entries at least SHARED_AT operations share, with unique anchors, most shared first."""
    entries: dict[Entry, tuple[str, int]] = {}
    used: Counter[str] = Counter()
    for entry, count in sorted(counts.items(), key=lambda item: (str(key(item[0])), -item[1])):
        if count < SHARED_AT:
            continue
        base = key(entry)
        used[base] += 1
        entries[entry] = (base if used[base] == 1 else f"{base}-{used[base]}", count)
    return entries


def status_view(response: Any) -> StatusView:
    return StatusView(
        response.status, public_text(response.description), tuple(m.name for m in response.content)
    )


def parameter_view(param: Parameter) -> ParameterView:
    schema = param.schema
    return ParameterView(
        name=param.name,
        location=param.location,
        type=schema_type(schema),
        required=param.required,
        default=literal(schema["default"]) if "default" in schema else None,
        bounds=tuple(
            f"{sign} {literal(schema[key], limit=10_000)}" for key, sign in _BOUND_KEYS if key in schema
        ),
        enum=tuple(literal(v) for v in schema.get("enum") or (schema.get("items") or {}).get("enum") or []),
        description=public_text(param.description),
    )


def schema_type(schema: dict[str, Any]) -> str:
    kind = str(schema.get("type", "")) or ("object" if "properties" in schema else "any")
    if kind == "array":
        kind = f"array of {schema_type(schema.get('items') or {})}"
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if schema.get("nullable"):
        kind += ", nullable"
    return kind
