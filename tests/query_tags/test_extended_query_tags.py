"""Extended query tags end to end: added, reindexed from stored data, searched, disabled by indexing errors,
re-enabled with the `erroneous-dicom-attributes` header, deleted; bad requests answer 400, 404 or 409."""

from __future__ import annotations

import pytest

from tests.service import data
from tests.service.live import LiveService, Validated
from tests.service.operations import started, wait

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
QIDO = {"Accept": "application/dicom+json"}


def store(service: LiveService, checked: Validated, *datasets: object) -> None:
    session = checked.session()
    for ds in datasets:
        answer = session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)  # type: ignore[arg-type]
        assert answer.status_code == 200, answer.text


def add(service: LiveService, checked: Validated, tags: list[dict[str, str]], version: str = "v2") -> str:
    answer = checked.session().post(f"{service.root}/{version}/extendedquerytags", json=tags)
    return started(answer)


def study_uids(service: LiveService, checked: Validated, **params: str) -> set[str]:
    answer = checked.session().get(f"{service.root}/v2/studies", params=params, headers=QIDO)
    assert answer.status_code in (200, 204), answer.text
    return {r["0020000D"]["Value"][0] for r in answer.json()} if answer.status_code == 200 else set()


@pytest.mark.behaviour_change("operation-status-succeeded")
def test_a_tag_is_reindexed_over_stored_instances_then_searchable(
    service: LiveService, checked: Validated
) -> None:
    female, male = data.instance(PatientSex="F"), data.instance(PatientSex="M")
    store(service, checked, female, male)
    session = checked.session()
    href = add(service, checked, [{"path": "PatientSex", "level": "study"}])
    tag = session.get(f"{service.root}/v2/extendedquerytags/PatientSex").json()
    assert tag["path"] == "00100040" and tag["vr"] == "CS" and tag["level"] == "study"
    assert tag["status"] in ("adding", "ready") and tag["queryStatus"] == "enabled"
    state = wait(session, href)
    assert state["type"] == "reindex" and state["status"] == "succeeded" and state["percentComplete"] == 100
    assert state["resources"] == [f"{service.root}/v2/extendedquerytags/00100040"]
    # The same stored state, read in version 1, has version 1's name for success.
    v1 = session.get(href.replace("/v2/", "/v1/")).json()
    assert v1["status"] == "completed" and v1["resources"] == [
        f"{service.root}/v1/extendedquerytags/00100040"
    ]
    assert session.get(f"{service.root}/v2/extendedquerytags/00100040").json()["status"] == "ready"

    found = study_uids(service, checked, PatientSex="F")
    assert female.StudyInstanceUID in found and male.StudyInstanceUID not in found
    # Instances stored after the tag was added are indexed by their store.
    later = data.instance(PatientSex="F")
    store(service, checked, later)
    assert later.StudyInstanceUID in study_uids(service, checked, **{"00100040": "f"})


def test_range_matching_on_dates_and_fuzzy_matching_on_person_names(
    service: LiveService, checked: Validated
) -> None:
    early = data.instance(SeriesDate="20200105", PerformingPhysicianName="Müller^Hans")
    late = data.instance(SeriesDate="20230610", PerformingPhysicianName="Smith^Anna")
    store(service, checked, early, late)
    href = add(
        service,
        checked,
        [{"path": "SeriesDate", "level": "series"}, {"path": "00081050", "vr": "PN", "level": "series"}],
    )
    assert wait(checked.session(), href)["status"] == "succeeded"
    session = checked.session()

    def series(**params: str) -> set[str]:
        answer = session.get(f"{service.root}/v2/series", params=params, headers=QIDO)
        return {r["0020000E"]["Value"][0] for r in answer.json()} if answer.status_code == 200 else set()

    assert series(SeriesDate="20200101-20201231") == {early.SeriesInstanceUID}
    # A match key is returned with each match, as the standard attributes are.
    matched = session.get(f"{service.root}/v2/series", params={"SeriesDate": "20200105"}, headers=QIDO).json()
    assert matched[0]["00080021"] == {"vr": "DA", "Value": ["20200105"]}
    assert series(SeriesDate="20230101-") == {late.SeriesInstanceUID}
    assert series(PerformingPhysicianName="muller^hans") == {early.SeriesInstanceUID}
    assert series(PerformingPhysicianName="ann", fuzzymatching="true") == {late.SeriesInstanceUID}
    # An extended tag is searched at its level only: a series tag is not a study search key.
    refused = session.get(f"{service.root}/v2/studies", params={"SeriesDate": "20200105"}, headers=QIDO)
    assert refused.status_code == 400


def test_indexing_errors_disable_querying_until_re_enabled_with_a_header(
    service: LiveService, checked: Validated
) -> None:
    bad = data.instance(StationName="A-STATION-NAME-LONGER-THAN-16")
    good = data.instance(StationName="CT01")
    store(service, checked, bad, good)
    session = checked.session()
    assert (
        wait(session, add(service, checked, [{"path": "StationName", "level": "series"}]))["status"]
        == "succeeded"
    )
    tag = session.get(f"{service.root}/v2/extendedquerytags/StationName").json()
    assert tag["status"] == "ready" and tag["queryStatus"] == "disabled"
    assert tag["errors"] == {"count": 1, "href": f"{service.root}/v2/extendedquerytags/00081010/errors"}
    errors = session.get(tag["errors"]["href"]).json()
    assert [e["sopInstanceUid"] for e in errors] == [bad.SOPInstanceUID]
    assert errors[0]["errorMessage"].startswith("DICOM100: (0008,1010)")
    assert session.get(tag["errors"]["href"], params={"offset": 1}).json() == []
    params = {"StationName": "CT01"}
    assert session.get(f"{service.root}/v2/series", params=params, headers=QIDO).status_code == 400

    enabled = session.patch(f"{service.root}/v2/extendedquerytags/00081010", json={"queryStatus": "enabled"})
    assert enabled.status_code == 200 and enabled.json()["queryStatus"] == "enabled"
    found = session.get(f"{service.root}/v2/series", params=params, headers=QIDO)
    assert found.status_code == 200 and found.headers["erroneous-dicom-attributes"] == "StationName"
    assert [r["0020000E"]["Value"][0] for r in found.json()] == [good.SeriesInstanceUID]


def test_list_delete_and_conflicts(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    assert wait(session, add(service, checked, [{"path": "PatientWeight", "level": "study"}], "v1"))
    listed = session.get(f"{service.root}/v2/extendedquerytags").json()
    assert "00101030" in [t["path"] for t in listed]
    assert session.get(f"{service.root}/v2/extendedquerytags", params={"limit": 1}).json() == listed[:1]
    again = session.post(
        f"{service.root}/v2/extendedquerytags", json=[{"path": "PatientWeight", "level": "study"}]
    )
    assert again.status_code == 409 and "00101030" in again.text
    assert session.delete(f"{service.root}/v2/extendedquerytags/PatientWeight").status_code == 204
    assert session.get(f"{service.root}/v2/extendedquerytags/PatientWeight").status_code == 404
    assert session.delete(f"{service.root}/v2/extendedquerytags/PatientWeight").status_code == 404
    refused = session.get(f"{service.root}/v2/studies", params={"PatientWeight": "70"}, headers=QIDO)
    assert refused.status_code == 400


BAD_BODIES = [
    b"not json",
    b"{}",
    b"[]",
    b'[{"path": "PatientSize"}]',
    b'[{"path": "PatientSize", "level": "patient"}]',
    b'[{"path": 42, "level": "study"}]',
    b'[{"path": "PatientSize", "level": "study", "vr": "XX"}]',
    b'[{"path": "PatientSize", "level": "study", "vr": "CS"}]',
    b'[{"path": "ReferencedStudySequence", "level": "study"}]',
    b'[{"path": "NotAKeyword", "level": "study"}]',
    b'[{"path": "00091001", "vr": "LO", "level": "study"}]',
    b'[{"path": "PatientID", "level": "study"}]',
    b'[{"path": "PatientSize", "level": "study", "privateCreator": "ACME"}]',
    b'[{"path": "PatientSize", "level": "study"}, {"path": "00101020", "level": "series"}]',
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_add_bodies_answer_400(service: LiveService, checked: Validated, body: bytes) -> None:
    answer = checked.session().post(
        f"{service.root}/v2/extendedquerytags", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")


def test_bad_update_bodies_answer_400_and_unknown_things_404(
    service: LiveService, checked: Validated
) -> None:
    session = checked.session()
    for body in ({"queryStatus": "AAA"}, {}, [], {"queryStatus": True}):
        answer = session.patch(f"{service.root}/v2/extendedquerytags/00100040", json=body)
        assert answer.status_code == 400, (body, answer.text)
    assert session.get(f"{service.root}/v2/extendedquerytags/NoSuchKeyword").status_code == 400
    assert session.get(f"{service.root}/v2/extendedquerytags/00100050").status_code == 404
    assert session.get(f"{service.root}/v2/extendedquerytags/00100050/errors").status_code == 404
    assert session.get(f"{service.root}/v2/operations/{'0' * 32}").status_code == 404
