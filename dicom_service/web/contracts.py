"""What the runtime needs to know of each operation in each version, read from generated/contracts.json.

The generator decides everything here from the specs; the runtime only reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dicom_service.web.mediatypes import Representation

GENERATED = Path(__file__).resolve().parent.parent / "generated"


@dataclass(frozen=True)
class ExampleBody:
    """The mock's answer body in one media type: a JSON value, a text, or a binary example file."""

    json: Any = None
    text: str | None = None
    file: str | None = None  # path under generated/, e.g. examples/instance.dcm
    part_type: str | None = None  # for multipart answers: the Content-Type of the part

    @property
    def is_json(self) -> bool:
        return self.text is None and self.file is None


@dataclass(frozen=True)
class MockAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    bodies: dict[str, ExampleBody]  # media-type key → body
    not_modified: bool  # the operation documents 304 for a matching If-None-Match


@dataclass(frozen=True)
class Contract:
    operation_id: str
    handler: str  # module under dicom_service/handlers/
    parameters: tuple[dict[str, Any], ...]
    body_required: bool
    body_media_types: tuple[str, ...]
    offers: tuple[Representation, ...]  # media types of the success response, the default first
    accept_required: bool
    mock: MockAnswer | None  # None: the success response has content but no example of it
    body_schemas: dict[str, Any] = field(default_factory=dict)  # JSON media-type key → the body's schema
    action: str | None = None  # the data action a caller's roles must grant (x-data-action)
    # A search's default attributes per level name (the spec's x-dicom queryLevels), as tags.
    query_defaults: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def control_keys(self) -> frozenset[str]:
        """Declared query parameters that are not DICOM attribute filters (`limit`, `includefield`, …),
        lower-cased: a search reads every other query key as an attribute."""
        return frozenset(
            str(p["name"]).lower() for p in self.parameters if p["in"] == "query" and not p.get("attribute")
        )


def load_contracts(path: Path = GENERATED / "contracts.json") -> dict[str, dict[str, Contract]]:
    """version name → operationId → contract."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        version: {op_id: _contract(op_id, raw) for op_id, raw in operations.items()}
        for version, operations in data["versions"].items()
    }


def _contract(operation_id: str, raw: dict[str, Any]) -> Contract:
    mock = raw.get("mock")
    return Contract(
        operation_id=operation_id,
        handler=raw["handler"],
        parameters=tuple(raw["parameters"]),
        body_required=raw["body"]["required"] if raw.get("body") else False,
        body_media_types=tuple(raw["body"]["media_types"]) if raw.get("body") else (),
        offers=tuple(
            Representation(o["key"], tuple(o.get("transfer_syntaxes", ())), o.get("default_transfer_syntax"))
            for o in raw["offers"]
        ),
        accept_required=raw["accept_required"],
        action=raw.get("action"),
        query_defaults={level: tuple(found) for level, found in raw.get("query_defaults", {}).items()},
        body_schemas=raw["body"].get("schemas", {}) if raw.get("body") else {},
        mock=MockAnswer(
            status=mock["status"],
            headers=tuple((k, v) for k, v in mock["headers"].items()),
            bodies={key: ExampleBody(**body) for key, body in mock["bodies"].items()},
            not_modified=mock["not_modified"],
        )
        if mock
        else None,
    )
