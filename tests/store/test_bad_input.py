"""Broken requests get the documented 4xx with a body naming the fault; nothing is half-stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from tests.service import data
from tests.service.live import LiveService, Validated

ACCEPT = {"Accept": "application/dicom+json"}
STORE = {"Content-Type": "application/dicom", **ACCEPT}
FAILED_SOPS, FAILURE_REASON, COMMENTS = "00081198", "00081197", "00741048"


def _reason(answer: dict) -> tuple[int, str]:  # type: ignore[type-arg]
    failure = answer[FAILED_SOPS]["Value"][0]
    return failure[FAILURE_REASON]["Value"][0], failure[COMMENTS]["Value"][0]["00000902"]["Value"][0]


def _nothing_stored(service: LiveService, checked: Validated, patient: str) -> None:
    found = checked.session().get(f"{service.root}/v2/studies", params={"PatientID": patient}, headers=ACCEPT)
    assert found.status_code == 204


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("not DICOM", b"this is not a DICOM file" * 20),
        ("truncated", data.part10(data.instance(PatientID="CUT"))[:20_000]),
        ("cut inside the meta header", data.part10(data.instance(PatientID="CUT"))[:200]),
        ("a truncated file from pydicom", Path(get_testdata_file("MR_truncated.dcm")).read_bytes()),
    ],
)
def test_an_unreadable_instance_fails_with_272_and_nothing_is_stored(
    service: LiveService, checked: Validated, label: str, body: bytes
) -> None:
    answer = checked.session().post(f"{service.root}/v2/studies", data=body, headers=STORE)
    assert answer.status_code == 409, label
    reason, comment = _reason(answer.json())
    assert reason == 272
    assert "DICOM" in comment or "truncated" in comment
    _nothing_stored(service, checked, "CUT")


def test_a_multipart_store_keeps_the_good_instances_and_names_the_bad_one(
    service: LiveService, checked: Validated
) -> None:
    good = data.instance(PatientID="MIXED")
    body, content_type = data.multipart([data.part10(good), b"garbage" * 100])
    answer = checked.session().post(
        f"{service.root}/v2/studies", data=body, headers={"Content-Type": content_type, **ACCEPT}
    )
    assert answer.status_code == 202
    assert _reason(answer.json())[0] == 272
    stored = answer.json()["00081199"]["Value"]
    assert [item["00081155"]["Value"][0] for item in stored] == [good.SOPInstanceUID]


def test_an_instance_of_another_study_fails_with_43265(service: LiveService, checked: Validated) -> None:
    ds = data.instance(PatientID="MISMATCH")
    answer = checked.session().post(
        f"{service.root}/v2/studies/1.2.3.4.5", data=data.part10(ds), headers=STORE
    )
    assert answer.status_code == 409
    reason, comment = _reason(answer.json())
    assert reason == 43265 and ds.StudyInstanceUID in comment and "1.2.3.4.5" in comment
    _nothing_stored(service, checked, "MISMATCH")


def test_storing_an_instance_twice_fails_the_second_time_with_45070(
    service: LiveService, checked: Validated
) -> None:
    body = data.part10(data.instance(PatientID="TWICE"))
    session = checked.session()
    assert session.post(f"{service.root}/v2/studies", data=body, headers=STORE).status_code == 200
    again = session.post(f"{service.root}/v2/studies", data=body, headers=STORE)
    assert again.status_code == 409 and _reason(again.json())[0] == 45070


@pytest.mark.parametrize(
    ("content_type", "status", "says"),
    [
        ("application/json", 415, "Content-Type"),
        ('multipart/related; type="application/dicom"', 400, "boundary"),
    ],
)
def test_a_body_of_the_wrong_kind_is_refused(
    service: LiveService, checked: Validated, content_type: str, status: int, says: str
) -> None:
    answer = checked.session().post(
        f"{service.root}/v2/studies", data=b"{}", headers={"Content-Type": content_type, **ACCEPT}
    )
    assert answer.status_code == status and says in answer.text


def test_a_part_that_is_not_dicom_is_refused_whole(service: LiveService, checked: Validated) -> None:
    good = data.part10(data.instance(PatientID="PARTTYPE"))
    body = (
        b"--b\r\nContent-Type: application/dicom\r\n\r\n" + good + b"\r\n"
        b"--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n"
    )
    answer = checked.session().post(
        f"{service.root}/v2/studies",
        data=body,
        headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=b', **ACCEPT},
    )
    assert answer.status_code == 415 and "Part 2" in answer.text and "application/json" in answer.text
    _nothing_stored(service, checked, "PARTTYPE")


def test_a_multipart_body_without_its_closing_boundary_is_400(
    service: LiveService, checked: Validated
) -> None:
    good = data.part10(data.instance(PatientID="UNCLOSED"))
    body = b"--b\r\nContent-Type: application/dicom\r\n\r\n" + good
    answer = checked.session().post(
        f"{service.root}/v2/studies",
        data=body,
        headers={"Content-Type": 'multipart/related; type="application/dicom"; boundary=b', **ACCEPT},
    )
    assert answer.status_code == 400 and "closing boundary" in answer.text
    _nothing_stored(service, checked, "UNCLOSED")


def test_an_empty_store_is_204(service: LiveService) -> None:
    # Not through the validating session: its multipart reader insists on at least one part.
    body, content_type = b"--b--\r\n", 'multipart/related; type="application/dicom"; boundary=b'
    answer = service.session().post(
        f"{service.root}/v2/studies", data=body, headers={"Content-Type": content_type, **ACCEPT}
    )
    assert answer.status_code == 204 and answer.content == b""


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"StudyDate": "2024-01-01"}, "is not a date"),
        ({"StudyDate": "-"}, "is not a date"),
        ({"PatientID": ""}, "empty value"),
        ({"NoSuchKeyword": "x"}, "not a known attribute"),
        ({"Modality": "CT"}, "not searchable on this resource"),
        ({"includefield": "NoSuchKeyword"}, "includefield"),
        ({"StudyInstanceUID": "1.2.abc"}, "not a valid UID"),
        ({"PatientID": "x" * 300}, "longer than 256"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"fuzzymatching": "maybe"}, "fuzzymatching"),
    ],
)
def test_a_malformed_search_is_400_naming_the_fault(
    service: LiveService, checked: Validated, query: dict[str, str], says: str
) -> None:
    answer = checked.session().get(f"{service.root}/v2/studies", params=query, headers=ACCEPT)
    assert answer.status_code == 400 and says in answer.text


def test_a_search_with_a_duplicate_tag_key_is_400(service: LiveService, checked: Validated) -> None:
    answer = checked.session().get(f"{service.root}/v2/studies?PatientID=a&00100020=b", headers=ACCEPT)
    assert answer.status_code == 400 and "more than once" in answer.text


@pytest.mark.parametrize("resource", ["series", "instances"])
def test_modalities_in_study_filters_the_cross_study_resources(
    service: LiveService, checked: Validated, resource: str
) -> None:
    """Found by fuzzing: the study-level modality filter on /series and /instances answered 500."""
    ds = data.instance(PatientID="MODALITY-FILTER", Modality="OT")
    stored = checked.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
    assert stored.status_code == 200
    found = checked.session().get(
        f"{service.root}/v2/{resource}",
        params={"ModalitiesInStudy": "OT", "PatientID": "MODALITY-FILTER"},
        headers=ACCEPT,
    )
    assert found.status_code == 200 and found.json()[0]["0020000E"]["Value"] == [ds.SeriesInstanceUID]


def test_the_largest_change_feed_offset_is_an_empty_page(service: LiveService, checked: Validated) -> None:
    """Found by fuzzing: offset + limit past 2**63 - 1 answered 500."""
    answer = checked.session().get(f"{service.root}/v1/changefeed", params={"offset": 2**63 - 8, "limit": 10})
    assert answer.status_code == 200 and answer.json() == []


def test_a_change_feed_window_from_before_the_year_1000_is_read(
    service: LiveService, checked: Validated
) -> None:
    """Found by fuzzing: years below 1000 were not zero-padded, so the window compared wrongly."""
    session = checked.session()
    ds = data.instance(PatientID="ANCIENT-WINDOW")
    assert session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE).status_code == 200
    answer = session.get(
        f"{service.root}/v2/changefeed",
        params={"startTime": "0999-01-01T00:00:00Z", "endTime": "9999-01-01T00:00:00Z", "limit": 200},
    )
    assert answer.status_code == 200
    assert ds.SOPInstanceUID in {e["sopInstanceUid"] for e in answer.json()}
