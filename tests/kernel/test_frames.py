"""Frames (WADO-RS): as stored, decoded, past nested sequences, and the errors naming a wrong frame;
on the files bundled with pydicom."""

from __future__ import annotations

import io

import numpy as np
import pytest
from openjpeg import decode as decode_j2k
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.sequence import Sequence

from dicom_service.kernel.frames import FrameError, NoPixelData, frame_count, frames
from dicom_service.kernel.transcode import TranscodeError
from tests.kernel.sample_files import EXPLICIT, J2K, JPEG_BASELINE, frame_of, load, modified, parse


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("CT_small.dcm", 1),
        ("rtdose.dcm", 15),
        ("rtdose_expb.dcm", 7),
        ("MR_small_RLE.dcm", 1),
        ("SC_rgb_rle_2frame.dcm", 2),
        ("MR_small_jp2klossless.dcm", 1),
        ("JPEG2000.dcm", 1),
        ("SC_rgb_jpeg_dcmtk.dcm", 1),
        ("MR_small_jpeg_ls_lossless.dcm", 1),
    ],
)
def test_an_uncompressed_frame_is_the_little_endian_slice_of_the_decoded_image(
    name: str, number: int
) -> None:
    ds = parse(load(name))
    (frame,) = frames(load(name), [number], EXPLICIT)
    assert len(frame) == ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    expected = frame_of(name, number)
    assert frame == expected.astype(expected.dtype.newbyteorder("<")).tobytes()


def test_a_native_frame_as_stored_is_the_raw_slice() -> None:
    (frame,) = frames(load("rtdose_expb.dcm"), [3], "*")
    assert frame == frame_of("rtdose_expb.dcm", 3).astype(">u4").tobytes()


@pytest.mark.parametrize(("name", "number"), [("SC_rgb_rle_2frame.dcm", 2), ("MR_small_jp2klossless.dcm", 1)])
def test_a_compressed_frame_as_stored_is_its_encapsulated_bytes(name: str, number: int) -> None:
    ds = parse(load(name))
    expected = get_frame(ds.PixelData, number - 1, number_of_frames=int(ds.get("NumberOfFrames") or 1))
    assert frames(load(name), [number], "*") == [expected]


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("CT_small.dcm", 1),
        ("MR_small_bigendian.dcm", 1),
        ("SC_rgb_rle_2frame.dcm", 2),
        ("SC_rgb_jpeg_dcmtk.dcm", 1),
        ("JPEG2000.dcm", 1),
        ("liver_1frame.dcm", 1),
    ],
)
def test_a_jpeg_2000_frame_decodes_back_to_the_same_pixels(name: str, number: int) -> None:
    (stream,) = frames(load(name), [number], J2K)
    assert stream.startswith(b"\xff\x4f\xff\x51")  # a J2K code stream: SOC then SIZ
    np.testing.assert_array_equal(decode_j2k(stream), frame_of(name, number))


def test_several_frames_come_back_in_the_requested_order() -> None:
    result = frames(load("rtdose.dcm"), [15, 1, 15], EXPLICIT)
    assert result == [frame_of("rtdose.dcm", n).astype("<u4").tobytes() for n in (15, 1, 15)]


def test_one_bit_frames_are_repacked_from_any_bit_offset() -> None:
    # Three 3x3 frames of 9 bits: frames 2 and 3 start inside a byte; 27 bits make an odd length.
    bits = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1] + [1] * 9 + [0, 1, 1, 0, 0, 0, 1, 1, 0], dtype=np.uint8)
    data = modified(
        "liver_1frame.dcm",
        Rows=3,
        Columns=3,
        NumberOfFrames=3,
        PixelData=np.packbits(bits, bitorder="little").tobytes(),
    )
    for number, result in zip((1, 2, 3), frames(data, [1, 2, 3], "*"), strict=True):
        assert len(result) == 2
        assert np.unpackbits(np.frombuffer(result, np.uint8), bitorder="little")[:9].tolist() == list(
            bits[(number - 1) * 9 : number * 9]
        )


def nested_sequences(name: str) -> bytes:
    """`name` with undefined-length sequences nested two deep before its pixel data."""
    ds = parse(load(name))
    inner, outer = Dataset(), Dataset()
    inner.CodeValue, inner.CodeMeaning = "T-D1100", "e07f1000 looks like a pixel data tag"
    inner.add_new(
        0x7FE00010, "OB", b"\xe0\x7f\x10\x00" * 4
    )  # an icon-like pixel data that is not the instance's
    outer.CodeValue = "X"
    outer.ConceptNameCodeSequence = Sequence([inner])
    outer.ConceptNameCodeSequence.is_undefined_length = True
    ds.ContentSequence = Sequence([outer, Dataset()])
    ds.ContentSequence.is_undefined_length = True
    for item in ds.ContentSequence:
        item.is_undefined_length_sequence_item = True
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["MR_small_implicit.dcm", "CT_small.dcm", "MR_small_bigendian.dcm"])
def test_frames_are_found_past_nested_sequences_of_undefined_length(name: str) -> None:
    data = nested_sequences(name)
    assert parse(data).file_meta.TransferSyntaxUID == parse(load(name)).file_meta.TransferSyntaxUID
    assert frames(data, [1], "*") == [bytes(parse(load(name)).PixelData)]


@pytest.mark.filterwarnings("ignore:Expected explicit VR, but found implicit VR")
@pytest.mark.parametrize(
    "name",
    [
        "image_dfl.dcm",  # deflated: the frame is sliced from the inflated dataset
        "SC_rgb_jpeg.dcm",  # declares explicit VR but is written implicit: pydicom's reading is kept
    ],
)
def test_unusual_files_give_the_frame_pydicom_reads(name: str) -> None:
    ds = parse(load(name))
    expected = (
        get_frame(ds.PixelData, 0, number_of_frames=1)
        if "4.50" in ds.file_meta.TransferSyntaxUID
        else ds.PixelData
    )
    assert frames(load(name), [1], "*") == [expected]


@pytest.mark.parametrize(
    ("name", "count"), [("CT_small.dcm", 1), ("rtdose.dcm", 15), ("SC_rgb_rle_2frame.dcm", 2)]
)
def test_frame_count(name: str, count: int) -> None:
    assert frame_count(load(name)) == count


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ([0], "frame number 0 out of range: frames are numbered from 1 and this instance has 15 frames"),
        ([16], "frame number 16 out of range"),
        ([2, 0, 16], "frame numbers 0, 16 out of range"),
        ([], "no frame number"),
    ],
)
def test_a_wrong_frame_number_is_a_frame_error_naming_it(numbers: list[int], message: str) -> None:
    with pytest.raises(FrameError, match=message):
        frames(load("rtdose.dcm"), numbers, "*")


def test_an_instance_without_pixel_data_has_no_frames() -> None:
    with pytest.raises(NoPixelData):
        frames(load("rtplan.dcm"), [1], "*")
    with pytest.raises(NoPixelData):
        frame_count(load("rtplan.dcm"))


@pytest.mark.parametrize(
    ("name", "target"),
    [("CT_small.dcm", JPEG_BASELINE), ("rtdose.dcm", J2K)],
)
def test_a_frame_that_cannot_be_produced_is_a_transcode_error(name: str, target: str) -> None:
    with pytest.raises(TranscodeError):
        frames(load(name), [1], target)
