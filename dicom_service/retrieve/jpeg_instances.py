"""Instances, series and studies retrieved as JPEG Baseline: refused with 406 before the first byte when an
instance cannot be (from its stored metadata), otherwise streamed, each instance encoded frame by frame."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from dicom_service.kernel import jpeg_baseline
from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.frames import Stored
from dicom_service.kernel.transcode import TranscodeError
from dicom_service.retrieve import decoding
from dicom_service.retrieve.repository import StoredInstance
from dicom_service.storage.blobs import BlobSource
from dicom_service.web import cpu
from dicom_service.web.answers import error, multipart_answer
from dicom_service.web.context import OperationContext

JPEG_BASELINE = jpeg_baseline.JPEG_BASELINE
PART_TYPE = f"application/dicom; transfer-syntax={JPEG_BASELINE}"


def _refusal(rows: list[StoredInstance]) -> str | None:
    for row in rows:
        if row.transfer_syntax == JPEG_BASELINE:
            continue  # sent as stored
        why = jpeg_baseline.refusal(row.sop_uid, orjson.loads(row.metadata)) or decoding.refusal(
            row.sop_uid, row.metadata, 1
        )
        if why is not None:
            return why
    return None


def _stored(ctx: OperationContext, row: StoredInstance) -> Stored:
    """The row's file by ranged reads, with its recorded frame index when there is one."""
    index = FrameIndex.decode(row.frame_index) if row.frame_index else None
    return Stored(
        BlobSource(ctx.dicom.blobs, row.blob_key, row.size), index, row.transfer_syntax if index else None
    )


async def answer(ctx: OperationContext, rows: list[StoredInstance]) -> Response:
    """`rows` (with their metadata) as JPEG Baseline, single part or multipart as the request asked."""
    assert ctx.representation is not None
    refused = _refusal(rows)
    if refused is not None:
        return error(406, refused)
    blobs = ctx.dicom.blobs
    if ctx.representation.representation.essence == "application/dicom":
        row = rows[0]
        try:
            body = await cpu.run(
                lambda: (
                    blobs.read(row.blob_key)
                    if row.transfer_syntax == JPEG_BASELINE
                    else b"".join(jpeg_baseline.chunks(_stored(ctx, row)))
                )
            )
        except TranscodeError as exc:
            return error(406, str(exc))
        return Response(body, media_type=PART_TYPE)
    parts = [
        (
            PART_TYPE,
            blobs.stream(row.blob_key)
            if row.transfer_syntax == JPEG_BASELINE
            else jpeg_baseline.chunks(_stored(ctx, row)),
        )
        for row in rows
    ]
    return multipart_answer(parts, ctx.representation.content_type)
