"""The service keeps its own spec: schemathesis fuzzes every operation of every version's served document.

Bounded and deterministic (fixed seed, a few examples per operation, every check on), against the mock in
process through ASGI (every operation answers from the spec's examples, after the same request checks as
the service) and against the real service (`uvicorn dicom_service.app:app` on loopback, SQLite and a folder
in a temporary directory, stopped by PID). The explicit examples and the generated cases run here;
`make fuzz` adds the coverage and stateful phases and more examples, with the same hooks and settings.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

import tests.fuzz_hooks  # noqa: F401  (registers the STOW serializers and the x-property-names translation)
from dicom_service.app import create_app
from dicom_service.generated import manifest
from dicom_service.web.contracts import GENERATED
from tests.service.live import LiveService

CONFIG = Path(__file__).resolve().parent / "data" / "schemathesis.toml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
SEGMENTS = [v.segments[0] for v in manifest.VERSIONS]


def config() -> SchemathesisConfig:
    loaded = SchemathesisConfig.from_path(CONFIG)
    loaded.projects.default.generation.update(max_examples=EXAMPLES)
    # The coverage phase (thousands of boundary cases per version) is `make fuzz`'s; the rules it probes are
    # pinned by tests/web/test_request_checks.py.
    loaded.projects.default.phases.update(phases=["examples", "fuzzing"])
    return loaded


def mock_schema(segment: str) -> Any:
    return schemathesis.openapi.from_asgi(f"/{segment}/api.json", MOCK, config=config())


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
LIVE = LiveService(Path(tempfile.mkdtemp(prefix="dicom-fuzz-")) / "data")


@pytest.fixture(scope="module", autouse=True)
def live_service() -> Iterator[LiveService]:
    LIVE.start()
    yield LIVE
    LIVE.stop()
    shutil.rmtree(LIVE.data_dir.parent, ignore_errors=True)


def service_schema(segment: str) -> Any:
    document = json.loads((GENERATED / "specs" / f"{segment}.json").read_text(encoding="utf-8"))
    loaded = config()
    loaded.projects.default.update(base_url=f"{LIVE.root}/{segment}")
    return schemathesis.openapi.from_dict(document, config=loaded)


for _segment in SEGMENTS:
    _test = _keeps_its_spec(service_schema(_segment), "service", _segment)
    globals()[_test.__name__] = _test
