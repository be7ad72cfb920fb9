"""Rendered frames (WADO-RS): JPEG and PNG of the right size, windows, MONOCHROME1, palettes, quality, and the
three errors; on the files bundled with pydicom."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dicom_service.kernel.frames import FrameError, NoPixelData
from dicom_service.kernel.transcode import TranscodeError
from dicom_service.retrieve.render import render
from tests.kernel.sample_files import load, modified, parse, pixels


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


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
