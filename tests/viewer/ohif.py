"""OHIF Viewer 3.13.2 on one loopback port, the service (with CORS for it, and tokens required) on another,
the suite's OpenID Connect provider on a third, the eight image-kind studies stored in the service, and
Debian's chromium through Playwright: what the browser test drives. OHIF signs in through the provider (its
`oidc` section, authorization code with PKCE) and sends the access token with every request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.auth.provider import running_provider
from tests.fixtures import ROOT
from tests.service.live import LiveService, free_port
from tests.viewer.studies import write_all

OHIF_DIST = ROOT / ".npm" / "ohif" / "package" / "dist"  # `make test` unpacks it (npm pack @ohif/app@3.13.2)
APP_CONFIG = ROOT / "site" / "viewers" / "ohif-app-config.js"  # the doc page's app-config.js, as published
DOCUMENTED_ROOT = "http://127.0.0.1:8080"
OIDC_CONFIG = ROOT / "site" / "viewers" / "ohif-oidc.js"  # the doc page's sign-in section, as published
DOCUMENTED_ISSUER = "https://login.example.org/realms/hospital"
AUDIENCE = "api://dicom"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    # WebGL still draws in SwiftShader, but the page is composited in software: compositing each frame in
    # SwiftShader cost 38 s of CPU over the eight kinds, against 4 s this way (and first images 2-3x sooner).
    "--disable-gpu-compositing",
    "--no-first-run",
    # Loopback only: no other name resolves (the provider's sign-in page asks for a web font on the internet).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# The share of the viewport canvas's pixels that are not black; an image covers far more than this.
NOT_BLANK = 0.02
# Measured on a copy at most 128 pixels wide: reading the whole WebGL canvas back ten times a second slowed
# the software renderer that draws it.
CANVAS_SHARE = """() => {
  const c = document.querySelector('canvas.cornerstone-canvas');
  if (!c || !c.width || !c.height) return 0;
  const copy = document.createElement('canvas');
  copy.width = Math.min(c.width, 128); copy.height = Math.max(1, Math.round(c.height * copy.width / c.width));
  const g = copy.getContext('2d');
  g.drawImage(c, 0, 0, copy.width, copy.height);
  const d = g.getImageData(0, 0, copy.width, copy.height).data;
  let lit = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > 8 || d[i + 1] > 8 || d[i + 2] > 8) lit++;
  return lit / (d.length / 4);
}"""


def required(reason: str) -> None:
    if os.environ.get("DICOMWEB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + "; DICOMWEB_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(reason)


@dataclass
class Visit:
    """What one page saw: console errors, failed requests, and every answer of the service."""

    service_root: str
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)  # requests to the service without a bearer token
    pending: set[Any] = field(default_factory=set)  # requests sent, not yet answered or failed

    def reset(self) -> None:
        """Start a new visit on the same page."""
        self.errors.clear()
        self.failed.clear()
        self.answers.clear()
        self.unsigned.clear()

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._sent)
        page.on("requestfinished", lambda r: self.pending.discard(r))
        page.on("requestfailed", self._failed)
        page.on("response", self._answer)

    def settle(self, page: Any, quiet_ms: int = 500, timeout_s: float = 60) -> None:
        """Wait until no request has been in flight for `quiet_ms`: the page's single-page navigations never
        reach a new "networkidle" load state, so it is watched here."""
        deadline, quiet = time.monotonic() + timeout_s, 0
        while quiet < quiet_ms:
            assert time.monotonic() < deadline, f"requests still in flight: {[r.url for r in self.pending]}"
            page.wait_for_timeout(100)
            quiet = quiet + 100 if not self.pending else 0

    def _sent(self, request: Any) -> None:
        self.pending.add(request)
        signed = (request.headers.get("authorization") or "").startswith("Bearer ")
        if request.url.startswith(self.service_root) and request.method != "OPTIONS" and not signed:
            self.unsigned.append(f"{request.method} {request.url}")

    def _failed(self, request: Any) -> None:
        self.pending.discard(request)
        self.failed.append(f"{request.url} {request.failure}")

    def _answer(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")
        if response.url.startswith(self.service_root):
            self.answers.append((response.status, response.url[len(self.service_root) :]))


@dataclass
class Setup:
    viewer: str  # OHIF's origin
    service: LiveService


def sign_in(page: Any) -> None:
    """On the provider's own sign-in form (any login and password of its development interactions)."""
    page.locator("input[name=login]").fill("radiologist", timeout=60_000)
    page.locator("input[name=password]").fill("any")
    page.locator("button[type=submit]").click()


@contextmanager
def viewer_and_service(folder: Path) -> Iterator[Setup]:
    """The provider, the service (tokens required, CORS for OHIF's origin) with the eight studies stored, and
    OHIF configured for both, with the documented app-config.js and OIDC section."""
    if not (OHIF_DIST / "index.html").exists():
        required(f"OHIF is not unpacked in {OHIF_DIST.relative_to(ROOT)} (make ohif)")
    viewer_port = free_port()
    viewer = f"http://127.0.0.1:{viewer_port}"
    with running_provider(AUDIENCE, viewer) as provider:
        settings = {
            "DICOM_CORS_ORIGINS": viewer,
            "DICOM_AUTH_AUTHORITY": provider.url,
            "DICOM_AUTH_AUDIENCE": AUDIENCE,
        }
        service = LiveService(folder / "data", settings)
        service.start()
        try:
            token = provider.token("owner")
            for key, path in write_all(folder / "studies").items():
                stored = requests.post(
                    f"{service.root}/v2/studies",
                    data=path.read_bytes(),
                    headers={
                        "Content-Type": "application/dicom",
                        "Accept": "application/dicom+json",
                        "Authorization": f"Bearer {token}",
                    },
                    timeout=60,
                )
                assert stored.status_code == 200, (key, stored.status_code, stored.text[:300])
            config = folder / "app-config.js"
            text = APP_CONFIG.read_text().replace(DOCUMENTED_ROOT, service.root)
            oidc = OIDC_CONFIG.read_text().replace(DOCUMENTED_ISSUER, provider.url)
            config.write_text(text + "\n" + oidc)
            with _ohif(config, viewer_port):
                yield Setup(viewer, service)
        finally:
            service.stop()


@contextmanager
def _ohif(config: Path, port: int) -> Iterator[None]:
    command = [sys.executable, "-m", "tests.viewer.ohif_server", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--dist", str(OHIF_DIST), "--config", str(config)], cwd=ROOT, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/app-config.js", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the OHIF static server did not start") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
