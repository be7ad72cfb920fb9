"""How much pixel data a render or a transcode would decode, read from the stored metadata before any byte
of pixel data is touched. A frame over `DICOM_MAX_FRAME_PIXELS`, or a request decoding more than
`DICOM_MAX_DECODED_BYTES`, is refused with 406 naming the limit: a small compressed file declaring an
enormous image (a decompression bomb) then costs nothing but the answer."""

from __future__ import annotations

from typing import Any

import orjson

from dicom_service import limits

ROWS, COLUMNS, SAMPLES, BITS, FRAMES = "00280010", "00280011", "00280002", "00280100", "00280008"


def _number(metadata: dict[str, Any], tag: str) -> int | None:
    values = (metadata.get(tag) or {}).get("Value") or [None]
    try:
        return int(values[0]) if values[0] is not None else None
    except (TypeError, ValueError):
        return None


def refusal(sop_uid: str, metadata: str | dict[str, Any], frames: int | None) -> str | None:
    """Why decoding `frames` frames of the instance (None: all of them) is refused, or None when it is not."""
    data = orjson.loads(metadata) if isinstance(metadata, str) else metadata
    rows, columns = _number(data, ROWS), _number(data, COLUMNS)
    if not rows or not columns:
        return None  # no image: the render or transcode says so itself
    samples = _number(data, SAMPLES) or 1
    pixels = rows * columns * samples
    current = limits.current()
    if pixels > current.frame_pixels:
        return (
            f"The instance {sop_uid} has frames of {rows} × {columns} × {samples} samples = {pixels:,}"
            f" pixels; the service decodes at most {current.frame_pixels:,} per frame"
            " (DICOM_MAX_FRAME_PIXELS)."
        )
    count = frames if frames is not None else (_number(data, FRAMES) or 1)
    decoded = pixels * -(-(_number(data, BITS) or 8) // 8) * count
    if decoded > current.decoded_bytes:
        return (
            f"Decoding {count:,} frame(s) of the instance {sop_uid} takes {decoded:,} bytes; the service "
            f"decodes at most {current.decoded_bytes:,} bytes at once (DICOM_MAX_DECODED_BYTES)."
        )
    return None
