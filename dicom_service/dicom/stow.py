"""STOW-RS: store received instance files, each whole or not at all, and describe the outcome.

Order per instance: read and check it, move its file into the blob store, then index it in one
transaction. A crash before the commit leaves at most an unreferenced file, which no client can see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dicom_service.dicom import instance as reading
from dicom_service.dicom.behaviour import Behaviour
from dicom_service.dicom.dicomjson import JsonDataset
from dicom_service.dicom.instance import Instance, Rejected
from dicom_service.dicom.service import DicomService, utc_now
from dicom_service.dicom.storage.index import DuplicateInstance
from dicom_service.dicom.tags import keyword

RetrieveUrl = Callable[..., str]  # (study, series=None, sop=None) → URL


@dataclass
class Outcome:
    stored: list[Instance] = field(default_factory=list)
    failed: list[Rejected] = field(default_factory=list)

    @property
    def multi_valued(self) -> list[str]:
        return sorted({tag for item in self.stored for tag in item.multi_valued})


def store_files(
    service: DicomService, partition: str, files: list[Path], behaviour: Behaviour, study_uid: str | None
) -> Outcome:
    outcome = Outcome()
    for path in files:
        try:
            outcome.stored.append(_store_one(service, partition, path, behaviour, study_uid))
        except Rejected as rejected:
            outcome.failed.append(rejected)
    return outcome


def _store_one(
    service: DicomService, partition: str, path: Path, behaviour: Behaviour, study_uid: str | None
) -> Instance:
    item = reading.read(str(path), behaviour)
    if study_uid is not None and item.study_uid != study_uid:
        raise Rejected(
            reading.STUDY_MISMATCH,
            f"The StudyInstanceUID {item.study_uid} differs from the study in the URL, {study_uid}.",
            item.sop_class_uid,
            item.sop_uid,
        )
    duplicate = Rejected(
        reading.DUPLICATE, f"The instance {item.sop_uid} is already stored.", item.sop_class_uid, item.sop_uid
    )
    _zero_preamble(path)
    key = service.blobs.new_key()
    size = service.blobs.put_file(key, path)
    try:
        service.index.add(partition, item, key, size, utc_now())
    except DuplicateInstance:
        service.blobs.delete(key)
        raise duplicate from None
    except BaseException:
        service.blobs.delete(key)
        raise
    return item


def _zero_preamble(path: Path) -> None:
    """The 128-byte preamble may carry anything (even an executable); the service keeps zeros."""
    with path.open("r+b") as file:
        head = file.read(132)
        if len(head) == 132 and head[128:] == b"DICM" and any(head[:128]):
            file.seek(0)
            file.write(bytes(128))


def status(outcome: Outcome, behaviour: Behaviour) -> int:
    if not outcome.stored and not outcome.failed:
        return 204
    if not outcome.stored:
        return 409
    if outcome.failed:
        return 202
    warned = any(item.warnings for item in outcome.stored)
    return 202 if warned and behaviour.warnings_answer_202 else 200


def response(
    outcome: Outcome, behaviour: Behaviour, retrieve_url: RetrieveUrl, study_uid: str | None
) -> JsonDataset:
    """The STOW-RS response dataset (PS3.18 Table 10.5.3-1)."""
    body: JsonDataset = {}
    if study_uid is not None and outcome.stored:
        body["00081190"] = _attribute("UR", retrieve_url(study_uid))
    if outcome.failed:
        body["00081198"] = {"vr": "SQ", "Value": [_failure(item) for item in outcome.failed]}
    if outcome.stored:
        body["00081199"] = {
            "vr": "SQ",
            "Value": [_reference(item, behaviour, retrieve_url) for item in outcome.stored],
        }
    return body


def warning_header(outcome: Outcome, host: str) -> str | None:
    tags = outcome.multi_valued
    if not tags:
        return None
    names = ", ".join(keyword(tag) for tag in tags)
    return f'299 {host}: "The indexed attribute(s) {names} had several values; only the first is indexed."'


def _attribute(vr: str, value: object) -> dict[str, object]:
    return {"vr": vr, "Value": [value]}


def _failure(item: Rejected) -> JsonDataset:
    dataset: JsonDataset = {}
    if item.sop_class_uid:
        dataset["00081150"] = _attribute("UI", item.sop_class_uid)
    if item.sop_uid:
        dataset["00081155"] = _attribute("UI", item.sop_uid)
    dataset["00081197"] = _attribute("US", item.reason)
    dataset["00741048"] = {"vr": "SQ", "Value": [{"00000902": _attribute("LO", str(item))}]}
    return dataset


def _reference(item: Instance, behaviour: Behaviour, retrieve_url: RetrieveUrl) -> JsonDataset:
    dataset: JsonDataset = {
        "00081150": _attribute("UI", item.sop_class_uid),
        "00081155": _attribute("UI", item.sop_uid),
        "00081190": _attribute("UR", retrieve_url(item.study_uid, item.series_uid, item.sop_uid)),
    }
    if item.warnings:
        dataset["00081196"] = _attribute("US", reading.WARNING_VALIDATION)
        if behaviour.lenient_store:
            dataset["00741048"] = {
                "vr": "SQ",
                "Value": [{"00000902": _attribute("LO", message)} for message in item.warnings],
            }
    return dataset
