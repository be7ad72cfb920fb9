"""Prose and examples that the version registry has overtaken.

Two kinds of claim in hand-written pages, the README and the specs go stale when a version is added,
deprecated or retired: a version cited as one the service does not have (`/v3/studies` answered
`UnsupportedApiVersion`) that the registry now has, and `api-supported-versions` / `api-deprecated-versions`
header values naming a version in the wrong list or one no longer served. Generated pages derive from the
registry and are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dicom_service.versioning.apiversion import ApiVersion
from generator.registry import Registry

# Hand-written text that shows versions; generated folders (site/conformance, site/api, site/specs) excluded.
SOURCES = ("README.md", "site/*.md", "site/maintainers/*.md", "site/viewers/*.md", "specs/*.yaml")
GENERATED = ("site/versions.md", "site/migration.md", "site/review-rules.md")
_UNSUPPORTED_HINT = re.compile(
    r"UnsupportedApiVersion|does not (?:have|support)|not supported|unknown version"
)
_SEGMENT = re.compile(r"/(v\d[\w.-]*)/")
_QUOTED = re.compile(r"does not support the API version '([^']+)'")
_HEADER = re.compile(r"(api-supported-versions|api-deprecated-versions):\s*`?\s*([0-9][\w.\- ,]*[\w])")


@dataclass(frozen=True)
class Stale:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def stale_prose(root: Path, registry: Registry) -> list[Stale]:
    files = sorted({p for pattern in SOURCES for p in root.glob(pattern)})
    found: list[Stale] = []
    for path in files:
        relative = path.relative_to(root).as_posix()
        if relative in GENERATED:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        found += stale_lines(relative, lines, registry)
    return found


def stale_lines(path: str, lines: Iterable[str], registry: Registry) -> list[Stale]:
    known = {v.number: v for v in (*registry.versions, *registry.retired)}
    supported = [v.name for v in registry.versions if not v.deprecated]
    deprecated = [v.name for v in registry.versions if v.deprecated]
    found: list[Stale] = []
    for number, line in enumerate(lines, 1):
        if _UNSUPPORTED_HINT.search(line):
            cited = [ApiVersion.from_segment(s) for s in _SEGMENT.findall(line)]
            cited += [ApiVersion.parse(q) for q in _QUOTED.findall(line)]
            for version in {c for c in cited if c is not None and c in known}:
                found.append(
                    Stale(
                        path,
                        number,
                        f"cites version {known[version].name} as one the service does not have, but the "
                        "registry has it; use /v0/ (`version new` refuses 0) or derive the example from "
                        "the registry",
                    )
                )
        for header, value in _HEADER.findall(line):
            names = [n.strip() for n in value.split(",")]
            allowed = supported if header == "api-supported-versions" else deprecated
            wrong = [n for n in names if n not in allowed]
            if wrong:
                found.append(
                    Stale(
                        path,
                        number,
                        f"shows `{header}: {value}` but the registry's {header} are "
                        f"{', '.join(allowed) or 'none'}"
                        f" ({', '.join(wrong)} not among them)",
                    )
                )
    return found
