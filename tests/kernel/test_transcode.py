"""Transcoding (WADO-RS): to each target syntax and back, and the errors that name both syntaxes; on the files
bundled with pydicom."""

from __future__ import annotations

import numpy as np
import pytest

from dicom_service.kernel.transcode import TranscodeError, can_transcode, transcode
from tests.kernel.sample_files import BIG, EXPLICIT, IMPLICIT, J2K, JPEG_BASELINE, load, parse, pixels


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
