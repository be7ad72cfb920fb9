"""The change feed over HTTP; how it pages is a version difference (changefeed-time-window)."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.changefeed import feed as changefeed
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext


def _json(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


async def feed(ctx: OperationContext) -> Response:
    p, index = ctx.params, ctx.dicom.index
    if ctx.behaviour.changefeed_time_window:
        try:
            entries = await run_in_threadpool(
                changefeed.by_time,
                index,
                p.get("startTime"),
                p.get("endTime"),
                p["offset"],
                p["limit"],
                p["includeMetadata"],
            )
        except changefeed.WindowError as exc:
            return error(400, str(exc))
    else:
        entries = await run_in_threadpool(
            changefeed.by_sequence, index, p["offset"], p["limit"], p["includeMetadata"]
        )
    return _json(entries)


async def latest(ctx: OperationContext) -> Response:
    found = await run_in_threadpool(changefeed.latest, ctx.dicom.index, ctx.params["includeMetadata"])
    if found is None:
        return Response(status_code=204)
    return _json(found)
