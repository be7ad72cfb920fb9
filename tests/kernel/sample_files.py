"""The DICOM files bundled with pydicom, read once, decoded, and saved again with changed attributes."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import FileDataset

EXPLICIT = "1.2.840.10008.1.2.1"
IMPLICIT = "1.2.840.10008.1.2"
BIG = "1.2.840.10008.1.2.2"
J2K = "1.2.840.10008.1.2.4.90"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


@cache
def load(name: str) -> bytes:
    path = get_testdata_file(name)
    assert path is not None, name
    with open(path, "rb") as f:
        return f.read()


def parse(data: bytes) -> FileDataset:
    return dcmread(io.BytesIO(data))


@cache
def pixels(name: str) -> NDArray[Any]:
    return np.asarray(parse(load(name)).pixel_array)


def frame_of(name: str, number: int) -> NDArray[Any]:
    arr = pixels(name)
    return arr[number - 1] if int(parse(load(name)).get("NumberOfFrames") or 1) > 1 else arr


def modified(name: str, **attributes: object) -> bytes:
    ds = parse(load(name))
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()
