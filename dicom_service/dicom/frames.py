"""Single frames of stored Part 10 instances, for WADO-RS frame retrieval (facts §4.2)."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

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
    DEFLATED_LE,
    EXPLICIT_LE,
    IMPLICIT_LE,
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

# Explicit VRs with a 4-byte length (PS3.5 7.1.2); pixel data is always one of them in practice.
_LONG_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC", b"UR"})


class FrameError(Exception):
    """A requested frame number does not exist in the instance (WADO-RS answers 400)."""


class NoPixelData(Exception):
    """The instance has no pixel data, so it has no frames and cannot be rendered (404)."""


def frame_count(data: bytes) -> int:
    """Number of frames of the stored instance; raises NoPixelData when it has none."""
    with warnings.catch_warnings(action="ignore"):
        return _number_of_frames(_locate(data).ds)


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
        stored = _locate(data)
        indexes = check_numbers(numbers, _number_of_frames(stored.ds))
        if target != ANY and not can_transcode(stored.source, target):
            raise TranscodeError(
                f"cannot transcode frames from {syntax_name(stored.source)} to {syntax_name(target)}: "
                "no decoder for the stored syntax is installed; ask for transfer-syntax=*"
            )
        native = stored.source in NATIVE
        if target in (ANY, stored.source) or (native and target == EXPLICIT_LE):
            return [_as_stored(stored, index, target) for index in indexes]
        full = read(data, _PIXEL_MODULE)  # decoding needs pydicom's view of the whole pixel data
        return [_decoded(full, stored.source, index, target) for index in indexes]


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
    """Frames of a dataset parsed with its pixel data; raises NoPixelData when it has none."""
    if not any(tag in ds for tag in PIXEL_TAGS):
        raise NoPixelData("the instance has no pixel data")
    return _number_of_frames(ds)


def _number_of_frames(ds: Dataset) -> int:
    try:
        return max(int(ds.get("NumberOfFrames") or 1), 1)
    except (TypeError, ValueError):  # a malformed IS value: the instance is a single image
        return 1


@dataclass(frozen=True)
class _Stored:
    ds: Dataset  # the pixel module, without the pixel data value
    source: str
    data: bytes  # the file, or the inflated pixel data of a deflated one
    start: int  # where the pixel data value starts in `data`
    end: int  # where it ends (the file's end for encapsulated data)


def _locate(data: bytes) -> _Stored:
    """Find the pixel data value by its element header, so a frame is read without copying the rest."""
    stream = io.BytesIO(data)
    ds = read(stream, _PIXEL_MODULE, stop_before_pixels=True)
    source = source_syntax(ds)
    if source == DEFLATED_LE:  # positions in the file are not positions in the inflated dataset
        full = read(data, _PIXEL_MODULE)
        pixels = _pixels(full)
        return _Stored(full, source, pixels, 0, len(pixels))
    position = stream.tell()  # pydicom stops at the header of the pixel data element
    order = ">" if source == BIG_ENDIAN else "<"
    if position + 8 > len(data):
        raise NoPixelData("the instance has no pixel data")
    group, element = struct.unpack_from(f"{order}HH", data, position)
    if group != 0x7FE0 or element not in (0x0008, 0x0009, 0x0010):
        raise NoPixelData("the instance has no pixel data")
    if source == IMPLICIT_LE:
        (length,) = struct.unpack_from(f"{order}L", data, position + 4)
        start = position + 8
    elif data[position + 4 : position + 6] in _LONG_VRS:
        (length,) = struct.unpack_from(f"{order}L", data, position + 8)
        start = position + 12
    else:
        (length,) = struct.unpack_from(f"{order}H", data, position + 6)
        start = position + 8
    end = len(data) if length == 0xFFFFFFFF else min(start + length, len(data))
    return _Stored(ds, source, data, start, end)


def _as_stored(stored: _Stored, index: int, target: str) -> bytes:
    if stored.source not in NATIVE:
        return _stored_fragment(stored, index)
    raw = _native_slice(stored, index)
    bits = int(stored.ds.get("BitsAllocated") or 0)
    return _swap(raw, bits) if target == EXPLICIT_LE and stored.source == BIG_ENDIAN else raw


def _decoded(ds: Dataset, source: str, index: int, target: str) -> bytes:
    arr = decode_frame(ds, index)
    if target == EXPLICIT_LE:
        return _little_endian_bytes(arr, int(ds.BitsAllocated))
    return _j2k(ds, arr, source)


def _native_slice(stored: _Stored, index: int) -> bytes:
    """The bytes of one frame of native pixel data, sliced by offset without decoding."""
    ds = stored.ds
    rows, columns = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
    samples = int(ds.get("SamplesPerPixel") or 1)
    bits = int(ds.get("BitsAllocated") or 0)
    if not rows or not columns or not bits:
        raise TranscodeError("the pixel data has no Rows, Columns or BitsAllocated to find its frames by")
    frame_bits = rows * columns * samples * bits
    if str(ds.get("PhotometricInterpretation", "")) == "YBR_FULL_422":
        frame_bits = frame_bits * 2 // 3  # two chroma samples shared by each pair of pixels
    start, end = index * frame_bits, (index + 1) * frame_bits
    if stored.start + (end + 7) // 8 > stored.end:
        raise TranscodeError(f"the pixel data is shorter than its {_number_of_frames(ds)} frame(s)")
    first = stored.start + start // 8
    if start % 8 == 0 and end % 8 == 0:
        return stored.data[first : stored.start + end // 8]
    # BitsAllocated 1: frames are bit-packed and need not start on a byte boundary.
    chunk = np.frombuffer(stored.data, dtype=np.uint8, count=(end + 7) // 8 - start // 8, offset=first)
    bitsof = np.unpackbits(chunk, bitorder="little")[start % 8 : start % 8 + frame_bits]
    return np.packbits(bitsof, bitorder="little").tobytes()


def _stored_fragment(stored: _Stored, index: int) -> bytes:
    ds = stored.ds
    offsets = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        offsets = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    buffer = io.BytesIO(stored.data)  # shares the bytes: the seek below copies nothing
    buffer.seek(stored.start)
    try:
        return get_frame(buffer, index, extended_offsets=offsets, number_of_frames=_number_of_frames(ds))
    except Exception as exc:
        message = f"frame {index + 1} cannot be found in the encapsulated pixel data: {exc}"
        raise TranscodeError(message) from exc


def _pixels(ds: Dataset) -> bytes:
    for tag in PIXEL_TAGS:
        if tag in ds:
            value = ds[tag].value
            if isinstance(value, bytes | bytearray):
                return bytes(value)
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
