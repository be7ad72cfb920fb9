"""The fast Part 10 reader gives exactly what pydicom gives, on every file pydicom ships, or steps aside."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dicom_service.kernel import fastread
from dicom_service.kernel.json_writer import to_json

FILES = sorted(Path(get_testdata_file("CT_small.dcm")).parent.glob("*.dcm"))
TRUNCATED = {"MR_truncated.dcm", "rtplan_truncated.dcm"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_fast_reader_equals_pydicom_or_leaves_the_file_to_it(path: Path) -> None:
    data = path.read_bytes()
    if path.name in TRUNCATED:
        with pytest.raises(fastread.Truncated):
            fastread.read(data)
        return
    fast = fastread.read(data)
    if fast is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data))
        expected = to_json(ds)
    assert fast == (str(ds.file_meta.TransferSyntaxUID), expected)


def test_the_fast_reader_reads_most_of_them() -> None:
    read = [p for p in FILES if p.name not in TRUNCATED and fastread.read(p.read_bytes()) is not None]
    assert len(read) >= 50  # the common files never reach pydicom's slower parser


@pytest.mark.parametrize("cut", [140, 403, 5_003, 20_003, 39_003])
def test_a_file_cut_inside_an_element_is_truncated(cut: int) -> None:
    """A cut that falls between two elements leaves a shorter but well-formed file (found missing later)."""
    data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    with pytest.raises(fastread.Truncated):
        fastread.read(data[:cut])
