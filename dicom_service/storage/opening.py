"""Open the configured index and blob store; what cannot be opened is a SettingsError naming the setting."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from dicom_service.settings import Settings, SettingsError
from dicom_service.storage.blobs import BlobStore, FolderBlobStore
from dicom_service.storage.database import Database


def open_index(settings: Settings, now: str) -> Database:
    """The index database, migrated to the current schema."""
    try:
        return Database(settings.index_url, now, settings.index_timeout_seconds)
    except DBAPIError as exc:
        reason = _first_line(exc.orig) if exc.orig is not None else _first_line(exc)
        raise SettingsError(f"DICOM_INDEX_URL: cannot open {settings.shown_index_url()}: {reason}") from None
    except SQLAlchemyError as exc:
        raise SettingsError(
            f"DICOM_INDEX_URL: cannot open {settings.shown_index_url()}: {_first_line(exc)}"
        ) from None


def open_blobs(settings: Settings) -> BlobStore:
    if settings.azure_container is None:
        assert settings.blob_folder is not None
        try:
            return FolderBlobStore(settings.blob_folder)
        except OSError as exc:
            raise SettingsError(f"DICOM_BLOB_URL: cannot use {settings.blob_folder}: {exc}") from None
    assert settings.azure_connection_string is not None
    from dicom_service.storage import azure  # the SDK only where it is used: some 30 MB of a process

    try:
        client = azure.open_container(settings.azure_connection_string, settings.azure_container)
    except ValueError as exc:
        raise SettingsError(f"AZURE_STORAGE_CONNECTION_STRING: not usable ({_first_line(exc)})") from None
    except azure.AzureUnavailable as exc:
        raise SettingsError(f"DICOM_BLOB_URL: {exc}") from None
    return azure.AzureBlobStore(client)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
