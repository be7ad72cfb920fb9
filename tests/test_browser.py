"""The built doc site in a real browser: pages render, Swagger UI works offline, nothing leaves 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.render.docviews import current_version
from tests.fixtures import real_model

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:")


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("DICOMWEB_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; DICOMWEB_REQUIRE_BROWSER=1 requires the browser test to run")
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site_url(built_project: Path) -> Iterator[str]:
    chromium()
    root = built_project
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=root / "build" / "site",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base + "/index.html", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(site_url: str) -> Iterator[Any]:
    """One browser for the module (each test opens its own context): a launch costs seconds of CPU."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_home_and_every_api_reference_render_offline(site_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    model = real_model()
    versions = model.registry.versions
    requests: list[str] = []
    seen: dict[str, int] = {}
    context = browser.new_context()
    try:
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()

        page.goto(f"{site_url}/index.html")
        expect(page).to_have_title("DICOMweb API")
        expect(page.locator("h1").first).to_contain_text("DICOMweb API")
        expect(page.locator(".md-banner")).to_contain_text("deprecated")  # the nearest sunset

        for version in versions:
            page.goto(f"{site_url}/api/{version.slug}.html")
            expect(page.locator("h1").first).to_contain_text(version.name)
            ui = page.frame_locator("iframe.swagger-ui-iframe")
            operations = ui.locator(".opblock")
            expect(operations.first).to_be_visible(timeout=20_000)
            expect(ui.locator(".info .title")).to_contain_text(version.name)
            seen[version.slug] = operations.count()
            ui.locator(".opblock-summary-control").first.click()
            expect(ui.locator(".opblock-body").first).to_be_visible(timeout=10_000)
            assert ui.locator(".try-out__btn").count() == 0  # never sends requests to the docs host
    finally:
        context.close()

    spec_operations = {v.slug: len(model.spec(v.name).operations) for v in versions}
    assert seen == spec_operations  # every operation of each version is in its reference
    outside = [url for url in requests if not url.startswith((site_url, *LOCAL_SCHEMES))]
    assert not outside, outside
    assert any(url.endswith("/specs/v2.yaml") for url in requests)


OVERFLOWING_TABLES = """() => [...document.querySelectorAll('article .md-typeset__scrollwrap')]
    .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1).length"""


def test_conformance_tables_fit_at_1440_px_and_the_migration_guide_flags_behaviour_changes(
    site_url: str, browser: Any
) -> None:
    model = real_model()
    declared = {
        c.id for older, newer in itertools.pairwise(model.specs.values()) for c in newer.behaviour_changes
    }
    overflowing: dict[tuple[int, str], int] = {}
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        for version in model.registry.versions:  # every statement at 1440 px, the current one at 390 px
            page.goto(f"{site_url}/conformance/{version.slug}.html", wait_until="domcontentloaded")
            assert (
                page.locator("h1").first.inner_text().startswith(f"{version.segment} conformance statement")
            )
            overflowing[(1440, version.slug)] = page.evaluate(OVERFLOWING_TABLES)
        page.set_viewport_size({"width": 390, "height": 900})
        overflowing[(390, "v2")] = page.evaluate(OVERFLOWING_TABLES)  # the last page loaded: v2
    finally:
        page.close()
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{site_url}/migration.html")
        rows = page.locator("article table tr").all_inner_texts()
    finally:
        page.close()
    flagged = {
        name for name in declared for row in rows if name in row and row.split("\t")[0].startswith("Breaking")
    }
    assert {k: n for k, n in overflowing.items() if k[0] == 1440 and n} == {}  # nothing scrolls sideways
    assert all(n <= 3 for n in overflowing.values()), overflowing  # at 390 px at most a few tables scroll
    assert declared and flagged == declared  # every declared behaviour change is a breaking row


def test_search_finds_migration_words_with_the_current_version_first(site_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    def results(page: Any, words: str) -> list[str]:
        page.goto(f"{site_url}/index.html")
        page.locator("label.md-search__icon, .md-search__input").first.click()
        box = page.locator("input.md-search__input")
        box.press_sequentially(words, delay=20)
        links = page.locator(".md-search-result__item > .md-search-result__link")
        expect(links.first).to_be_visible(timeout=10_000)
        return [str(href) for href in links.evaluate_all("(as) => as.map(a => a.getAttribute('href'))")]

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        found = {words: results(page, words) for words in ("migrate", "sunset", "breaking", "45070")}
    finally:
        page.close()
    assert any("migration.html" in href for href in found["migrate"]), found["migrate"]
    assert found["sunset"] and found["breaking"]
    current = current_version(real_model())
    assert current is not None
    assert f"conformance/{current.slug}.html" in found["45070"][0], found["45070"]  # it ranks first
