"""The statement-wide prose of a conformance statement: the DICOM PS3.2 sections no operation carries
(`x-dicom.statement` in the spec), and the words its tables use for spec keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


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


def words(key: str) -> str:
    """`maxRequestSize` → `Max request size`."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).replace(".", ": ").lower()
    return text[:1].upper() + text[1:]
