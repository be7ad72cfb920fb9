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
from dicom_service.kernel import instance_stream, transcode
from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.tags import tag_of
from dicom_service.retrieve import decoding, jpeg_instances
from dicom_service.retrieve import render as rendering
from dicom_service.retrieve.metadata import not_found, stored_instances
from dicom_service.retrieve.repository import StoredInstance
from dicom_service.storage.blobs import BlobSource, BlobStore
from dicom_service.web import cpu
from dicom_service.web.answers import Body, error, multipart_answer
from dicom_service.web.context import OperationContext
from dicom_service.web.mediatypes import parse_media_type
from dicom_service.web.sendfile import FileSegment

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
    """406 when an instance to transcode is over the decoding limits (from its metadata, before decoding):
    one frame at a time when it is transcoded frame by frame, else all of them."""
    for row in rows:
        if target not in (ANY, row.transfer_syntax):
            frames = 1 if _frame_by_frame(row, target) else None
            refused = decoding.refusal(row.sop_uid, row.metadata, frames)
            if refused is not None:
                return error(406, refused)
    return None


def _frame_by_frame(row: StoredInstance, target: str) -> bool:
    """Whether the instance is transcoded frame by frame, from its recorded frame index alone."""
    if target not in instance_stream.ENCODINGS or row.frame_index is None:
        return False
    return instance_stream.frame_by_frame(FrameIndex.decode(row.frame_index), row.transfer_syntax)


async def instances(
    ctx: OperationContext, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    assert ctx.representation is not None
    target = ctx.representation.transfer_syntax or ANY
    # The DICOM JSON only where the decoding limits need it: stored bytes sent as they are need none.
    jpeg = target == jpeg_instances.JPEG_BASELINE
    rows = await stored_instances(ctx, study, series, sop, metadata=target != ANY, frame_index=target != ANY)
    if not rows:
        return not_found(study, series, sop)
    if jpeg:
        return await jpeg_instances.answer(ctx, rows)
    refusal = _untranscodable(rows, target) or _undecodable(rows, target)
    if refusal is not None:
        return refusal
    if ctx.representation.representation.essence == "application/dicom":
        row = rows[0]
        try:
            body = await cpu.run(_converted, ctx, row, target)
        except transcode.TranscodeError as exc:
            return error(406, str(exc))
        return Response(body, media_type=f"application/dicom; transfer-syntax={_actual(row, target)}")

    # The stored files of a small answer are read before the first byte; an instance to transcode is
    # transcoded as it is sent, frame by frame where it can be (a failure then cuts the body short).
    small = sum(row.size for row in rows) <= IN_MEMORY
    ready = await cpu.run(_read, ctx, rows, target) if small else {}
    blobs = ctx.dicom.blobs
    parts: list[tuple[str, Body]] = [
        (
            f"application/dicom; transfer-syntax={_actual(row, target)}",
            ready.get(row.watermark)
            or (
                _as_stored(blobs, row)
                if target in (ANY, row.transfer_syntax)
                else instance_stream.transcoded(stored_frames(ctx, row), target)
            ),
        )
        for row in rows
    ]
    if any(target not in (ANY, row.transfer_syntax) for row in rows):
        return multipart_answer(parts, ctx.representation.content_type)
    lengths = [
        len(body) if isinstance(body, bytes) else row.size for (_, body), row in zip(parts, rows, strict=True)
    ]
    return multipart_answer(parts, ctx.representation.content_type, lengths=lengths)


# An answer of stored files up to this size is read before its first byte and sent in one piece (many
# small instances: one handover); a larger one is streamed, so its first byte leaves after one file.
IN_MEMORY = 1 << 20


def _as_stored(blobs: BlobStore, row: StoredInstance) -> FileSegment | Iterator[bytes]:
    """The stored file as it is: sent with sendfile when it is on this machine's disk."""
    path = blobs.local_path(row.blob_key)
    return FileSegment(path, row.size) if path else blobs.stream(row.blob_key)


def _read(ctx: OperationContext, rows: list[StoredInstance], target: str) -> dict[int, bytes]:
    """The stored files sent as they are, read before answering (watermark → bytes): they are small
    together."""
    return {
        row.watermark: ctx.dicom.blobs.read(row.blob_key)
        for row in rows
        if target in (ANY, row.transfer_syntax)
    }


def _converted(ctx: OperationContext, row: StoredInstance, target: str) -> bytes:
    if target in (ANY, row.transfer_syntax):
        return ctx.dicom.blobs.read(row.blob_key)
    return b"".join(instance_stream.transcoded(stored_frames(ctx, row), target))


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
