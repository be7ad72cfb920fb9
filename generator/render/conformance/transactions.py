"""The transactions of a conformance statement: one per tag, grouped by the DICOMweb service the tag names
(`x-dicom-service`), each with its route table, its operations, its search matrix and its query resources."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import ApiSpec, Operation
from generator.render.conformance.operations import OperationView, operation_view
from generator.render.conformance.shared import Shared
from generator.render.docviews import RouteView, anchor, dicom_tag, public_text, route_view

NON_STANDARD = "Non-standard APIs"


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


def services(transactions: tuple[TransactionView, ...]) -> tuple[ServiceView, ...]:
    """The transactions grouped by service, in the order of their first transaction, standard ones first."""
    grouped: dict[str, list[TransactionView]] = {}
    for transaction in transactions:
        grouped.setdefault(transaction.service, []).append(transaction)
    ordered = sorted(grouped.items(), key=lambda item: item[0] == NON_STANDARD)  # stable: standard first
    return tuple(ServiceView(name, tuple(items)) for name, items in ordered)


def service_name(declared: str) -> str:
    """The DICOMweb service a tag's `x-dicom-service` names; none, or "Non-standard", means non-standard."""
    return NON_STANDARD if not declared or declared.lower().startswith("non-standard") else declared


def tag_order(spec: ApiSpec) -> list[str]:
    """The document's tags in their declared order, then tags only operations name."""
    used = {op.tag for op in spec.operations}
    declared = [t.name for t in spec.tags if t.name in used]
    return declared + sorted(used - set(declared))


def transaction_view(spec: ApiSpec, tag: str, names: dict[str, str], shared: Shared) -> TransactionView:
    declared = next((t for t in spec.tags if t.name == tag), None)
    ops = [op for op in spec.operations if op.tag == tag]
    by_id = {op.operation_id: op for op in ops}
    bases = [op for op in ops if op.base_operation_id == op.operation_id or op.base_operation_id not in by_id]
    twins: dict[str, list[Operation]] = {}
    for op in ops:
        if op not in bases:
            twins.setdefault(op.base_operation_id, []).append(op)
    operations = tuple(
        operation_view(op, tuple(twins.get(op.operation_id, ())), names, shared) for op in bases
    )
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
