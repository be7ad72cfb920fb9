"""UPS-RS over HTTP: read and check the DICOM JSON body, run the worklist transaction, answer.

Every refusal is the documented plain-text answer; a standard warning travels as `Warning: 299 <host>: "..."`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dicom_service.kernel.json_reader import DatasetError, datasets
from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.search.query import QueryError
from dicom_service.storage.service import utc_now
from dicom_service.web.answers import dicom_json, error
from dicom_service.web.body import read as read_body
from dicom_service.web.context import OperationContext
from dicom_service.worklist import query as worklist_query
from dicom_service.worklist import workitem as worklist
from dicom_service.worklist.repository import DuplicateWorkitem, WorkitemNotFound, WorklistStore
from dicom_service.worklist.workitem import Refusal, StateChange, Workitem, WorkitemError

WORKITEM = "workitemInstanceUid"
T = TypeVar("T")


async def create(ctx: OperationContext) -> Response:
    try:
        dataset = await _first_dataset(ctx)
        item = worklist.create(dataset, _first_query_key(ctx), dt.datetime.now(dt.UTC))
        await run_in_threadpool(_store(ctx).add, ctx.partition, item, utc_now())
    except DatasetError as exc:
        return error(400, str(exc))
    except WorkitemError as exc:
        return _refused(ctx, exc)
    except DuplicateWorkitem:
        return error(409, f"The workitem instance '{item.uid}' already exists.")
    url = ctx.url("workitems", item.uid)
    return Response(status_code=201, headers={"Location": url, "Content-Location": url})


async def retrieve(ctx: OperationContext) -> Response:
    uid = ctx.params[WORKITEM]
    try:
        worklist.check_uid(uid)
    except WorkitemError as exc:
        return _refused(ctx, exc)
    item = await run_in_threadpool(_store(ctx).get, ctx.partition, uid)
    if item is None:
        return _not_found(uid)
    return dicom_json(worklist.readable(item))


async def update(ctx: OperationContext) -> Response:
    transaction_uid = _first_query_key(ctx)

    def decide(item: Workitem, changes: JsonDataset) -> tuple[Workitem, None]:
        return worklist.update(item, changes, transaction_uid, dt.datetime.now(dt.UTC)), None

    refused = await _change(ctx, decide)
    if isinstance(refused, Response):
        return refused
    return Response(status_code=200, headers={"Content-Location": ctx.url("workitems", ctx.params[WORKITEM])})


async def change_state(ctx: OperationContext) -> Response:
    def decide(item: Workitem, request: JsonDataset) -> tuple[Workitem | None, StateChange]:
        outcome = worklist.change_state(item, request, dt.datetime.now(dt.UTC))
        return outcome.workitem, outcome

    outcome = await _change(ctx, decide)
    if isinstance(outcome, Response):
        return outcome
    headers = {"Warning": _warning(ctx, outcome.warning)} if outcome.warning else None
    return Response(status_code=200, headers=headers)


async def request_cancellation(ctx: OperationContext) -> Response:
    def decide(item: Workitem, information: JsonDataset) -> tuple[Workitem, None]:
        return worklist.request_cancellation(item, information, dt.datetime.now(dt.UTC)), None

    refused = await _change(ctx, decide)
    if isinstance(refused, Response):
        return refused
    return Response(status_code=202)


async def _change(
    ctx: OperationContext, decide: Callable[[Workitem, JsonDataset], tuple[Workitem | None, T]]
) -> T | Response:
    """Read the body, then apply `decide` to the stored workitem under the write lock; a refusal is the
    documented answer (400 bad UID or body, 404 unknown, the workitem rule's own status)."""
    uid = ctx.params[WORKITEM]
    try:
        worklist.check_uid(uid)
        body = await _first_dataset(ctx)
        return await run_in_threadpool(
            _store(ctx).change, ctx.partition, uid, lambda item: decide(item, body), utc_now()
        )
    except DatasetError as exc:
        return error(400, str(exc))
    except WorkitemNotFound:
        return _not_found(uid)
    except WorkitemError as exc:
        return _refused(ctx, exc)


async def search(ctx: OperationContext) -> Response:
    try:
        query = worklist_query.parse(
            ctx.partition,
            ctx.request.query_params.multi_items(),
            limit=ctx.params["limit"],
            offset=ctx.params["offset"],
            fuzzy=ctx.params.get("fuzzymatching", False),
            control=ctx.contract.control_keys,
        )
    except QueryError as exc:
        return error(400, str(exc))
    found = await run_in_threadpool(_store(ctx).search, query)
    if not found:
        return Response(status_code=204)
    return dicom_json([query.returned(worklist.readable(item)) for item in found])


def _store(ctx: OperationContext) -> WorklistStore:
    return WorklistStore(ctx.dicom.index)


async def _first_dataset(ctx: OperationContext) -> JsonDataset:
    """The first data set of the DICOM JSON array body (every data set is checked); raises DatasetError."""
    raw = await read_body(ctx.request, "json_bytes")  # 413 past DICOM_MAX_JSON_BYTES
    return datasets(raw)[0]


def _first_query_key(ctx: OperationContext) -> str | None:
    """A UID sent as the name of the first query parameter (`?1.2.3`), as UPS-RS does."""
    items = ctx.request.query_params.multi_items()
    return items[0][0] or None if items else None


def _not_found(uid: str) -> Response:
    return error(404, f"The workitem instance '{uid}' is not found.")


_STATUS = {Refusal.INVALID: 400, Refusal.CONFLICT: 409}


def _refused(ctx: OperationContext, exc: WorkitemError) -> Response:
    headers = {"Warning": _warning(ctx, exc.warning)} if exc.warning else None
    return error(_STATUS[exc.refusal], str(exc), headers)


def _warning(ctx: OperationContext, message: str) -> str:
    return f'299 {ctx.request.url.netloc}: "{message}"'
