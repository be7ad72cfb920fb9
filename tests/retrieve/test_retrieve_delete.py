"""WADO-RS, delete and partitions through dicomweb-client, every exchange validated against the spec."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
import requests
from PIL import Image

from tests.fixtures import served_segments
from tests.service import data
from tests.service.live import LiveService, Validated, client

EXPLICIT_LE, J2K = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.90"
DICOM_PART = 'multipart/related; type="application/dicom"'


@pytest.mark.parametrize("version", served_segments())
def test_a_study_comes_back_as_stored_and_as_explicit_little_endian(
    service: LiveService, checked: Validated, version: str
) -> None:
    dicomweb = client(service, checked, version)
    instances = data.study(3, "MR_small_implicit.dcm", series_count=2)
    dicomweb.store_instances(instances)
    study = instances[0].StudyInstanceUID
    as_stored = dicomweb.retrieve_study(study, media_types=(("application/dicom", "*"),))
    assert sorted(ds.SOPInstanceUID for ds in as_stored) == sorted(ds.SOPInstanceUID for ds in instances)
    assert {ds.file_meta.TransferSyntaxUID for ds in as_stored} == {"1.2.840.10008.1.2"}
    default = dicomweb.retrieve_series(study, instances[0].SeriesInstanceUID)
    assert {ds.file_meta.TransferSyntaxUID for ds in default} == {EXPLICIT_LE}
    original = next(ds for ds in instances if ds.SOPInstanceUID == default[0].SOPInstanceUID)
    assert np.array_equal(default[0].pixel_array, original.pixel_array)
    one = dicomweb.retrieve_instance(  # dicomweb-client asks for transfer-syntax=* by default
        study,
        original.SeriesInstanceUID,
        original.SOPInstanceUID,
        media_types=(("application/dicom", EXPLICIT_LE),),
    )
    assert one.PatientName == original.PatientName and one.file_meta.TransferSyntaxUID == EXPLICIT_LE


def test_an_instance_is_transcoded_to_jpeg_2000_lossless(service: LiveService, checked: Validated) -> None:
    dicomweb = client(service, checked)
    ds = data.instance("CT_small.dcm")
    dicomweb.store_instances([ds])
    got = dicomweb.retrieve_instance(
        ds.StudyInstanceUID,
        ds.SeriesInstanceUID,
        ds.SOPInstanceUID,
        media_types=(("application/dicom", J2K),),
    )
    assert got.file_meta.TransferSyntaxUID == J2K
    assert np.array_equal(got.pixel_array, ds.pixel_array)


def test_the_stored_bytes_come_back_byte_for_byte(service: LiveService, checked: Validated) -> None:
    ds = data.instance("JPEG2000.dcm")
    body = data.part10(ds)
    session = checked.session()
    stored = session.post(
        f"{service.root}/v2/studies",
        data=body,
        headers={"Content-Type": "application/dicom", "Accept": "application/dicom+json"},
    )
    assert stored.status_code == 200
    series = f"{service.root}/v2/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
    url = f"{series}/instances/{ds.SOPInstanceUID}"
    got = session.get(url, headers={"Accept": "application/dicom; transfer-syntax=*"})
    assert got.content[128:] == body[128:] and got.content[:128] == bytes(128)  # the preamble is zeroed
    assert got.headers["content-type"].endswith("transfer-syntax=1.2.840.10008.1.2.4.91")


def test_metadata_gives_bulk_data_by_uri_and_an_etag_that_follows_changes(
    service: LiveService, checked: Validated
) -> None:
    dicomweb = client(service, checked)
    first = data.instance()
    dicomweb.store_instances([first])
    study = first.StudyInstanceUID
    metadata = dicomweb.retrieve_study_metadata(study)
    assert len(metadata) == 1 and set(metadata[0]["7FE00010"]) == {"vr", "BulkDataURI"}  # never the value
    assert metadata[0]["00100010"]["Value"] == [{"Alphabetic": str(first.PatientName)}]
    session = checked.session()
    url = f"{service.root}/v2/studies/{study}/metadata"
    etag = session.get(url, headers={"Accept": "application/dicom+json"}).headers["ETag"]
    cached = session.get(url, headers={"Accept": "application/dicom+json", "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    dicomweb.store_instances([data.instance(study=study, series=first.SeriesInstanceUID)])
    changed = session.get(url, headers={"Accept": "application/dicom+json", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and len(changed.json()) == 2


def test_frames_of_a_multi_frame_instance(service: LiveService, checked: Validated) -> None:
    dicomweb = client(service, checked)
    ds = data.instance("SC_rgb_rle_2frame.dcm")
    dicomweb.store_instances([ds])
    ids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    frames = dicomweb.retrieve_instance_frames(*ids, frame_numbers=[2, 1])  # dicomweb-client's default Accept
    expected = ds.pixel_array
    for got, index in zip(frames, [1, 0], strict=True):
        assert np.array_equal(np.frombuffer(got, np.uint8).reshape(expected[index].shape), expected[index])
    stored = dicomweb.retrieve_instance_frames(
        *ids, frame_numbers=[1], media_types=(("application/octet-stream", "*"),)
    )
    assert len(stored[0]) < len(frames[1])  # RLE as stored, smaller than the decoded frame
    session = checked.session()
    url = f"{service.root}/v2/studies/{ids[0]}/series/{ids[1]}/instances/{ids[2]}/frames/3"
    missing = session.get(url, headers={"Accept": 'multipart/related; type="application/octet-stream"'})
    assert missing.status_code == 404 and "2 frame" in missing.text
    zero = session.get(
        url.replace("/3", "/0"), headers={"Accept": 'multipart/related; type="application/octet-stream"'}
    )
    assert zero.status_code == 400


@pytest.mark.parametrize(("media_type", "format_name"), [("image/jpeg", "JPEG"), ("image/png", "PNG")])
def test_rendered_images_are_windowed_images_of_the_right_size(
    service: LiveService, checked: Validated, media_type: str, format_name: str
) -> None:
    dicomweb = client(service, checked)
    ds = data.instance("CT_small.dcm")
    dicomweb.store_instances([ds])
    ids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    image = Image.open(io.BytesIO(dicomweb.retrieve_instance_rendered(*ids, media_types=(media_type,))))
    assert image.format == format_name and image.size == (ds.Columns, ds.Rows)
    frame = Image.open(
        io.BytesIO(dicomweb.retrieve_instance_frames_rendered(*ids, [1], media_types=(media_type,)))
    )
    assert frame.size == image.size
    if media_type == "image/jpeg":
        low = checked.session().get(
            f"{service.root}/v2/studies/{ids[0]}/series/{ids[1]}/instances/{ids[2]}/rendered",
            params={"quality": 10},
            headers={"Accept": "image/jpeg"},
        )
        assert low.status_code == 200 and len(low.content) < len(
            dicomweb.retrieve_instance_rendered(*ids, media_types=(media_type,))
        )


def test_retrieving_what_is_not_there_is_404(service: LiveService, checked: Validated) -> None:
    session = checked.session()
    for path in ["studies/1.2.3", "studies/1.2.3/series/1.2.4", "studies/1.2.3/series/1.2.4/instances/1.2.5"]:
        answer = session.get(f"{service.root}/v2/{path}", headers={"Accept": DICOM_PART})
        assert answer.status_code == 404 and "1.2.3" in answer.text


def test_delete_removes_instance_series_and_study_and_is_404_after(
    service: LiveService, checked: Validated
) -> None:
    dicomweb = client(service, checked)
    instances = data.study(4, series_count=2, PatientID="DELETE")
    dicomweb.store_instances(instances)
    study = instances[0].StudyInstanceUID
    first, second = instances[0], instances[1]
    dicomweb.delete_instance(study, first.SeriesInstanceUID, first.SOPInstanceUID)
    assert len(dicomweb.search_for_instances(study)) == 3
    dicomweb.delete_series(study, second.SeriesInstanceUID)
    assert {i["0020000E"]["Value"][0] for i in dicomweb.search_for_instances(study)} == {
        first.SeriesInstanceUID
    }
    dicomweb.delete_study(study)
    assert dicomweb.search_for_studies(search_filters={"PatientID": "DELETE"}) == []
    gone = checked.session().delete(f"{service.root}/v2/studies/{study}")
    assert gone.status_code == 404
    with pytest.raises(requests.HTTPError):
        dicomweb.retrieve_study_metadata(study)


def test_partitions_keep_their_data_apart(service: LiveService, checked: Validated) -> None:
    north, south = client(service, checked, partition="north"), client(service, checked, partition="south")
    ds = data.instance(PatientID="PARTITIONED")
    north.store_instances([ds])
    assert [
        s["0020000D"]["Value"][0]
        for s in north.search_for_studies(search_filters={"PatientID": "PARTITIONED"})
    ] == [ds.StudyInstanceUID]
    assert south.search_for_studies(search_filters={"PatientID": "PARTITIONED"}) == []
    assert client(service, checked).search_for_studies(search_filters={"PatientID": "PARTITIONED"}) == []
    south.store_instances([ds])  # the same instance may live in another partition
    names = [p["partitionName"] for p in checked.session().get(f"{service.root}/v2/partitions").json()]
    assert names[0] == "Microsoft.Default" and {"north", "south"} <= set(names)
    bad = checked.session().get(
        f"{service.root}/v2/partitions/no%20spaces/studies", headers={"Accept": "application/dicom+json"}
    )
    assert bad.status_code == 400
    assert pydicom.uid.UID(ds.StudyInstanceUID).is_valid
