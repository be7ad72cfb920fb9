"""The versioning rule: which breaking changes a pull request may make, and which it must not.

- A prerelease may break ("These endpoints might experience breaking changes without notice."): changes are
  exempt when HEAD is a prerelease, or when BASE was one (a release of a prerelease promises nothing to
  break).
- A new major version may break: two files compared directly whose info.version major increased.
- A released version never breaks in place: in a folder or git-ref review versions are paired by name, so a
  breaking change inside version N needs a new version (the next major after the newest one), its own spec
  and registry entry.
- A version that disappears breaks its clients, unless it was a prerelease, or deprecated with its sunset
  date passed (or none set): deprecation is the notice the policy's `api-deprecated-versions` header gives.
- A version the pull request adds, releases, or edits while a prerelease is also compared with its
  predecessor (generator.review.succession), so the review shows what its clients will meet: allowed when
  its major number is higher.
- A breaking change that none of this allows can be waived in the waiver file; it is still reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from generator.diagnostics import Diagnostic
from generator.model import ApiSpec
from generator.review.compare import compare_specs
from generator.review.recorder import Change, Recorder
from generator.review.sources import Source
from generator.review.succession import lifecycle_changes, successions
from generator.review.waivers import Waiver


@dataclass(frozen=True)
class Pair:
    name: str
    base: ApiSpec | None
    head: ApiSpec | None


@dataclass(frozen=True)
class VersionResult:
    name: str
    base_file: str | None
    head_file: str | None
    exemption: str | None  # prerelease, new-major, deprecated: why breaking changes are allowed here
    requirement: str  # what a breaking change here needs, for the violation message
    against: str | None = None  # HEAD's version `name` compared with this older one of HEAD

    @property
    def key(self) -> str:
        """What this comparison's changes are recorded under: the version, or `2 → 3`."""
        return self.name if self.against is None else f"{self.against} → {self.name}"

    @property
    def status(self) -> str:
        if self.against is not None:
            return "against-predecessor"
        return "added" if self.base_file is None else "removed" if self.head_file is None else "compared"


@dataclass(frozen=True)
class Finding:
    """One change, however many operations, directions and parts of a call it affects."""

    change: Change  # the first place it was found
    exempt: str | None = None
    waiver: Waiver | None = None
    occurrences: tuple[Change, ...] = ()  # every place it was found (the change included)
    file: str = ""  # the document `change.side` names, as the user named it
    line: int | None = None  # the line of `change.location` in that document

    @property
    def violation(self) -> bool:
        return self.change.breaking and self.exempt is None and self.waiver is None

    @property
    def places(self) -> tuple[Change, ...]:
        return self.occurrences or (self.change,)

    @property
    def operations(self) -> list[str]:
        """The operations affected, each once, as labels (`GET /studies (searchStudies)`)."""
        return list(dict.fromkeys(c.operation_label for c in self.places))

    @property
    def directions(self) -> list[str]:
        return list(dict.fromkeys(c.direction for c in self.places))

    @property
    def contexts(self) -> list[str]:
        """The parts of the calls affected: statuses with media types, request bodies, parameters."""
        return list(dict.fromkeys(c.context for c in self.places if c.context))

    @property
    def rank(self) -> int:
        """Breaking first (violations before allowed ones), then warnings, then the rest."""
        if self.violation:
            return 0
        if self.change.breaking:
            return 1
        return 2 if self.change.severity == "warning" else 3


@dataclass(frozen=True)
class Review:
    base: str
    head: str
    versions: list[VersionResult]
    findings: list[Finding]
    stale: list[Waiver] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)  # what was read leniently, both sides

    @property
    def breaking(self) -> bool:
        """Whether HEAD breaks clients of BASE; a prerelease promises nothing, a new major still breaks.
        A version compared with its predecessor breaks no client of BASE: they opt in by moving."""
        successors = {v.key for v in self.versions if v.against is not None}
        return any(
            f.change.breaking and f.exempt != "prerelease" and f.change.version not in successors
            for f in self.findings
        )

    @property
    def successions(self) -> list[VersionResult]:
        return [v for v in self.versions if v.against is not None]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.violation]

    @property
    def requirements(self) -> list[str]:
        """One message per version with a violation, saying what the change needs."""
        broken = {f.change.version for f in self.violations}
        return [v.requirement for v in self.versions if v.key in broken]

    @property
    def verdict(self) -> str:
        if self.violations:
            return "violation"
        return "allowed" if any(f.change.breaking for f in self.findings) else "ok"

    @property
    def exit_code(self) -> int:
        return 1 if self.violations else 0


def pairs(base: Source, head: Source) -> list[Pair]:
    """Two files are one pair whatever their info.version (that is the change under review); else by name."""
    if base.kind == "file" and head.kind == "file":
        (old,), (new,) = base.specs.values(), head.specs.values()
        return [Pair(new.version.name, old, new)]
    names = [*base.specs, *(n for n in head.specs if n not in base.specs)]
    return [Pair(n, base.specs.get(n), head.specs.get(n)) for n in names]


def review(base: Source, head: Source, waivers: list[Waiver], today: dt.date | None = None) -> Review:
    today = today or dt.date.today()
    files = base.kind == "file" and head.kind == "file"
    newest = max(base.newest_major, head.newest_major)
    results: list[VersionResult] = []
    findings: list[Finding] = []
    touched: set[str] = set()
    lifecycle = lifecycle_changes(base, head) if not files else {}
    compared: list[tuple[VersionResult, list[Change], Source, ApiSpec | None]] = []
    for pair in pairs(base, head):
        result, changes = _review_pair(pair, files, newest, today)
        if changes:
            touched.add(pair.name)
        compared.append((result, [*lifecycle.get(pair.name, []), *changes], base, pair.base))
    for succession in successions(base, head, touched):
        changes = compare_specs(succession.predecessor, succession.spec, succession.key)
        result = VersionResult(
            succession.name,
            succession.predecessor.file,
            succession.spec.file,
            succession.exemption,
            succession.requirement,
            succession.predecessor.version.name,
        )
        compared.append((result, changes, head, succession.predecessor))
    for result, changes, base_source, base_spec in compared:
        results.append(result)
        for group in _grouped(changes):
            first = group[0]
            head_spec = head.specs.get(result.name)
            source, spec = (base_source, base_spec) if first.side == "base" else (head, head_spec)
            file, line = source.locate(spec.version.name, first.location) if spec else ("", None)
            exempt = result.exemption if first.breaking else None
            findings.append(Finding(first, exempt, None, tuple(group), file, line))
    findings.sort(key=lambda f: f.rank)
    used: set[int] = set()
    waived = []
    for finding in findings:
        match = next((w for w in waivers if finding.violation and w.matches(finding.change)), None)
        if match is not None:
            used.add(id(match))
            finding = replace(finding, waiver=match)
        waived.append(finding)
    stale = [w for w in waivers if id(w) not in used]
    waived.sort(key=lambda f: f.rank)
    return Review(base.label, head.label, results, waived, stale, [*base.warnings, *head.warnings])


def _grouped(changes: list[Change]) -> list[list[Change]]:
    """Changes that are one change (the same rule, place and words) found in several operations or parts."""
    groups: dict[tuple[str, str, str, str], list[Change]] = {}
    for change in changes:
        groups.setdefault((change.rule.id, change.location, change.side, change.detail), []).append(change)
    return list(groups.values())


def _review_pair(pair: Pair, files: bool, newest: int, today: dt.date) -> tuple[VersionResult, list[Change]]:
    old, new = pair.base, pair.head
    recorder = Recorder(pair.name)
    if old is None and new is not None:
        recorder.add(
            "version-added",
            operation=("", ""),
            location="",
            side="head",
            message=f"version {pair.name} added ({new.file})",
        )
        return VersionResult(pair.name, None, new.file, None, ""), recorder.changes
    if new is None and old is not None:
        version = old.version
        recorder.add(
            "version-removed",
            operation=("", ""),
            location="",
            side="base",
            message=f"version {pair.name} removed ({old.file})",
        )
        exemption = None
        if version.prerelease:
            exemption = "prerelease"
        elif version.deprecated and (version.sunset is None or version.sunset <= today):
            exemption = "deprecated"
        notice = (
            f" before its sunset date {version.sunset}" if version.deprecated else " while it is supported"
        )
        requirement = (
            f"version {pair.name} removed{notice}: keep it, or deprecate it and remove it after its sunset"
        )
        return VersionResult(pair.name, old.file, None, exemption, requirement), recorder.changes
    assert old is not None and new is not None
    changes = compare_specs(old, new, pair.name)
    b, h = old.version, new.version
    exemption = None
    if b.prerelease or h.prerelease:
        exemption = "prerelease"
    elif files and h.number.major > b.number.major:
        exemption = "new-major"
    required = max(newest, b.number.major, h.number.major) + 1
    if files:
        requirement = (
            f"breaking change without a new major version: {new.file} (info.version {h.name}) keeps major "
            f"{h.number.major} of {old.file} ({b.name}); publish it as version {required}"
        )
    else:
        requirement = (
            f"breaking change in released version {pair.name}: publish it as version {required} "
            "(a new spec + registry entry)"
        )
    return VersionResult(pair.name, old.file, new.file, exemption, requirement), changes
