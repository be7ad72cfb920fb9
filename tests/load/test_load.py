"""The short form of `make loadtest`: concurrent clients against two processes on PostgreSQL + Azurite,
one killed with SIGKILL mid-stores while it runs a reindex; nothing acknowledged is lost, nothing is
half-stored or duplicated, and the survivor takes the reindex over and ends it, indexing every instance
once."""

from __future__ import annotations

from pathlib import Path

from tests.engines import Engines
from tests.load.scenario import Load, run


def test_two_processes_under_load_with_one_killed_lose_nothing_and_end_its_operation(
    engines: Engines, tmp_path: Path
) -> None:
    report = run(engines, tmp_path, Load(clients=4, instances_per_client=12, seconds=90, kill=True))
    assert report.failures == 0, "\n".join(report.lines())
    assert report.killed_after is not None
    assert report.acknowledged == 4 * 12
    operation = report.operation
    assert operation.caught_running and operation.status in ("succeeded", "failed")
