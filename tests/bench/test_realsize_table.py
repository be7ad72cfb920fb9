"""The real-size bench's table: ratios read "ours ahead" above 1 whichever way a unit improves, and the growth
lines compare each measure's largest size with its smallest, per server. A store measure sends half its
requests with each server first."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bench import realsize
from bench.realsize_report import Row, growth, table


def test_ratios_are_above_one_when_ours_is_ahead_for_rates_and_for_times() -> None:
    rows = [
        Row("store", "10", "MB/s", {"ours": 60.0, "Orthanc": 30.0}),
        Row("search", "10", "ms", {"ours": 2.0, "Orthanc": 8.0}),
        Row("retrieve", "10", "MB/s", {"ours": 50.0, "Orthanc": 100.0}),
    ]
    lines = table(rows)
    assert "2.00x" in next(line for line in lines if line.startswith("store"))
    assert "4.00x" in next(line for line in lines if line.startswith("search"))
    assert "0.50x (behind)" in next(line for line in lines if line.startswith("retrieve"))


def test_growth_compares_the_largest_size_with_the_smallest() -> None:
    rows = [
        Row("search", "10,000 studies", "ms", {"ours": 2.0, "Orthanc": 10.0}),
        Row("search", "100,000 studies", "ms", {"ours": 3.0, "Orthanc": 90.0}),
        Row("single", "1", "ms", {"ours": 1.0, "Orthanc": 1.0}),
    ]
    lines = growth(rows)
    assert lines[1:] == ["  search (10,000 studies → 100,000 studies): ours x1.50, Orthanc x9.00"]


def test_a_store_measure_sends_half_its_requests_in_each_order_of_the_servers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, int]] = []
    seconds = {"ours-root": 1.0, "peer-root": 2.0}

    def store_seconds(root: str, bodies: list) -> float:
        calls.append((root, len(bodies)))
        return seconds[root]

    monkeypatch.setattr(realsize, "store_seconds", store_seconds)
    servers = {"ours": SimpleNamespace(root="ours-root"), "Orthanc": SimpleNamespace(root="peer-root")}
    run = realsize.Run(servers, {})  # type: ignore[arg-type]
    bodies = [([b"x" * 1_000_000], "multipart/related", 1)] * 4

    rates = realsize._stored_both_ways(run, bodies)  # type: ignore[arg-type]

    assert calls == [("ours-root", 2), ("peer-root", 2), ("peer-root", 2), ("ours-root", 2)]
    assert rates == {"ours": 2.0, "Orthanc": 1.0}  # 4 MB in 2 s and in 4 s
    realsize._stored_both_ways(run, bodies)  # type: ignore[arg-type]
    assert calls[4][0] == "peer-root"  # the next measure starts with the other server
