"""Long-running operations survive a restart: one left `running` by a stopped process resumes and ends;
one interrupted too often ends `failed`; neither stays `running`."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import update

from dicom_service.kernel.tags import Level
from dicom_service.query_tags import repository as query_tags
from dicom_service.query_tags.rules import NewTag
from dicom_service.settings import from_environment
from dicom_service.storage.database import Database
from dicom_service.storage.operations_schema import operation
from dicom_service.storage.service import utc_now
from tests.service import data
from tests.service.live import LiveService, Validated
from tests.service.operations import wait

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}


@pytest.fixture(scope="module")
def service(service_process: LiveService) -> LiveService:
    """A service process: these tests kill it and start it again."""
    return service_process


def interrupted_reindex(service: LiveService, path: str, attempts: int) -> str:
    """What a process killed in the middle of a reindex leaves: the operation `running`, half done."""
    settings = from_environment({"DATA_DIR": str(service.data_dir), **service.storage})
    index = Database(settings.index_url, utc_now())  # the service's index, SQLite or PostgreSQL
    try:
        op_id = query_tags.add_tags(
            index, [NewTag(path, "LO", None, Level.SERIES)], "Microsoft.Default", utc_now()
        )
        with index.write() as c:
            c.execute(
                update(operation)
                .where(operation.c.id == op_id)
                .values(status="running", attempts=attempts, percent=40, checkpoint="1")
            )
    finally:
        index.close()
    return op_id


def test_an_operation_interrupted_by_a_restart_resumes_and_ends(
    service: LiveService, checked: Validated
) -> None:
    session = checked.session()
    instances = [data.instance(SeriesDescription=f"resumed {n}") for n in range(3)]
    for ds in instances:
        assert (
            session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
        )
    service.stop(signal.SIGKILL)
    op_id = interrupted_reindex(service, "0008103E", attempts=1)
    service.start()
    state = wait(session, f"{service.root}/v2/operations/{op_id}")
    assert state["status"] == "succeeded" and state["percentComplete"] == 100
    # The resumed run continued after its checkpoint and indexed the instances left.
    found = session.get(
        f"{service.root}/v2/series",
        params={"SeriesDescription": "resumed 2"},
        headers={"Accept": "application/dicom+json"},
    )
    assert [r["0020000E"]["Value"][0] for r in found.json()] == [instances[2].SeriesInstanceUID]


def test_an_operation_interrupted_too_often_ends_failed(service: LiveService, checked: Validated) -> None:
    service.stop()
    op_id = interrupted_reindex(service, "00081090", attempts=3)
    service.start()
    state = wait(checked.session(), f"{service.root}/v1/operations/{op_id}")
    assert state["status"] == "failed" and state["results"]["errors"]
    hyphenated = f"{op_id[:8]}-{op_id[8:12]}-{op_id[12:16]}-{op_id[16:20]}-{op_id[20:]}"
    assert checked.session().get(f"{service.root}/v2/operations/{hyphenated}").json()["operationId"] == op_id
