"""One operation in a conformance statement: its route and partition twins, media types with their transfer
syntaxes, response headers, and the parameters and statuses described only there."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import MediaType, Operation
from generator.render.conformance.dicom_sections import TransferSyntax
from generator.render.conformance.shared import (
    ParameterView,
    Ref,
    Shared,
    StatusView,
    parameter_view,
    status_view,
)
from generator.render.docviews import RouteView, operation_anchor, public_text, route_view

VERSIONING_HEADERS = {"api-supported-versions", "api-deprecated-versions"}


@dataclass(frozen=True)
class MediaView:
    status: str  # empty for a request body
    name: str
    transfer_syntaxes: tuple[TransferSyntax, ...]
    default: TransferSyntax | None


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


def operation_view(
    op: Operation, twins: tuple[Operation, ...], names: dict[str, str], shared: Shared
) -> OperationView:
    parameters = [parameter_view(p) for p in op.parameters if not p.dicom_attribute]
    statuses = [status_view(r) for r in op.responses]
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
