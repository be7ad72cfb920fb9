"""Azure Blob Storage containers through the Azure SDK for Python: a client from a connection string and a
container name, or from a container URL (with its SAS token, if any)."""

from __future__ import annotations

from azure.storage.blob import ContainerClient, ExponentialRetry

CONNECT_SECONDS, READ_SECONDS = 10, 60


def _retry() -> ExponentialRetry:
    """Two retries, about 3 and 5 s apart: a destination that cannot be reached fails in seconds."""
    return ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=2, random_jitter_range=1)


def container(
    connection_string: str | None = None, name: str | None = None, url: str | None = None
) -> ContainerClient:
    """The container of `connection_string` + `name`, or at `url`; ValueError when they are malformed."""
    if url is not None:
        return ContainerClient.from_container_url(
            url, retry_policy=_retry(), connection_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS
        )
    if connection_string is None or name is None:
        raise ValueError("a container needs a connection string and a container name, or a container URL")
    return ContainerClient.from_connection_string(
        connection_string,
        name,
        retry_policy=_retry(),
        connection_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
    )
