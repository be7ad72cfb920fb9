"""View objects shared by the doc pages: a version as the site shows it, a route, and value formatting.

Every field holds plain data (spec text unescaped); the templates escape it with the named filters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from generator.model import ApiModel, Operation
from generator.registry import Version

# Where the generated pages live, relative to the site's docs_dir (`site/`).
CONFORMANCE_DIR = "conformance"
API_DIR = "api"
SPECS_DIR = "specs"
SNIPPETS_DIR = "snippets"
VERSIONS_PAGE = "versions.md"
MIGRATION_PAGE = "migration.md"
POLICY_PAGE = "versioning-policy.md"
REVIEW_PAGE = "review-rules.md"


@dataclass(frozen=True)
class VersionView:
    name: str
    slug: str
    segment: str
    aliases: tuple[str, ...]
    status: str
    prerelease: bool
    deprecated: bool
    deprecation: str | None  # ISO date
    released: str | None
    sunset: str | None
    conformance: str  # page paths relative to the docs_dir
    api: str
    openapi_yaml: str
    openapi_json: str
    current: bool = False  # the version new clients should use

    @property
    def segments(self) -> tuple[str, ...]:
        """Every URL segment that names the version, the canonical one first."""
        return (self.segment, *self.aliases)

    @property
    def search_boost(self) -> float:
        """How the site search ranks the version's pages: the current version first, deprecated ones last."""
        return 2.0 if self.current else 0.5 if self.deprecated else 1.0

    @property
    def label(self) -> str:
        """The version as page titles name it: `v2`, `v1.0-prerelease`."""
        return self.segment

    @property
    def state(self) -> str:
        """The lifecycle in a few words: `released`, `prerelease, deprecated`."""
        return self.status + (", deprecated" if self.deprecated else "")


def version_view(version: Version, current: Version | None = None) -> VersionView:
    return VersionView(
        name=version.name,
        slug=version.slug,
        segment=version.segment,
        aliases=version.aliases,
        status=version.status,
        prerelease=version.prerelease,
        deprecated=version.deprecated,
        deprecation=version.deprecation.isoformat() if version.deprecation else None,
        released=version.released.isoformat() if version.released else None,
        sunset=version.sunset.isoformat() if version.sunset else None,
        conformance=f"{CONFORMANCE_DIR}/{version.slug}.md",
        api=f"{API_DIR}/{version.slug}.md",
        openapi_yaml=f"{SPECS_DIR}/{version.slug}.yaml",
        openapi_json=f"{SPECS_DIR}/{version.slug}.json",
        current=current is not None and version.name == current.name,
    )


def current_version(model: ApiModel) -> Version | None:
    """The version new clients should use: the newest released version that is not deprecated."""
    candidates = [v for v in model.registry.versions if not v.prerelease and not v.deprecated]
    return candidates[-1] if candidates else None  # the registry lists versions oldest first


def version_views(model: ApiModel) -> tuple[VersionView, ...]:
    """Every version, newest first: the one order the site lists versions in."""
    current = current_version(model)
    return tuple(version_view(v, current) for v in reversed(model.registry.versions))


@dataclass(frozen=True)
class RouteView:
    method: str  # upper case
    path: str
    operation_id: str
    summary: str
    anchor: str  # the operation's heading id on its version's conformance page

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def route_view(op: Operation) -> RouteView:
    return RouteView(
        op.method.upper(), op.path, op.operation_id, op.summary, operation_anchor(op.base_operation_id)
    )


def operation_anchor(operation_id: str) -> str:
    return "op-" + anchor(operation_id)


def anchor(text: str) -> str:
    """An HTML id made of lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def literal(value: Any, limit: int = 80) -> str:
    """A schema value as a reader types it: strings bare, everything else as compact JSON; long ones cut."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dicom_tag(tag: str) -> str:
    """`00100010` → `(0010,0010)`; anything else unchanged."""
    return f"({tag[:4]},{tag[4:]})".upper() if re.fullmatch(r"[0-9A-Fa-f]{8}", tag) else tag


# Where a statement documents each piece of top-level `x-dicom` data the spec text refers to.
DICOM_SECTIONS = {
    "queryLevels": ("the search response attributes", "search-response-attributes"),
    "storeFailureReasons": ("the store failure reason codes", "store-failure-reasons"),
    "storeWarningReasons": ("the store warning reason codes", "store-warning-reasons"),
    "transcodableTransferSyntaxes": ("the retrieve transfer syntaxes", "transcodable-transfer-syntaxes"),
    "metadataExcludedVRs": ("the retrieve metadata section", "metadata-excluded-vrs"),
    "limits": ("the limits", "limits"),
}
_DICOM_REFERENCE = re.compile(r"`x-dicom\.([A-Za-z]+)[^`]*`")
_LIST_AFTER_TEXT = re.compile(r"(?m)^((?![-*] |\d+\. )\S[^\n]*)\n(?=[-*] )")


def public_text(text: str, page: str = "") -> str:
    """Spec prose as a client page shows it: references to the spec's own `x-dicom` data become links to
    the statement's section (on `page`, the statement's path from the current page), and a list that
    follows a line of text directly (CommonMark allows that, Python-Markdown does not) gets its blank line.
    """

    def link(match: re.Match[str]) -> str:
        words, target = DICOM_SECTIONS.get(match.group(1), ("", ""))
        return f"[{words}]({page}#{target})" if target else match.group(0)

    return _LIST_AFTER_TEXT.sub(r"\1\n\n", _DICOM_REFERENCE.sub(link, text))
