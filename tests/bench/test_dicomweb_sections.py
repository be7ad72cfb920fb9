"""The DICOMweb bench's sections: a server of several workers is measured as a whole and stopped whole, each
configuration prints its own table, and one whose engines are missing says so while the others run."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from bench import configurations, dicomweb, orthanc
from bench.servers import Server, peak_rss_mb, workers_of
from bench.workload import MEASURES


@pytest.mark.slow
def test_a_server_of_two_workers_is_ready_with_both_and_its_peak_rss_is_their_sum(tmp_path: Path) -> None:
    server = configurations.ours_server(tmp_path, ["dicom_service.serve"], {"WORKERS": "2"}, workers=2)
    server.start()
    try:
        assert server.process is not None
        workers = workers_of(server.process.pid)
        assert len(workers) == 2
        each = [peak_rss_mb(pid) or 0.0 for pid in workers]
    finally:
        server.stop()
    assert server.peak_rss_mb is not None and server.peak_rss_mb >= sum(each) > max(each)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # stopped with their supervisor


class _Missing:
    title = "ours: on engines this machine lacks"
    memory = "peak RSS"
    notes: tuple[str, ...] = ()

    def missing(self) -> str | None:
        return "the engines are not installed"

    def opened(self) -> AbstractContextManager[object]:
        raise AssertionError("a configuration whose engines are missing is not opened")

    def ours(self, scratch: Path) -> Server:
        raise AssertionError("not started")

    def peer(self, peer: orthanc.Orthanc, scratch: Path) -> Server:
        raise AssertionError("not started")

    def peer_title(self, peer: orthanc.Orthanc) -> str:
        return "Orthanc"


def test_a_configuration_whose_engines_are_missing_is_skipped_with_the_reason() -> None:
    assert dicomweb.section(_Missing(), None) == [_Missing.title, "skipped: the engines are not installed"]


def test_the_table_shows_each_measure_and_the_configurations_memory_row() -> None:
    labels = [m.label for m in MEASURES]
    ours = {label: [2.0] for label in labels} | {dicomweb.MEMORY: [200.0]}
    peer = {label: [1.0] for label in labels} | {dicomweb.MEMORY: [40.0]}
    lines = dicomweb.table(dicomweb.Results({"ours": ours, "Orthanc": peer}), "peak RSS (ours: sum of 2)")
    assert lines[0].split()[:3] == ["measure", "ours", "Orthanc"]
    assert [line for line in lines if line.startswith(MEASURES[0].label) and "2.00x faster" in line]
    assert [line for line in lines if line.startswith(MEASURES[2].label) and "0.50x (slower)" in line]
    assert [line for line in lines if line.startswith("peak RSS (ours: sum of 2)") and "more memory" in line]
