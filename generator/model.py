"""The in-memory model of the whole API across versions: what every renderer and the review consume.

Plain frozen data, with every `$ref` already followed (a recursive schema keeps its `$ref`). Nothing
downstream of the loader reads YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dicom_service.web.mediatypes import parse_media_type
from generator.behaviour import BehaviourChange
from generator.registry import Registry, Version

PARTITION_PREFIX = "/partitions/{partitionName}"
PARTITION_SUFFIX = "InPartition"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Example:
    name: str
    summary: str
    value: Any = None
    external: str | None = None  # path under specs/ of a binary example


@dataclass(frozen=True)
class MediaType:
    name: str  # the key as written: `multipart/related; type="application/dicom"`
    schema: dict[str, Any] | None
    examples: tuple[Example, ...]
    extensions: dict[str, Any]

    @property
    def essence(self) -> str:
        return self.name.split(";", 1)[0].strip().lower()

    @property
    def parameters(self) -> dict[str, str]:
        return parse_media_type(self.name)[1]

    @property
    def transfer_syntaxes(self) -> list[str]:
        return list(self.extensions.get("x-transfer-syntaxes", []))


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    required: bool
    schema: dict[str, Any]
    example: Any = None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    description: str
    schema: dict[str, Any]
    example: Any = None
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def dicom_attribute(self) -> dict[str, Any] | None:
        value = self.extensions.get("x-dicom-attribute")
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    headers: tuple[Header, ...]
    content: tuple[MediaType, ...]
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestBody:
    required: bool
    description: str
    content: tuple[MediaType, ...]


@dataclass(frozen=True)
class Operation:
    """One operation as one version's document describes it."""

    version: str
    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    tag: str
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    extensions: dict[str, Any]
    deprecated: bool
    pointer: str
    contract: dict[str, Any]  # the operation with references inlined and path-level parameters merged

    @property
    def partitioned(self) -> bool:
        return self.path.startswith(PARTITION_PREFIX + "/")

    @property
    def base_operation_id(self) -> str:
        """The operationId of the route this one is the partition-scoped twin of (itself otherwise)."""
        if self.partitioned and self.operation_id.endswith(PARTITION_SUFFIX):
            return self.operation_id[: -len(PARTITION_SUFFIX)]
        return self.operation_id

    @property
    def handler(self) -> str:
        return snake_case(self.base_operation_id)

    def response(self, status: str) -> Response | None:
        return next((r for r in self.responses if r.status == status), None)

    @property
    def success(self) -> Response | None:
        """The first documented 2xx response: what a client gets on the happy path."""
        return next((r for r in self.responses if r.status.startswith("2")), None)


@dataclass(frozen=True)
class Tag:
    name: str
    description: str
    service: str


@dataclass(frozen=True)
class ApiSpec:
    """One version's document."""

    version: Version
    file: str
    document: dict[str, Any]  # bundled: self-contained, internal references kept
    title: str
    description: str
    tags: tuple[Tag, ...]
    operations: tuple[Operation, ...]
    dicom: dict[str, Any]  # the top-level x-dicom conformance data
    source_text: str | None = None  # the file as written, when it is self-contained (nothing was bundled)
    behaviour_changes: tuple[BehaviourChange, ...] = ()  # x-behaviour-changes, declared up to this version

    def operation(self, operation_id: str) -> Operation:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        raise KeyError(f"no operation {operation_id!r} in version {self.version.name}")


@dataclass(frozen=True)
class Endpoint:
    """One route (method + path template) across the versions in which it exists."""

    method: str
    path: str
    operations: dict[str, Operation]  # version name → operation, oldest first
    differences: dict[tuple[str, str], tuple[str, ...]]  # (older, newer) version → pointers that differ

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self.operations)

    @property
    def latest(self) -> Operation:
        return next(reversed(self.operations.values()))


@dataclass(frozen=True)
class ApiModel:
    registry: Registry
    specs: dict[str, ApiSpec]  # version name → spec, oldest first
    endpoints: tuple[Endpoint, ...]
    example_files: dict[str, bytes]  # path under specs/ → content of binary examples

    def spec(self, version: str) -> ApiSpec:
        try:
            return self.specs[version]
        except KeyError:
            raise KeyError(f"unknown API version {version!r}; known: {', '.join(self.specs)}") from None


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
