"""`x-behaviour-changes`: behaviour changes a version declares, read from the top level of its spec.

A behaviour change is what a contract diff cannot see ("used to do foo, but it now does bar"): each entry
names an id the service's tests can cite, a one-line summary, the operations it touches, who is affected and
what a client does about it. A spec lists every change declared up to its version, so a later version copied
from it carries them on; a change is *new* in a version when its id is not declared in the one before.

    x-behaviour-changes:
      - id: stow-202-on-warnings
        summary: Store answers 202 Accepted, not 200, when a stored instance carries a warning.
        operations: [storeInstances, storeInstancesInStudy]
        affects: Clients that treat only 200 as complete success.
        action: Treat 202 as stored-with-problems and read the WarningReason of each instance.
        was: 200 OK, warnings only in the body.   # optional: the previous behaviour
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.diagnostics import join_pointer

KEY = "x-behaviour-changes"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TEXTS = ("summary", "affects", "action")


@dataclass(frozen=True)
class BehaviourChange:
    id: str
    summary: str
    operations: tuple[str, ...]  # operationIds; a partition twin is implied by its base
    affects: str
    action: str
    was: str = ""


def read_behaviour_changes(document: dict[str, Any]) -> tuple[BehaviourChange, ...]:
    """The well-formed entries (check_behaviour_changes reports the others)."""
    entries = document.get(KEY)
    if not isinstance(entries, list):
        return ()
    return tuple(
        BehaviourChange(
            id=e["id"],
            summary=" ".join(e["summary"].split()),
            operations=tuple(e["operations"]),
            affects=" ".join(e["affects"].split()),
            action=" ".join(e["action"].split()),
            was=" ".join(str(e.get("was", "")).split()),
        )
        for e in entries
        if not _problems(e)
    )


def check_behaviour_changes(document: dict[str, Any], report: Callable[[str, str, str], None]) -> None:
    """Each malformed entry, unknown operationId and repeated id, reported with its pointer."""
    entries = document.get(KEY)
    if entries is None:
        return
    if not isinstance(entries, list):
        report("/" + KEY, "behaviour-change", f"{KEY} must be a list of declared behaviour changes")
        return
    known = {
        op.get("operationId")
        for item in (document.get("paths") or {}).values()
        if isinstance(item, dict)
        for op in item.values()
        if isinstance(op, dict)
    }
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        pointer = join_pointer("/" + KEY, i)
        for problem in _problems(entry):
            report(pointer, "behaviour-change", problem)
        if not isinstance(entry, dict):
            continue
        if entry.get("id") in seen:
            report(join_pointer(pointer, "id"), "behaviour-change", f"id {entry['id']!r} is declared twice")
        seen.add(str(entry.get("id")))
        for j, op in enumerate(entry.get("operations") or []):
            if op not in known:
                report(
                    join_pointer(pointer, "operations", j), "behaviour-change", f"no operation {op!r} here"
                )


def _problems(entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return ["a behaviour change is a mapping with id, summary, operations, affects and action"]
    problems = []
    if not isinstance(entry.get("id"), str) or not _ID.match(entry["id"]):
        problems.append("id must be kebab-case letters and digits (`stow-202-on-warnings`)")
    for key in _TEXTS:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.append(f"{key} must be a non-empty text")
    operations = entry.get("operations")
    if not isinstance(operations, list) or not operations or not all(isinstance(o, str) for o in operations):
        problems.append("operations must list the operationIds the change touches")
    if "was" in entry and not isinstance(entry["was"], str):
        problems.append("was must be a text")
    unknown = sorted(set(entry) - {"id", "operations", "was", *_TEXTS})
    if unknown:
        problems.append(f"unknown keys: {', '.join(unknown)}")
    return problems


def newly_declared(
    older: tuple[BehaviourChange, ...], newer: tuple[BehaviourChange, ...]
) -> tuple[BehaviourChange, ...]:
    """The changes `newer` declares that `older` does not: what a client of `older` meets."""
    before = {c.id for c in older}
    return tuple(c for c in newer if c.id not in before)
