"""Azure Blob Storage containers through the Azure SDK for Python: a client from a connection string and a
container name, or from a container URL (with its SAS token, if any)."""

from __future__ import annotations

from azure.storage.blob import ContainerClient

# Fail in seconds rather than minutes when the storage account cannot be reached.
RETRIES, CONNECT_SECONDS, READ_SECONDS = 2, 10, 60


def container(
    connection_string: str | None = None, name: str | None = None, url: str | None = None
) -> ContainerClient:
    """The container of `connection_string` + `name`, or at `url`; ValueError when they are malformed."""
    if url is not None:
        return ContainerClient.from_container_url(
            url, retry_total=RETRIES, connection_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS
        )
    if connection_string is None or name is None:
        raise ValueError("a container needs a connection string and a container name, or a container URL")
    return ContainerClient.from_connection_string(
        connection_string,
        name,
        retry_total=RETRIES,
        connection_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
    )
