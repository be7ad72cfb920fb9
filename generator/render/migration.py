"""The migration guide of one version step: a table of changes, breaking first, for a client developer.

Rows come from two sources. The behaviour changes the newer version declares (`x-behaviour-changes`) are
breaking by the policy and carry their own words: what changed, what it was, who is affected, what to do.
The review engine's findings are grouped by what changed (the same change in several operations, such as a
shared schema, is one row naming its operations); a finding inside an operation that a declared change
names is shown under that change instead of as a row of its own. Operations added and removed are rows too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from generator.behaviour import BehaviourChange
from generator.render.changelog import Finding, VersionChanges
from generator.render.docviews import RouteView, anchor

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
    declared = [_declared_row(c, changes) for c in changes.declared]
    claimed = {id(f) for row in declared for f in row.findings}
    rest = [
        f for f in changes.findings if id(f) not in claimed and not f.route.path.startswith("/partitions/")
    ]
    rows = [*declared, *_removed_rows(changes), *_finding_rows(rest), *_added_rows(changes)]
    rows = [r if r.page else replace(r, page=changes.newer.conformance) for r in rows]
    rows.sort(key=lambda r: (_ORDER[r.verdict], not r.declared))  # stable: the declared order is kept
    return MigrationStep(changes, tuple(rows))


def _declared_row(change: BehaviourChange, changes: VersionChanges) -> MigrationRow:
    names = set(change.operations)
    routes = _routes(changes, names)
    findings = tuple(
        f
        for f in changes.findings
        if f.route.operation_id in names and not f.route.path.startswith("/partitions/")
    )
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


def _finding_rows(findings: list[Finding]) -> list[MigrationRow]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.rule, f.text), []).append(f)
    rows: list[MigrationRow] = []
    for (rule, text), items in groups.items():
        first = items[0]
        breaking = first.verdict == "breaking"
        rows.append(
            MigrationRow(
                key=f"{rule}-{len(rows) + 1}",
                declared=False,
                verdict=first.verdict,
                what=f"{first.title}: {text}",
                was="",
                routes=tuple(dict.fromkeys(f.route for f in items)),
                affects="Clients of these operations."
                if breaking
                else "Nobody: every call that worked still does.",
                action=(
                    "Check that your client handles the new contract."
                    if breaking
                    else "Review the change if you generate code from the OpenAPI document."
                    if first.verdict == "warning"
                    else "Nothing."
                ),
                findings=(),
            )
        )
    return rows


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
