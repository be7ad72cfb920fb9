"""Every operation says who may call it: a security requirement and the one data action it needs.

The requirement names a scheme of `components.securitySchemes`; the action (`x-data-action`) is one of the
`x-data-actions` that scheme lists. The service checks the action before the handler runs, so an operation
without one would be a door nobody decided to open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from generator.diagnostics import join_pointer

DATA_ACTION = "x-data-action"
DATA_ACTIONS = "x-data-actions"
REFUSALS = {"401": "no valid bearer token", "403": "the caller's roles lack the data action"}

Report = Callable[[str, str, str], None]


def declared_actions(document: dict[str, Any]) -> dict[str, str]:
    """Every data action the document's schemes declare: name → meaning."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    actions: dict[str, str] = {}
    for scheme in schemes.values() if isinstance(schemes, dict) else []:
        for entry in scheme.get(DATA_ACTIONS) or [] if isinstance(scheme, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                actions[entry["name"]] = " ".join(str(entry.get("meaning", "")).split())
    return actions


def check_security(
    document: dict[str, Any], operations: Iterable[tuple[str, str, str, dict[str, Any]]], report: Report
) -> None:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    actions = declared_actions(document)
    for path, method, pointer, operation in operations:
        where = f"{method.upper()} {path}"
        security = operation.get("security", document.get("security"))
        if (
            not isinstance(security, list)
            or not security
            or not all(isinstance(r, dict) and r for r in security)
        ):
            report(pointer, "security-missing", f"{where} declares no security requirement")
        else:
            for i, requirement in enumerate(security):
                for name in requirement:
                    if name not in schemes:
                        report(
                            join_pointer(pointer, "security", i),
                            "security-scheme-unknown",
                            f"{where} names security scheme {name!r}, not in components.securitySchemes",
                        )
        statuses = {str(status) for status in operation.get("responses") or {}}
        for status, meaning in REFUSALS.items():
            if status not in statuses:
                report(
                    join_pointer(pointer, "responses"),
                    "security-responses",
                    f"{where} must document {status} ({meaning}): the service answers it before the handler",
                )
        action = operation.get(DATA_ACTION)
        if action not in actions:
            known = ", ".join(sorted(actions)) or "none declared"
            report(
                join_pointer(pointer, DATA_ACTION) if DATA_ACTION in operation else pointer,
                "data-action",
                f"{where} must name its {DATA_ACTION}, one of the scheme's {DATA_ACTIONS} ({known})",
            )
