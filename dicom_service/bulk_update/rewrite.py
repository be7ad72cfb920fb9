"""Bulk update: which attributes may change, the check of a change data set, and the rewrite of one file.

Only non-sequence attributes of the Patient Identification, Patient Demographic and General Study modules
change, and never to null. `problems` lists every reason a change data set is refused, as `DICOM100:`
comments; `rewrite` applies the changes to a Part 10 file, marking it with the service's Implementation
Class UID.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicom_service.kernel import tags, values

MAX_STUDIES = 50
IMPLEMENTATION_CLASS_UID = "1.3.6.1.4.1.311.129"

UPDATABLE = frozenset(
    tags.tags(
        # Patient Identification
        "PatientName",
        "PatientID",
        "IssuerOfPatientID",
        "TypeOfPatientID",
        "OtherPatientNames",
        "PatientBirthName",
        "PatientMotherBirthName",
        # Patient Demographic
        "PatientBirthDate",
        "PatientBirthTime",
        "PatientSex",
        "PatientAddress",
        "PatientTelephoneNumbers",
        "EthnicGroup",
        "PatientReligiousPreference",
        "PatientComments",
        "PatientSpeciesDescription",
        "PatientBreedDescription",
        "ResponsiblePerson",
        "ResponsibleOrganization",
        "CountryOfResidence",
        "RegionOfResidence",
        # General Study
        "StudyDate",
        "StudyTime",
        "ReferringPhysicianName",
        "StudyID",
        "AccessionNumber",
        "StudyDescription",
        "PhysiciansOfRecord",
        "NameOfPhysiciansReadingStudy",
    )
)


def problems(changes: dict[str, Any]) -> list[str]:
    """Why the change data set cannot be applied; empty when it can."""
    found = []
    for tag, element in changes.items():
        where = tags.display(tag) if tags.parse_attribute(tag) == tag else tag
        if tag not in UPDATABLE:
            found.append(f"DICOM100: {where} - The attribute is not allowed to be updated.")
            continue
        if not isinstance(element, dict) or element.get("vr") != tags.vr_of(tag):
            found.append(
                f"DICOM100: {where} - The attribute must have value representation {tags.vr_of(tag)}."
            )
            continue
        items = element.get("Value")
        if not isinstance(items, list) or not items or any(v is None for v in items):
            found.append(f"DICOM100: {where} - The attribute cannot be updated to a null value.")
            continue
        for item in items:
            text = _text(element["vr"], item)
            reason = "value is not a text" if text is None else values.problem(element["vr"], text)
            if reason is not None:
                found.append(values.comment(where, element["vr"], str(item), reason))
    return found


def _text(vr: str, item: Any) -> str | None:
    if vr == "PN":
        return (
            item.get("Alphabetic")
            if isinstance(item, dict) and isinstance(item.get("Alphabetic"), str)
            else None
        )
    return item if isinstance(item, str) else None


def rewrite(part10: bytes, changes: dict[str, Any]) -> bytes:
    """The file with the changes applied, in its own transfer syntax."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(part10))
        for element in Dataset.from_json(changes):
            ds[element.tag] = element
        ds.file_meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
