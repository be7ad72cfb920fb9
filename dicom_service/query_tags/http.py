"""Extended query tags over HTTP: the tag documents, the tag named by the URL, and the add request's shape."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from dicom_service.operations import operation as ops
from dicom_service.query_tags import repository as store
from dicom_service.query_tags.rules import SUPPORTED_VRS, StoredTag, TagError, parse_path
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext
from dicom_service.web.json_body import array, expect, member

LEVELS = ("study", "series", "instance")
QUERY_STATUSES = ("enabled", "disabled")


def document(ctx: OperationContext, tag: StoredTag) -> dict[str, Any]:
    body: dict[str, Any] = {"path": tag.path, "vr": tag.vr}
    if tag.private_creator is not None:
        body["privateCreator"] = tag.private_creator
    body |= {"level": tag.level.value, "status": tag.status, "queryStatus": tag.query_status}
    if tag.error_count:
        body["errors"] = {"count": tag.error_count, "href": ctx.url("extendedquerytags", tag.path, "errors")}
    if tag.operation_id is not None:
        body["operation"] = ops.reference(tag.operation_id, ctx.url)
    return body


def answer(ctx: OperationContext, tag: StoredTag) -> Response:
    return JSONResponse(document(ctx, tag))


async def named_tag(ctx: OperationContext) -> StoredTag | Response:
    """The tag of the URL's `tagPath`, or the 400 / 404 answer."""
    text = ctx.params["tagPath"]
    try:
        path = parse_path(text)
    except TagError as exc:
        return error(400, str(exc))
    tag = await run_in_threadpool(store.get_tag, ctx.dicom.index, path)
    if tag is None:
        return error(404, f"The specified extended query tag with tag path {text} cannot be found.")
    return tag


def check_add_body(body: Any) -> list[dict[str, Any]]:
    entries = array(body, "", min_items=1)
    for number, entry in enumerate(entries):
        pointer = f"/{number}"
        expect(entry, dict, pointer)
        member(entry, "path", str, pointer)
        member(entry, "vr", str, pointer, required=False, choices=SUPPORTED_VRS)
        member(entry, "privateCreator", str, pointer, required=False)
        member(entry, "level", str, pointer, choices=LEVELS)
    return entries
