"""Bulk update: which attributes may change, the check of a change data set, and the rewrite of one file.

Only non-sequence attributes of the Patient Identification, Patient Demographic and General Study modules
change, and never to null. `problems` lists every reason a change data set is refused, as `DICOM100:`
comments; `rewrite` applies the changes to a Part 10 file, marking it with the service's Implementation
Class UID.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicom_service.kernel import part10, tags, values

MAX_STUDIES = 50
COPY_CHUNK = 4 << 20
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


def rewrite(source: part10.Source, changes: dict[str, Any], target: Path) -> None:
    """Write the file with the changes applied to `target`, in its own transfer syntax: the header (all
    before the Pixel Data) is read and rewritten by pydicom; the pixel data and what follows it is copied
    by ranged reads, a chunk at a time, so an instance is never held whole."""
    split = _header_end(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(source.read_at(0, split)))
        for element in Dataset.from_json(changes):
            ds[element.tag] = element
        ds.file_meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
        with target.open("wb") as file:
            ds.save_as(file, enforce_file_format=True)
            for offset in range(split, source.size, COPY_CHUNK):
                file.write(source.read_at(offset, min(COPY_CHUNK, source.size - offset)))


def _header_end(source: part10.Source) -> int:
    """Where the top-level Pixel Data starts; the file's end when it has none, or when pydicom must read
    it whole (the updatable attributes all come before the pixel data)."""
    try:
        found = part10.Walker(source).pixel_data()
    except part10.Part10Error:
        return source.size
    return source.size if found is None else found.offset
