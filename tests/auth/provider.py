"""oidc-provider (npm, pinned in the Makefile, installed into .npm/oidc by `make test`) started on loopback by
the tests that need a real issuer, stopped by PID. Its clients get tokens by the client-credentials grant."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.engines import REQUIRED, free_port
from tests.fixtures import ROOT

MODULES = Path(os.environ.get("OIDC_PROVIDER_MODULES") or ROOT / ".npm" / "oidc" / "node_modules")
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")


@dataclass
class Provider:
    url: str
    audience: str
    token_endpoint: str

    def token(self, client: str) -> str:
        answer = requests.post(
            self.token_endpoint,
            data={"grant_type": "client_credentials", "resource": self.audience, "scope": "dicom"},
            auth=(client, f"{client}-secret"),
            timeout=10,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])


def missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (MODULES / "oidc-provider" / "package.json").is_file():
        return f"oidc-provider is not installed under {MODULES} (make test installs it)"
    return None


@contextmanager
def running_provider(audience: str, viewer: str | None = None) -> Iterator[Provider]:
    """The issuer; with `viewer` (a browser app's origin) it also signs people in to that app."""
    why = missing()
    if why is not None:
        if REQUIRED:
            pytest.fail(f"DICOMWEB_REQUIRE_ENGINES=1 but {why}")
        pytest.skip(why)
    port = free_port()
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(MODULES), str(port), audience, *([viewer] if viewer else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # its warnings, then `ready <issuer>`
            if line.startswith(b"ready "):
                break
        else:
            raise RuntimeError(f"oidc-provider exited at start-up ({process.wait()})")
        url = f"http://127.0.0.1:{port}"
        discovery = requests.get(f"{url}/.well-known/openid-configuration", timeout=10).json()
        yield Provider(url, audience, discovery["token_endpoint"])
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
