"""How the generated stubs find their handlers: one module per operation in dicom_service/handlers/.

Used at start-up (the application refuses to start on a mismatch) and by `make generate` / `make test`,
so both report a missing or orphaned handler module the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

HANDLERS_DIR = "dicom_service/handlers"


def orphaned(expected: Iterable[str], present: Iterable[str]) -> list[str]:
    """Handler modules no operation calls any more: reported, never deleted (they hold people's code)."""
    return [
        f"orphaned handler: {HANDLERS_DIR}/{name}.py handles no operation of any spec; "
        "delete it, or restore the operation"
        for name in sorted(set(present) - set(expected))
    ]


def missing(expected: Iterable[str], present: Iterable[str]) -> list[str]:
    return [
        f"missing handler: {HANDLERS_DIR}/{name}.py does not exist; run `make generate` to create it"
        for name in sorted(set(expected) - set(present))
    ]
