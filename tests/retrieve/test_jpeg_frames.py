"""Frames as JPEG baseline on request (`multipart/related; type="image/jpeg"`): lossy 8-bit code streams of an
8-bit instance; a deeper instance, or a JPEG transfer syntax other than baseline, answered 406 saying why."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image

from dicom_service.web import multipart
from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
JPEG = {"Accept": 'multipart/related; type="image/jpeg"'}


@pytest.fixture(scope="module")
def stored(service: LiveService) -> dict[str, str]:
    """An 8-bit RGB instance (80×60), a 16-bit CT and an instance stored as JPEG baseline."""
    urls = {}
    for key, name in (
        ("rgb", "ExplVR_BigEnd.dcm"),
        ("ct", "CT_small.dcm"),
        ("jpeg", "SC_rgb_dcmtk_+eb+cr.dcm"),
    ):
        ds = data.instance(name, PatientID="JPEG")
        answer = service.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert answer.status_code in (200, 202), answer.text  # 202: a warning on StudyDate
        urls[key] = (
            f"{service.root}/v2/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
            f"/instances/{ds.SOPInstanceUID}"
        )
    return urls


def test_an_8_bit_frame_as_jpeg_baseline(stored: dict[str, str], checked: Validated) -> None:
    answer = checked.session().get(f"{stored['rgb']}/frames/1", headers=JPEG)
    assert answer.status_code in (200, 202), answer.text  # 202: a warning on StudyDate
    content_type = answer.headers["content-type"]
    assert content_type.startswith('multipart/related; type="image/jpeg"')
    assert "transfer-syntax=1.2.840.10008.1.2.4.50" in content_type
    (part,) = multipart.parse(content_type, answer.content)
    image = Image.open(io.BytesIO(part.body))
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (80, 60)
    original = pydicom.dcmread(data.get_testdata_file("ExplVR_BigEnd.dcm")).pixel_array
    # Lossy, but close: the mean error of a quality-90 baseline JPEG stays within a few levels.
    assert float(np.abs(np.asarray(image, dtype=np.int16) - original.astype(np.int16)).mean()) < 4.0


def test_a_16_bit_frame_as_jpeg_is_406_saying_why(stored: dict[str, str], checked: Validated) -> None:
    answer = checked.session().get(f"{stored['ct']}/frames/1", headers=JPEG)
    assert answer.status_code == 406 and "8 bits" in answer.text and "16 bits" in answer.text


def test_an_unknown_jpeg_syntax_is_406(stored: dict[str, str], checked: Validated) -> None:
    accept = {"Accept": 'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.51'}
    answer = checked.session().get(f"{stored['rgb']}/frames/1", headers=accept)
    assert answer.status_code == 406 and 'multipart/related; type="image/jpeg"' in answer.text


def test_a_frame_stored_as_jpeg_baseline_is_sent_as_stored(
    stored: dict[str, str], checked: Validated
) -> None:
    answer = checked.session().get(f"{stored['jpeg']}/frames/1", headers=JPEG)
    assert answer.status_code == 200, answer.text
    (part,) = multipart.parse(answer.headers["content-type"], answer.content)
    ds = pydicom.dcmread(data.get_testdata_file("SC_rgb_dcmtk_+eb+cr.dcm"))
    assert part.body.rstrip(b"\0") == next(pydicom.encaps.generate_frames(ds.PixelData)).rstrip(b"\0")
