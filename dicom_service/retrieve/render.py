"""Rendered frames as a viewer shows them (JPEG or PNG), for WADO-RS rendered resources (facts §4.2)."""

from __future__ import annotations

import io
import warnings

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels.processing import apply_color_lut, apply_modality_lut, apply_voi

from dicom_service.kernel.frames import NoPixelData, Stored, decoded, frame_number
from dicom_service.kernel.transcode import TranscodeError

#: Media types `render` produces, with Pillow's format name.
MEDIA_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}

__all__ = ["MEDIA_TYPES", "NoPixelData", "render"]


def render(data: bytes | Stored, frame: int, media_type: str, quality: int = 100) -> bytes:
    """Frame `frame` (1-based) of a stored instance as an 8-bit `media_type` image.

    Greyscale goes through the Modality LUT (rescale), then the VOI LUT or the first window (the frame's
    min/max when the instance has neither); MONOCHROME1 is inverted. Colour is rendered as RGB (YBR
    converted, PALETTE COLOR applied). `quality` (1–100, checked by the caller) applies to JPEG only.
    Raises NoPixelData, FrameError (wrong frame number) or TranscodeError (not decodable, other media type).
    """
    image_format = MEDIA_TYPES.get(media_type)
    if image_format is None:
        raise TranscodeError(f"cannot render as {media_type}; offered: {', '.join(MEDIA_TYPES)}")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality {quality} is outside 1-100; the handler validates it first")
    stored = Stored.of_bytes(data) if isinstance(data, bytes) else data
    with warnings.catch_warnings(action="ignore"):  # pydicom's value warnings are not the client's concern
        ds, arr = decoded(stored, frame_number(stored, frame))  # that frame only, and the header
        pixels = _display(ds, arr)
    image = Image.fromarray(pixels)
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=quality)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def _display(ds: Dataset, arr: NDArray[np.generic]) -> NDArray[np.uint8]:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    try:
        if photometric == "PALETTE COLOR":
            return _to_8_bits(apply_color_lut(arr, ds))
        if arr.ndim == 3:  # RGB, or YBR already converted to RGB by the decoder
            return _to_8_bits(arr, int(ds.get("BitsStored") or 8))
        grey = _window(ds, np.asarray(apply_modality_lut(arr, ds), dtype=np.float64))
    except (TranscodeError, NoPixelData):
        raise
    except Exception as exc:  # a malformed LUT or window: say so rather than answer a server error
        raise TranscodeError(f"the pixel data cannot be rendered: {exc}") from exc
    if photometric == "MONOCHROME1":
        grey = 1.0 - grey
    return np.rint(grey * 255.0).astype(np.uint8)


def _window(ds: Dataset, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map modality values to 0..1 as a viewer does (PS3.3 C.11.2.1.2)."""
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is not None and width is not None and width > 0:
        function = str(ds.get("VOILUTFunction", "LINEAR")).upper()
        if function == "SIGMOID":
            out = 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
        elif function == "LINEAR_EXACT":
            out = (values - center) / width + 0.5
        else:
            out = (values - (center - 0.5)) / max(width - 1.0, 1.0) + 0.5
        return np.clip(out, 0.0, 1.0)
    if "VOILUTSequence" in ds:
        lut = ds.VOILUTSequence[0]
        depth = int(lut.LUTDescriptor[2])
        mapped = np.asarray(apply_voi(values, ds, index=0), dtype=np.float64)
        return np.clip(mapped / float((1 << depth) - 1), 0.0, 1.0)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def _first(value: object) -> float | None:
    if isinstance(value, MultiValue | list | tuple):
        value = value[0] if value else None
    try:
        return None if value is None or value == "" else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _to_8_bits(arr: NDArray[np.generic], bits_stored: int = 0) -> NDArray[np.uint8]:
    """Colour samples scaled to 8 bits: palette LUTs are usually 16-bit, some RGB is too."""
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    depth = bits_stored if 8 < bits_stored <= arr.dtype.itemsize * 8 else arr.dtype.itemsize * 8
    shifted = np.right_shift(arr.astype(np.uint32), max(depth - 8, 0))
    return np.ascontiguousarray(np.clip(shifted, 0, 255).astype(np.uint8))
