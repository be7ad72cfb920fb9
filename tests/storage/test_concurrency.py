"""Concurrent clients, in each storage configuration, and two service processes over one PostgreSQL
database and Azure container: one winner per instance, nothing half-stored, deletes and searches agree."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.engines import Engines
from tests.service import data
from tests.service.live import LiveService

T = TypeVar("T")
ACCEPT = {"Accept": "application/dicom+json"}
STORE = {"Content-Type": "application/dicom", **ACCEPT}
AS_STORED = {"Accept": "application/dicom; transfer-syntax=*"}
CLIENTS = 8


def _at_once(count: int, action: Callable[[int], T]) -> list[T]:
    """`action(i)` for i in range(count), all released together."""
    start = threading.Barrier(count)

    def run(i: int) -> T:
        start.wait()
        return action(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _logs(services: list[LiveService]) -> str:
    """The end of each service process's log, for a failure's message."""
    return "\n".join(live.log.read_text()[-4000:] for live in services)


def _failure_reasons(response: requests.Response) -> list[int]:
    failed = response.json().get("00081198", {}).get("Value", [])
    return [item["00081197"]["Value"][0] for item in failed]


@pytest.fixture(scope="module")
def service(service_process: LiveService) -> LiveService:
    """A service process: these tests race real processes (and their connections) against each other."""
    return service_process


@pytest.fixture(scope="module")
def services(
    service: LiveService, storage: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[LiveService]]:
    """The module's service, and with PostgreSQL + Azure a second process over the same database."""
    if not storage:
        yield [service]
        return
    second = LiveService(Path(tmp_path_factory.mktemp("second")) / "data", storage).start()
    try:
        yield [service, second]
    finally:
        second.stop()


def test_one_instance_stored_by_many_clients_at_once_is_stored_once(services: list[LiveService]) -> None:
    ds = data.instance(PatientID="RACE")
    body = data.part10(ds)

    def store(i: int) -> requests.Response:
        return requests.post(f"{services[i % len(services)].root}/v2/studies", data=body, headers=STORE)

    answers = _at_once(CLIENTS, store)
    assert sorted(a.status_code for a in answers) == [200] + [409] * (CLIENTS - 1), _logs(services)
    assert [_failure_reasons(a) for a in answers if a.status_code == 409] == [[45070]] * (CLIENTS - 1)
    url = f"{services[-1].root}/v2/studies/{ds.StudyInstanceUID}"
    assert len(requests.get(f"{url}/metadata", headers=ACCEPT).json()) == 1
    stored = requests.get(
        f"{url}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}", headers=AS_STORED
    )
    assert stored.status_code == 200 and stored.content[128:] == body[128:]


def test_instances_of_one_new_study_stored_at_once_into_a_new_partition_are_all_kept(
    services: list[LiveService],
) -> None:
    instances = data.study(CLIENTS, series_count=2, PatientID="CROWD")
    partition = "concurrent-new"

    def store(i: int) -> int:
        root = services[i % len(services)].root
        body = data.part10(instances[i])
        return requests.post(
            f"{root}/v2/partitions/{partition}/studies", data=body, headers=STORE
        ).status_code

    assert _at_once(CLIENTS, store) == [200] * CLIENTS, _logs(services)
    root = f"{services[0].root}/v2/partitions/{partition}"
    study = instances[0].StudyInstanceUID
    assert len(requests.get(f"{root}/studies/{study}/metadata", headers=ACCEPT).json()) == CLIENTS
    found = requests.get(
        f"{root}/studies", params={"StudyInstanceUID": study, "includefield": "all"}, headers=ACCEPT
    )
    (row,) = found.json()
    assert row["00201206"]["Value"] == [2] and row["00201208"]["Value"] == [CLIENTS]
    names = [p["partitionName"] for p in requests.get(f"{services[-1].root}/v2/partitions").json()]
    assert names.count(partition) == 1


def test_one_instance_stores_at_once_each_get_their_own_outcome_and_are_found_once_answered(
    services: list[LiveService],
) -> None:
    """Stores of one instance each, at once: one a duplicate of another, one with a bad attribute. Each
    answer speaks of its own instance only, and an instance answered stored is found by the very next
    search, on any process."""
    instances = data.study(CLIENTS - 1, PatientID="OWN-OUTCOME")
    bad = data.instance(PatientID="OWN-OUTCOME", StudyInstanceUID="1.2.abc")
    bodies = [data.part10(ds) for ds in instances] + [data.part10(bad)]
    bodies[1] = bodies[0]  # the same instance twice: one is stored, the other is its duplicate
    sops = [ds.SOPInstanceUID for ds in instances] + [bad.SOPInstanceUID]
    sops[1] = sops[0]

    def store(i: int) -> tuple[int, list[int], list[str], int]:
        root = services[i % len(services)].root
        answer = requests.post(f"{root}/v2/studies", data=bodies[i], headers=STORE)
        named = [
            item["00081155"]["Value"][0]
            for key in ("00081198", "00081199")
            for item in answer.json().get(key, {}).get("Value", [])
        ]
        found = requests.get(  # right after the answer, on the other process when there are two
            f"{services[(i + 1) % len(services)].root}/v2/instances",
            params={"SOPInstanceUID": sops[i]},
            headers=ACCEPT,
        )
        return answer.status_code, _failure_reasons(answer), named, found.status_code

    outcomes = _at_once(CLIENTS, store)
    assert [named for _, _, named, _ in outcomes] == [[sop] for sop in sops], _logs(services)
    pair = sorted(outcomes[:2])
    assert pair[0][:2] == (200, []) and pair[1][:2] == (409, [45070])
    assert all(status == 200 and reasons == [] for status, reasons, _, _ in outcomes[2:-1])
    status, reasons, _, found = outcomes[-1]
    assert status == 409 and reasons and reasons != [45070] and found == 204
    assert all(found == 200 for answered, _, _, found in outcomes[:-1] if answered == 200)
    search = requests.get(
        f"{services[0].root}/v2/instances", params={"PatientID": "OWN-OUTCOME"}, headers=ACCEPT
    )
    assert sorted(row["00080018"]["Value"][0] for row in search.json()) == sorted(set(sops[:-1]))


def test_a_study_deleted_by_many_clients_at_once_is_deleted_once(services: list[LiveService]) -> None:
    instances = data.study(3, PatientID="DELETED-ONCE")
    body, content_type = data.multipart([data.part10(ds) for ds in instances])
    root = services[0].root
    stored = requests.post(f"{root}/v2/studies", data=body, headers={"Content-Type": content_type, **ACCEPT})
    assert stored.status_code == 200
    study = instances[0].StudyInstanceUID

    def delete(i: int) -> int:
        return requests.delete(f"{services[i % len(services)].root}/v2/studies/{study}").status_code

    assert sorted(_at_once(CLIENTS, delete)) == [204] + [404] * (CLIENTS - 1)
    assert requests.get(f"{root}/v2/studies/{study}/metadata", headers=ACCEPT).status_code == 404
    latest = requests.get(f"{root}/v1/changefeed/latest").json()["sequence"]
    feed = requests.get(f"{root}/v1/changefeed", params={"offset": latest - 10, "limit": 10}).json()
    deletes = [e for e in feed if e["studyInstanceUid"] == study and e["action"] == "delete"]
    assert sorted(e["sopInstanceUid"] for e in deletes) == sorted(ds.SOPInstanceUID for ds in instances)


def test_stores_deletes_and_searches_of_one_study_at_once_agree(services: list[LiveService]) -> None:
    """Clients store into a study while others delete it and search it: no 5xx, and afterwards every
    instance a search finds is retrievable, and the search count equals the instances retrieved."""
    instances = data.study(CLIENTS * 2, PatientID="CHURN")
    study = instances[0].StudyInstanceUID

    def work(i: int) -> list[int]:
        root = services[i % len(services)].root
        statuses = []
        for ds in instances[i::CLIENTS]:
            statuses.append(
                requests.post(f"{root}/v2/studies", data=data.part10(ds), headers=STORE).status_code
            )
            if i % 3 == 0:
                statuses.append(requests.delete(f"{root}/v2/studies/{study}").status_code)
            found = requests.get(f"{root}/v2/studies/{study}/instances", headers=ACCEPT)
            statuses.append(found.status_code)
        return statuses

    statuses = [s for run in _at_once(CLIENTS, work) for s in run]
    assert all(s < 500 for s in statuses), _logs(services)
    root = services[-1].root
    found = requests.get(f"{root}/v2/studies/{study}/instances", headers=ACCEPT)
    listed: list[Any] = found.json() if found.status_code == 200 else []
    for row in listed:
        sop = row["00080018"]["Value"][0]
        series = row["0020000E"]["Value"][0]
        one = requests.get(f"{root}/v2/studies/{study}/series/{series}/instances/{sop}", headers=AS_STORED)
        assert one.status_code == 200
    metadata = requests.get(f"{root}/v2/studies/{study}/metadata", headers=ACCEPT)
    assert len(metadata.json() if metadata.status_code == 200 else []) == len(listed)


def test_several_processes_start_at_once_on_a_new_database(engines: Engines, tmp_path: Path) -> None:
    """Migrations run once under PostgreSQL's advisory lock; every process serves."""
    storage = engines.storage_environment()
    started = [LiveService(tmp_path / f"data{i}", storage) for i in range(3)]
    try:
        _at_once(3, lambda i: started[i].start())
        for live in started:
            assert requests.get(f"{live.root}/v2/partitions").status_code == 200
    finally:
        for live in started:
            live.stop()
