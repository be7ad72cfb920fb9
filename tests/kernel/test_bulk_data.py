"""Where the binary attributes of a stored file lie, found by walking its headers: implicit and explicit VR,
inside sequences, after native and encapsulated Pixel Data (with and without the recorded frame index), small
values inline; and how they are put back into the stored DICOM JSON."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from dicom_service.kernel import frame_index, part10_json
from dicom_service.kernel.bulk_data import locate, merge, record, recorded
from dicom_service.kernel.part10 import UNDEFINED, BytesSource, Part10Error, Walker
from tests.service import data

PADDING = b"\0" * 2000


def _file(name: str, implicit: bool = False) -> bytes:
    ds = data.instance(name)
    ds.add_new(0x60003000, "OW", b"\1\2" * 10)  # 20 bytes: inline
    item = Dataset()
    item.add_new(0x00283006, "OW", b"\3\4" * 1000)  # 2,000 bytes: a URI
    ds.add_new(0x00283010, "SQ", [item])
    ds.add_new(0xFFFCFFFC, "OB", PADDING)  # trailing padding, after the Pixel Data
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_every_binary_attribute_of_a_native_file(implicit: bool) -> None:
    raw = _file("CT_small.dcm", implicit)
    found = {e.path: e for e in locate(BytesSource(raw), 1024)}
    ours = ["00283010.0.00283006", "60003000", "7FE00010", "FFFCFFFC"]  # besides the file's private ones
    assert [path for path in found if path in ours] == ours  # in file order
    assert all(e.vr in {"OB", "OW", "UN"} for e in found.values())
    assert found["60003000"].inline == base64.b64encode(b"\1\2" * 10).decode()
    nested, pixels, padding = found["00283010.0.00283006"], found["7FE00010"], found["FFFCFFFC"]
    assert nested.inline is None and raw[nested.offset : nested.offset + nested.length] == b"\3\4" * 1000
    assert pixels.vr == "OW" and pixels.inline is None
    assert raw[pixels.offset : pixels.offset + pixels.length] == pydicom.dcmread(io.BytesIO(raw)).PixelData
    assert raw[padding.offset : padding.offset + padding.length] == PADDING


@pytest.mark.parametrize("indexed", [False, True], ids=["walked", "frame index"])
def test_after_encapsulated_pixel_data(indexed: bool) -> None:
    raw = _file("examples_ybr_color.dcm")
    index = frame_index.locate(Walker(BytesSource(raw))) if indexed else None
    found = {e.path: e for e in locate(BytesSource(raw), 1024, index)}
    assert found["7FE00010"].length == UNDEFINED
    padding = found["FFFCFFFC"]
    assert raw[padding.offset : padding.offset + padding.length] == PADDING


def test_merged_into_the_stored_json_in_tag_order() -> None:
    raw = _file("CT_small.dcm")
    stored = {"00100010": {"vr": "PN"}, "00283010": {"vr": "SQ", "Value": [{}]}, "7FE00008": {"vr": "OF"}}
    merged = merge(
        stored, locate(BytesSource(raw), 1024), "http://host/v2/studies/1/series/2/instances/3/bulkdata"
    )
    assert list(merged) == sorted(merged)
    assert merged["7FE00010"]["BulkDataURI"].endswith("/bulkdata/7FE00010")
    assert merged["00283010"]["Value"][0]["00283006"]["BulkDataURI"].endswith("/bulkdata/00283010.0.00283006")
    assert "InlineBinary" in merged["60003000"]


def test_a_file_the_walker_cannot_read_has_none() -> None:
    assert locate(BytesSource(b"not a DICOM file" * 20), 1024) == []


FILES = sorted(Path(get_testdata_file("CT_small.dcm")).parent.glob("*.dcm"))


@pytest.mark.parametrize("threshold", [0, 64, 1024])
@pytest.mark.parametrize(
    "raw",
    [_file("CT_small.dcm"), _file("CT_small.dcm", implicit=True), _file("examples_ybr_color.dcm")]
    + [path.read_bytes() for path in FILES],
    ids=["built explicit", "built implicit", "built encapsulated", *(path.name for path in FILES)],
)
def test_the_positions_recorded_at_store_time_are_those_a_walk_finds(raw: bytes, threshold: int) -> None:
    try:
        read = part10_json.read(BytesSource(raw))
    except Part10Error:
        return  # left to pydicom at store time: nothing is recorded, the file is walked when asked
    assert recorded(record(read, threshold), threshold) == locate(BytesSource(raw), threshold)
    assert recorded(record(read, threshold), threshold + 1) is None  # another threshold: walked again
