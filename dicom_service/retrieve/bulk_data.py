"""WADO-RS bulk data: the `BulkDataURI` (or `InlineBinary`) of each binary attribute in metadata, and the
bulk-data resource that serves a value by ranged reads of the stored file.

Where each binary value lies is recorded at store time (for the bulk-data threshold then in force); for
instances stored before, or under another threshold, it is found by walking the file's element headers, once
per stored file. The answer is kept in a bounded cache keyed by blob (a stored blob never changes; an update
writes a new one).
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator

import orjson
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import Response, StreamingResponse

from dicom_service import limits
from dicom_service.kernel import frames as framing
from dicom_service.kernel.bulk_data import BulkElement, locate, merge, recorded
from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.part10 import UNDEFINED
from dicom_service.retrieve.repository import StoredInstance
from dicom_service.storage.blobs import BlobSource
from dicom_service.versioning.versions import declared_versions
from dicom_service.web.answers import StoredFilesResponse, error, multipart_answer
from dicom_service.web.context import OperationContext
from dicom_service.web.sendfile import FileSegment

CACHED_FILES = 4096
CHUNK = 1 << 20
IN_MEMORY = 16 << 20  # a value up to this size is answered in one piece; a larger one is streamed
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_cache: OrderedDict[tuple[str, int], list[BulkElement]] = OrderedDict()
_lock = threading.Lock()


@functools.cache
def _offered_in() -> frozenset[str]:
    from dicom_service.generated import operations  # here: the generated module imports the handlers

    return frozenset(declared.name for declared in declared_versions(operations.retrieve_instance_bulk_data))


def offered(ctx: OperationContext) -> bool:
    """Whether the request's version has the bulk-data resource (and so metadata with BulkDataURI)."""
    return ctx.version.name in _offered_in()


def elements(ctx: OperationContext, row: StoredInstance) -> list[BulkElement]:
    """The binary attributes of the row's stored file (read with its frame index when asked for)."""
    threshold = limits.current().bulkdata_threshold
    key = (row.blob_key, threshold)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = recorded(row.bulk_data, threshold) if row.bulk_data else None
    if found is None:  # stored before positions were recorded, or for another threshold: walk the file
        index = FrameIndex.decode(row.frame_index) if row.frame_index else None
        found = locate(BlobSource(ctx.dicom.blobs, row.blob_key, row.size), threshold, index)
    with _lock:
        _cache[key] = found
        while len(_cache) > CACHED_FILES:
            _cache.popitem(last=False)
    return found


def instance_uri(ctx: OperationContext, row: StoredInstance) -> str:
    return ctx.url("studies", row.study_uid, "series", row.series_uid, "instances", row.sop_uid, "bulkdata")


def with_bulk_data(ctx: OperationContext, rows: list[StoredInstance]) -> str:
    """The metadata array of `rows` with every binary attribute shown inline or as a BulkDataURI."""
    out = []
    for row in rows:
        found = elements(ctx, row)
        if not found:
            out.append(row.metadata.encode())
            continue
        dataset = merge(orjson.loads(row.metadata), found, instance_uri(ctx, row))
        out.append(orjson.dumps(dataset))
    return (b"[" + b",".join(out) + b"]").decode()


async def retrieve(ctx: OperationContext, row: StoredInstance, path: str) -> Response:
    """The value of the attribute at `path` of the row's instance, as the request's media type asks."""
    found = await run_in_threadpool(elements, ctx, row)
    element = next((e for e in found if e.path == path.upper()), None)
    if element is None:
        return error(404, f"The instance {row.sop_uid} has no bulk-data attribute {path}.")
    assert ctx.representation is not None
    single = not ctx.representation.representation.essence.startswith("multipart/")
    part_type = f"application/octet-stream; transfer-syntax={row.transfer_syntax}"
    if element.pixel_data and (element.length == UNDEFINED or not single):
        if single:
            return error(
                406,
                f"The Pixel Data of {row.sop_uid} is encapsulated ({row.frames} frame(s)): ask for"
                ' multipart/related; type="application/octet-stream", one frame per part.',
            )
        stored = _stored(ctx, row)
        parts = [(part_type, _frame(stored, number)) for number in range(1, row.frames + 1)]
        return multipart_answer(parts, f"{ctx.representation.content_type}")
    if single:
        return await _single(ctx, row, element, ctx.params.get("Range"), part_type)
    body = _stored_value(ctx, row, element.offset, element.length)
    return multipart_answer([(part_type, body)], ctx.representation.content_type, lengths=[element.length])


def _stored(ctx: OperationContext, row: StoredInstance) -> framing.Stored:
    index = FrameIndex.decode(row.frame_index) if row.frame_index else None
    source = BlobSource(ctx.dicom.blobs, row.blob_key, row.size)
    return framing.Stored(source, index, row.transfer_syntax if index else None)


def _frame(stored: framing.Stored, number: int) -> Iterator[bytes]:
    yield framing.frames(stored, [number], "*")[0]  # as stored


def _stored_value(
    ctx: OperationContext, row: StoredInstance, offset: int, length: int
) -> FileSegment | Iterator[bytes]:
    """The value's bytes as stored: sent with sendfile when the file is on this machine's disk."""
    path = ctx.dicom.blobs.local_path(row.blob_key)
    return FileSegment(path, length, offset) if path else _value(ctx, row, offset, length)


def _value(ctx: OperationContext, row: StoredInstance, offset: int, length: int) -> Iterator[bytes]:
    for start in range(offset, offset + length, CHUNK):
        yield ctx.dicom.blobs.read_range(row.blob_key, start, min(CHUNK, offset + length - start))


async def _single(
    ctx: OperationContext, row: StoredInstance, element: BulkElement, asked: str | None, media_type: str
) -> Response:
    first, last, status, headers = 0, element.length - 1, 200, {}
    if asked:
        match = _RANGE.fullmatch(asked.strip())
        if match is None or match.group(1) == match.group(2) == "":
            return error(416, f"The range {asked} is not one range of bytes (bytes=first-last).")
        if match.group(1):
            first = int(match.group(1))
            last = min(int(match.group(2)), last) if match.group(2) else last
        else:
            first = max(element.length - int(match.group(2)), 0)
        if first >= element.length or first > last:
            return error(416, f"The range {asked} starts past the end of the value ({element.length} bytes).")
        status, headers = 206, {"Content-Range": f"bytes {first}-{last}/{element.length}"}
    length = last - first + 1
    if length <= IN_MEMORY:
        body = await run_in_threadpool(
            ctx.dicom.blobs.read_range, row.blob_key, element.offset + first, length
        )
        return Response(body, status, headers, media_type)
    value = _stored_value(ctx, row, element.offset + first, length)
    if isinstance(value, FileSegment):
        return StoredFilesResponse([value], headers, media_type, status)
    headers["Content-Length"] = str(length)
    return StreamingResponse(iterate_in_threadpool(value), status, headers, media_type)
