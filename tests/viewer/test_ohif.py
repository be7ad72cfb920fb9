"""OHIF Viewer 3.13.2 against the service, cross-origin, in Debian's chromium: for each image kind, the study
list shows its modality and instance count, a double-click opens the viewer, the image renders (the viewport
canvas is not blank), with no console error and no failed request. One OHIF server, one service, one
browser and one page for the whole module (the list, a study, back to the list, the next study); the figures
(requests, time to first image) are printed per kind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import chromium
from tests.viewer.ohif import (
    CANVAS_SHARE,
    CHROMIUM_ARGS,
    NOT_BLANK,
    Setup,
    Visit,
    sign_in,
    viewer_and_service,
)
from tests.viewer.studies import KINDS, ImageKind

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_IMAGE_SECONDS = 120  # generous: measured up to 40 s on 2 cores shared by busy sessions
FIGURES: dict[str, str] = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("ohif"))


@pytest.fixture(scope="module")
def setup(folder: Path) -> Iterator[Setup]:
    path = chromium()
    with viewer_and_service(folder) as started:
        started.chromium = path  # type: ignore[attr-defined]
        yield started
    for line in FIGURES.values():
        print(line)


@pytest.fixture(scope="module")
def browser(setup: Setup) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=setup.chromium, args=CHROMIUM_ARGS)  # type: ignore[attr-defined]
        try:
            yield launched.new_context(viewport={"width": 1440, "height": 900})
        finally:
            launched.close()


@pytest.fixture(scope="module")
def visited(setup: Setup, browser: Any) -> Iterator[tuple[Any, Visit]]:
    """One page for every kind, as a radiologist goes from the list to a study and back: OHIF loads, compiles
    its code and starts its decoders once rather than once per kind."""
    page = browser.new_page()
    visit = Visit(setup.service.root)
    visit.watch(page)
    page.goto(f"{setup.viewer}/")  # OHIF sends the browser to the provider to sign in, then back
    sign_in(page)
    try:
        yield page, visit
    finally:
        page.close()


@pytest.mark.parametrize("kind", KINDS, ids=[k.key for k in KINDS])
def test_a_study_opens_from_the_list_and_its_image_renders(
    kind: ImageKind, setup: Setup, visited: tuple[Any, Visit], folder: Path
) -> None:
    page, visit = visited
    if "/viewer" in page.url:
        tour = page.locator(".shepherd-modal-is-visible")  # OHIF's first-visit tour of the viewer
        if tour.count():
            page.keyboard.press("Escape")
            tour.wait_for(state="detached", timeout=10_000)
        page.go_back()  # to the study list, as its browser's back button does
    visit.reset()
    patient = page.get_by_text(f"Viewer, {kind.key}", exact=True)
    patient.wait_for(timeout=60_000)
    row = page.locator("tr", has=patient)
    cells = [text.strip() for text in row.locator("td").all_inner_texts()]
    assert kind.modality in cells, cells  # the Modalities column (ModalitiesInStudy)
    assert cells[5] == "1", cells  # the Instances column (NumberOfStudyRelatedInstances)
    if kind.key == "CT":
        page.screenshot(path=str(folder / "study-list.png"))

    started = time.monotonic()
    patient.dblclick()
    page.wait_for_url("**/viewer?**", timeout=60_000)
    share = 0.0
    while share <= NOT_BLANK and time.monotonic() - started < FIRST_IMAGE_SECONDS:
        page.wait_for_timeout(100)
        share = page.evaluate(CANVAS_SHARE)
    first_image = time.monotonic() - started
    assert share > NOT_BLANK, f"the viewport stayed blank for {FIRST_IMAGE_SECONDS} s"
    visit.settle(page)  # every request the study made has been answered (or failed, and is counted)
    if kind.key == "CT":
        page.screenshot(path=str(folder / f"viewer-{kind.key}.png"))

    assert visit.errors == []
    assert visit.failed == []
    assert visit.unsigned == []  # every request to the service carried the signed-in user's token
    FIGURES[kind.key] = (
        f"{kind.key:9} {kind.description:55} requests to the service: {len(visit.answers):3}, "
        f"first image {first_image:5.2f} s after the double-click, {share:.0%} of the viewport lit"
    )
