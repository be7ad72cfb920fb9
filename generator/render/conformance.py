"""Model → the view of one version's DICOM conformance statement.

The outline follows the service's own statements and DICOM PS3.2 Annex K.

Services come from the tags' `x-dicom-service`, transactions are tags, and every operation of the version
appears in its transaction's route table. Spec text stays unescaped here; the template escapes it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from dicom_service.limits import LIMITS
from generator.model import ApiModel, ApiSpec, MediaType, Operation, Parameter
from generator.render.changelog import VersionChanges, flatten, version_changes
from generator.render.docviews import (
    RouteView,
    VersionView,
    anchor,
    current_version,
    dicom_tag,
    literal,
    operation_anchor,
    public_text,
    route_view,
    version_view,
    version_views,
)
from generator.render.security import SecurityView, security_view
from generator.render.statement import StatementText, shared_entries, statement_text, words

NON_STANDARD = "Non-standard APIs"
VERSIONING_HEADERS = {"api-supported-versions", "api-deprecated-versions"}
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
class TransferSyntax:
    uid: str
    name: str  # empty when the statement has no name for it


@dataclass(frozen=True)
class MediaView:
    status: str  # empty for a request body
    name: str
    transfer_syntaxes: tuple[TransferSyntax, ...]
    default: TransferSyntax | None


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
class HeaderView:
    status: str
    name: str
    required: bool
    description: str


@dataclass(frozen=True)
class OperationView:
    anchor: str
    route: RouteView
    twins: tuple[RouteView, ...]
    description: str
    deprecated: bool
    accept_required: bool
    body_required: bool
    body_description: str
    request_media: tuple[MediaView, ...]
    response_media: tuple[MediaView, ...]
    parameters: tuple[ParameterView, ...]  # the ones described only here
    attribute_count: (
        int  # query parameters that filter on a DICOM attribute (listed in the transaction's matrix)
    )
    statuses: tuple[StatusView, ...]  # the ones described only here
    headers: tuple[HeaderView, ...]
    shared_parameters: tuple[Ref, ...] = ()
    shared_statuses: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class AttributeRow:
    keyword: str
    tag: str
    vr: str
    matching: str  # `exact, fuzzy`; per resource (`GET /studies: exact`) when the resources differ
    resources: tuple[RouteView, ...]  # the search resources that accept the attribute


@dataclass(frozen=True)
class SearchMatrix:
    columns: tuple[RouteView, ...]
    rows: tuple[AttributeRow, ...]


@dataclass(frozen=True)
class QueryResource:
    route: RouteView
    level: str
    returns: tuple[str, ...]


@dataclass(frozen=True)
class TransactionView:
    name: str
    anchor: str
    service: str  # NON_STANDARD for an API outside DICOMweb
    description: str
    routes: tuple[RouteView, ...]
    operations: tuple[OperationView, ...]
    search: SearchMatrix | None
    resources: tuple[QueryResource, ...]

    @property
    def standard(self) -> bool:
        return self.service != NON_STANDARD

    @property
    def base_routes(self) -> tuple[RouteView, ...]:
        """The routes without their partition-scoped twins."""
        return tuple(r for r in self.routes if not r.path.startswith("/partitions/"))


@dataclass(frozen=True)
class ServiceView:
    name: str
    transactions: tuple[TransactionView, ...]


@dataclass(frozen=True)
class ReturnedAttribute:
    keyword: str
    tag: str
    default: bool  # False: only through includefield


@dataclass(frozen=True)
class LevelView:
    level: str
    anchor: str
    attributes: tuple[ReturnedAttribute, ...]


@dataclass(frozen=True)
class Coded:
    code: str
    meaning: str


@dataclass(frozen=True)
class LimitView:
    what: str
    default: str
    setting: str
    answer: str


SERVICE_LIMITS = tuple(LimitView(limit.what, limit.shown(), limit.setting, limit.answer) for limit in LIMITS)


def service_limits(spec: ApiSpec) -> tuple[LimitView, ...]:
    """The limits that apply to this version: one tied to an operation only where the version has it."""
    operations = {op.operation_id for op in spec.operations}
    return tuple(
        LimitView(limit.what, limit.shown(), limit.setting, limit.answer)
        for limit in LIMITS
        if limit.operation is None or limit.operation in operations
    )


@dataclass(frozen=True)
class ConformanceView:
    version: VersionView
    versions: tuple[VersionView, ...]  # every version, newest first, for the cross links
    current: VersionView | None  # the version new clients should use
    title: str
    description: str
    services: tuple[ServiceView, ...]
    transactions: tuple[TransactionView, ...]
    operation_count: int
    levels: tuple[LevelView, ...]
    failure_reasons: tuple[Coded, ...]
    warning_reasons: tuple[Coded, ...]
    transcodable: tuple[TransferSyntax, ...]
    excluded_vrs: tuple[str, ...]
    limits: tuple[tuple[str, str], ...]  # declared by the spec
    service_limits: tuple[LimitView, ...]  # the service's settings (dicom_service/limits.py), every version
    other: tuple[tuple[str, str], ...]  # x-dicom keys this page has no section for, flattened
    previous: VersionView | None
    changes: VersionChanges | None
    statement: StatementText
    security: SecurityView
    shared_statuses: tuple[SharedStatus, ...]
    shared_parameters: tuple[SharedParameter, ...]

    @property
    def standard_transactions(self) -> tuple[TransactionView, ...]:
        return tuple(t for t in self.transactions if t.standard)


_KNOWN_DICOM = {
    "statement",
    "queryLevels",
    "storeFailureReasons",
    "storeWarningReasons",
    "transcodableTransferSyntaxes",
    "metadataExcludedVRs",
    "limits",
}


def conformance_view(
    model: ApiModel, version_name: str, changes: VersionChanges | None = None
) -> ConformanceView:
    """The page of one version; `changes` from its previous version, when the caller already has them."""
    spec = model.spec(version_name)
    names = _syntax_names(spec)
    bases = [op for op in spec.operations if not _is_twin(op, spec)]
    statuses = shared_entries(
        Counter(_status(r) for op in bases for r in op.responses if r.status[:1] in "45"),
        lambda st: f"status-{st.status}",
    )
    parameters = shared_entries(
        Counter(_parameter(p) for op in bases for p in op.parameters if not p.dicom_attribute),
        lambda p: p.anchor,
    )
    shared = Shared(statuses, parameters)
    transactions = tuple(_transaction(spec, tag, names, shared) for tag in _tag_order(spec))
    previous = model.registry.previous(spec.version)
    current = current_version(model)
    services: dict[str, list[TransactionView]] = {}
    for transaction in transactions:
        services.setdefault(transaction.service, []).append(transaction)
    ordered = sorted(services.items(), key=lambda item: item[0] == NON_STANDARD)  # stable: standard first
    dicom = spec.dicom
    return ConformanceView(
        version=version_view(spec.version, current),
        versions=version_views(model),
        current=version_view(current, current) if current else None,
        title=spec.title,
        description=public_text(spec.description),
        services=tuple(ServiceView(name, tuple(items)) for name, items in ordered),
        transactions=transactions,
        operation_count=len(spec.operations),
        levels=_levels(dicom.get("queryLevels")),
        failure_reasons=_coded(dicom.get("storeFailureReasons")),
        warning_reasons=_coded(dicom.get("storeWarningReasons")),
        transcodable=tuple(
            TransferSyntax(str(e.get("uid", "")), str(e.get("name", "")))
            for e in dicom.get("transcodableTransferSyntaxes") or []
            if isinstance(e, dict)
        ),
        excluded_vrs=tuple(str(v) for v in dicom.get("metadataExcludedVRs") or []),
        limits=tuple((words(k), v) for k, v in flatten(dicom.get("limits"))),
        service_limits=service_limits(spec),
        other=tuple(pair for key in dicom if key not in _KNOWN_DICOM for pair in flatten(dicom[key], key)),
        previous=version_view(previous) if previous else None,
        changes=changes or (version_changes(model, previous.name, version_name) if previous else None),
        statement=statement_text(dicom.get("statement")),
        security=security_view(spec),
        shared_statuses=tuple(SharedStatus(key, status, count) for status, (key, count) in statuses.items()),
        shared_parameters=tuple(
            SharedParameter(key, parameter, count) for parameter, (key, count) in parameters.items()
        ),
    )


@dataclass(frozen=True)
class Shared:
    """What the statement describes once: entry → (anchor, number of operations)."""

    statuses: dict[StatusView, tuple[str, int]]
    parameters: dict[ParameterView, tuple[str, int]]


def _is_twin(op: Operation, spec: ApiSpec) -> bool:
    return op.base_operation_id != op.operation_id and any(
        o.operation_id == op.base_operation_id for o in spec.operations
    )


def _status(response: Any) -> StatusView:
    return StatusView(
        response.status, public_text(response.description), tuple(m.name for m in response.content)
    )


def service_name(declared: str) -> str:
    """The DICOMweb service a tag's `x-dicom-service` names; none, or "Non-standard", means non-standard."""
    return NON_STANDARD if not declared or declared.lower().startswith("non-standard") else declared


def _tag_order(spec: ApiSpec) -> list[str]:
    """The document's tags in their declared order, then tags only operations name."""
    used = {op.tag for op in spec.operations}
    declared = [t.name for t in spec.tags if t.name in used]
    return declared + sorted(used - set(declared))


def _syntax_names(spec: ApiSpec) -> dict[str, str]:
    names = {"*": "as stored"}
    for entry in spec.dicom.get("transcodableTransferSyntaxes") or []:
        if isinstance(entry, dict) and entry.get("uid") and entry.get("name"):
            names[str(entry["uid"])] = str(entry["name"])
    return names


def _transaction(spec: ApiSpec, tag: str, names: dict[str, str], shared: Shared) -> TransactionView:
    declared = next((t for t in spec.tags if t.name == tag), None)
    ops = [op for op in spec.operations if op.tag == tag]
    by_id = {op.operation_id: op for op in ops}
    bases = [op for op in ops if op.base_operation_id == op.operation_id or op.base_operation_id not in by_id]
    twins: dict[str, list[Operation]] = {}
    for op in ops:
        if op not in bases:
            twins.setdefault(op.base_operation_id, []).append(op)
    operations = tuple(_operation(op, tuple(twins.get(op.operation_id, ())), names, shared) for op in bases)
    searchable = [op for op in bases if any(p.dicom_attribute for p in op.parameters)]
    return TransactionView(
        name=tag,
        anchor="tx-" + anchor(tag),
        service=service_name(declared.service if declared else ""),
        description=public_text(declared.description) if declared else "",
        routes=tuple(route_view(op) for op in ops),
        operations=operations,
        search=_matrix(searchable) if searchable else None,
        resources=tuple(
            QueryResource(
                route_view(op), str(query.get("level", "")), tuple(str(r) for r in query.get("returns") or [])
            )
            for op in bases
            if isinstance(query := op.extensions.get("x-dicom-query"), dict)
        ),
    )


def _operation(
    op: Operation, twins: tuple[Operation, ...], names: dict[str, str], shared: Shared
) -> OperationView:
    parameters = [_parameter(p) for p in op.parameters if not p.dicom_attribute]
    statuses = [_status(r) for r in op.responses]
    return OperationView(
        anchor=operation_anchor(op.operation_id),
        route=route_view(op),
        twins=tuple(route_view(t) for t in twins),
        description=public_text(op.description),
        deprecated=op.deprecated,
        accept_required=bool(op.extensions.get("x-accept-required", False)),
        body_required=bool(op.request_body and op.request_body.required),
        body_description=public_text(op.request_body.description) if op.request_body else "",
        request_media=tuple(_media("", m, names) for m in op.request_body.content) if op.request_body else (),
        response_media=tuple(
            _media(r.status, m, names) for r in op.responses if r.status.startswith("2") for m in r.content
        ),
        parameters=tuple(p for p in parameters if p not in shared.parameters),
        attribute_count=sum(1 for p in op.parameters if p.dicom_attribute),
        statuses=tuple(st for st in statuses if st not in shared.statuses),
        headers=_headers(op),
        shared_parameters=tuple(
            Ref(p.name, shared.parameters[p][0]) for p in parameters if p in shared.parameters
        ),
        shared_statuses=tuple(
            Ref(st.status, shared.statuses[st][0]) for st in statuses if st in shared.statuses
        ),
    )


def _headers(op: Operation) -> tuple[HeaderView, ...]:
    """Response headers besides the versioning ones; one entry per header, with the statuses it comes with."""
    merged: dict[tuple[str, bool, str], list[str]] = {}
    for r in op.responses:
        for h in r.headers:
            if h.name.lower() not in VERSIONING_HEADERS:
                merged.setdefault((h.name, h.required, public_text(h.description)), []).append(r.status)
    return tuple(
        HeaderView(", ".join(statuses), name, required, description)
        for (name, required, description), statuses in merged.items()
    )


def _media(status: str, media: MediaType, names: dict[str, str]) -> MediaView:
    default = media.extensions.get("x-default-transfer-syntax")
    return MediaView(
        status=status,
        name=media.name,
        transfer_syntaxes=tuple(
            TransferSyntax(uid, names.get(uid, "")) for uid in map(str, media.transfer_syntaxes)
        ),
        default=TransferSyntax(str(default), names.get(str(default), "")) if default else None,
    )


def _parameter(param: Parameter) -> ParameterView:
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


def _matrix(ops: list[Operation]) -> SearchMatrix:
    """One row per attribute: its matching and the resources that accept it (a narrow table)."""
    rows: dict[str, tuple[str, str, dict[str, tuple[str, ...]]]] = {}
    for op in ops:
        for param in op.parameters:
            attribute = param.dicom_attribute
            if attribute is None:
                continue
            _, _, cells = rows.setdefault(
                param.name, (dicom_tag(str(attribute.get("tag", ""))), str(attribute.get("vr", "")), {})
            )
            cells[op.operation_id] = tuple(str(m) for m in attribute.get("matching") or [])
    views = {op.operation_id: route_view(op) for op in ops}
    result = []
    for keyword, (tag, vr, cells) in rows.items():
        kinds = set(cells.values())
        matching = (
            ", ".join(next(iter(kinds)))
            if len(kinds) == 1
            else "; ".join(f"{views[i].route}: {', '.join(m)}" for i, m in cells.items())
        )
        result.append(AttributeRow(keyword, tag, vr, matching, tuple(views[i] for i in cells)))
    return SearchMatrix(columns=tuple(views.values()), rows=tuple(result))


def _levels(levels: Any) -> tuple[LevelView, ...]:
    if not isinstance(levels, dict):
        return ()
    views = []
    for level, lists in levels.items():
        lists = lists if isinstance(lists, dict) else {}
        views.append(
            LevelView(
                str(level),
                "level-" + anchor(str(level)),
                tuple(
                    ReturnedAttribute(
                        str(e.get("keyword", "")), dicom_tag(str(e.get("tag", ""))), kind == "default"
                    )
                    for kind in ("default", "additional")
                    for e in lists.get(kind) or []
                    if isinstance(e, dict)
                ),
            )
        )
    return tuple(views)


def _coded(entries: Any) -> tuple[Coded, ...]:
    return tuple(
        Coded(str(e.get("code", "")), str(e.get("meaning", ""))) for e in entries or [] if isinstance(e, dict)
    )
