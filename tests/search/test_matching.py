"""QIDO-RS matching rules on a real index, as a case table: exact, ranges, person names, lists, counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dicom_service.kernel.behaviour import Behaviour, behaviour_of_major, with_query_defaults
from dicom_service.search import query, results
from dicom_service.search.query import QueryError, Resource
from dicom_service.settings import from_environment
from dicom_service.storage.service import DicomService
from dicom_service.store.stow import store_files
from dicom_service.web.contracts import load_contracts
from tests.service import data

PEOPLE = [
    ("Müller^Hans", "P1", "20240115", "CT", "Head scan"),
    ("MULLER^Anna", "P2", "20240301", "MR", "Knee"),
    ("Doe^John^^Dr", "p3", "20231231", "CT", "head SCAN"),
]


@pytest.fixture(scope="module")
def index(
    tmp_path_factory: pytest.TempPathFactory, storage: dict[str, str]
) -> Iterator[tuple[DicomService, Behaviour, dict[str, str]]]:
    folder = Path(tmp_path_factory.mktemp("matching"))
    service = DicomService.from_settings(from_environment({"DATA_DIR": str(folder / "data"), **storage}))
    defaults = load_contracts()["2"]["searchStudies"].query_defaults  # what version 2's spec returns
    behaviour = with_query_defaults(behaviour_of_major(2), defaults)
    studies = {}
    for number, (name, patient, date, modality, description) in enumerate(PEOPLE):
        ds = data.instance(
            PatientName=name,
            PatientID=patient,
            StudyDate=date,
            Modality=modality,
            StudyDescription=description,
        )
        studies[patient] = ds.StudyInstanceUID
        path = folder / f"{number}.dcm"
        path.write_bytes(data.part10(ds))
        assert store_files(service, "Microsoft.Default", [path], behaviour, None).stored
    yield service, behaviour, studies
    service.close()


def _patients(
    index: tuple[DicomService, Behaviour, dict[str, str]], pairs: list[tuple[str, str]], fuzzy: bool
) -> list[str]:
    service, behaviour, _ = index
    parsed = query.parse(Resource.STUDIES, "Microsoft.Default", pairs, limit=100, offset=0, fuzzy=fuzzy)
    return sorted(r["00100020"]["Value"][0] for r in results.search(service.index, parsed, behaviour))


@pytest.mark.parametrize(
    ("pairs", "fuzzy", "expected"),
    [
        ([("PatientID", "P1")], False, ["P1"]),
        ([("PatientID", "p1")], False, ["P1"]),  # case-insensitive
        ([("00100020", "P3")], False, ["p3"]),  # by tag
        ([("PatientName", "muller^hans")], False, ["P1"]),  # person names: case- and accent-insensitive
        ([("PatientName", "Muller")], False, []),  # exact without fuzzymatching
        ([("PatientName", "mul")], True, ["P1", "P2"]),  # word prefix
        ([("PatientName", "an")], True, ["P2"]),  # a later name component
        ([("PatientName", "ohn")], True, []),  # prefixes only
        ([("StudyDate", "20240101-20241231")], False, ["P1", "P2"]),
        ([("StudyDate", "-20231231")], False, ["p3"]),
        ([("StudyDate", "20240301-")], False, ["P2"]),
        ([("StudyDate", "20240115")], False, ["P1"]),
        ([("ModalitiesInStudy", "ct")], False, ["P1", "p3"]),
        ([("StudyDescription", "HEAD SCAN")], False, ["P1", "p3"]),  # case-insensitive text
        ([("StudyDescription", "Head")], False, []),
        ([("PatientID", "P1"), ("StudyDate", "20230101-20231231")], False, []),  # keys combine with AND
    ],
)
def test_matching(
    index: tuple[DicomService, Behaviour, dict[str, str]],
    pairs: list[tuple[str, str]],
    fuzzy: bool,
    expected: list[str],
) -> None:
    assert _patients(index, pairs, fuzzy) == expected


def test_a_list_of_uids_matches_any_of_them(index: tuple[DicomService, Behaviour, dict[str, str]]) -> None:
    studies = index[2]
    both = f"{studies['P1']},{studies['P2']}"
    assert _patients(index, [("StudyInstanceUID", both)], False) == ["P1", "P2"]
    assert _patients(index, [("StudyInstanceUID", studies["p3"] + "\\1.2.3")], False) == ["p3"]  # DICOM list


def test_counts_and_modalities_come_through_includefield(
    index: tuple[DicomService, Behaviour, dict[str, str]],
) -> None:
    service, behaviour, studies = index
    parsed = query.parse(
        Resource.STUDIES,
        "Microsoft.Default",
        [
            ("StudyInstanceUID", studies["P1"]),
            ("includefield", "NumberOfStudyRelatedInstances,ModalitiesInStudy"),
        ],
        limit=10,
        offset=0,
        fuzzy=False,
    )
    [found] = results.search(service.index, parsed, behaviour)
    assert found["00201208"] == {"vr": "IS", "Value": [1]}
    assert found["00080061"] == {"vr": "CS", "Value": ["CT"]}
    assert found["00201206"] == {"vr": "IS", "Value": [1]}  # a default: PS3.18 requires it in study results


def test_newest_first_and_paging(index: tuple[DicomService, Behaviour, dict[str, str]]) -> None:
    service, behaviour, _ = index
    pages = [
        query.parse(Resource.STUDIES, "Microsoft.Default", [], limit=2, offset=offset, fuzzy=False)
        for offset in (0, 2, 4)
    ]
    found = [[r["00100020"]["Value"][0] for r in results.search(service.index, p, behaviour)] for p in pages]
    assert found == [["p3", "P2"], ["P1"], []]


@pytest.mark.parametrize(
    ("resource", "key"),
    [
        (Resource.STUDIES, "SeriesInstanceUID"),
        (Resource.STUDY_SERIES, "PatientID"),
        (Resource.SERIES_INSTANCES, "Modality"),
    ],
)
def test_each_resource_accepts_only_its_levels(resource: Resource, key: str) -> None:
    with pytest.raises(QueryError, match="not searchable on this resource"):
        query.parse(resource, "Microsoft.Default", [(key, "1.2.3")], limit=1, offset=0, fuzzy=False)


def test_metadata_text_keeps_its_character_set_inside_sequences(tmp_path: Path) -> None:
    """UTF-8 names at the top level and inside a sequence item come back as written."""
    from pydicom.dataset import Dataset

    from dicom_service.kernel import instance as reading

    ds = data.instance(PatientName="Müller^Zoë", SpecificCharacterSet="ISO_IR 192")
    item = Dataset()
    item.PatientName = "Ærø^Åse"
    ds.OtherPatientIDsSequence = [item]
    path = tmp_path / "utf8.dcm"
    path.write_bytes(data.part10(ds))
    read = reading.read(str(path), behaviour_of_major(2))
    assert read.metadata["00100010"]["Value"] == [{"Alphabetic": "Müller^Zoë"}]
    assert read.metadata["00101002"]["Value"][0]["00100010"]["Value"] == [{"Alphabetic": "Ærø^Åse"}]
