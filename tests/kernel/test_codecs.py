"""Pixel-level codecs of WADO-RS: transcoding, frames and rendering, on the files bundled with pydicom."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from openjpeg import decode as decode_j2k
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileDataset
from pydicom.encaps import get_frame
from pydicom.sequence import Sequence

from dicom_service.kernel.frames import FrameError, NoPixelData, frame_count, frames
from dicom_service.kernel.transcode import TranscodeError, can_transcode, transcode
from dicom_service.retrieve.render import render

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


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Transcoding


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("MR_small_implicit.dcm", IMPLICIT),
        ("MR_small_bigendian.dcm", BIG),
        ("rtdose_expb.dcm", BIG),  # 15 frames of 32-bit big endian
        ("image_dfl.dcm", "1.2.840.10008.1.2.1.99"),
        ("MR_small_RLE.dcm", "1.2.840.10008.1.2.5"),
        ("SC_rgb_rle_2frame.dcm", "1.2.840.10008.1.2.5"),
        ("MR_small_jp2klossless.dcm", J2K),
        ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91"),
        ("SC_rgb_jpeg_dcmtk.dcm", JPEG_BASELINE),
        ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70"),
        ("MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"),
        ("JPEGLSNearLossless_16.dcm", "1.2.840.10008.1.2.4.81"),
    ],
)
def test_transcode_to_explicit_vr_little_endian_keeps_the_pixels_and_the_instance(
    name: str, source: str
) -> None:
    original = parse(load(name))
    assert original.file_meta.TransferSyntaxUID == source
    result = parse(transcode(load(name), EXPLICIT))
    assert result.file_meta.TransferSyntaxUID == EXPLICIT
    assert result.SOPInstanceUID == original.SOPInstanceUID
    assert result.Rows == original.Rows and result.get("PatientName") == original.get("PatientName")
    np.testing.assert_array_equal(result.pixel_array, pixels(name))


def test_big_endian_attributes_read_the_same_after_transcoding() -> None:
    original, result = (
        parse(load("MR_small_bigendian.dcm")),
        parse(transcode(load("MR_small_bigendian.dcm"), EXPLICIT)),
    )
    for keyword in ("WindowCenter", "WindowWidth", "SmallestImagePixelValue", "LargestImagePixelValue"):
        assert result.get(keyword) == original.get(keyword), keyword


@pytest.mark.parametrize(
    "name",
    [
        "CT_small.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "MR_small_RLE.dcm",
        "SC_rgb_jpeg_dcmtk.dcm",
        "SC_ybr_full_422_uncompressed.dcm",
        "examples_palette.dcm",
        "JPEG2000.dcm",
    ],
)
def test_transcode_to_jpeg_2000_lossless_decodes_back_to_the_same_pixels(name: str) -> None:
    result = parse(transcode(load(name), J2K))
    assert result.file_meta.TransferSyntaxUID == J2K
    np.testing.assert_array_equal(result.pixel_array, pixels(name))


@pytest.mark.parametrize("target", ["*", EXPLICIT])
def test_the_stored_syntax_or_star_returns_the_stored_bytes_themselves(target: str) -> None:
    data = load("CT_small.dcm")
    assert transcode(data, target) is data


def test_an_instance_without_pixel_data_is_re_encoded() -> None:
    result = parse(transcode(load("rtplan.dcm"), EXPLICIT))
    assert result.file_meta.TransferSyntaxUID == EXPLICIT
    assert result.SOPInstanceUID == parse(load("rtplan.dcm")).SOPInstanceUID


@pytest.mark.parametrize(
    ("name", "target", "words"),
    [
        ("CT_small.dcm", JPEG_BASELINE, ["Explicit VR Little Endian", "JPEG Baseline", "transfer-syntax=*"]),
        ("rtdose.dcm", J2K, ["Implicit VR Little Endian", "JPEG 2000"]),  # 32 bits stored: J2K takes ≤ 24
    ],
)
def test_an_impossible_target_is_a_transcode_error_naming_both_syntaxes(
    name: str, target: str, words: list[str]
) -> None:
    with pytest.raises(TranscodeError) as caught:
        transcode(load(name), target)
    for word in words:
        assert word in str(caught.value)


def test_bytes_that_are_not_dicom_are_a_transcode_error() -> None:
    with pytest.raises(TranscodeError, match="not a readable DICOM"):
        transcode(b"not a dicom file at all", EXPLICIT)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (IMPLICIT, EXPLICIT, True),
        (BIG, J2K, True),
        ("1.2.840.10008.1.2.4.50", EXPLICIT, True),
        ("1.2.840.10008.1.2.4.80", J2K, True),
        ("1.2.840.10008.1.2.4.100", EXPLICIT, False),  # MPEG-2: no decoder
        ("1.2.840.10008.1.2.4.100", "*", True),
        (EXPLICIT, JPEG_BASELINE, False),
        (JPEG_BASELINE, JPEG_BASELINE, True),
    ],
)
def test_can_transcode_answers_from_the_syntaxes(source: str, target: str, expected: bool) -> None:
    assert can_transcode(source, target) is expected


# Frames


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


# Rendering


@pytest.mark.parametrize(
    ("name", "size", "mode"),
    [
        ("CT_small.dcm", (128, 128), "L"),
        ("MR_small_RLE.dcm", (64, 64), "L"),
        ("JPEG2000.dcm", (256, 1024), "L"),
        ("rtdose.dcm", (10, 10), "L"),
        ("SC_rgb_jpeg_dcmtk.dcm", (100, 100), "RGB"),
        ("SC_rgb_rle_2frame.dcm", (100, 100), "RGB"),
        ("SC_ybr_full_422_uncompressed.dcm", (100, 100), "RGB"),
        ("examples_palette.dcm", (800, 350), "RGB"),
    ],
)
@pytest.mark.parametrize(("media_type", "format_name"), [("image/jpeg", "JPEG"), ("image/png", "PNG")])
def test_a_rendered_frame_opens_as_an_image_of_the_right_size_and_mode(
    name: str, size: tuple[int, int], mode: str, media_type: str, format_name: str
) -> None:
    image = picture(render(load(name), 1, media_type))
    assert (image.format, image.size, image.mode) == (format_name, size, mode)


def test_the_first_window_maps_pixels_as_a_viewer_does() -> None:
    # MR_small: window center 600, width 1600, no rescale (PS3.3 C.11.2.1.2 linear function).
    values = pixels("MR_small_implicit.dcm").astype(np.float64)
    expected = np.rint(np.clip((values - 599.5) / 1599 + 0.5, 0, 1) * 255)
    shown = np.asarray(picture(render(load("MR_small_implicit.dcm"), 1, "image/png")))
    np.testing.assert_array_equal(shown, expected)


def test_another_window_changes_the_rendered_pixels() -> None:
    narrow = modified("MR_small_implicit.dcm", WindowCenter=300, WindowWidth=200)
    shown = np.asarray(picture(render(narrow, 1, "image/png")))
    values = pixels("MR_small_implicit.dcm")
    assert (shown[values <= 199] == 0).all() and (shown[values > 400] == 255).all()


def test_without_a_window_the_frame_spans_its_min_to_max() -> None:
    shown = np.asarray(picture(render(load("CT_small.dcm"), 1, "image/png")))
    values = pixels("CT_small.dcm")
    assert shown[values == values.min()].max() == 0 and shown[values == values.max()].min() == 255


def test_monochrome1_is_shown_inverted() -> None:
    plain = np.asarray(picture(render(load("MR_small_implicit.dcm"), 1, "image/png")), dtype=np.int16)
    inverted = modified("MR_small_implicit.dcm", PhotometricInterpretation="MONOCHROME1")
    shown = np.asarray(picture(render(inverted, 1, "image/png")), dtype=np.int16)
    assert np.abs(shown - (255 - plain)).max() <= 1


def test_the_palette_is_applied() -> None:
    ds = parse(load("examples_palette.dcm"))
    shown = np.asarray(picture(render(load("examples_palette.dcm"), 1, "image/png")))
    index = int(ds.pixel_array[100, 100])
    first = int(ds.RedPaletteColorLookupTableDescriptor[1])
    red = np.frombuffer(ds.RedPaletteColorLookupTableData, "<u2")[index - first] >> 8
    assert shown[100, 100, 0] == red


def test_a_lower_jpeg_quality_gives_fewer_bytes() -> None:
    data = load("CT_small.dcm")
    assert len(render(data, 1, "image/jpeg", quality=30)) < len(render(data, 1, "image/jpeg", quality=95))


def test_a_multi_frame_instance_renders_the_requested_frame() -> None:
    first = np.asarray(picture(render(load("SC_rgb_rle_2frame.dcm"), 1, "image/png")))
    second = np.asarray(picture(render(load("SC_rgb_rle_2frame.dcm"), 2, "image/png")))
    np.testing.assert_array_equal(first, pixels("SC_rgb_rle_2frame.dcm")[0])
    np.testing.assert_array_equal(second, pixels("SC_rgb_rle_2frame.dcm")[1])


@pytest.mark.parametrize(
    ("name", "frame", "media_type", "error"),
    [
        ("rtdose.dcm", 0, "image/jpeg", FrameError),
        ("rtdose.dcm", 16, "image/png", FrameError),
        ("rtplan.dcm", 1, "image/jpeg", NoPixelData),
        ("CT_small.dcm", 1, "image/gif", TranscodeError),
    ],
)
def test_rendering_failures_are_one_of_the_three_errors(
    name: str, frame: int, media_type: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        render(load(name), frame, media_type)
