"""Storage settings read at start-up: defaults, the engines they select, and one clear line per mistake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dicom_service.limits import Limits
from dicom_service.settings import SettingsError, from_environment

AZURE = {
    "DICOM_BLOB_URL": "azure://dicom-files",
    "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
}


def test_the_defaults_are_sqlite_and_a_folder_under_the_data_folder() -> None:
    settings = from_environment({"DATA_DIR": "/srv/dicom"})
    assert settings.index_engine == "sqlite"
    assert settings.index_url.database == "/srv/dicom/index.sqlite"
    assert settings.blob_folder == Path("/srv/dicom/blobs") and settings.azure_container is None
    assert settings.workers == min(len(os.sched_getaffinity(0)), 8)  # one process per core
    assert settings.operation_lease_seconds == 30
    assert settings.limits == Limits.defaults()


def test_a_wrong_limit_stops_start_up_with_one_line_naming_it() -> None:
    with pytest.raises(SettingsError) as bad:
        from_environment({"DICOM_MAX_INSTANCE_BYTES": "2GB"})
    assert str(bad.value) == (
        "DICOM_MAX_INSTANCE_BYTES: '2GB' is not a whole number of bytes from 1,024 to 1,099,511,627,776"
    )


def test_the_operation_lease_is_read_in_seconds() -> None:
    assert from_environment({"DICOM_OPERATION_LEASE_SECONDS": "2.5"}).operation_lease_seconds == 2.5


def test_postgresql_and_azure_are_selected_by_their_urls() -> None:
    settings = from_environment(
        {"DICOM_INDEX_URL": "postgresql://dicom:secret@db:5432/dicom", "WORKERS": "4", **AZURE}
    )
    assert settings.index_engine == "postgresql"
    assert settings.index_url.drivername == "postgresql+psycopg"
    assert settings.shown_index_url() == "postgresql://dicom:***@db:5432/dicom"
    assert settings.azure_container == "dicom-files" and settings.blob_folder is None
    assert settings.workers == 4


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"DICOM_INDEX_URL": "mysql://db/dicom"}, "DICOM_INDEX_URL"),
        ({"DICOM_INDEX_URL": "not a url"}, "DICOM_INDEX_URL"),
        ({"DICOM_INDEX_URL": "sqlite://"}, "DICOM_INDEX_URL"),
        ({"DICOM_BLOB_URL": "s3://bucket"}, "DICOM_BLOB_URL"),
        ({**AZURE, "DICOM_BLOB_URL": "azure://Bad_Name"}, "DICOM_BLOB_URL"),
        ({"DICOM_BLOB_URL": "azure://dicom-files"}, "AZURE_STORAGE_CONNECTION_STRING"),
        ({"WORKERS": "0"}, "WORKERS"),
        ({"WORKERS": "two"}, "WORKERS"),
        ({"DICOM_OPERATION_LEASE_SECONDS": "0"}, "DICOM_OPERATION_LEASE_SECONDS"),
        ({"DICOM_OPERATION_LEASE_SECONDS": "soon"}, "DICOM_OPERATION_LEASE_SECONDS"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(environment: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment(environment)
    message = str(raised.value)
    assert message.startswith(f"{named}: ") and "\n" not in message


def test_a_password_never_appears_in_a_message() -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment({"DICOM_INDEX_URL": "mysql://dicom:secret@db/dicom"})
    assert "secret" not in str(raised.value)
