"""Handler of retrieveStudyMetadata: Retrieve study metadata

Handles GET on:
    /studies/{studyInstanceUid}/metadata
    /partitions/{partitionName}/studies/{studyInstanceUid}/metadata

Written once by `make generate`; this file is yours and is never overwritten. Until you implement it,
it answers from the examples in the spec (the mock service). `ctx` carries the request, the resolved
API version, the checked parameters and the negotiated response format.
"""

from starlette.responses import Response

from dicom_service.context import OperationContext


async def handle(ctx: OperationContext) -> Response:
    return await ctx.answer_from_examples()
