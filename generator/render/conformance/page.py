"""One version's conformance statement page, assembled from its sections.

Services come from the tags' `x-dicom-service`, transactions are tags, and every operation of the version
appears in its transaction's route table.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import ApiModel, ApiSpec, Operation
from generator.render.changelog import VersionChanges, flatten, version_changes
from generator.render.conformance.dicom_sections import (
    Coded,
    LevelView,
    TransferSyntax,
    coded,
    levels,
    syntax_names,
    transcodable,
)
from generator.render.conformance.limits import LimitView, service_limits
from generator.render.conformance.security import SecurityView, security_view
from generator.render.conformance.shared import SharedParameter, SharedStatus, described_once
from generator.render.conformance.statement import StatementText, statement_text, words
from generator.render.conformance.transactions import (
    ServiceView,
    TransactionView,
    services,
    tag_order,
    transaction_view,
)
from generator.render.docviews import VersionView, current_version, public_text, version_view, version_views


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
    names = syntax_names(spec)
    shared = described_once([op for op in spec.operations if not _is_twin(op, spec)])
    transactions = tuple(transaction_view(spec, tag, names, shared) for tag in tag_order(spec))
    previous = model.registry.previous(spec.version)
    current = current_version(model)
    dicom = spec.dicom
    return ConformanceView(
        version=version_view(spec.version, current),
        versions=version_views(model),
        current=version_view(current, current) if current else None,
        title=spec.title,
        description=public_text(spec.description),
        services=services(transactions),
        transactions=transactions,
        operation_count=len(spec.operations),
        levels=levels(dicom.get("queryLevels")),
        failure_reasons=coded(dicom.get("storeFailureReasons")),
        warning_reasons=coded(dicom.get("storeWarningReasons")),
        transcodable=transcodable(dicom.get("transcodableTransferSyntaxes")),
        excluded_vrs=tuple(str(v) for v in dicom.get("metadataExcludedVRs") or []),
        limits=tuple((words(k), v) for k, v in flatten(dicom.get("limits"))),
        service_limits=service_limits(spec),
        other=tuple(pair for key in dicom if key not in _KNOWN_DICOM for pair in flatten(dicom[key], key)),
        previous=version_view(previous) if previous else None,
        changes=changes or (version_changes(model, previous.name, version_name) if previous else None),
        statement=statement_text(dicom.get("statement")),
        security=security_view(spec),
        shared_statuses=tuple(
            SharedStatus(key, status, count) for status, (key, count) in shared.statuses.items()
        ),
        shared_parameters=tuple(
            SharedParameter(key, parameter, count) for parameter, (key, count) in shared.parameters.items()
        ),
    )


def _is_twin(op: Operation, spec: ApiSpec) -> bool:
    return op.base_operation_id != op.operation_id and any(
        o.operation_id == op.base_operation_id for o in spec.operations
    )
