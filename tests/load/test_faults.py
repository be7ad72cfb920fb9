"""Engine faults under load, short forms (`make loadtest` runs the long ones): PostgreSQL stopped, Azurite
stopped, a slow database, a rolling restart. Every 5xx is a 503 with Retry-After, the same process recovers
by itself, nothing acknowledged is lost and nothing is half-stored (tests/load/faults.py)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
import requests

from tests.engines import Engines
from tests.load.faults import FaultLoad, run
from tests.load.scenario import ACCEPT
from tests.load.served import Served


@pytest.mark.parametrize("fault", ["postgresql-stopped", "azurite-stopped", "slow-database"])
def test_the_service_survives_an_engine_fault_under_load(
    engines: Engines, tmp_path: Path, fault: str
) -> None:
    # A paused Azurite is felt only once the Azure SDK's own timeouts (about 8 s) run out: shorter, the stores
    # in flight merely wait and the test would prove nothing.
    seconds = 10 if fault == "azurite-stopped" else 2
    report = run(engines, tmp_path, FaultLoad(fault, seconds=seconds, clients=2, instances_per_client=4))
    assert report.failures == 0, "\n".join(report.lines())
    assert report.acknowledged == 2 * 4
    assert report.retryable + report.refused > 0, "the fault was not felt:\n" + "\n".join(report.lines())
    assert report.recovery_seconds is not None and report.recovery_seconds < 15
    assert report.slowest_seconds < 30


def test_a_rolling_restart_under_load_answers_no_5xx_and_loses_nothing(
    engines: Engines, tmp_path: Path
) -> None:
    report = run(
        engines, tmp_path, FaultLoad("rolling-restart", seconds=1, clients=2, instances_per_client=4)
    )
    assert report.failures == 0, "\n".join(report.lines())
    assert report.retryable == 0 and report.acknowledged == 2 * 4


def test_a_statement_past_the_index_timeout_answers_503_not_a_wait(engines: Engines, tmp_path: Path) -> None:
    storage = {**engines.storage_environment(), "DICOM_INDEX_TIMEOUT_SECONDS": "1"}
    served = Served(tmp_path / "data", storage, admin=False).start()
    try:
        with psycopg.connect(storage["DICOM_INDEX_URL"]) as blocker:
            blocker.execute("LOCK TABLE study IN ACCESS EXCLUSIVE MODE")  # every search waits for it
            since = time.monotonic()
            answer = requests.get(f"{served.root}/v2/studies", headers=ACCEPT, timeout=30)
            waited = time.monotonic() - since
            assert answer.status_code == 503 and answer.headers["Retry-After"].isdigit()
            assert answer.text == "The service's index database is unavailable; try again later."
            assert waited < 5
        assert requests.get(f"{served.root}/v2/studies", headers=ACCEPT, timeout=30).status_code == 204
    finally:
        served.stop()
