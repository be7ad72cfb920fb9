"""Handler of bulkUpdateStudies: Update attributes of studies

Handles POST on:
    /studies/$bulkUpdate
    /partitions/{partitionName}/studies/$bulkUpdate
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.bulk_update import rewrite as bulk_update
from dicom_service.kernel import values
from dicom_service.operations import operation as ops
from dicom_service.operations import repository as records
from dicom_service.operations.http import started
from dicom_service.storage.service import utc_now
from dicom_service.web.answers import dicom_json, error
from dicom_service.web.context import OperationContext
from dicom_service.web.json_body import BodyError, array, expect, member, read_json

FAILED_ATTRIBUTES, ERROR_COMMENT = "00741048", "00000902"


async def handle(ctx: OperationContext) -> Response:
    if not ctx.behaviour.bulk_update:
        return Response(status_code=404)
    try:
        body = expect(await read_json(ctx.request), dict, "")
        studies = array(
            member(body, "studyInstanceUids", list, ""), "/studyInstanceUids", 1, bulk_update.MAX_STUDIES
        )
        for number, uid in enumerate(studies):
            if values.problem("UI", expect(uid, str, f"/studyInstanceUids/{number}")):
                raise BodyError(f"The request body is invalid at /studyInstanceUids/{number}: not a UID.")
        changes = member(body, "changeDataset", dict, "")
        if not changes:
            raise BodyError("The request body is invalid at /changeDataset: no attribute to change.")
    except BodyError as exc:
        return error(400, str(exc))
    refused = bulk_update.problems(changes)
    if refused:
        comments = [{ERROR_COMMENT: {"vr": "LO", "Value": [comment]}} for comment in refused]
        return dicom_json({FAILED_ATTRIBUTES: {"vr": "SQ", "Value": comments}}, 400)
    spec = {"studies": list(dict.fromkeys(studies)), "changes": changes, "major": ctx.version.number.major}
    try:
        op_id = await run_in_threadpool(
            records.start, ctx.dicom.index, ops.UPDATE, ctx.partition, spec, [], utc_now(), True
        )
    except records.ActiveOperation as exc:
        return error(409, f"There is already an active update operation with ID '{exc.args[0]}'.")
    return started(ctx, op_id)
