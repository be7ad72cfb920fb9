"""The service's peak memory per request on one large multi-frame instance, in both storage
configurations: store, metadata, one and ten frames, a transcoded and a rendered frame, the study's
retrieve, a bulk update and an export of it (each figure: the process's VmHWM, reset before the request).

    python -m bench memory                       # a 300 MiB instance (600 frames of 512 KiB)
    LARGE_FRAMES=4000 LARGE_STORAGE=folder python -m bench memory     # 2 GiB, SQLite + folder only
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from tests.engines import EngineMissing, start_engines
from tests.service import large
from tests.service.live import LiveService
from tests.service.operations import started, wait

FRAMES = int(os.environ.get("LARGE_FRAMES", "600"))
#: "folder" or "azure" for one storage configuration only; both by default.
ONLY = os.environ.get("LARGE_STORAGE", "")
RAW = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'
J2K = 'multipart/related; type="image/jp2"; transfer-syntax=1.2.840.10008.1.2.4.90'


def _drain(answer: requests.Response) -> int:
    """Read a streamed answer to its end, holding one chunk at a time; its size in bytes."""
    assert answer.status_code == 200, f"{answer.status_code}: {answer.text[:300]}"
    return sum(len(chunk) for chunk in answer.iter_content(1 << 20))


def measure(service: LiveService, instance: large.Large, destination: str) -> list[tuple[str, str]]:
    assert service.process is not None
    pid, root = service.process.pid, service.root
    study = f"{root}/v2/studies/{instance.study}"
    url = f"{study}/series/{instance.series}/instances/{instance.sop}"
    session = requests.Session()

    def get(path: str, accept: str) -> Callable[[], int]:
        return lambda: _drain(session.get(path, headers={"Accept": accept}, stream=True, timeout=600))

    def store() -> int:
        with instance.path.open("rb") as body:
            headers = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
            answer = session.post(f"{root}/v2/studies", data=body, headers=headers, timeout=600)
        assert answer.status_code == 200, answer.text[:300]
        return 0

    def operation(path: str, body: object) -> Callable[[], int]:
        def run() -> int:
            state = wait(session, started(session.post(f"{root}/v2/{path}", json=body)), timeout=600)
            assert state["status"] == "succeeded", state
            return 0

        return run

    ten = ",".join(str(n) for n in range(1, 11))
    steps: list[tuple[str, Callable[[], int]]] = [
        ("store", store),
        ("metadata", get(f"{url}/metadata", "application/dicom+json")),
        ("one frame", get(f"{url}/frames/1", RAW)),
        ("ten frames", get(f"{url}/frames/{ten}", RAW)),
        ("one frame as JPEG 2000", get(f"{url}/frames/1", J2K)),
        ("rendered frame (JPEG)", get(f"{url}/frames/1/rendered", "image/jpeg")),
        ("study retrieve", get(study, 'multipart/related; type="application/dicom"; transfer-syntax=*')),
        (
            "bulk update",
            operation(
                "studies/$bulkUpdate",
                {
                    "studyInstanceUids": [instance.study],
                    "changeDataset": {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]}},
                },
            ),
        ),
        (
            "export",
            operation(
                "export",
                {
                    "source": {"type": "identifiers", "settings": {"values": [instance.study]}},
                    "destination": {
                        "type": "azureBlob",
                        "settings": {"connectionString": destination, "blobContainerName": "memory"},
                    },
                },
            ),
        ),
    ]
    figures = []
    for name, step in steps:
        try:
            started_at = time.perf_counter()
            peak = large.peak_during(pid, step)[1]
            figures.append((name, f"{peak}, {time.perf_counter() - started_at:.2f} s"))
        except AssertionError as exc:  # one failing request must not hide the other figures
            figures.append((name, f"failed: {str(exc)[:120]}"))
    return figures


def run() -> list[str]:
    lines = []
    try:
        engines = start_engines()
    except EngineMissing as exc:
        return [f"skipped: {exc}"]
    try:
        with tempfile.TemporaryDirectory(prefix="dicom-memory-") as folder:
            root = Path(folder)
            instance = large.write(root / "large.dcm", FRAMES)
            size = instance.path.stat().st_size
            lines.append(
                f"one instance of {FRAMES} frames, {size / 2**20:.0f} MiB; peak RSS of the service process"
            )
            engines.azurite.container("memory")
            configurations = {
                "folder": ("SQLite + folder", {}),
                "azure": ("PostgreSQL + Azure Blob Storage (Azurite)", engines.storage_environment()),
            }
            for name, (label, storage) in configurations.items():
                if ONLY and name != ONLY:
                    continue
                data = root / label.split()[0]
                data.mkdir()
                service = LiveService(data / "data", storage).start()
                try:
                    for name, peak in measure(service, instance, engines.azurite.connection_string):
                        lines.append(f"{label:45} {name:24} {peak}")
                finally:
                    service.stop()
    finally:
        engines.stop()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
