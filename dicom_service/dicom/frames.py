"""Single frames of stored Part 10 instances, for WADO-RS frame retrieval (facts §4.2)."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray
from openjpeg.utils import encode_array
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID

from dicom_service.dicom.transcode import (
    ANY,
    BIG_ENDIAN,
    EXPLICIT_LE,
    J2K_LOSSLESS,
    NATIVE,
    PIXEL_TAGS,
    TranscodeError,
    can_transcode,
    read,
    source_syntax,
    syntax_name,
)

#: Frame targets: as stored, uncompressed little endian, or a JPEG 2000 lossless code stream.
FRAME_TARGETS = frozenset({ANY, EXPLICIT_LE, J2K_LOSSLESS})

# Parsing only these is what keeps one-frame retrieval fast on instances with long headers.
_PIXEL_MODULE = (
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "PlanarConfiguration",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "NumberOfFrames",
    "ExtendedOffsetTable",
    "ExtendedOffsetTableLengths",
    *PIXEL_TAGS,
)


class FrameError(Exception):
    """A requested frame number does not exist in the instance (WADO-RS answers 400)."""


class NoPixelData(Exception):
    """The instance has no pixel data, so it has no frames and cannot be rendered (404)."""


def frame_count(data: bytes) -> int:
    """Number of frames of the stored instance; raises NoPixelData when it has none."""
    with warnings.catch_warnings(action="ignore"):
        return count_frames(read(data, ("NumberOfFrames", *PIXEL_TAGS)))


def frames(data: bytes, numbers: list[int], target: str) -> list[bytes]:
    """The frames `numbers` (1-based) of a stored instance, each encoded in `target`.

    `target` "*": as stored (a compressed frame for encapsulated syntaxes, raw bytes otherwise);
    Explicit VR Little Endian: uncompressed little endian pixel bytes (colour as RGB, interleaved, for
    decoded sources); JPEG 2000 lossless: a J2K code stream of the frame.
    """
    if target not in FRAME_TARGETS:
        offered = ", ".join(syntax_name(uid) for uid in sorted(FRAME_TARGETS - {ANY}))
        raise TranscodeError(f"frames cannot be encoded in {syntax_name(target)}; offered: {offered} or *")
    with warnings.catch_warnings(action="ignore"):  # pydicom's value warnings are not the client's concern
        ds = read(data, _PIXEL_MODULE)
        indexes = check_numbers(numbers, count_frames(ds))
        source = source_syntax(ds)
        if target != ANY and not can_transcode(source, target):
            raise TranscodeError(
                f"cannot transcode frames from {syntax_name(source)} to {syntax_name(target)}: "
                "no decoder for the stored syntax is installed; ask for transfer-syntax=*"
            )
        return [_frame(ds, source, index, target) for index in indexes]


def check_numbers(numbers: list[int], count: int) -> list[int]:
    """0-based indexes of the 1-based frame `numbers`; FrameError names every wrong one."""
    if not numbers:
        raise FrameError("no frame number was requested; frames are numbered from 1")
    wrong = [n for n in numbers if n < 1 or n > count]
    if wrong:
        listed = ", ".join(str(n) for n in wrong)
        plural = "s" if len(wrong) > 1 else ""
        raise FrameError(
            f"frame number{plural} {listed} out of range: frames are numbered from 1 and this instance has "
            f"{count} frame{'s' if count != 1 else ''}"
        )
    return [n - 1 for n in numbers]


def decode_frame(ds: Dataset, index: int) -> NDArray[np.generic]:
    """The 0-based frame `index` as an array (rows, columns[, samples]); colour as RGB."""
    source = source_syntax(ds)
    try:
        arr, _ = get_decoder(UID(source)).as_array(ds, index=index)  # YBR comes out as RGB by default
    except NotImplementedError as exc:
        raise TranscodeError(f"no decoder for pixel data in {syntax_name(source)} is installed") from exc
    except Exception as exc:
        raise TranscodeError(f"the pixel data in {syntax_name(source)} cannot be decoded: {exc}") from exc
    return arr


def count_frames(ds: Dataset) -> int:
    """Frames of an already parsed dataset; raises NoPixelData when it has none."""
    if not any(tag in ds for tag in PIXEL_TAGS):
        raise NoPixelData("the instance has no pixel data")
    try:
        return max(int(ds.get("NumberOfFrames") or 1), 1)
    except (TypeError, ValueError):  # a malformed IS value: the instance is a single image
        return 1


def _frame(ds: Dataset, source: str, index: int, target: str) -> bytes:
    native = source in NATIVE
    if native and target in (ANY, EXPLICIT_LE):
        raw = _native_slice(ds, index)
        return _swap(raw, int(ds.BitsAllocated)) if target == EXPLICIT_LE and source == BIG_ENDIAN else raw
    if not native and target in (ANY, source):
        return _stored_fragment(ds, index)
    arr = decode_frame(ds, index)
    if target == EXPLICIT_LE:
        return _little_endian_bytes(arr, int(ds.BitsAllocated))
    return _j2k(ds, arr, source)


def _native_slice(ds: Dataset, index: int) -> bytes:
    """The bytes of one frame of native pixel data, sliced by offset without decoding."""
    pixels = _pixels(ds)
    rows, columns = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
    samples = int(ds.get("SamplesPerPixel") or 1)
    bits = int(ds.get("BitsAllocated") or 0)
    if not rows or not columns or not bits:
        raise TranscodeError("the pixel data has no Rows, Columns or BitsAllocated to find its frames by")
    frame_bits = rows * columns * samples * bits
    if str(ds.get("PhotometricInterpretation", "")) == "YBR_FULL_422":
        frame_bits = frame_bits * 2 // 3  # two chroma samples shared by each pair of pixels
    start, end = index * frame_bits, (index + 1) * frame_bits
    if (end + 7) // 8 > len(pixels):
        raise TranscodeError(f"the pixel data is shorter than its {ds.get('NumberOfFrames', 1)} frame(s)")
    if start % 8 == 0 and end % 8 == 0:
        return bytes(pixels[start // 8 : end // 8])
    # BitsAllocated 1: frames are bit-packed and need not start on a byte boundary.
    chunk = np.frombuffer(pixels, dtype=np.uint8, count=(end + 7) // 8 - start // 8, offset=start // 8)
    bitsof = np.unpackbits(chunk, bitorder="little")[start % 8 : start % 8 + frame_bits]
    return np.packbits(bitsof, bitorder="little").tobytes()


def _stored_fragment(ds: Dataset, index: int) -> bytes:
    count = count_frames(ds)
    offsets = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        offsets = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    try:
        return get_frame(_pixels(ds), index, extended_offsets=offsets, number_of_frames=count)
    except Exception as exc:
        raise TranscodeError(
            f"frame {index + 1} cannot be found in the encapsulated pixel data: {exc}"
        ) from exc


def _pixels(ds: Dataset) -> bytes:
    for tag in PIXEL_TAGS:
        if tag in ds:
            value = ds[tag].value
            if isinstance(value, bytes | bytearray):
                return bytes(value) if isinstance(value, bytearray) else value
    raise NoPixelData("the instance has no pixel data")


def _swap(raw: bytes, bits: int) -> bytes:
    if bits not in (16, 32, 64):
        return raw
    size = bits // 8
    return np.frombuffer(raw, dtype=f">u{size}").astype(f"<u{size}").tobytes()


def _little_endian_bytes(arr: NDArray[np.generic], bits: int) -> bytes:
    if bits == 1:
        return np.packbits(arr.astype(np.uint8).ravel(), bitorder="little").tobytes()
    kind = arr.dtype.kind if arr.dtype.kind in "iuf" else "u"
    return arr.astype(f"<{kind}{max(bits // 8, 1)}", copy=False).tobytes()


def _j2k(ds: Dataset, arr: NDArray[np.generic], source: str) -> bytes:
    samples = arr.shape[-1] if arr.ndim == 3 else 1
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    if str(ds.get("PhotometricInterpretation", "")).startswith("YBR") and arr.dtype.itemsize == 1:
        bits = 8  # decoded to RGB bytes
    # The encoder takes only native byte order, C-contiguous arrays (RLE decodes planar, big endian swaps).
    arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
    try:
        # MCT for RGB gives smaller streams; a J2K decoder reverses it by itself.
        return encode_array(arr, bits_stored=bits, photometric_interpretation=1 if samples == 3 else 2)
    except Exception as exc:
        raise TranscodeError(
            f"cannot encode a frame from {syntax_name(source)} as {syntax_name(J2K_LOSSLESS)} "
            f"({bits} bits stored, {samples} samples per pixel): {exc}"
        ) from exc
