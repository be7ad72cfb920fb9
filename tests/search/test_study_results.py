"""Study and series search results carry what PS3.18 Tables 10.6.3-3 and -4 require, in every version and
without includefield: ModalitiesInStudy, the series and instance counts, StudyTime and RetrieveURL; and
ModalitiesInStudy filters studies (a viewer's Modalities filter)."""

from __future__ import annotations

import pytest

from dicom_service.generated import manifest
from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
QIDO = {"Accept": "application/dicom+json"}
MODALITIES, STUDY_TIME, RETRIEVE_URL = "00080061", "00080030", "00081190"
STUDY_SERIES, STUDY_INSTANCES, SERIES_INSTANCES = "00201206", "00201208", "00201209"


def value(result: dict, tag: str) -> list:  # type: ignore[type-arg]
    return list(result[tag]["Value"])


@pytest.mark.parametrize("version", [v.segments[0] for v in manifest.VERSIONS])  # every served version
def test_study_and_series_results_are_complete(
    service: LiveService, checked: Validated, version: str
) -> None:
    session = checked.session()
    patient = f"COMPLETE-{version}"
    ct = data.study(2, PatientID=patient, Modality="CT", StudyTime="101500")
    mr = data.instance(
        "MR_small.dcm", study=ct[0].StudyInstanceUID, PatientID=patient, Modality="MR", StudyTime="101500"
    )
    for ds in (*ct, mr):
        stored = session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert stored.status_code == 200
    uid = ct[0].StudyInstanceUID
    base = f"{service.root}/{version}"

    [study] = session.get(f"{base}/studies", params={"PatientID": patient}, headers=QIDO).json()
    assert value(study, MODALITIES) == ["CT", "MR"]
    assert value(study, STUDY_SERIES) == [2] and value(study, STUDY_INSTANCES) == [3]
    assert value(study, STUDY_TIME) == ["101500"]
    assert value(study, RETRIEVE_URL) == [f"{base}/studies/{uid}"]

    series = session.get(f"{base}/studies/{uid}/series", headers=QIDO).json()
    by_uid = {value(s, "0020000E")[0]: s for s in series}
    assert value(by_uid[ct[0].SeriesInstanceUID], SERIES_INSTANCES) == [2]
    assert value(by_uid[mr.SeriesInstanceUID], SERIES_INSTANCES) == [1]
    assert value(by_uid[mr.SeriesInstanceUID], RETRIEVE_URL) == [
        f"{base}/studies/{uid}/series/{mr.SeriesInstanceUID}"
    ]
    across = session.get(f"{base}/series", params={"SeriesInstanceUID": mr.SeriesInstanceUID}, headers=QIDO)
    assert value(across.json()[0], RETRIEVE_URL) == value(by_uid[mr.SeriesInstanceUID], RETRIEVE_URL)

    in_partition = session.get(
        f"{service.root}/v2/partitions/Microsoft.Default/studies", params={"PatientID": patient}, headers=QIDO
    )
    if version == "v2":
        assert value(in_partition.json()[0], RETRIEVE_URL) == [
            f"{service.root}/v2/partitions/Microsoft.Default/studies/{uid}"
        ]


def test_modalities_in_study_filters_studies(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    ct = data.instance(PatientID="MODFILTER", Modality="CT")
    mr = data.instance("MR_small.dcm", PatientID="MODFILTER", Modality="MR")
    for ds in (ct, mr):
        stored = session.post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert stored.status_code == 200

    def studies(modality: str) -> list[str]:
        found = session.get(
            f"{service.root}/v2/studies",
            params={"PatientID": "MODFILTER", "ModalitiesInStudy": modality},
            headers=QIDO,
        )
        return [] if found.status_code == 204 else [value(s, "0020000D")[0] for s in found.json()]

    assert studies("MR") == [mr.StudyInstanceUID]
    assert studies("CT") == [ct.StudyInstanceUID]
    assert studies("US") == []
