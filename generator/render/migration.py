"""The migration guide of one version step: a table of changes, breaking first, for a client developer.

Rows come from two sources. The behaviour changes the newer version declares (`x-behaviour-changes`) are
breaking by the policy and carry their own words: what changed, what it was, who is affected, what to do.
The review engine's findings are grouped by what changed (the same change in several operations, such as a
shared schema, is one row naming its operations), each with what a client does about it
(generator/render/migration_actions.py). A finding is shown under a declared change instead, once, when the
declaration names both its operation and what it changed (the parameter, property, status or enum value,
written in the declaration's words). Operations added and removed are rows too. Changes made to a released
version after its release are not part of a step: they are that version's "what's new".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from generator.behaviour import BehaviourChange
from generator.render.changelog import Finding, VersionChanges, readable
from generator.render.docviews import RouteView, anchor
from generator.render.migration_actions import NOTHING, what_to_do

_ORDER = {"breaking": 0, "warning": 1, "non-breaking": 2}


@dataclass(frozen=True)
class MigrationRow:
    key: str  # the declared id, or the review rule that found the change
    declared: bool
    verdict: str  # breaking, warning or non-breaking
    what: str  # spec or policy text (escape when rendering)
    was: str
    routes: tuple[RouteView, ...]  # base routes only; partition twins change with them
    affects: str
    action: str
    findings: tuple[Finding, ...]  # review findings behind a declared change
    page: str = ""  # the conformance page the routes link to (the newer version's unless removed)

    @property
    def anchor(self) -> str:
        return "change-" + anchor(self.key)


@dataclass(frozen=True)
class MigrationStep:
    changes: VersionChanges
    rows: tuple[MigrationRow, ...]

    @property
    def anchor(self) -> str:
        return self.changes.anchor

    @property
    def breaking(self) -> int:
        return sum(1 for r in self.rows if r.verdict == "breaking")


def migration_step(changes: VersionChanges) -> MigrationStep:
    findings = [f for f in changes.findings if not f.route.path.startswith("/partitions/")]
    claimed: set[int] = set()
    declared = []
    for change in changes.declared:
        own = tuple(f for f in findings if id(f) not in claimed and names(change, f))
        claimed |= {id(f) for f in own}
        declared.append(_declared_row(change, changes, own))
    rest = [f for f in findings if id(f) not in claimed]
    rows = [
        *declared,
        *_removed_rows(changes),
        *_finding_rows(rest, findings, changes),
        *_added_rows(changes),
    ]
    rows = [r if r.page else replace(r, page=changes.newer.conformance) for r in rows]
    rows.sort(key=lambda r: (_ORDER[r.verdict], not r.declared))  # stable: the declared order is kept
    return MigrationStep(changes, tuple(rows))


_QUOTED = re.compile(r'"([^"]*)"')
_NAMED = (
    re.compile(r"\b(?:query|path|header|cookie) parameter ([A-Za-z0-9_.-]+)"),
    re.compile(r"\bproperty ([A-Za-z0-9_.\[\]]+?):"),
    re.compile(r"\bstatus (\d{3})\b"),
    re.compile(r"\bstatus \d{3} → (\d{3})\b"),
    re.compile(r"\b([A-Za-z]\w*(?:\.[\w\[\]]+)+):"),  # a schema path: `ExportResults.errors:`
)


def subjects(f: Finding) -> set[str]:
    """What a finding is about, as a declaration would name it: parameter and property names, statuses,
    enum values."""
    text = readable(f" {f.text}")
    found = {v for v in _QUOTED.findall(text) if v}
    for pattern in _NAMED:
        found |= {m.rsplit(".", 1)[-1].removesuffix("[]") for m in pattern.findall(text)}
    return found


def names(change: BehaviourChange, f: Finding) -> bool:
    """Whether a declared change names the finding's operation and what the finding changed."""
    if f.route.operation_id not in change.operations:
        return False
    words = set(
        re.findall(r"[A-Za-z0-9_]+", " ".join((change.summary, change.was, change.affects, change.action)))
    )
    return bool(subjects(f) & words)


def _declared_row(
    change: BehaviourChange, changes: VersionChanges, findings: tuple[Finding, ...]
) -> MigrationRow:
    routes = _routes(changes, set(change.operations))
    findings = tuple({f.text: f for f in findings}.values())  # one line per change, however many routes
    return MigrationRow(
        key=change.id,
        declared=True,
        verdict="breaking",
        what=change.summary,
        was=change.was,
        routes=routes,
        affects=change.affects,
        action=change.action,
        findings=findings,
    )


def _routes(changes: VersionChanges, operation_ids: set[str]) -> tuple[RouteView, ...]:
    """The newer version's base routes with these operationIds, in the changelog's order."""
    seen: dict[str, RouteView] = {}
    for change in changes.changed:
        for route in change.routes:
            if route.operation_id in operation_ids and not route.path.startswith("/partitions/"):
                seen.setdefault(route.operation_id, route)
    for finding in changes.findings:
        if finding.route.operation_id in operation_ids:
            seen.setdefault(finding.route.operation_id, finding.route)
    missing = operation_ids - set(seen)
    for route in changes.added:
        if route.operation_id in missing:
            seen.setdefault(route.operation_id, route)
    return tuple(seen.values())


def _finding_rows(
    findings: list[Finding], step: list[Finding], changes: VersionChanges
) -> list[MigrationRow]:
    """One row per change and action; the same change in several operations is one row naming them, and
    changes of one kind with one action in the same operations share a row."""
    older, newer = changes.older.name, changes.newer.name
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        action = what_to_do(f, step, newer, older) if f.verdict != "non-breaking" else NOTHING
        groups.setdefault((f.rule, f.text, action), []).append(f)
    merged: dict[tuple[str, str, tuple[RouteView, ...]], list[str]] = {}
    titles: dict[str, Finding] = {}
    for (rule, text, action), items in groups.items():
        routes = tuple(dict.fromkeys(f.route for f in items))
        merged.setdefault((rule, action, routes), []).append(text)
        titles.setdefault(rule, items[0])
    rows: list[MigrationRow] = []
    for (rule, action, routes), texts in merged.items():
        first = titles[rule]
        text = "; ".join(texts)
        rows.append(
            MigrationRow(
                key=f"{rule}-{len(rows) + 1}",
                declared=False,
                verdict=first.verdict,
                what=text if text.startswith(first.title) else f"{first.title}: {text}",
                was="",
                routes=routes,
                affects=_AFFECTS[first.verdict],
                action=action,
                findings=(),
            )
        )
    return rows


_AFFECTS = {
    "breaking": "Clients that call these operations.",
    "warning": "Clients generated from the OpenAPI document.",
    "non-breaking": "Nobody: every call that worked still does.",
}


def _removed_rows(changes: VersionChanges) -> list[MigrationRow]:
    routes = tuple(r for r in changes.removed if not r.path.startswith("/partitions/"))
    if not routes:
        return []
    return [
        MigrationRow(
            key="operations-removed",
            declared=False,
            verdict="breaking",
            what=f"Operations removed in version {changes.newer.name}.",
            was="",
            routes=routes,
            affects="Clients that call these operations.",
            action=f"Stay on version {changes.older.name} for these calls until its sunset, or stop them.",
            findings=(),
            page=changes.older.conformance,
        )
    ]


def _added_rows(changes: VersionChanges) -> list[MigrationRow]:
    declared = {op for c in changes.declared for op in c.operations}
    routes = tuple(
        r for r in changes.added if not r.path.startswith("/partitions/") and r.operation_id not in declared
    )
    if not routes:
        return []
    return [
        MigrationRow(
            key="operations-added",
            declared=False,
            verdict="non-breaking",
            what=f"Operations added in version {changes.newer.name}.",
            was="",
            routes=routes,
            affects="Nobody: new capabilities.",
            action="Nothing, unless you want to use them.",
            findings=(),
        )
    ]
