"""Rendered studies and series (PS3.18 §9.5): one rendered image per instance with pixel data, as a
multipart/related message, rendered and sent one instance at a time so memory holds one image."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse

from dicom_service.kernel import frames as framing
from dicom_service.kernel import transcode
from dicom_service.retrieve import decoding
from dicom_service.retrieve import render as rendering
from dicom_service.retrieve.http import display_order, stored_frames
from dicom_service.retrieve.metadata import not_found, stored_instances
from dicom_service.retrieve.repository import StoredInstance
from dicom_service.web import cpu
from dicom_service.web.answers import error
from dicom_service.web.context import OperationContext
from dicom_service.web.multipart import new_boundary


async def rendered_set(ctx: OperationContext) -> Response:
    """Every instance of the study (or of the series when the path names one), first frame, rendered."""
    p = ctx.params
    study, series = p["studyInstanceUid"], p.get("seriesInstanceUid")
    rows = await stored_instances(ctx, study, series, frame_index=True)
    if not rows:
        return not_found(study, series)
    shown = sorted((row for row in rows if row.frames > 0), key=display_order)
    if not shown:
        return error(404, f"Nothing in the {'series' if series else 'study'} has pixel data to render.")
    assert ctx.representation is not None
    media_type = ctx.representation.representation.type_param or "image/jpeg"
    try:
        viewport = rendering.parse_viewport(p.get("viewport"))
        window = rendering.parse_window(p.get("window"))
    except ValueError as exc:
        return error(400, str(exc))
    for row in shown:  # every refusal known from the stored metadata comes before the first byte
        refused = decoding.refusal(row.sop_uid, row.metadata, 1)
        if refused is not None:
            return error(406, refused)

    def render(row: StoredInstance) -> bytes:  # reads the first frame's bytes only, never the whole file
        return rendering.render(stored_frames(ctx, row), 1, media_type, p["quality"], viewport, window)

    try:
        first = await cpu.run(render, shown[0])
    except (framing.NoPixelData, framing.FrameError) as exc:
        return error(404, str(exc))
    except transcode.TranscodeError as exc:
        return error(406, f"The instance {shown[0].sop_uid} cannot be rendered: {exc}")
    boundary = new_boundary()

    async def parts() -> AsyncIterator[bytes]:
        head = f"--{boundary}\r\nContent-Type: {media_type}\r\n\r\n".encode()
        yield head + first + b"\r\n"
        for row in shown[1:]:
            # A failure here cuts the connection: the client sees an incomplete message, never a short
            # one that looks whole.
            yield head + await cpu.run(render, row) + b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    content_type = f'multipart/related; type="{media_type}"; boundary={boundary}'
    return StreamingResponse(parts(), 200, media_type=content_type)
