"""The built doc site in a real browser: pages render, Swagger UI works offline, nothing leaves 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from generator.loader import load_api
from tests.test_docs import ROOT, build_site

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
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium()
    root = tmp_path_factory.mktemp("docsite")
    result = build_site(root)
    assert result.returncode == 0, result.stdout + result.stderr
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


def test_home_and_every_api_reference_render_offline(site_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    model = load_api(ROOT / "specs").model
    versions = model.registry.versions
    requests: list[str] = []
    seen: dict[str, int] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
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
        finally:
            browser.close()

    spec_operations = {v.slug: len(model.spec(v.name).operations) for v in versions}
    assert seen == spec_operations  # every operation of each version is in its reference
    outside = [url for url in requests if not url.startswith((site_url, *LOCAL_SCHEMES))]
    assert not outside, outside
    assert any(url.endswith("/specs/v2.yaml") for url in requests)
