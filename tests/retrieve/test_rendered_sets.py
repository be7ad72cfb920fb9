"""Rendered studies and series (PS3.18 §9.5): one rendered image per instance with pixel data, in display
order, as multipart/related; the image type chosen by Accept, a type that cannot be rendered answered 406."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dicom_service.web import multipart
from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}
PNG = {"Accept": 'multipart/related; type="image/png"'}


@pytest.fixture(scope="module")
def stored(service: LiveService) -> dict[str, str]:
    """A study of two series: a CT (128×128, SeriesNumber 2) and two MR (64×64, SeriesNumber 1)."""
    ct = data.instance("CT_small.dcm", PatientID="RENDERED", SeriesNumber=2, InstanceNumber=1)
    mr = [
        data.instance(
            "MR_small.dcm", study=ct.StudyInstanceUID, PatientID="RENDERED", SeriesNumber=1, InstanceNumber=n
        )
        for n in (2, 1)
    ]
    mr[1].SeriesInstanceUID = mr[0].SeriesInstanceUID
    for ds in (ct, *mr):
        answer = service.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert answer.status_code == 200
    study = f"studies/{ct.StudyInstanceUID}"
    return {
        "study": study,
        "mr_series": f"{study}/series/{mr[0].SeriesInstanceUID}",
        "mr_first": f"{study}/series/{mr[1].SeriesInstanceUID}/instances/{mr[1].SOPInstanceUID}",
        "mr_second": f"{study}/series/{mr[0].SeriesInstanceUID}/instances/{mr[0].SOPInstanceUID}",
        "ct": f"{study}/series/{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}",
    }


def images(answer: object, part_type: str) -> list[Image.Image]:
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    content_type = answer.headers["content-type"]  # type: ignore[attr-defined]
    assert content_type.startswith(f'multipart/related; type="{part_type}"')
    parts = multipart.parse(content_type, answer.content)  # type: ignore[attr-defined]
    assert all(part.content_type == part_type for part in parts)
    return [Image.open(io.BytesIO(part.body)) for part in parts]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_study_is_one_image_per_instance_in_display_order(
    service: LiveService, stored: dict[str, str], checked: Validated, version: str
) -> None:
    session = checked.session()
    root = f"{service.root}/{version}"
    rendered = images(session.get(f"{root}/{stored['study']}/rendered", headers=PNG), "image/png")
    assert [image.size for image in rendered] == [(64, 64), (64, 64), (128, 128)]  # MR 1, MR 2, then CT
    for image, instance in zip(rendered, ("mr_first", "mr_second", "ct"), strict=True):
        alone = session.get(f"{root}/{stored[instance]}/rendered", headers={"Accept": "image/png"})
        np.testing.assert_array_equal(np.asarray(image), np.asarray(Image.open(io.BytesIO(alone.content))))


def test_a_series_with_viewport_and_default_jpeg(
    service: LiveService, stored: dict[str, str], checked: Validated
) -> None:
    session = checked.session()
    series = f"{service.root}/v2/{stored['mr_series']}/rendered"
    rendered = images(session.get(series, params={"viewport": "32,32"}), "image/jpeg")
    assert [(image.format, image.size) for image in rendered] == [("JPEG", (32, 32))] * 2
    windowed = images(session.get(series, params={"window": "0,1,linear"}, headers=PNG), "image/png")
    assert all(set(np.unique(np.asarray(image))) <= {0, 255} for image in windowed)


def test_an_accept_that_cannot_be_rendered_is_406_naming_the_offers(
    service: LiveService, stored: dict[str, str], checked: Validated
) -> None:
    accept = {"Accept": 'multipart/related; type="image/gif"'}
    answer = checked.session().get(f"{service.root}/v2/{stored['study']}/rendered", headers=accept)
    assert answer.status_code == 406 and "image/jpeg" in answer.text and "image/png" in answer.text


def test_bad_parameters_and_unknown_studies(
    service: LiveService, stored: dict[str, str], checked: Validated
) -> None:
    session = checked.session()
    too_big = session.get(f"{service.root}/v2/{stored['study']}/rendered", params={"viewport": "5000,10"})
    assert too_big.status_code == 400 and "larger than 4096,4096" in too_big.text
    missing = session.get(f"{service.root}/v2/studies/1.2.3.4/rendered")
    assert missing.status_code == 404 and "1.2.3.4" in missing.text
