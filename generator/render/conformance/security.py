"""The security section of a conformance statement, from the same declarations the service enforces.

Each version's document names its schemes (`components.securitySchemes`), the data actions a scheme grants
(`x-data-actions`) and the one action each operation needs (`x-data-action`); partition-scoped twins need
their base's action and are not listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.model import ApiSpec
from generator.security_rules import DATA_ACTION, declared_actions


@dataclass(frozen=True)
class ActionView:
    name: str
    meaning: str
    operations: tuple[str, ...]  # `GET /studies`, in the document's order


@dataclass(frozen=True)
class SecurityView:
    schemes: tuple[tuple[str, str], ...]  # (name, description)
    actions: tuple[ActionView, ...]


def security_view(spec: ApiSpec) -> SecurityView:
    schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
    by_action: dict[str, list[str]] = {}
    names = {op.operation_id for op in spec.operations}
    for op in spec.operations:
        if op.base_operation_id != op.operation_id and op.base_operation_id in names:
            continue
        action = op.extensions.get(DATA_ACTION)
        if isinstance(action, str):
            by_action.setdefault(action, []).append(f"{op.method.upper()} {op.path}")
    meanings = declared_actions(spec.document)
    return SecurityView(
        schemes=tuple(
            (str(name), " ".join(str(scheme.get("description", "")).split()))
            for name, scheme in schemes.items()
            if isinstance(scheme, dict)
        ),
        actions=tuple(
            ActionView(name, meaning, tuple(by_action.get(name, ()))) for name, meaning in meanings.items()
        ),
    )
