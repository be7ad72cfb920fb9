"""Rendered frames as a viewer shows them (JPEG or PNG), for WADO-RS rendered resources (facts §4.2)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

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
MAX_VIEWPORT = 4096  # pixels per side
THUMBNAIL = (128, 128)
WINDOW_FUNCTIONS = {"linear": "LINEAR", "linear-exact": "LINEAR_EXACT", "sigmoid": "SIGMOID"}

__all__ = ["MEDIA_TYPES", "THUMBNAIL", "NoPixelData", "Window", "parse_viewport", "parse_window", "render"]


@dataclass(frozen=True)
class Window:
    """A VOI window from the request (`window=center,width,function`)."""

    center: float
    width: float
    function: str  # LINEAR, LINEAR_EXACT or SIGMOID, as the VOILUTFunction attribute spells it


def parse_viewport(text: str | None) -> tuple[int, int] | None:
    """`vw,vh` (the spec's pattern checked it) within the limit; ValueError names what is wrong."""
    if not text:
        return None
    width, height = (int(part) for part in text.split(","))
    if not (1 <= width <= MAX_VIEWPORT and 1 <= height <= MAX_VIEWPORT):
        raise ValueError(f"The viewport {text} is larger than {MAX_VIEWPORT},{MAX_VIEWPORT}.")
    return width, height


def parse_window(text: str | None) -> Window | None:
    """`center,width,function` (the spec's pattern checked its form); ValueError when width is 0."""
    if not text:
        return None
    center, width, function = text.split(",")
    if float(width) <= 0:
        raise ValueError(f"The window {text} has a width of 0; it must be above 0.")
    return Window(float(center), float(width), WINDOW_FUNCTIONS[function])


def render(
    data: bytes | Stored,
    frame: int,
    media_type: str,
    quality: int = 100,
    viewport: tuple[int, int] | None = None,
    window: Window | None = None,
) -> bytes:
    """Frame `frame` (1-based) of a stored instance as an 8-bit `media_type` image.

    Greyscale goes through the Modality LUT (rescale), then the VOI LUT or the first window (the frame's
    min/max when the instance has neither); MONOCHROME1 is inverted. Colour is rendered as RGB (YBR
    converted, PALETTE COLOR applied). `quality` (1–100, checked by the caller) applies to JPEG only.
    `viewport` fits the image into (width, height), keeping its aspect ratio; `window` replaces the
    instance's own VOI window for greyscale.
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
        pixels = _display(ds, arr, window)
    image = Image.fromarray(pixels)
    if viewport is not None:
        scale = min(viewport[0] / image.width, viewport[1] / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=quality)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def _display(ds: Dataset, arr: NDArray[np.generic], window: Window | None) -> NDArray[np.uint8]:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    try:
        if photometric == "PALETTE COLOR":
            return _to_8_bits(apply_color_lut(arr, ds))
        if arr.ndim == 3:  # RGB, or YBR already converted to RGB by the decoder
            return _to_8_bits(arr, int(ds.get("BitsStored") or 8))
        grey = _window(ds, np.asarray(apply_modality_lut(arr, ds), dtype=np.float64), window)
    except (TranscodeError, NoPixelData):
        raise
    except Exception as exc:  # a malformed LUT or window: say so rather than answer a server error
        raise TranscodeError(f"the pixel data cannot be rendered: {exc}") from exc
    if photometric == "MONOCHROME1":
        grey = 1.0 - grey
    return np.rint(grey * 255.0).astype(np.uint8)


def _window(ds: Dataset, values: NDArray[np.float64], asked: Window | None) -> NDArray[np.float64]:
    """Map modality values to 0..1 as a viewer does (PS3.3 C.11.2.1.2)."""
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    function = str(ds.get("VOILUTFunction", "LINEAR")).upper()
    if asked is not None:
        center, width, function = asked.center, asked.width, asked.function
    if center is not None and width is not None and width > 0:
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


JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def jpeg_baseline_frames(stored: Stored, numbers: list[int], quality: int = 90) -> list[bytes]:
    """Frames `numbers` (1-based) as JPEG baseline code streams: lossy, 8 bits a sample, values as stored.

    Only 8-bit instances: JPEG baseline cannot carry more, and windowing deeper data down would hand a
    viewer values it windows a second time. Colour is sent as RGB. Raises FrameError or TranscodeError.
    """
    out = []
    with warnings.catch_warnings(action="ignore"):
        for number in numbers:
            ds, arr = decoded(stored, frame_number(stored, number))  # one frame in memory at a time
            bits, photometric = int(ds.get("BitsStored") or 0), str(ds.get("PhotometricInterpretation", ""))
            if bits > 8 or photometric == "PALETTE COLOR":
                raise TranscodeError(
                    f"JPEG baseline carries 8 bits a sample in greyscale or RGB; this instance stores {bits}"
                    f" bits as {photometric}: ask for the rendered resource instead"
                )
            buffer = io.BytesIO()
            Image.fromarray(_to_8_bits(arr)).save(buffer, format="JPEG", quality=quality)
            out.append(buffer.getvalue())
    return out
