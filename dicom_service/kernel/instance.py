"""Reading one received instance: its identity, its index entries and its metadata, checked per version.

A broken or invalid instance raises `Rejected` with its failure reason; nothing here writes anything.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydicom
import pydicom.config
from pydicom.errors import InvalidDicomError

from dicom_service.kernel import bulk_data, frame_index, part10, part10_json, tags, values
from dicom_service.kernel.behaviour import Behaviour
from dicom_service.kernel.json_writer import JsonDataset, first_value, pick, to_json
from dicom_service.kernel.tags import Level

pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE

PROCESSING_FAILURE = 272
VALIDATION_FAILURE = 43264
STUDY_MISMATCH = 43265
DUPLICATE = 45070
WARNING_VALIDATION = 1

_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
IN_MEMORY = 16 << 20  # files up to this size that pydicom reads are parsed from memory


class Rejected(Exception):
    """The instance cannot be stored; `reason` is its STOW-RS FailureReason."""

    def __init__(
        self, reason: int, message: str, sop_class_uid: str | None = None, sop_uid: str | None = None
    ):
        super().__init__(message)
        self.reason = reason
        self.sop_class_uid = sop_class_uid
        self.sop_uid = sop_uid


@dataclass
class Instance:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str
    transfer_syntax: str
    frames: int
    metadata: JsonDataset  # the whole dataset as DICOM JSON, bulk data and dropped attributes left out
    columns: dict[str, str | None]  # index column → comparison form
    warnings: list[str] = field(default_factory=list)  # why attributes were dropped (lenient versions)
    multi_valued: list[str] = field(default_factory=list)  # indexed attributes that had several values
    frame_index: bytes | None = None  # where Pixel Data and each frame lie in the file (FrameIndex.encode)
    bulk_data: bytes | None = None  # where each bulk-data attribute lies (bulk_data.record)

    def level_attributes(self, level: Level) -> JsonDataset:
        return pick(self.metadata, tags.LEVEL_ATTRIBUTES[level])


def read(path: str, behaviour: Behaviour, bulkdata_threshold: int | None = None) -> Instance:
    """The instance in the Part 10 file at `path`, checked as `behaviour` requires. Bulk data is never
    read: the DICOM JSON comes from the element walker (pydicom for unusual files, its bulk values
    deferred), and where each frame lies is recorded in `frame_index`; with `bulkdata_threshold`, where
    each bulk-data attribute lies in `bulk_data` (none for the files left to pydicom)."""
    with part10.HeadSource(path) as source:
        try:
            fast = part10_json.read(source)
        except part10.Truncated as exc:
            raise Rejected(PROCESSING_FAILURE, f"The file is truncated: {exc}.") from None
        except part10.TooDeep as exc:
            raise Rejected(PROCESSING_FAILURE, f"The file cannot be read: {exc}.") from None
        except part10.Unusual:
            fast = None
        if fast is not None:
            item = _checked(fast.dataset, fast.syntax, behaviour)
            item.frame_index = _encoded(lambda: frame_index.of_read(fast))
            if bulkdata_threshold is not None:
                item.bulk_data = bulk_data.record(fast, bulkdata_threshold)
            return item
        size = source.size
        data = b""
        if size <= IN_MEMORY:  # pydicom parses a small file from memory
            with open(path, "rb") as file:
                data = file.read()
        item = _read_with_pydicom(path, data, size, behaviour)
        item.frame_index = _encoded(lambda: frame_index.locate(part10.Walker(source)))
        return item


def _encoded(find: Callable[[], frame_index.FrameIndex | None]) -> bytes | None:
    """The frame index in its stored form; None when there is none (its frames are then found on demand)."""
    try:
        found = find()
    except part10.Part10Error:
        return None
    return None if found is None else found.encode()


def _read_with_pydicom(path: str, data: bytes, size: int, behaviour: Behaviour) -> Instance:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if data:
                ds = pydicom.dcmread(io.BytesIO(data))
                _check_complete(ds, size, data[-8:])
            else:
                ds = pydicom.dcmread(path, defer_size=1024)
                _check_complete(ds, size, _tail(path))
            metadata = to_json(ds)
            transfer_syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
    except Rejected:
        raise
    except (
        InvalidDicomError,
        EOFError,
        ValueError,
        KeyError,
        TypeError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise Rejected(PROCESSING_FAILURE, f"The part is not a readable DICOM file: {exc}") from None
    if not transfer_syntax:
        raise Rejected(PROCESSING_FAILURE, "The file has no transfer syntax in its file meta information.")
    return _checked(metadata, transfer_syntax, behaviour)


def _tail(path: str) -> bytes:
    with open(path, "rb") as file:
        file.seek(max(os.path.getsize(path) - 8, 0))
        return file.read(8)


def _check_complete(ds: pydicom.Dataset, size: int, tail: bytes) -> None:
    """pydicom reads a cut-off file without complaint; the last element must end where the file ends."""
    if not ds._dict:
        raise Rejected(
            PROCESSING_FAILURE, "The file is truncated: it holds file meta information but no data set."
        )
    last = ds._dict[list(ds._dict)[-1]]
    tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
    if tell is None or length is None:
        return
    if length == 0xFFFFFFFF:
        if tail != _SEQUENCE_DELIMITER:
            raise Rejected(PROCESSING_FAILURE, "The file is truncated: its last element has no end.")
    elif tell + length != size:
        raise Rejected(
            PROCESSING_FAILURE,
            f"The file is truncated: its last element needs {tell + length} bytes, the file has {size}.",
        )


def _checked(metadata: JsonDataset, transfer_syntax: str, behaviour: Behaviour) -> Instance:
    sop_class_uid = _text(metadata, tags.SOP_CLASS_UID)
    sop_uid = _text(metadata, tags.SOP_INSTANCE_UID)

    def reject(message: str) -> Rejected:
        return Rejected(VALIDATION_FAILURE, message, sop_class_uid, sop_uid)

    for tag in tags.REQUIRED:
        value = _text(metadata, tag)
        if tag not in metadata:
            raise reject(
                f"DICOM100: {tags.display(tag)} - The required attribute {tags.keyword(tag)} is missing."
            )
        needs_value = tag != tags.PATIENT_ID or behaviour.patient_id_needs_value
        if needs_value and not value:
            raise reject(
                f"DICOM100: {tags.display(tag)} - The required attribute {tags.keyword(tag)} is empty."
            )
        if value:
            reason = values.problem(metadata[tag]["vr"], value)
            if reason:
                raise reject(values.comment(tags.display(tag), metadata[tag]["vr"], value, reason))
    study_uid = _text(metadata, tags.STUDY_INSTANCE_UID) or ""
    series_uid = _text(metadata, tags.SERIES_INSTANCE_UID) or ""
    if len({study_uid, series_uid, sop_uid}) < 3:
        raise reject("DICOM100: The StudyInstanceUID, SeriesInstanceUID and SOPInstanceUID must all differ.")
    instance = Instance(
        study_uid, series_uid, sop_uid or "", sop_class_uid or "", transfer_syntax, 1, metadata, {}
    )
    dropped: set[str] = set()
    for tag, (_, column, match) in tags.INDEXED.items():
        attribute = metadata.get(tag)
        if attribute is None or (tag in tags.REQUIRED and match is tags.Match.UID):
            instance.columns[column] = _fold(match, _text(metadata, tag))
            continue
        raw_values = attribute.get("Value") or []
        if len(raw_values) > 1:
            instance.multi_valued.append(tag)
        value = _text(metadata, tag)
        reason = values.problem(attribute["vr"], value) if value else None
        if reason is None and attribute["vr"] != tags.vr_of(tag) and tags.vr_of(tag) != "UN":
            reason = f"the VR {attribute['vr']} is not the attribute's VR {tags.vr_of(tag)}"
        if reason is None:
            instance.columns[column] = _fold(match, value)
            continue
        message = values.comment(tags.display(tag), attribute["vr"], value or "", reason)
        if not behaviour.lenient_store:
            raise reject(message)
        instance.warnings.append(message)
        instance.columns[column] = None
        dropped.add(tag)
    for tag in dropped:
        del metadata[tag]
    frames = first_value(metadata.get(tags.tag_of("NumberOfFrames")))
    instance.frames = frames if isinstance(frames, int) and frames > 0 else 1
    return instance


def _text(metadata: JsonDataset, tag: str) -> str | None:
    value: Any = first_value(metadata.get(tag))
    if value is None:
        return None
    if isinstance(value, dict):  # a person name
        return "=".join(value.get(k, "") for k in ("Alphabetic", "Ideographic", "Phonetic")).rstrip("=")
    return str(value)


def _fold(match: tags.Match, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if match is tags.Match.PERSON_NAME:
        return values.fold_name(value)
    if match is tags.Match.TEXT:
        return values.fold_text(value)
    return value
