"""The version registry (specs/versions.yaml): which API versions exist, their URLs and their state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicom_service.versioning.apiversion import ApiVersion
from generator.diagnostics import Diagnostics, join_pointer
from generator.yamlsafe import YamlDocument

STATUSES = ("prerelease", "released")
# A registry entry's fields, in the order the lifecycle commands write them.
FIELDS = (
    "name",
    "segment",
    "aliases",
    "status",
    "released",
    "deprecated",
    "deprecation",
    "sunset",
    "retired",
    "spec",
)


@dataclass(frozen=True)
class Version:
    name: str
    segment: str
    aliases: tuple[str, ...]
    status: str
    deprecated: bool
    deprecation: dt.date | None
    sunset: dt.date | None
    spec: str  # empty for a retired version: it has no spec any more
    number: ApiVersion
    released: dt.date | None = None  # the day the version became available
    retired: dt.date | None = None  # no longer served from this date; the site keeps a short entry

    @property
    def prerelease(self) -> bool:
        return self.status == "prerelease"

    @property
    def url_segments(self) -> tuple[str, ...]:
        return (self.segment, *self.aliases)

    @property
    def slug(self) -> str:
        """File-name form used for generated pages and served documents (`v1.0-prerelease`)."""
        return self.segment


@dataclass(frozen=True)
class Registry:
    versions: tuple[Version, ...]  # the versions the service serves, oldest first
    docs_url: str
    policy: str
    retired: tuple[Version, ...] = ()  # versions no longer served, oldest first

    @property
    def unknown_version(self) -> str:
        """A URL segment that is a version but names none the registry has, served or retired."""
        newest = max(v.number.major for v in (*self.versions, *self.retired))
        return f"v{newest + 1}"

    @property
    def recommended(self) -> Version:
        """The version to move to: the newest released one not deprecated, else the newest served."""
        current = [v for v in self.versions if not v.prerelease and not v.deprecated]
        return (current or list(self.versions))[-1]

    @property
    def policy_url(self) -> str:
        return self.docs_url.rstrip("/") + "/" + self.policy

    def get(self, name: str) -> Version:
        for version in self.versions:
            if version.name == name:
                return version
        raise KeyError(f"unknown API version {name!r}; known: {', '.join(v.name for v in self.versions)}")

    def previous(self, version: Version) -> Version | None:
        index = self.versions.index(version)
        return self.versions[index - 1] if index else None


def parse_registry(
    doc: YamlDocument, file: str, specs_dir: Path, diagnostics: Diagnostics
) -> Registry | None:
    """Check the registry and build it; every problem goes to diagnostics, None when unusable."""
    data = doc.data

    def problem(pointer: str, code: str, message: str) -> None:
        diagnostics.add(file, pointer, code, message, doc.line_of(pointer))

    if not isinstance(data, Mapping):
        problem(
            "", "registry-shape", "the registry must be a mapping with `versions`, `docs_url` and `policy`"
        )
        return None
    for key in ("docs_url", "policy"):
        if not isinstance(data.get(key), str) or not data.get(key):
            problem(f"/{key}", "registry-field", f"`{key}` must be a non-empty string")
    entries = data.get("versions")
    if not isinstance(entries, list) or not entries:
        problem("/versions", "registry-shape", "`versions` must be a non-empty list")
        return None
    versions = [
        v
        for i, entry in enumerate(entries)
        if (v := _parse_version(entry, f"/versions/{i}", specs_dir, problem)) is not None
    ]
    seen: dict[str, str] = {}
    for i, version in enumerate(versions):
        for spelling in version.url_segments:
            other = seen.setdefault(spelling.lower(), version.name)
            if other != version.name:
                problem(
                    f"/versions/{i}",
                    "registry-duplicate",
                    f"URL segment {spelling!r} names both {other} and {version.name}",
                )
    numbers = [v.number for v in versions]
    if len(set(numbers)) != len(numbers):
        problem("/versions", "registry-duplicate", "two entries declare the same version")
    if [v.number.sort_key for v in versions] != sorted(v.number.sort_key for v in versions):
        problem("/versions", "registry-order", "versions must be listed oldest first")
    if len(versions) == len(entries) and all(v.retired for v in versions):
        problem("/versions", "registry-shape", "every version is retired; the service would serve none")
    if diagnostics.errors:
        return None
    return Registry(
        tuple(v for v in versions if v.retired is None),
        str(data["docs_url"]),
        str(data["policy"]),
        tuple(v for v in versions if v.retired is not None),
    )


def _parse_version(entry: Any, pointer: str, specs_dir: Path, problem: Any) -> Version | None:
    if not isinstance(entry, Mapping):
        problem(pointer, "registry-shape", "each version must be a mapping")
        return None
    for key in sorted(set(entry) - set(FIELDS)):
        problem(join_pointer(pointer, key), "registry-field", f"unknown field {key!r}")
    ok = True

    def text(key: str, required: bool = True) -> str | None:
        nonlocal ok
        value = entry.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            problem(join_pointer(pointer, key), "registry-field", f"`{key}` must be a non-empty string")
            ok = False
            return None
        return value

    retired = entry.get("retired") is not None
    name, segment, status = text("name"), text("segment"), text("status")
    spec = text("spec", required=not retired)
    number = ApiVersion.parse(name) if name else None
    if name and number is None:
        problem(
            join_pointer(pointer, "name"),
            "registry-version",
            f"{name!r} is not a version (`2`, `1.0-prerelease`)",
        )
        ok = False
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problem(join_pointer(pointer, "aliases"), "registry-field", "`aliases` must be a list of strings")
        ok, aliases = False, []
    for key, spelling in [("segment", segment), *[(f"aliases/{i}", a) for i, a in enumerate(aliases)]]:
        if spelling and number and ApiVersion.from_segment(spelling) != number:
            problem(
                f"{pointer}/{key}",
                "registry-segment",
                f"URL segment {spelling!r} does not name version {name}",
            )
            ok = False
    if status is not None and status not in STATUSES:
        problem(
            join_pointer(pointer, "status"),
            "registry-field",
            f"`status` must be one of {', '.join(STATUSES)}",
        )
        ok = False
    # `3` may be a prerelease until `version release 3`; a labelled name (`3.0-prerelease`) never is released.
    if number and number.status is not None and status == "released":
        problem(
            join_pointer(pointer, "status"),
            "registry-status",
            f"version {name} has a prerelease label but status 'released'",
        )
        ok = False
    deprecated = entry.get("deprecated", False)
    if not isinstance(deprecated, bool):
        problem(join_pointer(pointer, "deprecated"), "registry-field", "`deprecated` must be true or false")
        ok = False
    dates: dict[str, dt.date | None] = {}
    for key in ("released", "deprecation", "sunset", "retired"):
        raw = text(key, required=False)
        try:
            dates[key] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            problem(
                join_pointer(pointer, key),
                "registry-date",
                f"`{key}` must be a date (YYYY-MM-DD), got {raw!r}",
            )
            ok = False
    if (dates.get("deprecation") or dates.get("sunset")) and deprecated is not True:
        problem(pointer, "registry-date", "deprecation and sunset dates need `deprecated: true`")
        ok = False
    if (d := dates.get("deprecation")) and (s := dates.get("sunset")) and s <= d:
        problem(
            join_pointer(pointer, "sunset"), "registry-date", "the sunset must come after the deprecation"
        )
        ok = False
    if retired and spec:
        problem(join_pointer(pointer, "spec"), "registry-retired", "a retired version has no spec any more")
        ok = False
    if spec and not retired and not (specs_dir / spec).is_file():
        problem(join_pointer(pointer, "spec"), "registry-spec-missing", f"spec file {spec!r} does not exist")
        ok = False
    if not ok or not (name and segment and status and (spec or retired) and number):
        return None
    return Version(
        name=name,
        segment=segment,
        aliases=tuple(aliases),
        status=status,
        deprecated=bool(deprecated),
        deprecation=dates.get("deprecation"),
        sunset=dates.get("sunset"),
        spec=spec or "",
        number=number,
        released=dates.get("released"),
        retired=dates.get("retired"),
    )
