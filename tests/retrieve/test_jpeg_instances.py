"""Whole instances, series and studies as JPEG Baseline on request (`transfer-syntax=1.2.840.10008.1.2.4.50`):
8-bit greyscale and colour re-encoded frame by frame into Part 10 files a DICOM reader decodes close to the
original, an instance stored so sent as stored, deeper data answered 406 saying why. On both storages."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dicom_service.web import multipart
from tests.service import data
from tests.service.live import LiveService, Validated

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
MULTIPART = {"Accept": f'multipart/related; type="application/dicom"; transfer-syntax={JPEG_BASELINE}'}
SINGLE = {"Accept": f"application/dicom; transfer-syntax={JPEG_BASELINE}"}


def _store(service: LiveService, ds: Dataset) -> Dataset:
    answer = service.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
    assert answer.status_code in (200, 202), answer.text  # 202: a warning on an attribute
    return ds


@pytest.fixture(scope="module")
def stored(service: LiveService) -> dict[str, Dataset]:
    """One series of a 2-frame RLE RGB instance, an 8-bit greyscale one, a big endian RGB one and one stored
    as JPEG Baseline; a 16-bit CT in a study of its own."""
    study, series = generate_uid(), generate_uid()
    kinds = {
        "rgb": "SC_rgb_rle_2frame.dcm",
        "grey": "image_dfl.dcm",
        "big": "ExplVR_BigEnd.dcm",
        "jpeg": "SC_rgb_jpeg_dcmtk.dcm",
    }
    found = {key: data.instance(name, study, series, PatientID="JPEG") for key, name in kinds.items()}
    found["grey"].file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian  # stored inflated
    for ds in found.values():
        _store(service, ds)
    found["ct"] = _store(service, data.instance("CT_small.dcm", PatientID="JPEG"))
    return found


def _url(service: LiveService, ds: Dataset, level: str = "instance") -> str:
    url = f"{service.root}/v2/studies/{ds.StudyInstanceUID}"
    if level != "study":
        url += f"/series/{ds.SeriesInstanceUID}"
    if level == "instance":
        url += f"/instances/{ds.SOPInstanceUID}"
    return url


def _close(received: Dataset, original: Dataset) -> None:
    """Lossy but close: the mean error of a quality-90 baseline JPEG stays within a few levels."""
    got, want = received.pixel_array.astype(np.int16), original.pixel_array.astype(np.int16)
    assert got.shape == want.shape
    assert float(np.abs(got - want).mean()) < 4.0


def test_a_series_as_jpeg_baseline_is_one_part10_file_per_instance(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    answer = checked.session().get(_url(service, stored["rgb"], "series"), headers=MULTIPART)
    assert answer.status_code == 200, answer.text
    assert f"transfer-syntax={JPEG_BASELINE}" in answer.headers["content-type"]
    parts = multipart.parse(answer.headers["content-type"], answer.content)
    assert len(parts) == 4
    received = {}
    for part in parts:
        assert part.content_type == f"application/dicom; transfer-syntax={JPEG_BASELINE}"
        ds = pydicom.dcmread(pydicom.filebase.DicomBytesIO(part.body))
        assert ds.file_meta.TransferSyntaxUID == JPEG_BASELINE
        received[ds.SOPInstanceUID] = ds
    rgb = received[stored["rgb"].SOPInstanceUID]
    assert int(rgb.NumberOfFrames) == 2
    streams = list(pydicom.encaps.generate_frames(rgb.PixelData, number_of_frames=2))
    assert [s[:2] for s in streams] == [b"\xff\xd8"] * 2  # one JPEG code stream per frame
    assert rgb.PhotometricInterpretation == "YBR_FULL_422" and rgb.LossyImageCompression == "01"
    assert "ISO_10918_1" in rgb.LossyImageCompressionMethod
    _close(rgb, stored["rgb"])
    grey = received[stored["grey"].SOPInstanceUID]
    assert grey.PhotometricInterpretation == "MONOCHROME2"
    _close(grey, stored["grey"])
    _close(received[stored["big"].SOPInstanceUID], stored["big"])  # big endian: its pixels swapped whole
    jpeg = received[stored["jpeg"].SOPInstanceUID]
    assert jpeg.PixelData == stored["jpeg"].PixelData  # stored as JPEG Baseline: sent as stored


def test_one_instance_as_single_part_jpeg_baseline(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    answer = checked.session().get(_url(service, stored["rgb"]), headers=SINGLE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == f"application/dicom; transfer-syntax={JPEG_BASELINE}"
    _close(pydicom.dcmread(pydicom.filebase.DicomBytesIO(answer.content)), stored["rgb"])


def test_16_bit_data_as_jpeg_baseline_is_406_saying_why(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    for headers in (MULTIPART, SINGLE):
        answer = checked.session().get(_url(service, stored["ct"]), headers=headers)
        assert answer.status_code == 406, answer.text
        assert stored["ct"].SOPInstanceUID in answer.text and "16-bit samples" in answer.text
    answer = checked.session().get(_url(service, stored["ct"], "study"), headers=MULTIPART)
    assert answer.status_code == 406 and "8-bit unsigned greyscale or colour" in answer.text
