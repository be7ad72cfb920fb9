"""Single frames of stored Part 10 instances, for WADO-RS frame retrieval (facts §4.2)."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame

from dicom_service.kernel.transcode import (
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
    decode_frame,
    encode_j2k_frame,
    little_endian_bytes,
    read,
    source_syntax,
    syntax_name,
)

#: Frame targets: as stored, uncompressed little endian, or a JPEG 2000 lossless code stream.
FRAME_TARGETS = frozenset({ANY, EXPLICIT_LE, J2K_LOSSLESS})

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
# The header values the fast scan keeps: what locates a frame in the pixel data.
_GEOMETRY = {0x00280002: "samples", 0x00280004: "photometric", 0x00280008: "frames", 0x00280010: "rows"}
_GEOMETRY |= {0x00280011: "columns", 0x00280100: "bits"}
_PIXEL_DATA = 0x7FE00010
# Extended Offset Table, Float and Double Float Pixel Data: rare enough to leave to pydicom.
_PYDICOM_ONLY = frozenset({0x7FE00001, 0x7FE00008, 0x7FE00009})
_UNDEFINED = 0xFFFFFFFF
# Explicit VRs with a 4-byte length (PS3.5 7.1.2).
_LONG_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC", b"UR"})


class FrameError(Exception):
    """A requested frame number does not exist in the instance (WADO-RS answers 400)."""


class NoPixelData(Exception):
    """The instance has no pixel data, so it has no frames and cannot be rendered (404)."""


@dataclass(frozen=True)
class _Stored:
    """Where the pixel data value lies in `data`, and the geometry that finds a frame in it."""

    source: str
    data: bytes  # the file, or the inflated pixel data of a deflated one
    start: int
    end: int  # the file's end for encapsulated data
    rows: int
    columns: int
    samples: int
    bits: int
    photometric: str
    frames: int
    offsets: tuple[bytes, bytes] | None = None  # the Extended Offset Table, when there is one


def frame_count(data: bytes) -> int:
    """Number of frames of the stored instance; raises NoPixelData when it has none."""
    with warnings.catch_warnings(action="ignore"):
        return _locate(data).frames


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
        indexes = check_numbers(numbers, stored.frames)
        if target != ANY and not can_transcode(stored.source, target):
            raise TranscodeError(
                f"cannot transcode frames from {syntax_name(stored.source)} to {syntax_name(target)}: "
                "no decoder for the stored syntax is installed; ask for transfer-syntax=*"
            )
        if target in (ANY, stored.source) or (stored.source in NATIVE and target == EXPLICIT_LE):
            return [_as_stored(stored, index, target) for index in indexes]
        ds = read(data, _PIXEL_MODULE)  # decoding needs pydicom's view of the whole pixel data
        if target == EXPLICIT_LE:
            return [little_endian_bytes(decode_frame(ds, i), stored.bits) for i in indexes]
        return [encode_j2k_frame(ds, decode_frame(ds, i)) for i in indexes]


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


def count_frames(ds: Dataset) -> int:
    """Frames of a dataset parsed with its pixel data; raises NoPixelData when it has none."""
    if not any(tag in ds for tag in PIXEL_TAGS):
        raise NoPixelData("the instance has no pixel data")
    return _number(ds.get("NumberOfFrames"))


def _number(value: object) -> int:
    try:
        return max(int(str(value or 1).strip("\0 ") or 1), 1)
    except ValueError:  # a malformed IS value: the instance is a single image
        return 1


def _locate(data: bytes) -> _Stored:
    return _scan(data) or _locate_with_pydicom(data)


def _scan(data: bytes) -> _Stored | None:
    """Walk the element headers without pydicom (it takes ~1 ms on a CT header); None when unusual."""
    if data[128:132] != b"DICM":
        return None
    try:
        source, position = _meta_syntax(data)
        if source in (DEFLATED_LE, ""):
            return None  # inflating needs pydicom
        order = ">" if source == BIG_ENDIAN else "<"
        implicit = source == IMPLICIT_LE
        found: dict[str, bytes] = {}
        while position + 8 <= len(data):
            tag, length, start, vr = _header(data, position, order, implicit)
            if tag == _PIXEL_DATA:
                return _stored(source, data, start, length, found, order)
            if tag in _PYDICOM_ONLY:
                return None
            if length == _UNDEFINED:
                if vr == b"UN":
                    return None  # its content is implicit VR: leave it to pydicom
                position = _skip_sequence(data, start, order, implicit)
                continue
            if tag in _GEOMETRY:
                found[_GEOMETRY[tag]] = data[start : start + length]
            position = start + length
        return None  # no pixel data, or a header pydicom reads differently: let it decide
    except (struct.error, ValueError, IndexError):
        return None


def _meta_syntax(data: bytes) -> tuple[str, int]:
    """The transfer syntax UID and where the dataset starts; the meta group is explicit VR LE."""
    position, syntax = 132, ""
    while position + 8 <= len(data) and data[position : position + 2] == b"\x02\x00":
        tag, length, start, _ = _header(data, position, "<", False)
        if tag == 0x00020010:
            syntax = data[start : start + length].rstrip(b"\0 ").decode("ascii")
        position = start + length
    return syntax, position


def _header(data: bytes, position: int, order: str, implicit: bool) -> tuple[int, int, int, bytes]:
    group, element = struct.unpack_from(f"{order}HH", data, position)
    tag = group << 16 | element
    if implicit or group == 0xFFFE:  # items and delimiters never carry a VR
        return tag, struct.unpack_from(f"{order}L", data, position + 4)[0], position + 8, b""
    vr = data[position + 4 : position + 6]
    if not (vr.isalpha() and vr.isupper()):
        raise ValueError("implicit VR where explicit was declared")  # pydicom copes with this
    if vr in _LONG_VRS:
        return tag, struct.unpack_from(f"{order}L", data, position + 8)[0], position + 12, vr
    return tag, struct.unpack_from(f"{order}H", data, position + 6)[0], position + 8, vr


def _skip_sequence(data: bytes, position: int, order: str, implicit: bool) -> int:
    """The position after a sequence of undefined length (its items and their nested sequences)."""
    depth_item = False
    while True:
        tag, length, start, vr = _header(data, position, order, implicit)
        if tag == 0xFFFEE0DD and not depth_item:
            return start
        if tag == 0xFFFEE000:
            if length != _UNDEFINED:
                position = start + length
            else:
                depth_item, position = True, start
            continue
        if tag == 0xFFFEE00D:
            depth_item, position = False, start
            continue
        if not depth_item:
            raise ValueError("a sequence holds something other than items")
        if length == _UNDEFINED:
            if vr == b"UN":
                raise ValueError("an undefined-length UN element")
            position = _skip_sequence(data, start, order, implicit)
        else:
            position = start + length


def _stored(
    source: str, data: bytes, start: int, length: int, found: dict[str, bytes], order: str
) -> _Stored:
    def us(name: str, default: int = 0) -> int:
        value = found.get(name)
        return int(struct.unpack_from(f"{order}H", value)[0]) if value and len(value) >= 2 else default

    end = len(data) if length == _UNDEFINED else min(start + length, len(data))
    photometric = found.get("photometric", b"").rstrip(b"\0 ").decode("ascii")
    frames = _number(found.get("frames", b"").decode("ascii"))
    return _Stored(
        source, data, start, end, us("rows"), us("columns"), us("samples", 1), us("bits"), photometric, frames
    )


def _locate_with_pydicom(data: bytes) -> _Stored:
    ds = read(data, _PIXEL_MODULE)
    source = source_syntax(ds)
    pixels = next((ds[tag].value for tag in PIXEL_TAGS if tag in ds), None)
    if not isinstance(pixels, bytes | bytearray):
        raise NoPixelData("the instance has no pixel data")
    pixels = bytes(pixels)
    offsets = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        offsets = (bytes(ds.ExtendedOffsetTable), bytes(ds.ExtendedOffsetTableLengths))
    return _Stored(
        source,
        pixels,
        0,
        len(pixels),
        rows=int(ds.get("Rows") or 0),
        columns=int(ds.get("Columns") or 0),
        samples=int(ds.get("SamplesPerPixel") or 1),
        bits=int(ds.get("BitsAllocated") or 0),
        photometric=str(ds.get("PhotometricInterpretation", "")),
        frames=count_frames(ds),
        offsets=offsets,
    )


def _as_stored(stored: _Stored, index: int, target: str) -> bytes:
    if stored.source not in NATIVE:
        return _stored_fragment(stored, index)
    raw = _native_slice(stored, index)
    return _swap(raw, stored.bits) if target == EXPLICIT_LE and stored.source == BIG_ENDIAN else raw


def _native_slice(stored: _Stored, index: int) -> bytes:
    """The bytes of one frame of native pixel data, sliced by offset without decoding."""
    if not stored.rows or not stored.columns or not stored.bits:
        raise TranscodeError("the pixel data has no Rows, Columns or BitsAllocated to find its frames by")
    frame_bits = stored.rows * stored.columns * stored.samples * stored.bits
    if stored.photometric == "YBR_FULL_422":
        frame_bits = frame_bits * 2 // 3  # two chroma samples shared by each pair of pixels
    start, end = index * frame_bits, (index + 1) * frame_bits
    if stored.start + (end + 7) // 8 > stored.end:
        raise TranscodeError(f"the pixel data is shorter than its {stored.frames} frame(s)")
    first = stored.start + start // 8
    if start % 8 == 0 and end % 8 == 0:
        return stored.data[first : stored.start + end // 8]
    # BitsAllocated 1: frames are bit-packed and need not start on a byte boundary.
    chunk = np.frombuffer(stored.data, dtype=np.uint8, count=(end + 7) // 8 - start // 8, offset=first)
    bits = np.unpackbits(chunk, bitorder="little")[start % 8 : start % 8 + frame_bits]
    return np.packbits(bits, bitorder="little").tobytes()


def _stored_fragment(stored: _Stored, index: int) -> bytes:
    buffer = io.BytesIO(stored.data)  # shares the bytes: seeking copies nothing
    buffer.seek(stored.start)
    try:
        return get_frame(buffer, index, extended_offsets=stored.offsets, number_of_frames=stored.frames)
    except Exception as exc:
        message = f"frame {index + 1} cannot be found in the encapsulated pixel data: {exc}"
        raise TranscodeError(message) from exc


def _swap(raw: bytes, bits: int) -> bytes:
    if bits not in (16, 32, 64):
        return raw
    size = bits // 8
    return np.frombuffer(raw, dtype=f">u{size}").astype(f"<u{size}").tobytes()
