"""The real-size bench's data, built here (never downloaded): 512×512 16-bit CT slices, one multi-frame
instance of hundreds of MB written to a file, and small one-instance studies for searches over a large index.

Every instance is Explicit VR Little Endian with a fresh Study, Series and SOP Instance UID; the pixels are
one block of noise shared by every slice (what the servers do with them does not depend on their values).
"""

from __future__ import annotations

import datetime
import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MULTIFRAME_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word Secondary Capture
SIDE = 512
FRAME_BYTES = SIDE * SIDE * 2
PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
FIRST_DATE = datetime.date(2000, 1, 1)


@dataclass(frozen=True)
class Series:
    study_uid: str
    series_uid: str
    patient_id: str
    sops: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sops)


def _noise(size: int) -> bytes:
    rng = np.random.default_rng(23)
    return rng.integers(0, 4096, size=size // 2, dtype="<u2").tobytes()


class Builder:
    """Makes the Part 10 bytes of each instance from fresh UIDs and the one block of noise."""

    def __init__(self) -> None:
        self.pixels = _noise(FRAME_BYTES)

    def series(self, count: int, patient_id: str) -> Series:
        return Series(generate_uid(), generate_uid(), patient_id, tuple(generate_uid() for _ in range(count)))

    def ct_slice(self, series: Series, number: int) -> bytes:
        ds = _base(CT_IMAGE, series.study_uid, series.series_uid, series.sops[number], series.patient_id)
        ds.Modality = "CT"
        ds.InstanceNumber = number + 1
        ds.ImagePositionPatient = [0, 0, number]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = 1
        ds.PixelSpacing = [0.7, 0.7]
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.WindowCenter, ds.WindowWidth = 40, 400
        _image(ds, frames=None)
        ds.PixelData = self.pixels
        return _part10(ds)

    def multiframe(self, path: Path, frames: int) -> Series:
        """A Multi-frame Grayscale Word SC instance of `frames` 512×512 16-bit frames, written to `path`
        (header by pydicom, then the pixel data element streamed from the one noise block)."""
        series = self.series(1, "BENCH-MF")
        ds = _base(MULTIFRAME_WORD_SC, series.study_uid, series.series_uid, series.sops[0], "BENCH-MF")
        ds.Modality = "OT"
        ds.ConversionType = "WSD"
        ds.InstanceNumber = 1
        _image(ds, frames=frames)
        with path.open("wb") as out:
            out.write(_part10(ds))
            out.write(PIXEL_DATA_TAG + b"OW\x00\x00" + struct.pack("<I", FRAME_BYTES * frames))
            for _ in range(frames):
                out.write(self.pixels)
        return series


def small_study(number: int) -> tuple[str, str, bytes]:
    """(Study Instance UID, PatientID, Part 10 bytes) of a one-instance study of 8×8 pixels, its StudyDate
    one of about 9,000 days from 2000 on, so a one-day range matches a few studies of a large index."""
    study, series, sop, patient = generate_uid(), generate_uid(), generate_uid(), f"P{number:07d}"
    ds = _base(CT_IMAGE, study, series, sop, patient)
    ds.Modality = "CT"
    ds.StudyDate = study_date(number)
    ds.PatientName = f"Bench^Patient{number}"
    ds.AccessionNumber = f"A{number:07d}"
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = bytes(128)
    return study, patient, _part10(ds)


def study_date(number: int) -> str:
    return (FIRST_DATE + datetime.timedelta(days=(number * 7919) % 9000)).strftime("%Y%m%d")


def _base(sop_class: str, study: str, series: str, sop: str, patient: str) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.PatientID, ds.PatientName = patient, "Bench^RealSize"
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.SeriesNumber = "20260101", "120000", "1", 1
    return ds


def _image(ds: Dataset, frames: int | None) -> None:
    ds.Rows = ds.Columns = SIDE
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if frames is not None:
        ds.NumberOfFrames = frames


def _part10(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
