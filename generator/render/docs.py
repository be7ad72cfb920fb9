"""Model → the doc site's generated pages (beside the hand-written ones in `site/`).

- `site/conformance/<slug>.md`: one DICOM conformance statement per version (generator/render/conformance/)
- `site/api/<slug>.md` and `site/api/index.md`: the interactive API reference (mkdocs-swagger-ui-tag)
- `site/specs/<slug>.yaml|json`: each version's bundled OpenAPI document, served by the site
- `site/versions.md`: the registry as a table, with the versioning headers clients see
- `site/migration.md`: the migration guide of each version step (generator/render/migration.py)
- `site/snippets/`: fragments the hand-written policy page includes (supported versions, a real response)
- `site/overrides/main.html`: the announcement bar for the nearest sunset
- `site/review-rules.md`: the spec review's rules, when the review engine provides them

Header values come from dicom_service.versioning, the code the service answers with, so the two cannot
disagree.
"""

from __future__ import annotations

import datetime as dt
import http
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment

from dicom_service.versioning.versions import Declared, ServiceVersion, VersionHeaders, Versions
from generator.model import ApiModel, Endpoint, Operation
from generator.render import GENERATED_MARK
from generator.render.changelog import VersionChanges, version_changes
from generator.render.conformance.limits import SERVICE_LIMITS
from generator.render.conformance.page import conformance_view
from generator.render.docviews import (
    API_DIR,
    CONFORMANCE_DIR,
    MIGRATION_PAGE,
    REVIEW_PAGE,
    SNIPPETS_DIR,
    SPECS_DIR,
    VERSIONS_PAGE,
    VersionView,
    retired_views,
    version_view,
    version_views,
)
from generator.render.migration import migration_step
from generator.render.service import served_json, served_yaml
from generator.render.whats_new import WhatsNew

DOCS_DIR = "site"
MOCK_URL = "http://127.0.0.1:8080"  # where `make mock` and `make serve` listen by default (Makefile PORT)
OVERRIDES_DIR = "overrides"


@dataclass(frozen=True)
class HeaderGroup:
    """Endpoints that report the same versioning headers."""

    routes: tuple[str, ...]  # `GET /studies`
    versions: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LifecycleView:
    version: VersionView
    headers: tuple[tuple[str, str], ...]  # what a request to the deprecated version gets on top


@dataclass(frozen=True)
class Exchange:
    """One request and the versioning headers of its response, as the service sends them."""

    version: VersionView
    operation_id: str
    method: str
    path: str  # the full request path, version segment first
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    @property
    def fence(self) -> str:
        """A code fence longer than any backtick run inside the exchange."""
        text = " ".join([self.path, *(v for _, v in (*self.request_headers, *self.headers))])
        longest = max((len(run) for run in text.replace("`", " ` ").split() if set(run) == {"`"}), default=0)
        return "`" * max(3, longest + 1)


@dataclass(frozen=True)
class NearestSunset:
    version: VersionView
    sunset: str


def render_docs(
    model: ApiModel, env: Environment, news: WhatsNew | None = None
) -> tuple[dict[str, dict[str, bytes]], dict[str, bytes]]:
    """(owned folders → {path inside: content}, owned single files → content); paths from the repo root.

    `news` holds what changed in each released version after its release (generator/render/whats_new.py)."""
    versions = version_views(model)
    current = next((v for v in versions if v.current), None)
    review = review_markdown()
    pairs = [
        version_changes(model, older.name, newer.name, news.keys(newer.name) if news else frozenset())
        for older, newer in zip(model.registry.versions, model.registry.versions[1:], strict=False)
    ]
    by_newer = {c.newer.name: c for c in pairs}  # each comparison is made once, for both pages
    conformance = env.get_template("docs/conformance.md.j2")
    api = env.get_template("docs/api.md.j2")
    trees: dict[str, dict[str, bytes]] = {
        f"{DOCS_DIR}/{CONFORMANCE_DIR}": {
            f"{v.slug}.md": _page(
                conformance.render(page=conformance_view(model, v.name, by_newer.get(v.name)), root="../")
            )
            for v in versions
        },
        f"{DOCS_DIR}/{API_DIR}": {
            **{
                f"{v.slug}.md": _page(api.render(version=v, current=current, mock_url=MOCK_URL, root="../"))
                for v in versions
            },
            "index.md": _page(
                env.get_template("docs/api-index.md.j2").render(
                    versions=versions, current=current, root="../"
                )
            ),
        },
        f"{DOCS_DIR}/{SPECS_DIR}": spec_files(model),
        f"{DOCS_DIR}/{SNIPPETS_DIR}": {
            "supported-versions.md": _page(
                env.get_template("docs/supported-versions.md.j2").render(versions=versions)
            ),
            "example-response.md": _page(
                env.get_template("docs/example-response.md.j2").render(x=example_exchange(model))
            ),
            "openapi-documents.md": _page(
                env.get_template("docs/openapi-documents.md.j2").render(versions=versions)
            ),
            "conformance-links.md": _page(
                env.get_template("docs/conformance-links.md.j2").render(versions=versions)
            ),
            "current-version.md": _page(
                env.get_template("docs/current-version.md.j2").render(
                    current=current, versions=versions, root=""
                )
            ),
            "limits.md": _page(env.get_template("docs/limits.md.j2").render(service_limits=SERVICE_LIMITS)),
            "review-link.md": _page(
                env.get_template("docs/review-link.md.j2").render(present=review is not None)
            ),
        },
        f"{DOCS_DIR}/{OVERRIDES_DIR}": {
            "main.html": _page(
                env.get_template("docs/overrides-main.html.j2").render(sunset=nearest_sunset(model))
            )
        },
    }
    files = {
        f"{DOCS_DIR}/{VERSIONS_PAGE}": _page(
            env.get_template("docs/versions.md.j2").render(
                versions=versions,
                retired=retired_views(model),
                current=current,
                groups=header_groups(model),
                lifecycle=lifecycle_headers(model),
                policy_url=model.registry.policy_url,
                root="",
            )
        ),
        f"{DOCS_DIR}/{MIGRATION_PAGE}": _page(
            env.get_template("docs/migration.md.j2").render(
                steps=[migration_step(c) for c in reversed(pairs)],
                releases=news.releases if news else (),
                current=current,
                root="",
            )
        ),
    }
    if review is not None:
        files[f"{DOCS_DIR}/{REVIEW_PAGE}"] = _page(
            env.get_template("docs/review-rules.md.j2").render(body=review)
        )
    return trees, files


def _page(text: str) -> bytes:
    """A page's bytes; its first line (after the front matter, if any) is a comment (HTML; Jinja for a theme
    file) with GENERATED_MARK."""
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") and "\n---\n" in text else text
    first = body.split("\n", 1)[0]
    if GENERATED_MARK not in first or not first.startswith(("<!--", "{#")):
        raise ValueError(
            f"a generated page must start with a comment carrying GENERATED_MARK: {first[:80]!r}"
        )
    return text.encode("utf-8")


def spec_files(model: ApiModel) -> dict[str, bytes]:
    """Each version's bundled document, as YAML and JSON, for the API reference and for download."""
    files = {}
    for spec in model.specs.values():
        files[f"{spec.version.slug}.yaml"] = served_yaml(spec)  # byte for byte what the service serves
        files[f"{spec.version.slug}.json"] = served_json(spec)
    return files


# --- versioning headers, computed with the service's own code ----------------------------------------------


def declared(model: ApiModel, endpoint: Endpoint) -> list[Declared]:
    """The endpoint's `@api_version(...)` annotations, as the generated service stubs declare them."""
    return [Declared(name, model.registry.get(name).deprecated) for name in endpoint.versions]


def endpoint_headers(model: ApiModel, endpoint: Endpoint) -> tuple[tuple[str, str], ...]:
    return tuple(VersionHeaders.of(declared(model, endpoint)).items())


def header_groups(model: ApiModel) -> tuple[HeaderGroup, ...]:
    groups: dict[tuple[str, ...], list[Endpoint]] = {}
    for endpoint in model.endpoints:
        groups.setdefault(endpoint.versions, []).append(endpoint)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return tuple(
        HeaderGroup(
            routes=tuple(f"{e.method.upper()} {e.path}" for e in endpoints),
            versions=names,
            headers=endpoint_headers(model, endpoints[0]),
        )
        for names, endpoints in ordered
    )


def service_versions(model: ApiModel) -> Versions:
    return Versions(
        [
            ServiceVersion(v.name, v.url_segments, v.prerelease, v.deprecated, v.deprecation, v.sunset)
            for v in model.registry.versions
        ],
        model.registry.policy_url,
    )


def lifecycle_headers(model: ApiModel) -> tuple[LifecycleView, ...]:
    runtime = service_versions(model)
    return tuple(
        LifecycleView(version_view(v), runtime.get(v.name).lifecycle_headers)
        for v in model.registry.versions
        if v.deprecated
    )


def example_exchange(model: ApiModel) -> Exchange:
    """A GET to the oldest deprecated version (the oldest version when none is), like the policy's screenshot.

    The route is `GET /studies/{study}` when the version has it, else the GET found in the most versions.
    """
    registry = model.registry
    version = next((v for v in registry.versions if v.deprecated), registry.versions[0])
    candidates = [
        e
        for e in model.endpoints
        if e.method == "get" and version.name in e.versions and not e.operations[version.name].partitioned
    ]
    if not candidates:
        raise ValueError(f"version {version.name} has no GET route to show in the example response")
    endpoint = min(candidates, key=lambda e: (not _is_study_retrieve(e.path), -len(e.versions), e.path))
    op = endpoint.operations[version.name]
    success = op.success
    status = int(success.status) if success and success.status.isdigit() else 200
    accept = success.content[0].name if success and success.content else None
    headers = [
        *endpoint_headers(model, endpoint),
        *service_versions(model).get(version.name).lifecycle_headers,
    ]
    return Exchange(
        version=version_view(version),
        operation_id=op.operation_id,
        method="GET",
        path=f"/{version.segment}{_fill_path(op)}",
        request_headers=(("Accept", accept),) if accept else (),
        status=status,
        reason=http.HTTPStatus(status).phrase,
        headers=tuple(headers),
    )


def _is_study_retrieve(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == "studies" and parts[1].startswith("{")


def _fill_path(op: Operation) -> str:
    path = op.path
    for param in op.parameters:
        if param.location == "path":
            value = param.example if param.example is not None else param.schema.get("example", param.name)
            path = path.replace("{" + param.name + "}", " ".join(str(value).split()).replace("/", "%2F"))
    return path


def nearest_sunset(model: ApiModel, today: dt.date | None = None) -> NearestSunset | None:
    """The deprecated version whose sunset comes first (dates in the past included: the page says so)."""
    dated = [v for v in model.registry.versions if v.deprecated and v.sunset]
    if not dated:
        return None
    first = min(dated, key=lambda v: v.sunset or dt.date.max)
    return NearestSunset(version_view(first), first.sunset.isoformat() if first.sunset else "")


# --- the review engine's rules page (optional until the engine lands) --------------------------------------


def review_markdown() -> str | None:
    """`generator.review.changes.policy_markdown()` when the review engine provides it, else None."""
    try:
        module = importlib.import_module("generator.review.changes")
    except ImportError:
        return None
    produce: Callable[[], Any] | None = getattr(module, "policy_markdown", None)
    if produce is None:
        return None
    return str(produce())


__all__ = [
    "Exchange",
    "HeaderGroup",
    "VersionChanges",
    "example_exchange",
    "header_groups",
    "lifecycle_headers",
    "render_docs",
    "version_changes",
]
