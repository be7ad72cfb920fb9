"""12-bit JPEG Extended streams that pylibjpeg refuses are decoded by GDCM (the second decoder): rendered,
transcoded to Explicit VR Little Endian, with the pixel values other viewers show; what nothing decodes
still answers 406 saying why."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array

from dicom_service.kernel import jpeg12
from dicom_service.kernel.transcode import EXPLICIT_LE, TranscodeError, decode_frame, read, transcode
from dicom_service.retrieve.render import render

LOSSY_12_BIT = "JPEG-lossy.dcm"  # NM, 1024×256, 12-bit JPEG Extended; its SOS is malformed


def lossy() -> bytes:
    with open(get_testdata_file(LOSSY_12_BIT), "rb") as f:  # type: ignore[arg-type]
        return f.read()


def test_pylibjpeg_alone_gives_up_on_the_stream() -> None:
    with pytest.raises(RuntimeError, match="scan start must be zero"):
        pixel_array(get_testdata_file(LOSSY_12_BIT), decoding_plugin="pylibjpeg")


def test_gdcm_decodes_it_to_the_values_viewers_show() -> None:
    assert jpeg12.LABEL in jpeg12.DECODER.available_plugins
    arr = decode_frame(read(lossy()), 0)
    assert arr.shape == (1024, 256) and arr.dtype == np.uint16
    # The two points pydicom's test suite took from OsiriX for this file.
    assert arr[420, 140] == 244 and arr[230, 120] == 95
    assert int(arr.max()) < 4096  # 12 bits stored


def test_it_renders_and_transcodes() -> None:
    image = Image.open(io.BytesIO(render(lossy(), 1, "image/png")))
    assert image.size == (256, 1024)
    assert np.asarray(image).std() > 10  # an image, not a flat field
    native = dcmread(io.BytesIO(transcode(lossy(), EXPLICIT_LE)))
    assert native.file_meta.TransferSyntaxUID == EXPLICIT_LE
    assert native.pixel_array[420, 140] == 244


def test_pixel_data_nothing_decodes_is_refused_saying_why() -> None:
    ds = dcmread(get_testdata_file(LOSSY_12_BIT))
    ds.PixelData = encapsulate([b"\x00" * 512])  # not a JPEG stream at all
    buffer = io.BytesIO()
    ds.save_as(buffer)
    with pytest.raises(TranscodeError, match="cannot be decoded") as refused:
        render(buffer.getvalue(), 1, "image/jpeg")
    assert "GDCM found no decodable JPEG stream" in str(refused.value)
