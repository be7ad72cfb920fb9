"""Bulk update (v2 only): studies rewritten by a long-running operation, originals kept and retrievable with
`msdicom-request-original: true`, `update` entries in the change feed; v1 answers 404; bad bodies 400."""

from __future__ import annotations

import io

import pydicom
import pytest

from tests.fixtures import segments_before, served_segments
from tests.service import data
from tests.service.live import LiveService, Validated
from tests.service.operations import started, wait

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
INSTANCE = {"Accept": "application/dicom; transfer-syntax=*"}
METADATA = {"Accept": "application/dicom+json"}
NEW_NAME = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Janet"}]}}


def test_bulk_update_keeps_the_original_and_records_updates(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    instances = data.study(2, PatientName="Doe^Jane", PatientID="BULK-1")
    for ds in instances:
        assert (
            session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
        )
    study = instances[0].StudyInstanceUID
    before = session.get(f"{service.root}/v2/changefeed/latest").json()["sequence"]
    missing = "1.2.3.4.5.6.7.8.9"
    body = {"studyInstanceUids": [study, missing], "changeDataset": NEW_NAME}
    state = wait(session, started(session.post(f"{service.root}/v2/studies/$bulkUpdate", json=body)))
    assert state["type"] == "update" and state["status"] == "failed" and state["percentComplete"] == 100
    assert state["results"]["studyUpdated"] == 1 and state["results"]["instanceUpdated"] == 2
    assert state["results"]["studyFailed"] == 1 and missing in state["results"]["errors"][0]

    ds = instances[0]
    url = f"{service.root}/v2/studies/{study}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    latest = pydicom.dcmread(io.BytesIO(session.get(url, headers=INSTANCE).content))
    assert str(latest.PatientName) == "Doe^Janet" and latest.PatientID == "BULK-1"
    assert latest.file_meta.ImplementationClassUID == "1.3.6.1.4.1.311.129"
    assert latest.PixelData == ds.PixelData
    original = session.get(url, headers={**INSTANCE, "msdicom-request-original": "true"})
    assert original.content[128:] == data.part10(ds)[128:]  # as stored (the service zeroes the preamble)
    metadata = session.get(f"{url}/metadata", headers=METADATA).json()[0]
    assert metadata["00100010"]["Value"] == [{"Alphabetic": "Doe^Janet"}]
    kept = session.get(f"{url}/metadata", headers={**METADATA, "msdicom-request-original": "true"}).json()[0]
    assert kept["00100010"]["Value"] == [{"Alphabetic": "Doe^Jane"}]
    # Search sees the new value; the change feed has one update entry per instance.
    found = session.get(f"{service.root}/v2/studies", params={"PatientName": "Doe^Janet"}, headers=METADATA)
    assert study in [r["0020000D"]["Value"][0] for r in found.json()]
    feed = session.get(f"{service.root}/v1/changefeed", params={"offset": before - 2}).json()
    updates = [e for e in feed if e["action"] == "update"]
    assert sorted(e["sopInstanceUid"] for e in updates) == sorted(i.SOPInstanceUID for i in instances)
    assert {e["state"] for e in updates} == {"current"}
    assert updates[0]["metadata"]["00100010"]["Value"] == [{"Alphabetic": "Doe^Janet"}]
    creates = [e for e in feed if e["action"] == "create" and e["studyInstanceUid"] == study]
    assert len(creates) == 2 and {e["state"] for e in creates} == {"replaced"}
    # Deleting the study removes both versions.
    assert session.delete(f"{service.root}/v2/studies/{study}").status_code == 204
    assert session.get(url, headers={**INSTANCE, "msdicom-request-original": "true"}).status_code == 404


@pytest.mark.behaviour_change("bulk-update-v2-only")
def test_bulk_update_exists_in_v2_only(service: LiveService, checked: Validated) -> None:
    body = {"studyInstanceUids": ["1.2.3"], "changeDataset": NEW_NAME}
    without = segments_before("bulk-update-v2-only")
    assert without and served_segments()[-1] not in without
    for version in without:
        answer = checked.session().post(f"{service.root}/{version}/studies/$bulkUpdate", json=body)
        assert answer.status_code == 404 and answer.content == b""


def test_one_bulk_update_at_a_time(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    instances = data.study(3)
    for ds in instances:
        session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
    body = {"studyInstanceUids": [instances[0].StudyInstanceUID] * 1, "changeDataset": NEW_NAME}
    first = session.post(f"{service.root}/v2/studies/$bulkUpdate", json=body)
    second = session.post(f"{service.root}/v2/studies/$bulkUpdate", json=body)
    href = started(first)
    if second.status_code == 409:  # the first had not ended yet
        assert first.json()["id"] in second.text
    else:
        wait(session, started(second))
    assert wait(session, href)["status"] == "succeeded"


BAD = [
    {},
    {"studyInstanceUids": [], "changeDataset": NEW_NAME},
    {"studyInstanceUids": ["1.2.3"] * 51, "changeDataset": NEW_NAME},
    {"studyInstanceUids": ["not a uid"], "changeDataset": NEW_NAME},
    {"studyInstanceUids": "1.2.3", "changeDataset": NEW_NAME},
    {"studyInstanceUids": ["1.2.3"]},
    {"studyInstanceUids": ["1.2.3"], "changeDataset": {}},
    {"studyInstanceUids": ["1.2.3"], "changeDataset": []},
]
REFUSED_CHANGES = [
    {"00080060": {"vr": "CS", "Value": ["MR"]}},  # Modality: not a study-level attribute
    {"0020000D": {"vr": "UI", "Value": ["1.2.3"]}},  # the study's identity
    {"00100010": {"vr": "PN"}},  # to null
    {"00100010": {"vr": "LO", "Value": ["Doe"]}},  # wrong VR
    {"00100030": {"vr": "DA", "Value": ["2020-01-01"]}},  # invalid value
    {"00081110": {"vr": "SQ", "Value": [{}]}},  # a sequence
]


@pytest.mark.parametrize("body", BAD)
def test_malformed_bodies_answer_400(service: LiveService, checked: Validated, body: object) -> None:
    answer = checked.session().post(f"{service.root}/v2/studies/$bulkUpdate", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("changes", REFUSED_CHANGES)
def test_changes_that_cannot_be_applied_answer_400_naming_them(
    service: LiveService, checked: Validated, changes: dict[str, object]
) -> None:
    body = {"studyInstanceUids": ["1.2.3"], "changeDataset": changes}
    answer = checked.session().post(f"{service.root}/v2/studies/$bulkUpdate", json=body)
    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/dicom+json"
    comment = answer.json()["00741048"]["Value"][0]["00000902"]["Value"][0]
    tag = next(iter(changes))
    assert comment.startswith(f"DICOM100: ({tag[:4]},{tag[4:]})")
