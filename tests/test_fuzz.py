"""The service keeps its own spec: schemathesis fuzzes every operation of every version's served document.

Bounded and deterministic (fixed seed, a few examples per operation, every check on), in process through
ASGI, against the mock (every operation answers from the spec's examples, after the same request checks as
the service). The explicit examples and the generated cases run here; `make fuzz` adds the coverage and
stateful phases, more examples, and the real service, with the same hooks and settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

import tests.fuzz_hooks  # noqa: F401  (registers the STOW serializers and the x-property-names translation)
from dicom_service.app import create_app
from dicom_service.generated import manifest

CONFIG = Path(__file__).resolve().parent / "data" / "schemathesis.toml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
SEGMENTS = [v.segments[0] for v in manifest.VERSIONS]


def config() -> SchemathesisConfig:
    loaded = SchemathesisConfig.from_path(CONFIG)
    loaded.projects.default.generation.update(max_examples=EXAMPLES)
    # The coverage phase (thousands of boundary cases per version) is `make fuzz`'s; the rules it probes are
    # pinned by tests/test_request_checks.py.
    loaded.projects.default.phases.update(phases=["examples", "fuzzing"])
    return loaded


def mock_schema(segment: str) -> Any:
    return schemathesis.openapi.from_asgi(f"/{segment}/api.json", MOCK, config=config())


MOCK = create_app(mock=True)

mock_v1_0_prerelease = mock_schema(SEGMENTS[0])
mock_v1 = mock_schema(SEGMENTS[1])
mock_v2 = mock_schema(SEGMENTS[2])


@mock_v1_0_prerelease.parametrize()
def test_the_mock_keeps_the_v1_0_prerelease_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()


@mock_v1.parametrize()
def test_the_mock_keeps_the_v1_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()


@mock_v2.parametrize()
def test_the_mock_keeps_the_v2_spec(case: schemathesis.Case) -> None:
    case.call_and_validate()
