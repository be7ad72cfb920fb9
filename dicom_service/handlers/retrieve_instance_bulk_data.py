"""Handler of retrieveInstanceBulkData: Retrieve bulk data

Handles GET on:
    /studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/bulkdata/{tagPath}
    /partitions/{partitionName}/studies/{studyInstanceUid}/series/{seriesInstanceUid}/instances/{sopInstanceUid}/bulkdata/{tagPath}
"""

from starlette.responses import Response

from dicom_service.retrieve.bulk_data import retrieve
from dicom_service.retrieve.metadata import not_found, stored_instances
from dicom_service.web.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    p = ctx.params
    study, series, sop = p["studyInstanceUid"], p["seriesInstanceUid"], p["sopInstanceUid"]
    rows = await stored_instances(
        ctx, study, series, sop, metadata=False, frame_index=True, bulk_positions=True
    )
    if not rows:
        return not_found(study, series, sop)
    return await retrieve(ctx, rows[0], p["tagPath"])
