"""WADO-RS over HTTP: instances (multipart or single part), frames and rendered images from stored files.

Stored bytes are sent as they are whenever the requested transfer syntax allows it (`*` or the stored
one); otherwise the file is transcoded, and a syntax that cannot be produced answers 406 before any
byte is sent.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from starlette.responses import Response

from dicom_service.kernel import frames as framing
from dicom_service.kernel import transcode
from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.tags import tag_of
from dicom_service.retrieve import decoding, jpeg_instances
from dicom_service.retrieve import render as rendering
from dicom_service.retrieve.metadata import not_found, stored_instances
from dicom_service.retrieve.repository import StoredInstance
from dicom_service.storage.blobs import BlobSource
from dicom_service.web import cpu
from dicom_service.web.answers import error, multipart_answer
from dicom_service.web.context import OperationContext
from dicom_service.web.mediatypes import parse_media_type

ANY = "*"
SERIES_NUMBER, INSTANCE_NUMBER = tag_of("SeriesNumber"), tag_of("InstanceNumber")


def _actual(row: StoredInstance, target: str) -> str:
    return row.transfer_syntax if target == ANY else target


def _untranscodable(rows: list[StoredInstance], target: str) -> Response | None:
    for row in rows:
        if target not in (ANY, row.transfer_syntax) and not transcode.can_transcode(
            row.transfer_syntax, target
        ):
            return error(
                406,
                f"The instance {row.sop_uid} is stored as {transcode.syntax_name(row.transfer_syntax)} and "
                f"cannot be sent as {transcode.syntax_name(target)}; "
                "ask for transfer-syntax=* to get it as stored.",
            )
    return None


def _undecodable(rows: list[StoredInstance], target: str) -> Response | None:
    """406 when an instance to transcode is over the decoding limits (from its metadata, before decoding)."""
    for row in rows:
        if target not in (ANY, row.transfer_syntax):
            refused = decoding.refusal(row.sop_uid, row.metadata, None)
            if refused is not None:
                return error(406, refused)
    return None


async def instances(
    ctx: OperationContext, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    assert ctx.representation is not None
    target = ctx.representation.transfer_syntax or ANY
    # The DICOM JSON only where the decoding limits need it: stored bytes sent as they are need none.
    jpeg = target == jpeg_instances.JPEG_BASELINE
    rows = await stored_instances(ctx, study, series, sop, metadata=target != ANY, frame_index=jpeg)
    if not rows:
        return not_found(study, series, sop)
    if jpeg:
        return await jpeg_instances.answer(ctx, rows)
    refusal = _untranscodable(rows, target) or _undecodable(rows, target)
    if refusal is not None:
        return refusal
    blobs = ctx.dicom.blobs
    if ctx.representation.representation.essence == "application/dicom":
        row = rows[0]
        try:
            body = await cpu.run(_converted, ctx, row, target)
        except transcode.TranscodeError as exc:
            return error(406, str(exc))
        return Response(body, media_type=f"application/dicom; transfer-syntax={_actual(row, target)}")

    # Transcoding can still fail for one instance (a bit depth a codec refuses): do it before the first
    # byte is sent, so the client gets a 406 rather than a multipart body cut short.
    try:
        ready = await cpu.run(_prepared, ctx, rows, target) if _to_prepare(rows, target) else {}
    except transcode.TranscodeError as exc:
        return error(406, str(exc))
    parts: list[tuple[str, Iterator[bytes] | bytes]] = [
        (
            f"application/dicom; transfer-syntax={_actual(row, target)}",
            ready.get(row.watermark) or blobs.stream(row.blob_key),
        )
        for row in rows
    ]
    lengths = [
        len(body) if isinstance(body, bytes) else row.size for (_, body), row in zip(parts, rows, strict=True)
    ]
    return multipart_answer(parts, ctx.representation.content_type, lengths=lengths)


IN_MEMORY = 16 << 20  # a resource up to this size is answered in one piece; a larger one is streamed


def _to_prepare(rows: list[StoredInstance], target: str) -> bool:
    """Whether `_prepared` has anything to do: no handover to a worker thread before the first byte of a
    large study sent as stored."""
    return sum(row.size for row in rows) <= IN_MEMORY or any(
        target not in (ANY, row.transfer_syntax) for row in rows
    )


def _prepared(ctx: OperationContext, rows: list[StoredInstance], target: str) -> dict[int, bytes]:
    """Bodies ready before answering (watermark → bytes): every transcoded instance, and all the stored
    files when they are small together; what is not here is streamed from the blob store."""
    small = sum(row.size for row in rows) <= IN_MEMORY
    ready = {}
    for row in rows:
        if target not in (ANY, row.transfer_syntax):
            ready[row.watermark] = transcode.transcode(ctx.dicom.blobs.read(row.blob_key), target)
        elif small:
            ready[row.watermark] = ctx.dicom.blobs.read(row.blob_key)
    return ready


def _converted(ctx: OperationContext, row: StoredInstance, target: str) -> bytes:
    data = ctx.dicom.blobs.read(row.blob_key)
    return data if target in (ANY, row.transfer_syntax) else transcode.transcode(data, target)


def stored_frames(ctx: OperationContext, row: StoredInstance) -> framing.Stored:
    """The row's file read by ranges, with its recorded frame index (none: found by walking the file)."""
    source = BlobSource(ctx.dicom.blobs, row.blob_key, row.size)
    index = FrameIndex.decode(row.frame_index) if row.frame_index else None
    return framing.Stored(source, index, row.transfer_syntax if index else None)


async def frames(ctx: OperationContext, numbers: list[int]) -> Response:
    p = ctx.params
    study, series, sop = p["studyInstanceUid"], p["seriesInstanceUid"], p["sopInstanceUid"]
    rows = await stored_instances(ctx, study, series, sop, frame_index=True)
    if not rows:
        return not_found(study, series, sop)
    row = rows[0]
    missing = [n for n in numbers if n > row.frames]
    if missing:
        return error(404, f"Frame {missing[0]} does not exist: the instance has {row.frames} frame(s).")
    assert ctx.representation is not None
    representation = ctx.representation.representation
    target = ctx.representation.transfer_syntax or ANY
    single = not representation.essence.startswith("multipart/")
    if single and len(numbers) > 1:
        return error(400, "A single-part application/octet-stream answer holds one frame; ask for one frame.")
    if target not in (ANY, row.transfer_syntax):
        refused = decoding.refusal(row.sop_uid, row.metadata, len(numbers))
        if refused is not None:
            return error(406, refused)

    def encode() -> list[bytes]:
        # Encoded from 8-bit pixels, not by the transcoder; a baseline JPEG stored is sent as it is.
        if target == rendering.JPEG_BASELINE != row.transfer_syntax:
            return rendering.jpeg_baseline_frames(stored_frames(ctx, row), numbers)
        return framing.frames(
            stored_frames(ctx, row), numbers, ANY if target == row.transfer_syntax else target
        )

    try:
        pieces = await cpu.run(encode)
    except framing.NoPixelData as exc:
        return error(404, str(exc))
    except framing.FrameError as exc:
        return error(404, str(exc))
    except transcode.TranscodeError as exc:
        return error(406, str(exc))
    syntax = _actual(row, target)
    if single:
        return Response(pieces[0], media_type=f"application/octet-stream; transfer-syntax={syntax}")
    part_type = f"{representation.type_param}; transfer-syntax={syntax}"
    content_type = f"{representation.key}; transfer-syntax={syntax if target == ANY else target}"
    return multipart_answer([(part_type, piece) for piece in pieces], content_type)


async def rendered(ctx: OperationContext, frame: int = 1) -> Response:
    p = ctx.params
    study, series, sop = p["studyInstanceUid"], p["seriesInstanceUid"], p["sopInstanceUid"]
    rows = await stored_instances(ctx, study, series, sop, frame_index=True)
    if not rows:
        return not_found(study, series, sop)
    if frame > rows[0].frames:
        return error(404, f"Frame {frame} does not exist: the instance has {rows[0].frames} frame(s).")
    return await _rendered_image(ctx, rows[0], frame, thumbnail=False)


async def thumbnail(ctx: OperationContext) -> Response:
    """The thumbnail of an instance, or of the representative instance of a series or study."""
    p = ctx.params
    study, series, sop = p["studyInstanceUid"], p.get("seriesInstanceUid"), p.get("sopInstanceUid")
    rows = await stored_instances(ctx, study, series, sop, frame_index=True)
    if not rows:
        return not_found(study, series, sop)
    with_pixels = [row for row in rows if row.frames > 0]
    if not with_pixels:
        return error(404, "Nothing here has pixel data to show as a thumbnail.")
    return await _rendered_image(ctx, min(with_pixels, key=display_order), 1, thumbnail=True)


def display_order(row: StoredInstance) -> tuple[int, int, str, str]:
    """Series by SeriesNumber, then instances by InstanceNumber (a missing number sorts last)."""
    attributes = orjson.loads(row.metadata)

    def number(tag: str) -> int:
        values = attributes.get(tag, {}).get("Value") or [None]
        try:
            return int(values[0])
        except (TypeError, ValueError):
            return 2**31

    return number(SERIES_NUMBER), number(INSTANCE_NUMBER), row.series_uid, row.sop_uid


async def _rendered_image(
    ctx: OperationContext, row: StoredInstance, frame: int, thumbnail: bool
) -> Response:
    p = ctx.params
    assert ctx.representation is not None
    media_type = parse_media_type(ctx.representation.representation.key)[0]
    try:
        viewport = rendering.parse_viewport(p.get("viewport")) or (rendering.THUMBNAIL if thumbnail else None)
        window = rendering.parse_window(p.get("window"))
    except ValueError as exc:
        return error(400, str(exc))
    refused = decoding.refusal(row.sop_uid, row.metadata, 1)  # before any decoding
    if refused is not None:
        return error(406, refused)
    try:
        image = await cpu.run(
            lambda: rendering.render(
                stored_frames(ctx, row), frame, media_type, p["quality"], viewport, window
            )
        )
    except (framing.NoPixelData, framing.FrameError) as exc:
        return error(404, str(exc))
    except transcode.TranscodeError as exc:
        return error(406, str(exc))
    return Response(image, media_type=media_type)
