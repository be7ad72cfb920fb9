"""Azure Blob Storage through the Azure SDK: the one place the service builds its Azure clients.

`service_client(connection_string)` opens the account, `container(service, name)` a container (created
when missing); `AzureBlobStore` keeps instance files in one. An upload is committed by the service as a
whole (a single put, or a block list committed at the end), so a reader sees a whole blob or none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ExponentialRetry

from dicom_service.dicom.storage.blobs import CHUNK, random_key

CONNECT_TIMEOUT = 10  # seconds


class AzureUnavailable(Exception):
    """The account or container cannot be used; the message is one line."""


def service_client(connection_string: str) -> BlobServiceClient:
    """A client of the account; raises AzureUnavailable for a malformed connection string."""
    try:
        return BlobServiceClient.from_connection_string(
            connection_string,
            connection_timeout=CONNECT_TIMEOUT,
            # a request is retried 3 times within about 10 s (the SDK's default waits up to a minute)
            retry_policy=ExponentialRetry(initial_backoff=1, increment_base=2, random_jitter_range=1),
            max_chunk_get_size=CHUNK,
            max_single_get_size=CHUNK,
        )
    except (ValueError, AzureError) as exc:
        raise AzureUnavailable(f"not a usable connection string ({_first_line(exc)})") from None


def container(service: BlobServiceClient, name: str) -> ContainerClient:
    """The container `name`, created when missing; raises AzureUnavailable when it cannot be reached."""
    client = service.get_container_client(name)
    try:
        client.create_container(retry_total=0)  # at start-up: fail at once, with the reason
    except ResourceExistsError:
        pass
    except AzureError as exc:
        raise AzureUnavailable(f"cannot reach container {name!r} ({_first_line(exc)})") from None
    return client


class AzureBlobStore:
    """Instance files as block blobs named by their key; uploads and downloads are streamed."""

    def __init__(self, client: ContainerClient) -> None:
        self.client = client

    def new_key(self) -> str:
        return random_key()

    @staticmethod
    def _name(key: str) -> str:
        return f"{key[:2]}/{key}.dcm"

    def put_file(self, key: str, source: Path) -> int:
        size = source.stat().st_size
        with source.open("rb") as file:
            self.client.upload_blob(self._name(key), file, length=size, overwrite=False)
        source.unlink()
        return size

    def read(self, key: str) -> bytes:
        return self.client.download_blob(self._name(key)).readall()

    def stream(self, key: str) -> Iterator[bytes]:
        yield from self.client.download_blob(self._name(key)).chunks()

    def delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self.client.delete_blob(self._name(key), delete_snapshots="include")

    def keys(self) -> Iterator[str]:
        """Every stored key (for checks and clean-up tools)."""
        for name in self.client.list_blob_names():
            yield name.rsplit("/", 1)[-1].removesuffix(".dcm")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
