"""Whole instances transcoded frame by frame: the file streamed in pieces reads as the one transcoded whole
(same pixels, same instance), on files bundled with pydicom; the pieces are the header and one per frame."""

from __future__ import annotations

import io

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

from dicom_service.kernel.frames import Stored
from dicom_service.kernel.instance_stream import ENCODINGS, chunks, streamable, transcoded
from dicom_service.kernel.transcode import TranscodeError, transcode

EXPLICIT = "1.2.840.10008.1.2.1"
J2K = "1.2.840.10008.1.2.4.90"
STREAMED = [
    "MR_small_implicit.dcm",  # native: frames copied
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",  # colour, planar as stored, two frames
    "MR_small_jp2klossless.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",  # YBR decoded to RGB
    "MR_small_jpeg_ls_lossless.dcm",
    "rtdose.dcm",  # 15 frames of 32 bits, native
    "SC_rgb_rle_16bit_2frame.dcm",
]


def _load(name: str) -> bytes:
    path = get_testdata_file(name)
    assert path is not None, name
    with open(path, "rb") as file:
        return file.read()


@pytest.mark.parametrize("target", [EXPLICIT, J2K])
@pytest.mark.parametrize("name", STREAMED)
def test_the_streamed_file_reads_as_the_file_transcoded_whole(name: str, target: str) -> None:
    data = _load(name)
    original = dcmread(io.BytesIO(data))
    if original.file_meta.TransferSyntaxUID == target:
        pytest.skip("stored in the target syntax")
    stored = Stored.of_bytes(data)
    assert streamable(stored)
    try:
        whole = dcmread(io.BytesIO(transcode(data, target)))
    except TranscodeError:  # 32 bits stored: more than JPEG 2000 encodes
        with pytest.raises(TranscodeError):
            list(chunks(stored, ENCODINGS[target]))
        return
    pieces = list(chunks(stored, ENCODINGS[target]))
    frames = int(original.get("NumberOfFrames") or 1)
    encapsulated = 3 if target == J2K else 2  # header, pixel data start or element header, (delimiter)
    assert len(pieces) - frames in (encapsulated, encapsulated + 1)  # (+ a padding byte)

    streamed = dcmread(io.BytesIO(b"".join(pieces)))
    assert streamed.file_meta.TransferSyntaxUID == target
    assert streamed.SOPInstanceUID == original.SOPInstanceUID
    for keyword in (
        "PhotometricInterpretation",
        "PlanarConfiguration",
        "Rows",
        "BitsAllocated",
        "PatientName",
    ):
        assert streamed.get(keyword) == whole.get(keyword), keyword
    np.testing.assert_array_equal(streamed.pixel_array, whole.pixel_array)
    np.testing.assert_array_equal(streamed.pixel_array, original.pixel_array)


def test_what_cannot_be_streamed_is_transcoded_whole() -> None:
    data = _load("MR_small_bigendian.dcm")  # big endian: every binary value swaps, not only the frames
    stored = Stored.of_bytes(data)
    assert not streamable(stored)
    assert b"".join(transcoded(stored, EXPLICIT)) == transcode(data, EXPLICIT)
