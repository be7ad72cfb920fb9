"""Metadata with BulkDataURI and InlineBinary for binary attributes, and the bulk-data resource behind each
URI: values as stored by ranged reads (top level and inside sequences), Pixel Data one frame per part,
byte ranges on a single part, 404 and 406 saying why; the deprecated version's metadata as before. On both
storages."""

from __future__ import annotations

import base64
from collections import OrderedDict
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset

from dicom_service.retrieve import bulk_data as retrieve_bulk_data
from dicom_service.web import multipart
from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
JSON = {"Accept": "application/dicom+json"}
MULTIPART = {"Accept": 'multipart/related; type="application/octet-stream"'}
SINGLE = {"Accept": "application/octet-stream; transfer-syntax=*"}
OVERLAY = bytes(range(256)) * 20  # 5,120 bytes: over the 1 KiB threshold
SMALL = bytes(range(100))
NESTED = bytes(reversed(range(256))) * 8  # 2,048 bytes


@pytest.fixture(scope="module")
def stored(service: LiveService) -> dict[str, Dataset]:
    """A CT with overlay data and LUT data in a sequence item (one small, one large); a 30-frame JPEG."""
    ct = data.instance("CT_small.dcm", PatientID="BULK")
    ct.add_new(0x60003000, "OW", OVERLAY)
    small, large = Dataset(), Dataset()
    small.add_new(0x00283006, "OW", SMALL)
    large.add_new(0x00283006, "OW", NESTED)
    ct.add_new(0x00283010, "SQ", [small, large])
    jpeg = data.instance("examples_ybr_color.dcm", PatientID="BULK")
    for ds in (ct, jpeg):
        answer = service.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert answer.status_code in (200, 202), answer.text
    return {"ct": ct, "jpeg": jpeg}


def _instance(service: LiveService, ds: Dataset, version: str = "v2") -> str:
    return (
        f"{service.root}/{version}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )


def test_metadata_gives_each_binary_attribute_a_uri_or_its_value_inline(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    ct = stored["ct"]
    answer = checked.session().get(f"{_instance(service, ct)}/metadata", headers=JSON)
    assert answer.status_code == 200, answer.text
    (dataset,) = answer.json()
    base = f"{_instance(service, ct)}/bulkdata"
    assert dataset["7FE00010"] == {"vr": "OW", "BulkDataURI": f"{base}/7FE00010"}
    assert dataset["60003000"] == {"vr": "OW", "BulkDataURI": f"{base}/60003000"}
    items = dataset["00283010"]["Value"]
    assert items[0]["00283006"] == {"vr": "OW", "InlineBinary": base64.b64encode(SMALL).decode()}
    assert items[1]["00283006"] == {"vr": "OW", "BulkDataURI": f"{base}/00283010.1.00283006"}
    assert list(dataset) == sorted(dataset)  # in tag order, as stored attributes are


def test_each_uri_answers_the_value_as_stored(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    ct = stored["ct"]
    for path, value in (
        ("7FE00010", ct.PixelData),
        ("60003000", OVERLAY),
        ("00283010.1.00283006", NESTED),
        ("00283010.0.00283006", SMALL),  # shown inline, served too
    ):
        answer = checked.session().get(f"{_instance(service, ct)}/bulkdata/{path}", headers=MULTIPART)
        assert answer.status_code == 200, answer.text
        (part,) = multipart.parse(answer.headers["content-type"], answer.content)
        assert part.content_type.startswith("application/octet-stream")
        assert part.body == value, path
        single = checked.session().get(f"{_instance(service, ct)}/bulkdata/{path}", headers=SINGLE)
        assert single.status_code == 200 and single.content == value, path


def test_a_byte_range_of_a_single_part_value(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    url = f"{_instance(service, stored['ct'])}/bulkdata/60003000"
    for asked, first, last in (("bytes=0-99", 0, 99), ("bytes=5000-", 5000, 5119), ("bytes=-20", 5100, 5119)):
        answer = checked.session().get(url, headers={**SINGLE, "Range": asked})
        assert answer.status_code == 206, answer.text
        assert answer.headers["content-range"] == f"bytes {first}-{last}/{len(OVERLAY)}"
        assert answer.content == OVERLAY[first : last + 1]
    past = checked.session().get(url, headers={**SINGLE, "Range": "bytes=6000-"})
    assert past.status_code == 416 and "5120 bytes" in past.text


def test_encapsulated_pixel_data_is_one_frame_per_part(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    url = f"{_instance(service, stored['jpeg'])}/bulkdata/7FE00010"
    answer = checked.session().get(url, headers=MULTIPART)
    assert answer.status_code == 200, answer.text
    parts = multipart.parse(answer.headers["content-type"], answer.content)
    assert len(parts) == 30
    frames = list(pydicom.encaps.generate_frames(stored["jpeg"].PixelData, number_of_frames=30))
    assert [part.body.rstrip(b"\0") for part in parts] == [frame.rstrip(b"\0") for frame in frames]
    assert "transfer-syntax=1.2.840.10008.1.2.4.50" in parts[0].content_type
    single = checked.session().get(url, headers=SINGLE)
    assert single.status_code == 406 and "encapsulated" in single.text


def test_a_path_that_is_no_bulk_attribute_is_404(
    service: LiveService, stored: dict[str, Dataset], checked: Validated
) -> None:
    answer = checked.session().get(f"{_instance(service, stored['ct'])}/bulkdata/00100010", headers=MULTIPART)
    assert answer.status_code == 404 and "00100010" in answer.text


def test_the_deprecated_version_keeps_its_metadata_without_binary_attributes(
    service: LiveService, stored: dict[str, Dataset]
) -> None:
    url = f"{_instance(service, stored['ct'], 'v1.0-prerelease')}/metadata"
    (dataset,) = service.session().get(url, headers=JSON).json()
    assert "7FE00010" not in dataset and "60003000" not in dataset


def test_metadata_reads_no_stored_file(
    service: LiveService, stored: dict[str, Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where each binary value lies was recorded when the instance was stored: the first metadata request
    # per instance reads no header from the blob store (a round trip per instance on Azure otherwise).
    dicom = service.client.app.state.dicom  # type: ignore[attr-defined]
    reads: list[str] = []

    class CountedReads:
        def __getattr__(self, name: str) -> Any:
            found = getattr(blobs, name)
            if name not in ("read", "read_range", "stream"):
                return found

            def counted(*args: Any, **kwargs: Any) -> Any:
                reads.append(name)
                return found(*args, **kwargs)

            return counted

    blobs = dicom.blobs
    monkeypatch.setattr(dicom, "blobs", CountedReads())
    monkeypatch.setattr(retrieve_bulk_data, "_cache", OrderedDict())  # as after a restart
    for ds in stored.values():
        answer = service.session().get(f"{_instance(service, ds)}/metadata", headers=JSON)
        assert answer.status_code == 200, answer.text
        assert answer.json()[0]["7FE00010"]["BulkDataURI"].endswith("/bulkdata/7FE00010")
    assert reads == []
