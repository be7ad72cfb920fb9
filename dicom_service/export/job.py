"""Export: copy instances to an Azure Blob Storage container, as a long-running operation.

`check` turns the request's source and destination into an export spec or raises `ExportError` for the
client. The job writes each instance to `<operationId>/results/<study>/<series>/<sop>.dcm` and what could
not be exported as JSON lines (`timestamp`, `identifier`, `error`) to `<operationId>/errors.log`. Blobs are
overwritten, so a resumed run repeats the identifier it was on and continues.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from dicom_service.export import destination as places
from dicom_service.kernel import values
from dicom_service.operations import operation as ops
from dicom_service.operations.operation import Operation
from dicom_service.operations.worker import Outcome, Progress
from dicom_service.retrieve.repository import instances

# The Azure SDK (some 30 MB of a process) is imported on a first export, not at start-up.
if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

    from dicom_service.storage.service import DicomService

_CONTAINER_NAME = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")


class ExportError(ValueError):
    """An export request the service cannot run; the message is shown to the client (400)."""


def check(
    identifiers: list[str], settings: dict[str, Any], allowed: places.DestinationRules
) -> dict[str, Any]:
    """The export spec stored with the operation: identifiers split into UIDs, and the destination."""
    sources = []
    for identifier in identifiers:
        uids = identifier.split("/")
        if len(uids) > 3 or any(values.problem("UI", uid) or not uid for uid in uids):
            raise ExportError(f"The export source identifier '{identifier}' is invalid.")
        sources.append(uids)
    if settings.get("useManagedIdentity"):
        raise ExportError(
            "This service cannot use a managed identity; give a connection string or a SAS URL."
        )
    url, connection, name = (
        settings.get(k) for k in ("blobContainerUri", "connectionString", "blobContainerName")
    )
    if url is not None and (connection is not None or name is not None):
        raise ExportError(
            "Give either 'blobContainerUri' or 'connectionString' with 'blobContainerName', not both."
        )
    if url is None and (connection is None or name is None):
        raise ExportError(
            "The destination needs 'blobContainerUri', or 'connectionString' with 'blobContainerName'."
        )
    if name is not None and not _CONTAINER_NAME.fullmatch(name):
        raise ExportError(f"The blob container name '{name}' is invalid.")
    destination = {"url": url} if url is not None else {"connection_string": connection, "name": name}
    from dicom_service.storage import azure

    try:
        address = azure.container(**destination).url  # parsed only: nothing is sent
    except ValueError:
        raise ExportError("The destination's connection string or container URI is invalid.") from None
    try:
        allowed.check(address)
    except places.DestinationRefused as exc:
        raise ExportError(str(exc)) from None
    return {"sources": sources, places.SECRET: allowed.seal(destination)}


def run(service: DicomService, op: Operation, progress: Progress) -> Outcome:
    sources: list[list[str]] = op.spec["sources"]
    state = op.checkpoint or {"next": 0, "exported": 0, "skipped": 0, "errors": []}
    counts = {"exported": state["exported"], "skipped": state["skipped"]}
    from azure.core.exceptions import AzureError

    from dicom_service.storage import azure

    try:
        allowed = places.rules(service)
        destination = allowed.unseal(op.spec[places.SECRET])
        allowed.check(azure.container(**destination).url)  # the rules may have changed since the request
        # Blocks of 4 MiB: the SDK holds a file sent in one PUT (up to 64 MiB by default) whole.
        options: dict[str, Any] = {
            "max_single_put_size": azure.SINGLE_PUT,
            "max_block_size": azure.SINGLE_PUT,
        }
        with azure.container(**destination, **options) as client:
            log = _export(service, op, client, sources, state, progress)
    except places.DestinationRefused as exc:
        return Outcome(ops.FAILED, {**counts, "errors": [str(exc)]})
    except AzureError as exc:
        return Outcome(ops.FAILED, {**counts, "errors": [failure(exc)]})
    return Outcome(
        ops.SUCCEEDED, {"exported": state["exported"], "skipped": state["skipped"], "errorHref": log}
    )


def failure(exc: Exception) -> str:
    """What went wrong, in the caller's terms (never the SDK's class names or messages)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )

    if isinstance(exc, ClientAuthenticationError):
        return "The destination refused the credentials."
    if isinstance(exc, ResourceNotFoundError):
        return "The destination container does not exist."
    if isinstance(exc, HttpResponseError) and exc.status_code:
        return f"The destination answered HTTP {exc.status_code}."
    if isinstance(exc, ServiceRequestError):
        return "The destination could not be reached."
    return "The destination could not be written."


def _export(
    service: DicomService,
    op: Operation,
    client: ContainerClient,
    sources: list[list[str]],
    state: dict[str, Any],
    progress: Progress,
) -> str:
    """Export the sources from the checkpoint on, then write errors.log; returns its URL."""
    from dicom_service.storage.service import utc_now

    for number in range(state["next"], len(sources)):
        _export_source(service, op, client, sources[number], state, utc_now())
        state["next"] = number + 1
        progress(state["next"] * 100 // len(sources), state)
    lines = "".join(json.dumps(error) + "\n" for error in state["errors"])
    log = client.upload_blob(f"{op.id}/errors.log", lines.encode(), overwrite=True)
    return str(log.url.split("?")[0])  # without the SAS token


def _export_source(
    service: DicomService,
    op: Operation,
    client: ContainerClient,
    uids: list[str],
    state: dict[str, Any],
    now: str,
) -> None:
    identifier = "/".join(uids)
    rows = instances(service.index, op.partition, *uids, metadata=False)
    if not rows:
        state["skipped"] += 1
        state["errors"].append({"timestamp": now, "identifier": identifier, "error": "Not found."})
    for row in rows:
        name = f"{op.id}/results/{row.study_uid}/{row.series_uid}/{row.sop_uid}.dcm"
        try:
            # Streamed: the file goes up in blocks read one at a time, never held whole.
            client.upload_blob(name, service.blobs.stream(row.blob_key), length=row.size, overwrite=True)
        except OSError:
            state["skipped"] += 1
            error = {"timestamp": now, "identifier": f"{row.study_uid}/{row.series_uid}/{row.sop_uid}"}
            state["errors"].append({**error, "error": "The stored file could not be read."})
            continue
        state["exported"] += 1
