"""One service per test module and storage configuration, its data in temporary folders: the embedded
default (SQLite + a folder), then PostgreSQL + Azure Blob Storage (Azurite). `service` runs it in this
process (over ASGI); `service_process` runs it as its own process on loopback, for what needs a process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dicom_service.settings import from_environment
from dicom_service.storage.service import DicomService
from tests.engines import Engines, require_engines, start_engines
from tests.service.inprocess import InProcessService, running_in_process
from tests.service.live import LiveService, Validated, running

STORAGE = ["sqlite-folder", "postgresql-azure"]


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    """PostgreSQL and Azurite, started once for the whole run."""
    require_engines()
    started = start_engines()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module", params=STORAGE)
def storage(request: pytest.FixtureRequest) -> dict[str, str]:
    """The service's storage settings: none for the default, a new database and container otherwise."""
    if request.param == "sqlite-folder":
        return {}
    engines: Engines = request.getfixturevalue("engines")
    return engines.storage_environment()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, storage: dict[str, str]) -> Iterator[InProcessService]:
    with running_in_process(Path(tmp_path_factory.mktemp("service")) / "data", storage) as in_process:
        yield in_process


@pytest.fixture(scope="module")
def service_process(
    tmp_path_factory: pytest.TempPathFactory, storage: dict[str, str]
) -> Iterator[LiveService]:
    with running(Path(tmp_path_factory.mktemp("service")) / "data", storage) as live:
        yield live


@pytest.fixture
def checked() -> Validated:
    return Validated()


@pytest.fixture(params=STORAGE)
def opened_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DicomService]:
    """The service's domain object in this process (no HTTP), on each storage configuration, empty."""
    env = {"DATA_DIR": str(tmp_path / "data")}
    if request.param == "postgresql-azure":
        engines: Engines = request.getfixturevalue("engines")
        env |= engines.storage_environment()
    opened = DicomService.from_settings(from_environment(env))
    try:
        yield opened
    finally:
        opened.close()
