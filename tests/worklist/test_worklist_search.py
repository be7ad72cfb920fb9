"""Search Workitems end to end: each searchable attribute (sequence paths and the date-time range included),
fuzzy person names, paging, includefield, and the queries refused with 400."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from pydicom.uid import generate_uid

from tests.service.live import LiveService, Validated
from tests.service.worklist_data import (
    ACCEPT,
    PATIENT_ID,
    PRIORITY,
    REQUESTS,
    SEND,
    SOP_INSTANCE,
    STATE,
    TRANSACTION_UID,
    state_change,
    value,
    workitem,
)

EXPIRES = "00404008"  # ScheduledProcedureStepExpirationDateTime


def _token() -> str:
    return uuid.uuid4().hex[:10].upper()


def _create(session: requests.Session, base: str, **fields: Any) -> str:
    uid = generate_uid()
    answer = session.post(f"{base}/workitems?{uid}", data=json.dumps([workitem(**fields)]), headers=SEND)
    assert answer.status_code == 201, answer.text
    return uid


def _found(session: requests.Session, base: str, **params: Any) -> list[str]:
    answer = session.get(f"{base}/workitems", params=params, headers=ACCEPT)
    if answer.status_code == 204:
        return []
    assert answer.status_code == 200, answer.text
    return [value(item, SOP_INSTANCE) for item in answer.json()]


@pytest.fixture(scope="module")
def worklist(service: LiveService) -> dict[str, Any]:
    """Three workitems with one token in every searchable value, so the module's searches see only them."""
    session, base, t = Validated().session(), f"{service.root}/v2", _token()
    study = generate_uid()
    first = _create(
        session,
        base,
        patient="Müller^Hans",
        patient_id=f"P1-{t}",
        start="20240101080000",
        accession=f"A1-{t}",
        procedure_id=f"R1-{t}",
        station=f"N1{t}",
        station_class=f"C1{t}",
        place=f"G1{t}",
        study=study,
    )
    second = _create(
        session,
        base,
        patient="Doe^Jane",
        patient_id=f"P2-{t}",
        start="20240101120000.5",
        accession=f"A2-{t}",
        procedure_id=f"R2-{t}",
        station=f"N2{t}",
        station_class=f"C2{t}",
        place=f"G2{t}",
    )
    third = _create(
        session,
        base,
        patient="Doe^John",
        patient_id=f"P3-{t}",
        start="20240102090000",
        accession=f"A3-{t}",
        procedure_id=f"R3-{t}",
        station=f"N3{t}",
        station_class=f"C3{t}",
        place=f"G3{t}",
    )
    owner = generate_uid()
    put = session.put(
        f"{base}/workitems/{third}/state", data=json.dumps(state_change(owner, "IN PROGRESS")), headers=SEND
    )
    assert put.status_code == 200
    return {"token": t, "uids": [first, second, third], "study": study, "base": base}


@pytest.mark.parametrize(
    ("key", "value_of", "expected"),
    [
        ("PatientID", "P2-{t}", [1]),
        ("00100020", "p2-{t}", [1]),  # by tag, case-insensitive
        ("ReferencedRequestSequence.AccessionNumber", "A1-{t}", [0]),
        ("0040A370.00080050", "A3-{t}", [2]),
        ("ReferencedRequestSequence.RequestedProcedureID", "R2-{t}", [1]),
        ("ScheduledStationNameCodeSequence.CodeValue", "N3{t}", [2]),
        ("ScheduledStationClassCodeSequence.CodeValue", "C1{t}", [0]),
        ("ScheduledStationGeographicLocationCodeSequence.CodeValue", "G2{t}", [1]),
    ],
)
def test_search_by_each_searchable_attribute(
    worklist: dict[str, Any], checked: Validated, key: str, value_of: str, expected: list[int]
) -> None:
    found = _found(checked.session(), worklist["base"], **{key: value_of.format(t=worklist["token"])})
    assert found == [worklist["uids"][i] for i in expected]


def test_search_by_study_state_name_and_date_time_range(worklist: dict[str, Any], checked: Validated) -> None:
    session, base, uids, t = checked.session(), worklist["base"], worklist["uids"], worklist["token"]
    assert _found(session, base, StudyInstanceUID=worklist["study"]) == [uids[0]]
    mine = {"ScheduledStationClassCodeSequence.CodeValue": f"C3{t}"}
    assert _found(session, base, ProcedureStepState="IN PROGRESS", **mine) == [uids[2]]
    assert _found(session, base, ProcedureStepState="SCHEDULED", **mine) == []
    # Person names: case- and accent-insensitive; fuzzy matching by word prefix.
    station = {"ScheduledStationNameCodeSequence.CodeValue": f"N1{t}"}
    assert _found(session, base, PatientName="MULLER^hans", **station) == [uids[0]]
    assert _found(session, base, PatientName="hans", **station) == []
    assert _found(session, base, PatientName="hans", fuzzymatching="true", **station) == [uids[0]]
    # Date-time ranges, newest first, inclusive; a date alone spans its whole day.
    ids = [uids[0], uids[1], uids[2]]

    def window(value: str) -> list[str]:
        return [uid for uid in _found(session, base, ScheduledProcedureStepStartDateTime=value) if uid in ids]

    assert window("20240101080000-20240101120000") == [uids[1], uids[0]]
    assert window("20240101-20240101") == [uids[1], uids[0]]
    assert window("20240101090000-")[:2] == [uids[2], uids[1]]
    assert window("-20240101080000") == [uids[0]]
    assert window("20240102") == [uids[2]]
    assert window("202401020900") == [uids[2]]


def test_results_hold_the_return_keys_and_never_the_transaction_uid(
    worklist: dict[str, Any], checked: Validated
) -> None:
    session, base, t = checked.session(), worklist["base"], worklist["token"]
    answer = session.get(f"{base}/workitems", params={"PatientID": f"P3-{t}"}, headers=ACCEPT)
    item = answer.json()[0]
    assert value(item, STATE) == "IN PROGRESS" and TRANSACTION_UID not in item
    assert value(item, PRIORITY) == "MEDIUM" and REQUESTS in item and value(item, PATIENT_ID) == f"P3-{t}"
    assert "00741202" in item  # WorklistLabel
    extra = session.post(
        f"{base}/workitems/{worklist['uids'][0]}",
        data=json.dumps([{"00404011": {"vr": "DT", "Value": ["20240101100000"]}, EXPIRES: {"vr": "DT"}}]),
        headers=SEND,
    )
    assert extra.status_code == 200, extra.text
    query = {"PatientID": f"P1-{t}"}
    plain = session.get(f"{base}/workitems", params=query, headers=ACCEPT).json()[0]
    assert EXPIRES not in plain  # no return key
    included = session.get(
        f"{base}/workitems",
        params={**query, "includefield": "ScheduledProcedureStepExpirationDateTime"},
        headers=ACCEPT,
    ).json()[0]
    assert included[EXPIRES] == {"vr": "DT"}
    every = session.get(f"{base}/workitems", params={**query, "includefield": "all"}, headers=ACCEPT).json()[
        0
    ]
    assert EXPIRES in every and value(every, "00404011") == "20240101100000"


def test_paging_with_limit_and_offset(worklist: dict[str, Any], checked: Validated) -> None:
    session, base, uids = checked.session(), worklist["base"], worklist["uids"]
    query = {"ScheduledProcedureStepStartDateTime": "20240101000000-20240102235959"}
    everything = [uid for uid in _found(session, base, **query) if uid in uids]
    assert everything == list(reversed(uids))
    page = _found(session, base, limit=1, offset=0, **query)
    assert len(page) == 1
    assert _found(session, base, limit=200, offset=100000, **query) == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"PatientSex": "F"}, "not searchable"),
        ({"NoSuchKeyword": "x"}, "not a known attribute"),
        ({"ReferencedRequestSequence.PatientID": "x"}, "not searchable"),
        ({"PatientID": ""}, "empty value"),
        ({"ScheduledProcedureStepStartDateTime": "2024-01-01"}, "not a date-time"),
        ({"ScheduledProcedureStepStartDateTime": "-"}, "not a date-time"),
        ({"ScheduledProcedureStepStartDateTime": "20240102-20240101"}, "ends before it starts"),
        ({"StudyInstanceUID": "1.2.x"}, "not a valid UID"),
        ({"includefield": "NoSuchKeyword"}, "includefield"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_a_bad_query_is_refused(
    service: LiveService, checked: Validated, params: dict[str, str], named: str
) -> None:
    answer = checked.session().get(f"{service.root}/v2/workitems", params=params, headers=ACCEPT)
    assert answer.status_code == 400 and named in answer.text, answer.text


def test_an_attribute_given_twice_is_refused(service: LiveService, checked: Validated) -> None:
    url = f"{service.root}/v1/workitems?PatientID=A&00100020=B"
    answer = checked.session().get(url, headers=ACCEPT)
    assert answer.status_code == 400 and "more than once" in answer.text


def test_searches_stay_in_their_partition(service: LiveService, checked: Validated) -> None:
    session, t = checked.session(), _token()
    inside = f"{service.root}/v2/partitions/search-{t.lower()}"
    uid = _create(session, inside, patient_id=f"PART-{t}")
    assert _found(session, inside, PatientID=f"PART-{t}") == [uid]
    assert _found(session, f"{service.root}/v2", PatientID=f"PART-{t}") == []
    assert _found(session, f"{service.root}/v2/partitions/never-created", PatientID=f"PART-{t}") == []
