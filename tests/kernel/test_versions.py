"""Each v1 → v2 behaviour difference, the two versions' answers side by side (ids from behaviour.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
QIDO = {"Accept": "application/dicom+json"}
STUDY_TIME, PATIENT_SEX, STUDY_DESCRIPTION = "00080030", "00100040", "00081030"
FAILED_SOPS, REFERENCED_SOPS = "00081198", "00081199"
FAILURE_REASON, WARNING_REASON, FAILED_ATTRIBUTES = "00081197", "00081196", "00741048"


@pytest.mark.behaviour_change("stow-lenient-validation")
@pytest.mark.behaviour_change("stow-202-on-warnings")
@pytest.mark.behaviour_change("stow-invalid-attributes-not-searchable")
def test_stow_lenient_validation_and_202_on_warnings(service: LiveService, checked: Validated) -> None:
    """stow-lenient-validation, stow-202-on-warnings: v1 fails the instance, v2 stores it with a warning."""
    session = checked.session()
    bad_date = data.instance(PatientID="LENIENT", PatientBirthDate="2020-01-01")
    body = data.part10(bad_date)
    v1 = session.post(f"{service.root}/v1/studies", data=body, headers=STORE)
    assert v1.status_code == 409
    failure = v1.json()[FAILED_SOPS]["Value"][0]
    assert failure[FAILURE_REASON]["Value"] == [43264]
    assert "(0010,0030)" in failure[FAILED_ATTRIBUTES]["Value"][0]["00000902"]["Value"][0]

    v2 = session.post(f"{service.root}/v2/studies", data=body, headers=STORE)
    assert v2.status_code == 202
    stored = v2.json()[REFERENCED_SOPS]["Value"][0]
    assert stored[WARNING_REASON]["Value"] == [1]
    comment = stored[FAILED_ATTRIBUTES]["Value"][0]["00000902"]["Value"][0]
    assert comment.startswith("DICOM100: (0010,0030)") and "2020-01-01" in comment
    # The invalid attribute is left out of the index and the metadata; the instance is retrievable.
    study = bad_date.StudyInstanceUID
    metadata = session.get(f"{service.root}/v2/studies/{study}/metadata", headers=QIDO).json()
    assert "00100030" not in metadata[0] and metadata[0]["00100020"]["Value"] == ["LENIENT"]
    found = session.get(f"{service.root}/v2/studies", params={"PatientID": "LENIENT"}, headers=QIDO)
    assert found.status_code == 200 and "00100030" not in found.json()[0]
    by_bad_value = session.get(
        f"{service.root}/v2/studies", params={"PatientBirthDate": "20200101"}, headers=QIDO
    )
    assert by_bad_value.status_code == 204  # the dropped attribute is not searchable


@pytest.mark.behaviour_change("patientid-may-be-empty")
def test_patientid_may_be_empty_in_v2_only(service: LiveService, checked: Validated) -> None:
    """patientid-may-be-empty: v1 requires a value, v2 only the element."""
    session = checked.session()
    body = data.part10(data.instance(PatientID=""))
    v1 = session.post(f"{service.root}/v1/studies", data=body, headers=STORE)
    assert v1.status_code == 409
    assert v1.json()[FAILED_SOPS]["Value"][0][FAILURE_REASON]["Value"] == [43264]
    v2 = session.post(f"{service.root}/v2/studies", data=body, headers=STORE)
    assert v2.status_code == 200


@pytest.mark.behaviour_change("qido-default-attributes-reduced")
def test_qido_default_attributes_reduced_in_v2(service: LiveService, checked: Validated) -> None:
    """qido-default-attributes-reduced: the same study, searched in v1 and v2 without includefield."""
    session = checked.session()
    ds = data.instance(PatientID="DEFAULTS", StudyDescription="Chest", PatientSex="F")
    assert session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
    v1 = session.get(f"{service.root}/v1/studies", params={"PatientID": "DEFAULTS"}, headers=QIDO).json()[0]
    v2 = session.get(f"{service.root}/v2/studies", params={"PatientID": "DEFAULTS"}, headers=QIDO).json()[0]
    assert STUDY_TIME in v1 and PATIENT_SEX in v1 and STUDY_DESCRIPTION not in v1
    assert PATIENT_SEX not in v2 and v2[STUDY_DESCRIPTION]["Value"] == ["Chest"]
    every = session.get(
        f"{service.root}/v2/studies", params={"PatientID": "DEFAULTS", "includefield": "all"}, headers=QIDO
    ).json()[0]
    assert every[STUDY_TIME] == v1[STUDY_TIME] and every[PATIENT_SEX]["Value"] == ["F"]
    v1_instance = session.get(
        f"{service.root}/v1/studies/{ds.StudyInstanceUID}/instances", headers=QIDO
    ).json()
    v2_instance = session.get(
        f"{service.root}/v2/studies/{ds.StudyInstanceUID}/instances", headers=QIDO
    ).json()
    assert "00080016" in v1_instance[0] and "00080016" not in v2_instance[0]
    assert v2_instance[0]["00080018"] == v1_instance[0]["00080018"]


@pytest.mark.behaviour_change("changefeed-time-window")
def test_changefeed_time_window_in_v2_sequence_offset_in_v1(service: LiveService, checked: Validated) -> None:
    """changefeed-time-window: v1 pages by sequence number, v2 by a time window with an offset inside it."""
    session = checked.session()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    instances = data.study(3, PatientID="FEED")
    for ds in instances:
        assert (
            session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
        )
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    latest = session.get(f"{service.root}/v1/changefeed/latest").json()
    assert latest["sopInstanceUid"] == instances[-1].SOPInstanceUID and latest["state"] == "current"
    last = latest["sequence"]

    # v1: offset is an exclusive sequence number and limit bounds the sequence range.
    v1 = session.get(f"{service.root}/v1/changefeed", params={"offset": last - 3, "limit": 2}).json()
    assert [e["sequence"] for e in v1] == [last - 2, last - 1]
    assert v1[0]["sopInstanceUid"] == instances[0].SOPInstanceUID and "metadata" in v1[0]
    assert session.get(f"{service.root}/v1/changefeed", params={"limit": 101}).status_code == 400

    # v2: entries in [startTime, endTime), offset skips entries inside that window.
    window = {"startTime": before.isoformat(), "endTime": after.isoformat(), "includeMetadata": "false"}
    v2 = session.get(f"{service.root}/v2/changefeed", params=window).json()
    assert [e["sopInstanceUid"] for e in v2][-3:] == [ds.SOPInstanceUID for ds in instances]
    assert all("metadata" not in e for e in v2)
    skipped = session.get(f"{service.root}/v2/changefeed", params={**window, "offset": len(v2) - 1}).json()
    assert [e["sopInstanceUid"] for e in skipped] == [instances[-1].SOPInstanceUID]
    no_zone = session.get(f"{service.root}/v2/changefeed", params={"startTime": "2024-01-01T00:00:00"})
    assert no_zone.status_code == 400 and "time zone" in no_zone.text
    backwards = session.get(
        f"{service.root}/v2/changefeed",
        params={"startTime": after.isoformat(), "endTime": before.isoformat()},
    )
    assert backwards.status_code == 400 and "after" in backwards.text
    assert session.get(f"{service.root}/v2/changefeed", params={"limit": 200}).status_code == 200
