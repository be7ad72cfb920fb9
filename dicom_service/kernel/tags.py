"""The attributes the service knows by level: what it indexes, searches on and returns from QIDO-RS.

Tags are DICOM JSON keys (8 upper-case hex digits). Which attributes each API version returns by default
is a version difference and lives in `behaviour.py`.
"""

from __future__ import annotations

from enum import Enum
from functools import cache

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword


class Level(Enum):
    STUDY = "study"
    SERIES = "series"
    INSTANCE = "instance"


def tag_of(keyword: str) -> str:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(keyword)
    return f"{tag:08X}"


def tags(*keywords: str) -> tuple[str, ...]:
    return tuple(tag_of(k) for k in keywords)


def parse_attribute(text: str) -> str | None:
    """The tag an attribute id names: a keyword (`PatientID`) or 8 hex digits (`00100020`)."""
    if len(text) == 8 and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.upper()
    tag = tag_for_keyword(text)
    return f"{tag:08X}" if tag is not None else None


def keyword(tag: str) -> str:
    return keyword_for_tag(int(tag, 16)) or f"({tag[:4]},{tag[4:]})"


@cache
def dictionary_vr(tag: int) -> str | None:
    """The data dictionary's VR of `tag`, or None for a tag it does not know."""
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


def vr_of(tag: str) -> str:
    return dictionary_vr(int(tag, 16)) or "UN"


def display(tag: str) -> str:
    """`(0010,0030)`, as error comments write a tag."""
    return f"({tag[:4]},{tag[4:]})"


STUDY_INSTANCE_UID, SERIES_INSTANCE_UID, SOP_INSTANCE_UID, SOP_CLASS_UID, PATIENT_ID = tags(
    "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "PatientID"
)
SPECIFIC_CHARACTER_SET = tag_of("SpecificCharacterSet")

# Attributes computed from the index rather than read from an instance.
MODALITIES_IN_STUDY, STUDY_SERIES_COUNT, STUDY_INSTANCE_COUNT, SERIES_INSTANCE_COUNT = tags(
    "ModalitiesInStudy",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
    "NumberOfSeriesRelatedInstances",
)
INSTANCE_AVAILABILITY = tag_of("InstanceAvailability")

# Everything QIDO-RS can return at each level (the level's attributes kept in the index).
LEVEL_ATTRIBUTES: dict[Level, tuple[str, ...]] = {
    Level.STUDY: tags(
        "SpecificCharacterSet",
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ReferringPhysicianName",
        "TimezoneOffsetFromUTC",
        "StudyDescription",
        "ProcedureCodeSequence",
        "NameOfPhysiciansReadingStudy",
        "AdmittingDiagnosesDescription",
        "ReferencedStudySequence",
        "AnatomicRegionsInStudyCodeSequence",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "PatientAge",
        "PatientSize",
        "PatientWeight",
        "Occupation",
        "AdditionalPatientHistory",
        "StudyInstanceUID",
        "StudyID",
    ),
    Level.SERIES: tags(
        "SpecificCharacterSet",
        "SeriesDate",
        "SeriesTime",
        "Modality",
        "TimezoneOffsetFromUTC",
        "SeriesDescription",
        "ManufacturerModelName",
        "SeriesInstanceUID",
        "SeriesNumber",
        "Laterality",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
        "RequestAttributesSequence",
    ),
    Level.INSTANCE: tags(
        "SpecificCharacterSet",
        "SOPClassUID",
        "SOPInstanceUID",
        "TimezoneOffsetFromUTC",
        "InstanceNumber",
        "NumberOfFrames",
        "Rows",
        "Columns",
        "BitsAllocated",
    ),
}
COMPUTED: dict[Level, tuple[str, ...]] = {
    Level.STUDY: (MODALITIES_IN_STUDY, STUDY_SERIES_COUNT, STUDY_INSTANCE_COUNT, INSTANCE_AVAILABILITY),
    Level.SERIES: (SERIES_INSTANCE_COUNT,),
    Level.INSTANCE: (INSTANCE_AVAILABILITY,),
}


class Match(Enum):
    """How a query value is compared with the indexed value."""

    UID = "uid"  # exact, case-sensitive
    TEXT = "text"  # exact, case-insensitive, accent-sensitive
    PERSON_NAME = "pn"  # case- and accent-insensitive; word-prefix with fuzzymatching
    DATE = "date"  # exact or a range


# The searchable attributes: tag → (level, index column, how it matches).
SEARCHABLE: dict[str, tuple[Level, str, Match]] = {
    tag_of("StudyInstanceUID"): (Level.STUDY, "study_uid", Match.UID),
    tag_of("PatientName"): (Level.STUDY, "patient_name", Match.PERSON_NAME),
    tag_of("PatientID"): (Level.STUDY, "patient_id", Match.TEXT),
    tag_of("PatientBirthDate"): (Level.STUDY, "patient_birth_date", Match.DATE),
    tag_of("AccessionNumber"): (Level.STUDY, "accession_number", Match.TEXT),
    tag_of("ReferringPhysicianName"): (Level.STUDY, "referring_physician_name", Match.PERSON_NAME),
    tag_of("StudyDate"): (Level.STUDY, "study_date", Match.DATE),
    tag_of("StudyDescription"): (Level.STUDY, "study_description", Match.TEXT),
    MODALITIES_IN_STUDY: (Level.STUDY, "modality", Match.TEXT),  # any series of the study
    tag_of("SeriesInstanceUID"): (Level.SERIES, "series_uid", Match.UID),
    tag_of("Modality"): (Level.SERIES, "modality", Match.TEXT),
    tag_of("PerformedProcedureStepStartDate"): (Level.SERIES, "pps_start_date", Match.DATE),
    tag_of("ManufacturerModelName"): (Level.SERIES, "manufacturer_model_name", Match.TEXT),
    tag_of("SOPInstanceUID"): (Level.INSTANCE, "sop_uid", Match.UID),
}

# The attributes read from an instance into index columns (ModalitiesInStudy is derived, not read).
INDEXED = {tag: spec for tag, spec in SEARCHABLE.items() if tag != MODALITIES_IN_STUDY}

# Attributes a store requires; a bad one fails the instance in every version.
REQUIRED = (STUDY_INSTANCE_UID, SERIES_INSTANCE_UID, SOP_INSTANCE_UID, SOP_CLASS_UID, PATIENT_ID)

# VRs left out of metadata: bulk data, as the service does not serve it inline.
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
