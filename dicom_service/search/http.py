"""QIDO-RS over HTTP: parse the query string, search the index, answer DICOM JSON (204 when nothing)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.kernel import tags
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.kernel.tags import Level
from dicom_service.query_tags import repository as query_tags
from dicom_service.search import query, results
from dicom_service.search.query import QueryError, Resource
from dicom_service.web.answers import dicom_json, error
from dicom_service.web.context import OperationContext

RETRIEVE_URL = tags.tag_of("RetrieveURL")


async def search(ctx: OperationContext, resource: Resource) -> Response:
    extended = {tag.path: tag for tag in await run_in_threadpool(query_tags.list_tags, ctx.dicom.index)}
    try:
        parsed = query.parse(
            resource,
            ctx.partition,
            ctx.request.query_params.multi_items(),
            limit=ctx.params["limit"],
            offset=ctx.params["offset"],
            fuzzy=ctx.params.get("fuzzymatching", False),
            study_uid=ctx.params.get("studyInstanceUid"),
            series_uid=ctx.params.get("seriesInstanceUid"),
            extended=extended,
            control=ctx.contract.control_keys,
        )
    except QueryError as exc:
        return error(400, str(exc))
    found = await run_in_threadpool(results.search, ctx.dicom.index, parsed, ctx.behaviour)
    # Extended query tags searched on although some instances could not be indexed for them.
    erroneous = [
        extended[f.tag].name for f in parsed.filters if f.tag in extended and extended[f.tag].error_count
    ]
    headers = {"erroneous-dicom-attributes": ",".join(erroneous)} if erroneous else None
    if not found:
        return Response(status_code=204, headers=headers)
    return dicom_json([_with_retrieve_url(ctx, result, resource.level) for result in found], headers=headers)


def _with_retrieve_url(ctx: OperationContext, result: JsonDataset, level: Level) -> JsonDataset:
    """A study or series result's RetrieveURL (0008,1190), as PS3.18 Tables 10.6.3-3 and -4 require."""
    if level is Level.INSTANCE:
        return result
    segments = ["studies", _uid(result, tags.STUDY_INSTANCE_UID)]
    if level is Level.SERIES:
        segments += ["series", _uid(result, tags.SERIES_INSTANCE_UID)]
    result[RETRIEVE_URL] = {"vr": "UR", "Value": [ctx.url(*segments)]}
    return dict(sorted(result.items()))


def _uid(result: JsonDataset, tag: str) -> str:
    return str(result[tag]["Value"][0])
