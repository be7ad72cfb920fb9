"""UPS-RS end to end: a workitem through its whole state machine in every version and in a partition, every
refused transition with its status and reason, cancellation requests; every exchange validated."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from pydicom.uid import generate_uid

from tests.fixtures import served_segments
from tests.service.live import LiveService, Validated
from tests.service.worklist_data import (
    ACCEPT,
    CANCELED_AT,
    LABEL,
    PERFORMED,
    PRIORITY,
    PROGRESS,
    REASON,
    SEND,
    SOP_CLASS,
    SOP_INSTANCE,
    STATE,
    TRANSACTION_UID,
    performed,
    state_change,
    value,
    workitem,
)


class Worklist:
    """The six workitem transactions at one base URL (a version, maybe a partition)."""

    def __init__(self, session: requests.Session, base: str) -> None:
        self.session, self.base = session, base

    def create(self, dataset: dict[str, Any], uid: str | None = None) -> requests.Response:
        url = f"{self.base}/workitems" + (f"?{uid}" if uid else "")
        return self.session.post(url, data=json.dumps([dataset]), headers=SEND)

    def retrieve(self, uid: str) -> requests.Response:
        return self.session.get(f"{self.base}/workitems/{uid}", headers=ACCEPT)

    def update(
        self, uid: str, changes: dict[str, Any], transaction_uid: str | None = None
    ) -> requests.Response:
        url = f"{self.base}/workitems/{uid}" + (f"?{transaction_uid}" if transaction_uid else "")
        return self.session.post(url, data=json.dumps([changes]), headers=SEND)

    def change_state(self, uid: str, transaction_uid: str | None, state: str | None) -> requests.Response:
        body = json.dumps(state_change(transaction_uid, state))
        return self.session.put(f"{self.base}/workitems/{uid}/state", data=body, headers=SEND)

    def cancel(self, uid: str, information: dict[str, Any] | None = None) -> requests.Response:
        body = json.dumps([information or {}])
        return self.session.post(f"{self.base}/workitems/{uid}/cancelrequest", data=body, headers=SEND)

    def state(self, uid: str) -> str:
        answer = self.retrieve(uid)
        assert answer.status_code == 200, answer.text
        return str(value(answer.json(), STATE))


def _refused(answer: requests.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("text/plain")
    for word in words:
        assert word in answer.text, (word, answer.text)


@pytest.mark.parametrize(
    ("version", "partition"),
    [*((segment, None) for segment in served_segments()), (served_segments()[-1], "worklist-partition")],
)
def test_a_workitem_goes_through_its_whole_state_machine(
    service: LiveService, checked: Validated, version: str, partition: str | None
) -> None:
    base = f"{service.root}/{version}" + (f"/partitions/{partition}" if partition else "")
    worklist = Worklist(checked.session(), base)
    uid, owner, stranger = generate_uid(), generate_uid(), generate_uid()

    created = worklist.create(workitem(), uid)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == created.headers["Content-Location"] == f"{base}/workitems/{uid}"
    assert created.content == b""
    _refused(worklist.create(workitem(), uid), 409, uid, "already exists")

    stored = worklist.retrieve(uid).json()
    assert value(stored, SOP_INSTANCE) == uid and value(stored, STATE) == "SCHEDULED"
    assert value(stored, SOP_CLASS) == "1.2.840.10008.5.1.4.34.6.1"
    assert TRANSACTION_UID not in stored

    # SCHEDULED: updated without a transaction UID; not completed or canceled before it is claimed.
    _refused(worklist.update(uid, {PRIORITY: {"vr": "CS", "Value": ["HIGH"]}}, owner), 400, "SCHEDULED")
    updated = worklist.update(uid, {PRIORITY: {"vr": "CS", "Value": ["HIGH"]}})
    assert updated.status_code == 200 and updated.headers["Content-Location"] == f"{base}/workitems/{uid}"
    assert value(worklist.retrieve(uid).json(), PRIORITY) == "HIGH"
    _refused(worklist.change_state(uid, owner, "COMPLETED"), 409, "SCHEDULED", "COMPLETED")
    _refused(worklist.change_state(uid, owner, "CANCELED"), 409, "SCHEDULED", "CANCELED")
    _refused(worklist.change_state(uid, owner, "SCHEDULED"), 400, "SCHEDULED")
    _refused(worklist.update(uid, {STATE: {"vr": "CS", "Value": ["IN PROGRESS"]}}), 400, "ProcedureStepState")

    # Claimed: IN PROGRESS with the owner's transaction UID, which is never shown.
    claimed = worklist.change_state(uid, owner, "IN PROGRESS")
    assert claimed.status_code == 200 and "Warning" not in claimed.headers
    in_progress = worklist.retrieve(uid).json()
    assert value(in_progress, STATE) == "IN PROGRESS" and TRANSACTION_UID not in in_progress
    _refused(worklist.change_state(uid, owner, "IN PROGRESS"), 409, "already IN PROGRESS")
    _refused(worklist.change_state(uid, stranger, "IN PROGRESS"), 400, stranger)
    _refused(worklist.cancel(uid), 409, "IN PROGRESS")

    # IN PROGRESS: only the owner updates it, with its transaction UID.
    label = {LABEL: {"vr": "LO", "Value": ["Read again"]}}
    _refused(worklist.update(uid, label), 400, "transaction UID")
    _refused(worklist.update(uid, label, stranger), 400, stranger)
    assert worklist.update(uid, label, owner).status_code == 200
    assert value(worklist.retrieve(uid).json(), LABEL) == "Read again"

    # COMPLETED by the owner only, once it records what was performed; then final: a repeat is a warning,
    # anything else a conflict.
    _refused(worklist.change_state(uid, owner, "COMPLETED"), 409, "final state requirements", PERFORMED)
    partial = performed()
    del partial[PERFORMED]["Value"][0]["00404051"]
    assert worklist.update(uid, partial, owner).status_code == 200
    _refused(worklist.change_state(uid, owner, "COMPLETED"), 409, "PerformedProcedureStepEndDateTime")
    assert worklist.update(uid, performed(), owner).status_code == 200
    _refused(worklist.change_state(uid, stranger, "COMPLETED"), 400, stranger)
    assert worklist.change_state(uid, owner, "COMPLETED").status_code == 200
    assert worklist.state(uid) == "COMPLETED"
    again = worklist.change_state(uid, owner, "COMPLETED")
    assert again.status_code == 200
    assert (
        again.headers["Warning"].startswith("299 ")
        and "already in the requested state of COMPLETED" in (again.headers["Warning"])
    )
    _refused(worklist.change_state(uid, owner, "CANCELED"), 409, "COMPLETED")
    _refused(worklist.change_state(uid, owner, "IN PROGRESS"), 409, "COMPLETED")
    _refused(worklist.update(uid, label, owner), 409, "COMPLETED")
    _refused(worklist.cancel(uid), 409, "COMPLETED")
    assert worklist.state(uid) == "COMPLETED"

    # The workitem lives in its partition only.
    elsewhere = f"{service.root}/v2" + ("" if partition else "/partitions/another-partition")
    _refused(Worklist(checked.session(), elsewhere).retrieve(uid), 404, uid)

    # Every exchange above was validated against the version's spec.
    operations = {entry.split()[1].removesuffix("InPartition") for entry in checked.seen}
    transactions = {"createWorkitem", "retrieveWorkitem", "updateWorkitem", "changeWorkitemState"}
    assert operations == transactions | {"requestWorkitemCancellation"} and len(checked.seen) >= 29


def test_the_owner_cancels_an_in_progress_workitem(service: LiveService, checked: Validated) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    uid, owner = generate_uid(), generate_uid()
    assert worklist.create(workitem(), uid).status_code == 201
    assert worklist.change_state(uid, owner, "IN PROGRESS").status_code == 200
    _refused(worklist.change_state(uid, generate_uid(), "CANCELED"), 400, "transaction UID")
    assert worklist.change_state(uid, owner, "CANCELED").status_code == 200
    canceled = worklist.retrieve(uid).json()
    assert value(canceled, STATE) == "CANCELED"
    assert CANCELED_AT in canceled[PROGRESS]["Value"][0]
    repeat = worklist.change_state(uid, owner, "CANCELED")
    assert (
        repeat.status_code == 200
        and "already in the requested state of CANCELED" in repeat.headers["Warning"]
    )
    _refused(worklist.change_state(uid, owner, "COMPLETED"), 409, "CANCELED")
    _refused(worklist.update(uid, {LABEL: {"vr": "LO", "Value": ["x"]}}, owner), 409, "CANCELED")


def test_a_cancellation_request_cancels_a_scheduled_workitem_once(
    service: LiveService, checked: Validated
) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    uid = generate_uid()
    assert worklist.create(workitem(), uid).status_code == 201
    reason = {REASON: {"vr": "LT", "Value": ["Patient unavailable\r\nrescheduled"]}}
    accepted = worklist.cancel(uid, reason)
    assert accepted.status_code == 202 and accepted.content == b""
    canceled = worklist.retrieve(uid).json()
    assert value(canceled, STATE) == "CANCELED"
    progress = canceled[PROGRESS]["Value"][0]
    assert progress[REASON]["Value"] == ["Patient unavailable\r\nrescheduled"] and CANCELED_AT in progress

    again = worklist.cancel(uid)
    _refused(again, 409, "already CANCELED")
    host = service.root.removeprefix("http://")
    assert again.headers["Warning"] == f'299 {host}: "The UPS is already in the requested state of CANCELED."'
    _refused(worklist.update(uid, {LABEL: {"vr": "LO", "Value": ["x"]}}), 409, "CANCELED")
    _refused(worklist.cancel(generate_uid()), 404, "not found")
    _refused(worklist.cancel(uid, {LABEL: {"vr": "LO", "Value": ["x"]}}), 400, "ProcedureStepLabel")


def test_the_workitem_uid_comes_from_the_query_or_the_body(service: LiveService, checked: Validated) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    in_body = generate_uid()
    created = worklist.create(workitem(in_body))
    assert created.status_code == 201 and created.headers["Location"].endswith(f"/workitems/{in_body}")
    same = generate_uid()
    assert worklist.create(workitem(same), same).status_code == 201
    _refused(worklist.create(workitem()), 400, "workitem UID is missing")
    _refused(worklist.create(workitem(generate_uid()), generate_uid()), 400, "differs")
    _refused(worklist.create(workitem(), "1.2.abc"), 400, "not a valid UID")
    _refused(worklist.retrieve(generate_uid()), 404, "not found")
    _refused(worklist.retrieve("1.2.abc"), 400, "not a valid UID")
    _refused(worklist.change_state("1..2", generate_uid(), "IN PROGRESS"), 400, "not a valid UID")
    _refused(worklist.update(generate_uid(), {LABEL: {"vr": "LO", "Value": ["x"]}}), 404, "not found")
    _refused(worklist.change_state(generate_uid(), generate_uid(), "IN PROGRESS"), 404, "not found")


def _without(tag: str) -> dict[str, Any]:
    dataset = workitem()
    del dataset[tag]
    return dataset


@pytest.mark.parametrize(
    ("dataset", "named"),
    [
        (_without(PRIORITY), "ScheduledProcedureStepPriority"),
        (_without(LABEL), "ProcedureStepLabel"),
        (_without("00404005"), "ScheduledProcedureStepStartDateTime"),
        (_without("00404041"), "InputReadinessState"),
        (_without(STATE), "ProcedureStepState"),
        (workitem(**{LABEL: {"vr": "LO"}}), "ProcedureStepLabel"),
        (workitem(**{STATE: {"vr": "CS", "Value": ["IN PROGRESS"]}}), "must be SCHEDULED"),
        (workitem(**{TRANSACTION_UID: {"vr": "UI", "Value": ["1.2.3"]}}), "TransactionUID"),
        (workitem(**{PRIORITY: {"vr": "CS", "Value": ["URGENT"]}}), "HIGH, MEDIUM, LOW"),
        (workitem(**{SOP_CLASS: {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]}}), "UPS Push"),
    ],
)
def test_a_workitem_missing_a_required_attribute_is_refused(
    service: LiveService, checked: Validated, dataset: dict[str, Any], named: str
) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    uid = generate_uid()
    _refused(worklist.create(dataset, uid), 400, named)
    _refused(worklist.retrieve(uid), 404)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ([{}], "TransactionUID"),
        (state_change(generate_uid(), None), "ProcedureStepState"),
        (state_change(None, "IN PROGRESS"), "TransactionUID"),
        (state_change(generate_uid(), "DONE"), "DONE"),
        (state_change("not-a-uid", "IN PROGRESS"), '(TransactionUID) has the value "not-a-uid"'),
    ],
)
def test_a_state_change_without_its_transaction_uid_or_state_is_refused(
    service: LiveService, checked: Validated, body: list[dict[str, Any]], named: str
) -> None:
    session = checked.session()
    worklist = Worklist(session, f"{service.root}/v2")
    uid = generate_uid()
    assert worklist.create(workitem(), uid).status_code == 201
    answer = session.put(f"{worklist.base}/workitems/{uid}/state", data=json.dumps(body), headers=SEND)
    _refused(answer, 400, named)
    assert worklist.state(uid) == "SCHEDULED"


@pytest.mark.parametrize(
    "tag", ["00100010", "00100020", "0040A370", SOP_INSTANCE, SOP_CLASS, TRANSACTION_UID, STATE]
)
def test_an_update_cannot_change_the_fixed_attributes(
    service: LiveService, checked: Validated, tag: str
) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    uid = generate_uid()
    original = workitem(uid)
    assert worklist.create(original).status_code == 201
    change = {tag: {"vr": original.get(tag, {"vr": "UI"})["vr"]}}
    _refused(worklist.update(uid, change), 400, "cannot be changed")
    assert worklist.retrieve(uid).json()[SOP_INSTANCE] == original[SOP_INSTANCE]


def test_of_performers_claiming_at_once_exactly_one_gets_the_workitem(
    service: LiveService, checked: Validated
) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v2")
    uid = generate_uid()
    assert worklist.create(workitem(), uid).status_code == 201
    performers = [generate_uid() for _ in range(6)]

    def claim(owner: str) -> int:
        return Worklist(checked.session(), worklist.base).change_state(uid, owner, "IN PROGRESS").status_code

    with ThreadPoolExecutor(len(performers)) as pool:
        statuses = list(pool.map(claim, performers))
    assert sorted(statuses) == [200] + [400] * (len(performers) - 1)
    winner = performers[statuses.index(200)]
    assert worklist.update(uid, performed(), winner).status_code == 200
    assert worklist.change_state(uid, winner, "COMPLETED").status_code == 200


def test_a_claimed_workitem_keeps_its_owner_after_a_restart(service: LiveService, checked: Validated) -> None:
    worklist = Worklist(checked.session(), f"{service.root}/v1")
    uid, owner = generate_uid(), generate_uid()
    assert worklist.create(workitem(), uid).status_code == 201
    assert worklist.change_state(uid, owner, "IN PROGRESS").status_code == 200
    service.restart()
    assert worklist.state(uid) == "IN PROGRESS"
    _refused(worklist.change_state(uid, generate_uid(), "COMPLETED"), 400, "transaction UID")
    assert worklist.update(uid, performed(), owner).status_code == 200
    assert worklist.change_state(uid, owner, "COMPLETED").status_code == 200
    assert value(worklist.retrieve(uid).json()[PERFORMED]["Value"][0], "00404051") == "20240102094500"
