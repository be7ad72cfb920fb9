"""The application refuses to start when the handler modules do not match the generated route table."""

from __future__ import annotations

import re

import pytest

from dicom_service import app as application
from dicom_service.web import binding


def test_a_missing_and_an_orphaned_handler_are_named() -> None:
    assert binding.missing(["search_studies", "start_export"], ["search_studies"]) == [
        "missing handler: dicom_service/handlers/start_export.py does not exist; "
        "run `make generate` to create it"
    ]
    assert binding.orphaned(["search_studies"], ["search_studies", "old_search"]) == [
        "orphaned handler: dicom_service/handlers/old_search.py handles no operation of any spec; "
        "delete it, or restore the operation"
    ]


def test_the_application_does_not_start_with_an_orphaned_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    present = application.present_handlers()
    monkeypatch.setattr(application, "present_handlers", lambda: [*present, "old_search"])
    with pytest.raises(
        application.HandlerError, match=re.escape("orphaned handler: dicom_service/handlers/old_search.py")
    ):
        application.create_app()


def test_the_application_does_not_start_with_a_missing_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    present = [name for name in application.present_handlers() if name != "search_studies"]
    monkeypatch.setattr(application, "present_handlers", lambda: present)
    with pytest.raises(
        application.HandlerError, match=re.escape("missing handler: dicom_service/handlers/search_studies.py")
    ):
        application.create_app()


def test_the_real_handlers_match_the_route_table() -> None:
    from dicom_service.generated import manifest

    assert sorted(application.present_handlers()) == sorted(manifest.HANDLERS)
