"""Azure Blob Storage through the Azure SDK for Python: the one place the service builds its Azure clients.

- `container(...)`: a container client from a connection string and a container name, or from a container
  URL (with its SAS token, if any); used by export and by the blob store.
- `open_container(connection_string, name)`: the same, created when missing and checked at once
  (start-up); `AzureUnavailable` says why it cannot be used, in one line.
- `AzureBlobStore`: instance files as block blobs, streamed both ways. An upload is committed as a whole
  (a single put, or a block list committed at the end), so a reader sees a whole blob or none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import ContainerClient, ExponentialRetry

from dicom_service.storage.blobs import BLOB_NAME, random_key

CONNECT_SECONDS, READ_SECONDS = 10, 60
# The SDK reads a file it sends in one PUT into memory whole (64 MiB by default); larger files go in 4 MiB
# blocks read one at a time. A store uploads up to 4 files at once: at most 16 MiB of them in memory.
SINGLE_PUT = 4 << 20
# A download streams in chunks of this size, one request each (a blob up to this size in one request).
# Against 1 MiB chunks, Azurite spent 0.98 instead of 2.31 s of CPU serving a 100 MiB blob, and each request
# is a round trip on the network; a stream still holds one chunk at a time.
DOWNLOAD_CHUNK = 4 << 20


class AzureUnavailable(Exception):
    """The account or container cannot be used; the message is one line."""


def _retry() -> ExponentialRetry:
    """Two retries, about 3 and 5 s apart: a destination that cannot be reached fails in seconds."""
    return ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=2, random_jitter_range=1)


def container(
    connection_string: str | None = None, name: str | None = None, url: str | None = None, **options: Any
) -> ContainerClient:
    """The container of `connection_string` + `name`, or at `url`; ValueError when they are malformed."""
    settings: dict[str, Any] = {
        "retry_policy": _retry(),
        "connection_timeout": CONNECT_SECONDS,
        "read_timeout": READ_SECONDS,
        **options,
    }
    if url is None and (connection_string is None or name is None):
        raise ValueError("a container needs a connection string and a container name, or a container URL")
    address = _client(connection_string, name, url, settings).url  # parsed, nothing sent
    return _client(connection_string, name, url, settings | _environment_once(address))


def _client(
    connection_string: str | None, name: str | None, url: str | None, settings: dict[str, Any]
) -> ContainerClient:
    if url is not None:
        return ContainerClient.from_container_url(url, **settings)
    return ContainerClient.from_connection_string(connection_string or "", name or "", **settings)


def _environment_once(url: str) -> dict[str, Any]:
    """The environment's proxy and CA bundle settings for `url`, read once. The SDK's default transport
    lets requests read them again on every request (every variable of the environment, and ~/.netrc):
    about 0.5 ms of each blob read or write."""
    verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    transport = RequestsTransport(
        use_env_settings=False,
        connection_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
        connection_verify=verify,
    )
    return {"transport": transport, "proxies": requests.utils.get_environ_proxies(url)}


def open_container(connection_string: str, name: str) -> ContainerClient:
    """The container `name` for instance files, created when missing; ValueError for a malformed
    connection string, AzureUnavailable when the account cannot be reached."""
    client = container(
        connection_string,
        name,
        max_chunk_get_size=DOWNLOAD_CHUNK,
        max_single_get_size=DOWNLOAD_CHUNK,
        max_single_put_size=SINGLE_PUT,
    )
    try:
        client.create_container(retry_total=0)  # at start-up: fail at once, with the reason
    except ResourceExistsError:
        pass
    except AzureError as exc:
        raise AzureUnavailable(f"cannot reach container {name!r} ({_first_line(exc)})") from None
    return client


class AzureBlobStore:
    """Instance files as block blobs named by their key; uploads and downloads are streamed."""

    # Each upload is a wait on the network: a request's files overlap up to this many (measured on
    # Azurite, 10 files: 4 at once took about 2/3 of the time of one after the other).
    concurrent_writes = 4

    def __init__(self, client: ContainerClient) -> None:
        self.client = client

    def new_key(self) -> str:
        return random_key()

    @staticmethod
    def _name(key: str) -> str:
        return f"{key[:2]}/{key}.dcm"

    def staging_path(self, key: str) -> Path | None:
        return None  # uploaded from the process's temporary folder

    def put_file(self, key: str, source: Path) -> int:
        size = source.stat().st_size
        with source.open("rb") as file:
            self.client.upload_blob(self._name(key), file, length=size, overwrite=False)
        source.unlink()
        return size

    def read(self, key: str) -> bytes:
        return self.client.download_blob(self._name(key)).readall()

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        return self.client.download_blob(self._name(key), offset=offset, length=length).readall()

    def stream(self, key: str) -> Iterator[bytes]:
        yield from self.client.download_blob(self._name(key)).chunks()

    def local_path(self, key: str) -> str | None:
        return None

    def delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self.client.delete_blob(self._name(key), delete_snapshots="include")

    def keys_older_than(self, moment: dt.datetime) -> Iterator[str]:
        for blob in self.client.list_blobs():
            found = BLOB_NAME.fullmatch(blob.name)
            if found and blob.last_modified < moment:
                yield found["key"]

    def remove_staged_older_than(self, moment: dt.datetime) -> int:
        return 0  # nothing is staged in the container


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
