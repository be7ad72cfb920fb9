"""The versions page shows the registry and the headers clients see, and the policy's example response is a
request to the deprecated version."""

from __future__ import annotations

import copy
from pathlib import Path

from generator.model import ApiModel
from generator.render import environment
from generator.render.docs import example_exchange, render_docs
from tests.docs.pages import ROOT, flat, page, render, rich_project
from tests.fixtures import REGISTRY


def test_versions_page_shows_the_registry_and_the_headers_clients_see(tmp_path: Path) -> None:
    text = page(render(rich_project(tmp_path)), "site/versions.md")
    assert "| v1.0-prerelease | prerelease | — | yes, since 2023-06-30; sunset 2027-06-30 |" in text
    assert "| v2 (current) | released | — | no |" in text
    assert "New clients should use **version 2**" in text
    assert "`/v1.0-prerelease/`, also `/v1-prerelease/`" in text
    assert (
        text.index("| v2 (current)") < text.index("| v1 |") < text.index("| v1.0-prerelease |")
    )  # newest first
    assert "[conformance statement](conformance/v2.md) · [API reference](api/v2.md) · OpenAPI" in text
    # Most endpoints exist in all three versions, export only from v1 on.
    most, export = text.split("### Endpoints in")[1:3]
    assert "`api-supported-versions: 1, 2`" in most and "`api-deprecated-versions: 1.0-prerelease`" in most
    assert "`POST /export`" in export and "`api-supported-versions: 1, 2`" in export
    assert "api-deprecated-versions" not in export
    # Requests to the deprecated version (RFC 9745 and RFC 8594 formats).
    assert "`deprecation: @1688083200`" in text
    assert "`sunset: Wed, 30 Jun 2027 00:00:00 GMT`" in text
    assert (
        '`link: <https://docs.example.test/versioning-policy.html>; rel="deprecation"; type="text/html"`'
        in text
    )


def test_versions_page_follows_a_registry_change(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["versions"][1].update(deprecated=True, sunset="2028-01-31")
    text = page(render(rich_project(tmp_path, registry=registry)), "site/versions.md")
    assert "| v1 | released | — | yes; sunset 2028-01-31 |" in text
    assert "`api-supported-versions: 2`" in text
    assert "`api-deprecated-versions: 1.0-prerelease, 1`" in text


def test_example_response_is_a_request_to_the_deprecated_version(real_model: ApiModel) -> None:
    registry = real_model.registry
    deprecated = [v for v in registry.versions if v.deprecated]
    shown = (deprecated or registry.versions)[0]  # the oldest deprecated version, as the policy shows
    exchange = example_exchange(real_model)
    assert exchange.path.startswith(f"/{shown.segment}/studies/")
    assert exchange.status == 200
    headers = dict(exchange.headers)
    assert headers["api-supported-versions"] == ", ".join(
        v.name for v in registry.versions if not v.deprecated
    )
    assert headers.get("api-deprecated-versions") == (", ".join(v.name for v in deprecated) or None)
    if shown.sunset:
        assert headers["sunset"] == shown.sunset.strftime("%a, %d %b %Y 00:00:00 GMT")
    snippet = flat(render_docs(real_model, environment(ROOT / "templates")))[
        "site/snippets/example-response.md"
    ]
    text = snippet.decode()
    assert f"GET {exchange.path} HTTP/1.1" in text and "HTTP/1.1 200 OK" in text
    for name, value in exchange.headers:
        assert f"\n{name}: {value}\n" in text
