"""STOW-RS and QIDO-RS through dicomweb-client, every exchange validated against the version's spec."""

from __future__ import annotations

import pytest

from tests.fixtures import served_segments
from tests.service import data
from tests.service.live import LiveService, Validated, client

VERSIONS = served_segments()  # every version the registry serves


@pytest.mark.parametrize("version", VERSIONS)
def test_a_stored_study_is_found_by_its_attributes_and_paged_to_the_end(
    service: LiveService, checked: Validated, version: str
) -> None:
    dicomweb = client(service, checked, version)
    patient = f"PAGE-{version}"
    instances = data.study(5, PatientID=patient, PatientName="Doe^Jane")
    answer = dicomweb.store_instances(instances)
    assert len(answer.ReferencedSOPSequence) == 5
    assert {item.ReferencedSOPInstanceUID for item in answer.ReferencedSOPSequence} == {
        ds.SOPInstanceUID for ds in instances
    }
    study_uid = instances[0].StudyInstanceUID
    found = dicomweb.search_for_studies(search_filters={"PatientID": patient})
    assert [s["0020000D"]["Value"][0] for s in found] == [study_uid]
    assert dicomweb.search_for_studies(search_filters={"PatientID": "NO-SUCH-PATIENT"}) == []
    every = dicomweb.search_for_instances(study_instance_uid=study_uid, limit=2, get_remaining=True)
    assert sorted(i["00080018"]["Value"][0] for i in every) == sorted(ds.SOPInstanceUID for ds in instances)
    assert "200" in " ".join(checked.seen) and "204" in " ".join(checked.seen)


def test_an_indexed_attribute_with_several_values_is_stored_with_a_warning_header(
    service: LiveService, checked: Validated
) -> None:
    ds = data.instance(PatientID="MULTI", ModalitiesInStudy=["CT", "PT"])
    ds.Modality = "CT"
    ds.ReferringPhysicianName = ["Smith^John", "Jones^Ann"]
    answer = checked.session().post(
        f"{service.root}/v2/studies",
        data=data.part10(ds),
        headers={"Content-Type": "application/dicom", "Accept": "application/dicom+json"},
    )
    assert answer.status_code == 200
    assert (
        answer.headers["Warning"].startswith("299 ") and "ReferringPhysicianName" in answer.headers["Warning"]
    )
    found = checked.session().get(
        f"{service.root}/v2/studies",
        params={"ReferringPhysicianName": "smith^john"},
        headers={"Accept": "application/dicom+json"},
    )
    assert found.status_code == 200 and found.json()[0]["00100020"]["Value"] == ["MULTI"]
