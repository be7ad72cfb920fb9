"""What viewers ask of rendered images (PS3.18): thumbnails of a study, a series and an instance, `viewport`
fitting the image, `window` replacing the instance's own; limits answered 400 naming the fault."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.service import data
from tests.service.live import LiveService, Validated

STORE = {"Content-Type": "application/dicom", "Accept": "application/dicom+json"}


@pytest.fixture(scope="module")
def stored(service: LiveService) -> dict[str, str]:
    """A study of two series: a CT (128×128, SeriesNumber 2) and an MR (64×64, SeriesNumber 1)."""
    ct = data.instance("CT_small.dcm", PatientID="THUMBS", SeriesNumber=2, InstanceNumber=1)
    mr = [
        data.instance(
            "MR_small.dcm", study=ct.StudyInstanceUID, PatientID="THUMBS", SeriesNumber=1, InstanceNumber=n
        )
        for n in (2, 1)
    ]
    mr[1].SeriesInstanceUID = mr[0].SeriesInstanceUID
    for ds in (ct, *mr):
        answer = service.session().post(f"{service.root}/v2/studies", data=data.part10(ds), headers=STORE)
        assert answer.status_code == 200
    return {
        "study": f"{service.root}/v2/studies/{ct.StudyInstanceUID}",
        "ct_series": f"{service.root}/v2/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}",
        "ct": f"{service.root}/v2/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}"
        f"/instances/{ct.SOPInstanceUID}",
        "mr_first": f"{service.root}/v2/studies/{ct.StudyInstanceUID}/series/{mr[1].SeriesInstanceUID}"
        f"/instances/{mr[1].SOPInstanceUID}",
    }


def image(answer: object) -> Image.Image:
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    return Image.open(io.BytesIO(answer.content))  # type: ignore[attr-defined]


def test_thumbnails_of_a_study_a_series_and_an_instance(stored: dict[str, str], checked: Validated) -> None:
    session = checked.session()
    png = {"Accept": "image/png"}
    study = image(session.get(f"{stored['study']}/thumbnail", headers=png))
    # The study's representative: series 1 (the MR), instance 1.
    viewport = {"viewport": "128,128"}
    first_mr = image(session.get(f"{stored['mr_first']}/rendered", params=viewport, headers=png))
    assert study.size == (128, 128)
    np.testing.assert_array_equal(np.asarray(study), np.asarray(first_mr))
    series = image(session.get(f"{stored['ct_series']}/thumbnail", params={"viewport": "64,32"}, headers=png))
    assert series.size == (32, 32)  # 128×128 fitted into 64×32
    instance = session.get(f"{stored['ct']}/thumbnail")
    assert image(instance).format == "JPEG" and image(instance).size == (128, 128)


def test_viewport_fits_the_rendered_image(stored: dict[str, str], checked: Validated) -> None:
    session = checked.session()
    assert image(session.get(f"{stored['ct']}/rendered")).size == (128, 128)
    assert image(session.get(f"{stored['ct']}/rendered", params={"viewport": "256,100"})).size == (100, 100)
    frame = session.get(f"{stored['ct']}/frames/1/rendered", params={"viewport": "512,512"})
    assert image(frame).size == (512, 512)


def test_window_replaces_the_instances_own(stored: dict[str, str], checked: Validated) -> None:
    session = checked.session()
    png = {"Accept": "image/png"}
    own = np.asarray(image(session.get(f"{stored['ct']}/rendered", headers=png)))
    narrow = session.get(f"{stored['ct']}/rendered", params={"window": "0,1,linear"}, headers=png)
    binary = np.asarray(image(narrow))
    assert set(np.unique(binary)) <= {0, 255} and not np.array_equal(own, binary)
    sigmoid = session.get(f"{stored['ct']}/rendered", params={"window": "40,400,sigmoid"}, headers=png)
    assert not np.array_equal(np.asarray(image(sigmoid)), own)


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"viewport": "5000,10"}, "larger than 4096,4096"),
        ({"window": "40,0,linear"}, "width of 0"),
    ],
)
def test_out_of_range_is_400_naming_it(
    stored: dict[str, str], checked: Validated, params: dict[str, str], said: str
) -> None:
    answer = checked.session().get(f"{stored['ct']}/rendered", params=params)
    assert answer.status_code == 400 and said in answer.text


def test_a_thumbnail_of_nothing_is_404(service: LiveService, checked: Validated) -> None:
    answer = checked.session().get(f"{service.root}/v2/studies/1.2.3.4/thumbnail")
    assert answer.status_code == 404


def test_the_accept_query_parameter_wins_over_the_header(stored: dict[str, str], checked: Validated) -> None:
    """As OHIF asks for thumbnails: a frame-style Accept header, the image type in `?accept=`."""
    frames = {"Accept": 'multipart/related; type="application/octet-stream"'}
    answer = checked.session().get(f"{stored['ct_series']}/thumbnail?accept=image%2Fpng", headers=frames)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert checked.session().get(f"{stored['ct_series']}/thumbnail", headers=frames).status_code == 406
