"""The statement-wide parts of a conformance statement: what it describes once for all operations, and the
DICOM PS3.2 sections no operation carries (`x-dicom.statement` in the spec).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

SHARED_AT = 3  # a status or parameter documented the same way in this many operations is described once
Entry = TypeVar("Entry", bound=Hashable)


@dataclass(frozen=True)
class StatementText:
    """The statement's prose sections that no operation carries (`x-dicom.statement`)."""

    not_supported: tuple[str, ...]
    store_sop_classes: str
    store_transfer_syntaxes: str
    character_sets: str
    security: str
    configuration: tuple[str, ...]


def statement_text(raw: Any) -> StatementText:
    raw = raw if isinstance(raw, dict) else {}

    def texts(key: str) -> tuple[str, ...]:
        return tuple(" ".join(str(v).split()) for v in raw.get(key) or [])

    def text(key: str) -> str:
        return " ".join(str(raw.get(key, "")).split())

    return StatementText(
        not_supported=texts("notSupported"),
        store_sop_classes=text("storeSopClasses"),
        store_transfer_syntaxes=text("storeTransferSyntaxes"),
        character_sets=text("characterSets"),
        security=text("security"),
        configuration=texts("configuration"),
    )


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


def words(key: str) -> str:
    """`maxRequestSize` → `Max request size`."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).replace(".", ": ").lower()
    return text[:1].upper() + text[1:]
