"""Handler of startExport: Export instances

Handles POST on:
    /export
    /partitions/{partitionName}/export
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.export import destination as places
from dicom_service.export import job as export
from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.operations.http import started
from dicom_service.storage.service import utc_now
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext
from dicom_service.web.json_body import BodyError, array, expect, member, read_json

SETTINGS = ("blobContainerUri", "connectionString", "blobContainerName")


async def handle(ctx: OperationContext) -> Response:
    try:
        body = expect(await read_json(ctx.request), dict, "")
        source = member(body, "source", dict, "")
        member(source, "type", str, "/source", choices=("identifiers",))
        listed = member(member(source, "settings", dict, "/source"), "values", list, "/source/settings")
        identifiers = array(listed, "/source/settings/values", min_items=1)
        for number, identifier in enumerate(identifiers):
            expect(identifier, str, f"/source/settings/values/{number}")
        destination = member(body, "destination", dict, "")
        member(destination, "type", str, "/destination", choices=("azureBlob",))
        settings = member(destination, "settings", dict, "/destination")
        for name in SETTINGS:
            member(settings, name, str, "/destination/settings", required=False)
        member(settings, "useManagedIdentity", bool, "/destination/settings", required=False)
        spec = export.check(identifiers, settings, places.rules(ctx.dicom))
    except (BodyError, export.ExportError) as exc:
        return error(400, str(exc))
    op_id = await run_in_threadpool(
        records.start, ctx.dicom.index, ops.EXPORT, ctx.partition, spec, [], utc_now(), False
    )
    return started(ctx, op_id)
