"""Decoding one frame without the rest: a pydicom data set of the stored header and that frame's bytes.

The header is everything before the Pixel Data element (one ranged read); the frame is one ranged read
of its span. pydicom's decoders and pixel processing then see a single-frame image, whatever the size of
the stored instance.
"""

from __future__ import annotations

import io
import warnings

from pydicom import dcmread
from pydicom.dataset import Dataset, FileDataset
from pydicom.encaps import encapsulate

from dicom_service.kernel.frame_index import FrameIndex, FrameMissing, ReadAt

_OFFSET_TABLES = (0x7FE00001, 0x7FE00002)


class HeaderUnreadable(Exception):
    """pydicom cannot read the stored header."""


def header(index: FrameIndex, read_at: ReadAt) -> FileDataset:
    """The stored data set up to its Pixel Data, read with one ranged read."""
    data = read_at(0, index.pixels_header)
    try:
        with warnings.catch_warnings(action="ignore"):
            return dcmread(io.BytesIO(data))
    except Exception as exc:
        raise HeaderUnreadable(f"the stored instance is not a readable DICOM Part 10 file: {exc}") from exc


def dataset(head: FileDataset, index: FrameIndex, read_at: ReadAt, number: int) -> FileDataset:
    """A single-frame data set: `head` (not changed) with frame `number` (0-based) as its pixel data."""
    frame = index.read(read_at, number)
    ds = FileDataset("", Dataset(head), file_meta=head.file_meta, preamble=head.preamble)
    for tag in _OFFSET_TABLES:
        if tag in ds:
            del ds[tag]
    ds.NumberOfFrames = 1
    if index.encapsulated:
        ds.PixelData = encapsulate([frame])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    else:
        ds.PixelData = frame
        ds["PixelData"].VR = "OB" if int(head.get("BitsAllocated") or 0) <= 8 else "OW"
    return ds


__all__ = ["FrameMissing", "HeaderUnreadable", "dataset", "header"]
