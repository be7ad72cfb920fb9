"""What changed between two versions, as the changelog and the conformance statements show it.

`version_changes` is the one place that computes differences. Contract changes come from the review engine,
each with its verdict under the versioning policy; the model adds what the review deliberately leaves out:
the operations added and removed, description changes (where behaviour changes are written down), and the
x-dicom conformance data with its migration notes. Everything it returns is plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.behaviour import BehaviourChange, newly_declared
from generator.loader import diff_pointers
from generator.model import ApiModel, ApiSpec, Endpoint
from generator.refs import resolve_pointer
from generator.render.docviews import RouteView, VersionView, anchor, literal, route_view, version_view
from generator.review.changes import changes_between


@dataclass(frozen=True)
class ChangeLine:
    """One difference inside an operation, with its verdict under the versioning policy."""

    verdict: str  # breaking, non-breaking, warning (from the review's policy table), or documentation
    rule: str  # the policy rule id; `description` for a change of documented text
    text: str  # what changed, in the review's words (spec text: escape when rendering)


@dataclass(frozen=True)
class OperationChange:
    routes: tuple[RouteView, ...]  # the route and, when it changed the same way, its partition twin
    lines: tuple[ChangeLine, ...]


@dataclass(frozen=True)
class DicomChange:
    """A change in the top-level x-dicom conformance data."""

    subject: str  # our words: "study level, returned by default"
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, str, str], ...] = ()  # (key, old, new)


@dataclass(frozen=True)
class MovedAttributes:
    """Attributes no longer returned by default at a level; `optional` ones can still be asked for."""

    level: str
    optional: tuple[str, ...]
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """One contract difference the review found inside an operation of both versions."""

    verdict: str  # breaking, non-breaking or warning
    rule: str
    title: str  # the rule's title: "response enum widened"
    route: RouteView
    text: str
    context: str = ""  # where in the call: "query parameter limit", "response 200 (application/json)"
    detail: str = ""  # what changed there: "default 10 → 100"
    statuses: tuple[str, ...] = ()  # the statuses the newer version documents for the operation


@dataclass(frozen=True)
class VersionChanges:
    older: VersionView
    newer: VersionView
    added: tuple[RouteView, ...]
    removed: tuple[RouteView, ...]
    changed: tuple[OperationChange, ...]
    dicom: tuple[DicomChange, ...]
    moved: tuple[MovedAttributes, ...]
    findings: tuple[Finding, ...] = ()
    declared: tuple[BehaviourChange, ...] = ()  # behaviour changes `newer` declares and `older` does not

    @property
    def anchor(self) -> str:
        return anchor(f"{self.older.slug}-to-{self.newer.slug}")

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.dicom)


def version_changes(
    model: ApiModel, older: str, newer: str, later: frozenset[tuple[str, str, str]] = frozenset()
) -> VersionChanges:
    """The differences between two versions (by registry name), from the model.

    `later` holds the changes made to `newer` after its release, (operation, rule, text): they are what's new
    in `newer`, not part of moving to it, and are left out."""
    old_spec, new_spec = model.spec(older), model.spec(newer)
    old_routes = {(op.method, op.path): op for op in old_spec.operations}
    new_routes = {(op.method, op.path): op for op in new_spec.operations}
    added_later = {operation for operation, rule, _ in later if rule == "endpoint-added"}
    added = tuple(
        route_view(op)
        for key, op in new_routes.items()
        if key not in old_routes and f"{op.method.upper()} {op.path}" not in added_later
    )
    removed = tuple(route_view(op) for key, op in old_routes.items() if key not in new_routes)
    per_route: dict[tuple[str, str], list[ChangeLine]] = {}
    findings: list[Finding] = []
    for change in changes_between(old_spec, new_spec):
        if not change.operation or change.rule.id in ROUTE_LISTS:
            continue  # document-level notes are the x-dicom section; route lists come from the model
        method, path = change.operation.split(" ", 1)
        text = readable(change.message)
        if (change.operation, change.rule.id, text) in later:
            continue
        per_route.setdefault((method.lower(), path), []).append(
            ChangeLine(change.severity, change.rule.id, text)
        )
        if (method.lower(), path) in new_routes:
            op = new_routes[(method.lower(), path)]
            statuses = tuple(r.status for r in op.responses)
            findings.append(
                Finding(
                    change.severity,
                    change.rule.id,
                    change.rule.title,
                    route_view(op),
                    text,
                    change.context,
                    change.detail,
                    statuses,
                )
            )
    for endpoint in model.endpoints:
        if older in endpoint.operations and newer in endpoint.operations:
            notes = documentation_lines(endpoint, older, newer)
            if notes:
                per_route.setdefault((endpoint.method, endpoint.path), []).extend(notes)
    return VersionChanges(
        older=version_view(old_spec.version),
        newer=version_view(new_spec.version),
        added=added,
        removed=removed,
        changed=_merge_twins(new_spec, {k: tuple(v) for k, v in per_route.items()}),
        dicom=tuple(dicom_changes(old_spec.dicom, new_spec.dicom)),
        moved=tuple(moved_attributes(old_spec.dicom, new_spec.dicom)),
        findings=tuple(findings),
        declared=newly_declared(old_spec.behaviour_changes, new_spec.behaviour_changes),
    )


_SCHEMA_ROOT = re.compile(r" \$: ")
_SCHEMA_PATH = re.compile(r" \$\.(\S+?):")


def readable(message: str) -> str:
    """A review message for client pages: the review's schema paths (`$`, `$.status`) in words."""
    return _SCHEMA_PATH.sub(r" property \1:", _SCHEMA_ROOT.sub(": ", message))


# Reported by the review but shown from the model: the added and removed operations are listed on their own.
ROUTE_LISTS = frozenset({"endpoint-added", "endpoint-removed"})
DOCUMENTED_TEXT = ("description", "summary")


def documentation_lines(endpoint: Endpoint, older: str, newer: str) -> tuple[ChangeLine, ...]:
    """Changes of documented text (descriptions, summaries), which the review leaves out of the contract."""
    old, new = endpoint.operations[older].contract, endpoint.operations[newer].contract
    lines: list[ChangeLine] = []
    for pointer in _pairwise_pointers(endpoint, older, newer):
        parts = [_unescape(p) for p in pointer.split("/")[1:]]
        if not parts or parts[-1] not in DOCUMENTED_TEXT:
            continue
        before, after = _value_at(old, pointer), _value_at(new, pointer)
        where = _where(parts, new if after is not _MISSING else old)
        if before is _MISSING:
            text = f"{where} added"
        elif after is _MISSING:
            text = f"{where} removed"
        else:
            text = f"{where} changed"  # the statements show the whole text; a cut quote helps nobody
        lines.append(ChangeLine("documentation", "description", text))
    return tuple(lines)


def _where(parts: list[str], contract: dict[str, Any]) -> str:
    """`response 202 description`, `parameter limit description`, `operation summary`."""
    if parts[0] == "parameters" and len(parts) > 1 and parts[1].isdigit():
        parameters = contract.get("parameters") or []
        index = int(parts[1])
        name = parameters[index].get("name", parts[1]) if index < len(parameters) else parts[1]
        return " ".join(["parameter", str(name), *parts[2:]])
    place, name, rest = _place(parts)
    return " ".join(p for p in (place, name, *rest) if p)


def _pairwise_pointers(endpoint: Endpoint, older: str, newer: str) -> tuple[str, ...]:
    """The endpoint's difference pointers between two of its versions (consecutive or not)."""
    names = list(endpoint.operations)
    if names.index(newer) - names.index(older) == 1:
        return endpoint.differences.get((older, newer), ())
    return tuple(diff_pointers(endpoint.operations[older].contract, endpoint.operations[newer].contract))


def _place(parts: list[str]) -> tuple[str, str, list[str]]:
    if len(parts) >= 2 and parts[0] == "responses":
        return "response", parts[1], parts[2:]
    if parts and parts[0] == "requestBody":
        return "request body", "", parts[1:]
    return "operation", "", parts


_MISSING: Any = object()


def _value_at(document: Any, pointer: str) -> Any:
    try:
        return resolve_pointer(document, pointer)
    except (KeyError, ValueError, IndexError, TypeError):
        return _MISSING


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _merge_twins(
    spec: ApiSpec, per_route: dict[tuple[str, str], tuple[ChangeLine, ...]]
) -> tuple[OperationChange, ...]:
    """One entry per base route; its partition twin joins it when it changed in exactly the same way."""
    changes: list[OperationChange] = []
    merged: set[tuple[str, str]] = set()
    by_id = {op.operation_id: op for op in spec.operations}
    for op in spec.operations:
        key = (op.method, op.path)
        if key not in per_route or key in merged:
            continue
        routes = [route_view(op)]
        twin = by_id.get(op.operation_id + "InPartition") if not op.partitioned else None
        twin_key = (twin.method, twin.path) if twin else None
        if twin_key and _without_partition(per_route.get(twin_key, ())) == _without_partition(per_route[key]):
            routes.append(route_view(twin))  # type: ignore[arg-type]
            merged.add(twin_key)
        changes.append(OperationChange(tuple(routes), per_route[key]))
    return tuple(changes)


def _without_partition(lines: tuple[ChangeLine, ...]) -> tuple[ChangeLine, ...]:
    """The lines that must match for a twin to be listed with its base route."""
    return tuple(
        line
        for line in lines
        if "partitionName" not in line.text and line.rule not in ("operation-id-changed", "description")
    )


# --- the top-level x-dicom conformance data ---------------------------------------------------------------


def dicom_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[DicomChange]:
    old_levels, new_levels = old.get("queryLevels") or {}, new.get("queryLevels") or {}
    for level in [*old_levels, *(k for k in new_levels if k not in old_levels)]:
        for kind, words in (
            ("default", "returned by default"),
            ("additional", "returned through `includefield`"),
        ):
            before = _keywords((old_levels.get(level) or {}).get(kind))
            after = _keywords((new_levels.get(level) or {}).get(kind))
            if before != after:
                yield DicomChange(f"{level} level, {words}", *_added_removed(before, after))
    for key, words in (
        ("storeFailureReasons", "store failure reason codes"),
        ("storeWarningReasons", "store warning reason codes"),
    ):
        yield from _coded(old.get(key), new.get(key), "code", "meaning", words)
    yield from _coded(
        old.get("transcodableTransferSyntaxes"),
        new.get("transcodableTransferSyntaxes"),
        "uid",
        "name",
        "transcodable transfer syntaxes",
    )
    before_vrs, after_vrs = (
        [str(v) for v in old.get("metadataExcludedVRs") or []],
        [str(v) for v in new.get("metadataExcludedVRs") or []],
    )
    if before_vrs != after_vrs:
        yield DicomChange("VRs left out of metadata", *_added_removed(before_vrs, after_vrs))
    before_limits, after_limits = dict(flatten(old.get("limits"))), dict(flatten(new.get("limits")))
    if before_limits != after_limits:
        yield DicomChange(
            "limits",
            tuple(f"{k}: {v}" for k, v in after_limits.items() if k not in before_limits),
            tuple(f"{k}: {v}" for k, v in before_limits.items() if k not in after_limits),
            tuple(
                (k, v, after_limits[k])
                for k, v in before_limits.items()
                if k in after_limits and after_limits[k] != v
            ),
        )
    known = {
        "queryLevels",
        "storeFailureReasons",
        "storeWarningReasons",
        "transcodableTransferSyntaxes",
        "metadataExcludedVRs",
        "limits",
    }
    other = sorted(k for k in {*old, *new} - known if old.get(k) != new.get(k))
    for key in other:
        before_other, after_other = dict(flatten(old.get(key))), dict(flatten(new.get(key)))
        yield DicomChange(
            key,
            tuple(f"{k}: {v}" for k, v in after_other.items() if k not in before_other),
            tuple(f"{k}: {v}" for k, v in before_other.items() if k not in after_other),
            tuple(
                (k, v, after_other[k])
                for k, v in before_other.items()
                if k in after_other and after_other[k] != v
            ),
        )


def moved_attributes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[MovedAttributes]:
    """Per level, the attributes the older version returned by default and the newer one does not."""
    old_levels, new_levels = old.get("queryLevels") or {}, new.get("queryLevels") or {}
    for level, before in old_levels.items():
        after = new_levels.get(level) or {}
        gone = _missing_from(_keywords(after.get("default")), _keywords((before or {}).get("default")))
        if gone:
            optional = set(_keywords(after.get("additional")))
            yield MovedAttributes(
                level, tuple(k for k in gone if k in optional), tuple(k for k in gone if k not in optional)
            )


def _keywords(entries: Any) -> list[str]:
    return [str(e.get("keyword", e.get("tag", ""))) if isinstance(e, dict) else str(e) for e in entries or []]


def _added_removed(before: list[str], after: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _missing_from(before, after), _missing_from(after, before)


def _missing_from(present: list[str], candidates: list[str]) -> tuple[str, ...]:
    """The candidates not in present, in the candidates' order."""
    have = set(present)
    return tuple(c for c in candidates if c not in have)


def _coded(old: Any, new: Any, key: str, label: str, subject: str) -> Iterator[DicomChange]:
    before = {str(e.get(key)): str(e.get(label, "")) for e in old or [] if isinstance(e, dict)}
    after = {str(e.get(key)): str(e.get(label, "")) for e in new or [] if isinstance(e, dict)}
    if before != after:
        yield DicomChange(
            subject,
            tuple(f"{k} {v}".strip() for k, v in after.items() if k not in before),
            tuple(f"{k} {v}".strip() for k, v in before.items() if k not in after),
            tuple((k, v, after[k]) for k, v in before.items() if k in after and after[k] != v),
        )


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """A nested mapping as (dotted key, readable value) pairs; lists of scalars stay one value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    elif value is not None:
        yield prefix, ", ".join(literal(v) for v in value) if isinstance(value, list) else literal(value)
