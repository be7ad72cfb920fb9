"""Test instances: files bundled with pydicom (no network), copied with fresh UIDs and chosen attributes."""

from __future__ import annotations

import io
from typing import Any

import pydicom
import pydicom.config
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

# Tests build deliberately invalid values; pydicom would warn (an error under pytest's settings).
pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE


def instance(
    name: str = "CT_small.dcm",
    study: str | None = None,
    series: str | None = None,
    **attributes: Any,
) -> Dataset:
    """A copy of a bundled file as a new instance (new SOP Instance UID), in a new or given study/series."""
    ds = pydicom.dcmread(get_testdata_file(name))
    ds.StudyInstanceUID = study or generate_uid()
    ds.SeriesInstanceUID = series or generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def study(count: int, name: str = "CT_small.dcm", series_count: int = 1, **attributes: Any) -> list[Dataset]:
    uid = generate_uid()
    series = [generate_uid() for _ in range(series_count)]
    return [instance(name, uid, series[i % series_count], **attributes) for i in range(count)]


def part10(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def multipart(
    bodies: list[bytes], boundary: str = "test-boundary", part_type: str = "application/dicom"
) -> tuple[bytes, str]:
    chunks = [
        f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode() + body + b"\r\n" for body in bodies
    ]
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'
