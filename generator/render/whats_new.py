"""What's new in each released version: the changes made to its spec after its release, dated.

A released version's contract as released is kept in `specs/released/<segment>.json` (the bundled document,
written by `make generate` the first time it sees the version released and never overwritten; read back
without validation, as it passed when it was written). Every later difference the review finds between
that document and the spec (only additions pass the review in a released version) is recorded in
`specs/whats-new.yaml` with the day `make generate` first saw it. The record is part of the generated output:
`make check-generated` fails while a change to a released spec is not recorded yet, and a change that is
undone leaves the record. The migration guide renders the record and leaves these changes out of its steps.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostics
from generator.loader import build_spec
from generator.model import ApiModel, ApiSpec
from generator.refs import SpecFiles, bundle
from generator.render.changelog import readable
from generator.render.docviews import VersionView, version_view
from generator.render.service import served_json
from generator.review.changes import changes_between

RECORD_FILE = "whats-new.yaml"
_HEADER = (
    "# Written by `make generate`: what changed in each released version after its release, dated the day\n"
    "# `make generate` first saw the change (compared with specs/released/<segment>.json). Do not edit.\n"
)


@dataclass(frozen=True)
class Addition:
    date: str  # ISO date
    operation: str  # `GET /studies`; empty for a change to the document (x-dicom data)
    rule: str  # the review rule that found it
    change: str  # the review's words

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation, self.rule, self.change)


@dataclass(frozen=True)
class Release:
    version: VersionView
    additions: tuple[Addition, ...]

    @property
    def dates(self) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]:
        """Per date, newest first: each change in words with the routes it was made to (partition twins,
        which change with their routes, left out)."""
        days = sorted({a.date for a in self.additions}, reverse=True)
        return tuple((day, _grouped([a for a in self.additions if a.date == day])) for day in days)


def _grouped(additions: list[Addition]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    changes: dict[str, list[str]] = {}
    for a in additions:
        routes = changes.setdefault(_words(a.change), [])
        if a.operation and not a.operation.split(" ", 1)[-1].startswith("/partitions/"):
            routes.append(a.operation)
    return tuple((change, tuple(dict.fromkeys(routes))) for change, routes in changes.items())


def _words(change: str) -> str:
    """A change for a client's eyes: `x-transfer-syntaxes` as "transfer syntaxes"."""
    change = "new operation" if change == "endpoint added" else change
    return re.sub(r"\bx-([a-z-]+)", lambda m: m.group(1).replace("-", " "), change)


@dataclass(frozen=True)
class WhatsNew:
    releases: tuple[Release, ...]  # released versions, newest first
    baselines: dict[str, bytes]  # path from the repository root → content, created once
    record: bytes  # the record file's new content

    def keys(self, version: str) -> frozenset[tuple[str, str, str]]:
        """The changes made to `version` after its release: (operation, rule, change)."""
        for release in self.releases:
            if release.version.name == version:
                return frozenset(a.key for a in release.additions)
        return frozenset()


RELEASED_DIR = "released"


def baseline_name(spec: ApiSpec) -> str:
    return f"{RELEASED_DIR}/{spec.version.segment}.json"


def _released(specs_dir: Path, spec: ApiSpec) -> ApiSpec | None:
    """The version's document as released, or None before `make generate` first saw it released."""
    if not (specs_dir / baseline_name(spec)).is_file():
        return None
    result = bundle(SpecFiles(specs_dir / RELEASED_DIR, Diagnostics()), f"{spec.version.segment}.json")
    return build_spec(result, spec.version) if result is not None else None


def whats_new(model: ApiModel, specs_dir: Path, today: dt.date) -> WhatsNew:
    """Compare each released version with its document as released and bring the record up to date."""
    recorded = read_record(specs_dir / RECORD_FILE)
    baselines: dict[str, bytes] = {}
    record: dict[str, list[Addition]] = {}
    releases = []
    for spec in model.specs.values():
        if spec.version.prerelease:
            continue
        baselines[f"{specs_dir.name}/{baseline_name(spec)}"] = served_json(spec)
        released = _released(specs_dir, spec)
        found = _differences(released, spec) if released is not None else []
        earlier = {a.key: a for a in recorded.get(spec.version.name, [])}
        additions = [earlier.get(key) or Addition(today.isoformat(), *key) for key in found]
        additions.sort(key=lambda a: a.date)  # stable: the review's order within a day
        if additions:
            record[spec.version.name] = additions
        releases.append(Release(version_view(spec.version), tuple(additions)))
    return WhatsNew(tuple(reversed(releases)), baselines, render_record(record))


def _differences(released: ApiSpec, now: ApiSpec) -> list[tuple[str, str, str]]:
    keys = [(c.operation, c.rule.id, readable(c.message)) for c in changes_between(released, now)]
    return list(dict.fromkeys(keys))


def read_record(path: Path) -> dict[str, list[Addition]]:
    if not path.is_file():
        return {}
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(version): [
            Addition(str(e["date"]), str(e.get("operation", "")), str(e["rule"]), str(e["change"]))
            for e in entries or []
        ]
        for version, entries in data.items()
    }


def render_record(record: dict[str, list[Addition]]) -> bytes:
    data = {
        version: [
            {"date": a.date, "operation": a.operation, "rule": a.rule, "change": a.change} for a in additions
        ]
        for version, additions in record.items()
    }
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110) if data else "{}\n"
    return (_HEADER + body).encode()
