"""Engine faults under load, short forms (`make loadtest` runs the long ones): PostgreSQL stopped, Azurite
stopped, a slow database. Every 5xx is a 503 with Retry-After, the same process recovers by itself, nothing
acknowledged is lost and nothing is half-stored (tests/load/faults.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines import Engines
from tests.load.faults import FaultLoad, run


@pytest.mark.parametrize("fault", ["postgresql-stopped", "azurite-stopped"])
def test_the_service_survives_an_engine_fault_under_load(
    engines: Engines, tmp_path: Path, fault: str
) -> None:
    report = run(engines, tmp_path, FaultLoad(fault, seconds=4, clients=3, instances_per_client=6))
    assert report.failures == 0, "\n".join(report.lines())
    assert report.acknowledged == 3 * 6
    assert report.retryable + report.refused > 0, "the fault was not felt:\n" + "\n".join(report.lines())
    assert report.recovery_seconds is not None and report.recovery_seconds < 15
