"""The service keeps its own spec: schemathesis fuzzes every operation of every version's served document.

Bounded and deterministic (fixed seed, a few examples per operation, every check on), against the mock in
process through ASGI (every operation answers from the spec's examples, after the same request checks as
the service) and against the real service (`uvicorn dicom_service.app:app` on loopback, SQLite and a folder
in a temporary directory, stopped by PID) with token checks on: a loopback issuer (tests/auth/issuer.py)
signs an owner token that every case carries, so `ignored_auth` sees the service refuse the same request
without it or with a forged one. The explicit examples and the generated cases run here;
`make fuzz` adds the coverage and stateful phases and more examples, with the same hooks and settings.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

import tests.fuzz_hooks  # noqa: F401  (registers the STOW serializers and the x-property-names translation)
from dicom_service.app import create_app
from dicom_service.generated import manifest
from dicom_service.web.contracts import GENERATED
from tests.auth.issuer import AUDIENCE, Issuer
from tests.service.live import LiveService

if os.environ.get("PYTEST_XDIST_WORKER"):  # measured: each fuzz test passed in ~0.02 s having run no case
    raise RuntimeError("tests/test_fuzz.py runs in a pytest process of its own: under xdist no case runs")

CONFIG = Path(__file__).resolve().parent / "data" / "schemathesis.toml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
SEGMENTS = [v.segments[0] for v in manifest.VERSIONS]


# Checks a target cannot pass by design.
EXCLUDED_CHECKS = {
    # The mock answers examples to anyone (client teams build against it without an issuer); the service
    # checks tokens, and keeps this check.
    "mock": ["ignored_auth"],
    "service": [],
}
TOKEN_SECONDS = 6 * 3600  # outlives any run of this module


def config(who: str) -> SchemathesisConfig:
    loaded = SchemathesisConfig.from_path(CONFIG)
    loaded.projects.default.checks.update(excluded_check_names=EXCLUDED_CHECKS[who])
    if who == "mock":
        # It reads no Authorization header, so a case without one (or with a made-up one) proves nothing.
        loaded.projects.default.generation.update(with_security_parameters=False)
    loaded.projects.default.generation.update(max_examples=EXAMPLES)
    # The coverage phase (thousands of boundary cases per version) is `make fuzz`'s; the rules it probes are
    # pinned by tests/web/test_request_checks.py.
    loaded.projects.default.phases.update(phases=["examples", "fuzzing"])
    return loaded


def mock_schema(segment: str) -> Any:
    return schemathesis.openapi.from_asgi(f"/{segment}/api.json", MOCK, config=config("mock"))


MOCK = create_app(mock=True)


def _name(segment: str) -> str:
    return segment.replace(".", "_").replace("-", "_")


def _keeps_its_spec(schema: Any, who: str, segment: str) -> Any:
    """One test per served version, named after it, generated from the registry's versions."""

    @schema.parametrize()  # type: ignore[untyped-decorator]
    def test(case: schemathesis.Case) -> None:
        case.call_and_validate()

    test.__name__ = f"test_the_{who}_keeps_the_{_name(segment)}_spec"
    return test


for _segment in SEGMENTS:
    _test = _keeps_its_spec(mock_schema(_segment), "mock", _segment)
    globals()[_test.__name__] = _test


# The real service runs on loopback; its documents are the generated ones it serves, read at collection.
# The issuer's keys and the token are made at collection too (the schemas carry the token); it serves its
# keys only while the module's tests run.
ISSUER = Issuer()
TOKEN = ISSUER.token(exp=int(time.time()) + TOKEN_SECONDS)
LIVE = LiveService(
    Path(tempfile.mkdtemp(prefix="dicom-fuzz-")) / "data",
    {"DICOM_AUTH_AUTHORITY": ISSUER.url, "DICOM_AUTH_AUDIENCE": AUDIENCE},
)


@pytest.fixture(scope="module", autouse=True)
def live_service() -> Iterator[LiveService]:
    keys = threading.Thread(target=ISSUER.server.serve_forever, daemon=True)
    keys.start()
    try:
        LIVE.start()
        yield LIVE
    finally:
        LIVE.stop()
        ISSUER.server.shutdown()
        ISSUER.server.server_close()
        keys.join()
        shutil.rmtree(LIVE.data_dir.parent, ignore_errors=True)


def test_the_fuzzed_service_checks_tokens(live_service: LiveService) -> None:
    """The fuzz cases are authorised (a refused token would pass every check with 401s), and the same
    request without the token is refused."""
    url = f"{live_service.root}/v2/studies"
    with_token = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    without = requests.get(url, timeout=30)
    assert with_token.status_code in (200, 204), with_token.text  # 204: nothing stored yet
    assert without.status_code == 401


def service_schema(segment: str) -> Any:
    document = json.loads((GENERATED / "specs" / f"{segment}.json").read_text(encoding="utf-8"))
    loaded = config("service")
    loaded.projects.default.update(
        base_url=f"{LIVE.root}/{segment}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return schemathesis.openapi.from_dict(document, config=loaded)


for _segment in SEGMENTS:
    _test = _keeps_its_spec(service_schema(_segment), "service", _segment)
    globals()[_test.__name__] = _test
