"""Single frames of stored Part 10 instances, for WADO-RS frame retrieval and rendering (facts §4.2).

A frame is found by its offset (kernel.frame_index: recorded at store time, else found by walking the
file's header) and read with one ranged read; decoding it reads the header and that frame only. Files the
walker leaves to pydicom (a deflated data set, no DICM prefix) are read whole, as pydicom needs them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame

from dicom_service.kernel import frame_index, one_frame, part10
from dicom_service.kernel.frame_index import FrameIndex, FrameMissing, Geometry
from dicom_service.kernel.transcode import (
    ANY,
    BIG_ENDIAN,
    EXPLICIT_LE,
    J2K_LOSSLESS,
    NATIVE,
    PIXEL_TAGS,
    TranscodeError,
    can_transcode,
    decode_described,
    decode_frame,
    encode_j2k_frame,
    little_endian_bytes,
    read,
    source_syntax,
    syntax_name,
)

#: Frame targets: as stored, uncompressed little endian, or a JPEG 2000 lossless code stream.
FRAME_TARGETS = frozenset({ANY, EXPLICIT_LE, J2K_LOSSLESS})


class FrameError(Exception):
    """A requested frame number does not exist in the instance (WADO-RS answers 400)."""


class NoPixelData(Exception):
    """The instance has no pixel data, so it has no frames and cannot be rendered (404)."""


@dataclass
class Stored:
    """A stored instance file: ranged reads of it, and where its frames lie when that is already known."""

    source: part10.Source
    index: FrameIndex | None = None  # recorded at store time
    syntax: str | None = None  # its transfer syntax, with `index`

    @classmethod
    def of_bytes(cls, data: bytes) -> Stored:
        return cls(part10.BytesSource(data))

    def located(self) -> tuple[FrameIndex, str] | None:
        """The frame index and transfer syntax; None when the walker leaves the file to pydicom."""
        if self.index is not None and self.syntax is not None:
            return self.index, self.syntax
        try:
            walker = part10.Walker(self.source)
            found = frame_index.locate(walker)
        except part10.Part10Error:
            return None
        if found is None:
            return None
        self.index, self.syntax = found, walker.meta.syntax
        return found, walker.meta.syntax

    def whole(self) -> bytes:
        return self.source.read_at(0, self.source.size)


def frame_count(data: bytes) -> int:
    """Number of frames of the stored instance; raises NoPixelData when it has none."""
    located = Stored.of_bytes(data).located()
    if located is not None:
        return located[0].frames
    with warnings.catch_warnings(action="ignore"):
        return count_frames(read(data))


def frames(stored: Stored | bytes, numbers: list[int], target: str) -> list[bytes]:
    """The frames `numbers` (1-based) of a stored instance, each encoded in `target`.

    `target` "*": as stored (a compressed frame for encapsulated syntaxes, raw bytes otherwise);
    Explicit VR Little Endian: uncompressed little endian pixel bytes (colour as RGB, interleaved, for
    decoded sources); JPEG 2000 lossless: a J2K code stream of the frame.
    """
    if target not in FRAME_TARGETS:
        offered = ", ".join(syntax_name(uid) for uid in sorted(FRAME_TARGETS - {ANY}))
        raise TranscodeError(f"frames cannot be encoded in {syntax_name(target)}; offered: {offered} or *")
    stored = Stored.of_bytes(stored) if isinstance(stored, bytes) else stored
    with warnings.catch_warnings(action="ignore"):  # pydicom's value warnings are not the client's concern
        located = stored.located()
        if located is None:
            return _with_pydicom(stored.whole(), numbers, target)
        index, source = located
        indexes = check_numbers(numbers, index.frames)
        _check_target(source, target)
        if target in (ANY, source) or (source in NATIVE and target == EXPLICIT_LE):
            raws = [_frame(index, stored.source, i) for i in indexes]
            if target == EXPLICIT_LE and source == BIG_ENDIAN:
                bits = int(one_frame.header(index, stored.source.read_at).get("BitsAllocated") or 0)
                return [_swap(raw, bits) for raw in raws]
            return raws
        return [_encoded(*decoded(stored, i), target) for i in indexes]


def decoded(stored: Stored, index: int) -> tuple[Dataset, NDArray[np.generic]]:
    """Frame `index` (0-based, checked by the caller) decoded, with a data set describing it: the header and
    that frame only, or the whole file for what the walker leaves to pydicom."""
    ds, arr, _ = decoded_described(stored, index)
    return ds, arr


def decoded_described(stored: Stored, index: int) -> tuple[Dataset, NDArray[np.generic], dict[str, Any]]:
    """`decoded`, with the decoder's description of the frame (see `decode_described`)."""
    located = stored.located()
    if located is None or located[1] == BIG_ENDIAN:  # big endian OW pixel data: pydicom swaps it whole
        ds = read(stored.whole())
        return ds, *decode_described(ds, index)
    try:
        head = one_frame.header(located[0], stored.source.read_at)
        ds = one_frame.dataset(head, located[0], stored.source.read_at, index)
    except (one_frame.HeaderUnreadable, FrameMissing) as exc:
        raise TranscodeError(str(exc)) from exc
    return ds, *decode_described(ds, 0)


def frame_number(stored: Stored, number: int) -> int:
    """The 0-based index of frame `number`; FrameError or NoPixelData when it does not exist."""
    located = stored.located()
    if located is not None:
        return check_numbers([number], located[0].frames)[0]
    with warnings.catch_warnings(action="ignore"):
        return check_numbers([number], count_frames(read(stored.whole())))[0]


def _check_target(source: str, target: str) -> None:
    if target != ANY and not can_transcode(source, target):
        raise TranscodeError(
            f"cannot transcode frames from {syntax_name(source)} to {syntax_name(target)}: "
            "no decoder for the stored syntax is installed; ask for transfer-syntax=*"
        )


def _encoded(ds: Dataset, arr: NDArray[np.generic], target: str) -> bytes:
    if target == EXPLICIT_LE:
        return little_endian_bytes(arr, int(ds.get("BitsAllocated") or 0))
    return encode_j2k_frame(ds, arr)


def _frame(index: FrameIndex, source: part10.Source, number: int) -> bytes:
    try:
        return index.read(source.read_at, number)
    except FrameMissing as exc:
        raise TranscodeError(str(exc)) from exc


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


def _with_pydicom(data: bytes, numbers: list[int], target: str) -> list[bytes]:
    """Frames of a file only pydicom reads (a deflated data set, no DICM prefix, float pixel data)."""
    ds = read(data)
    source = source_syntax(ds)
    indexes = check_numbers(numbers, count_frames(ds))
    _check_target(source, target)
    if not (target in (ANY, source) or (source in NATIVE and target == EXPLICIT_LE)):
        return [_encoded(ds, decode_frame(ds, i), target) for i in indexes]
    pixels = next(bytes(ds[tag].value) for tag in PIXEL_TAGS if tag in ds)
    if source not in NATIVE:
        offsets = None
        if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
            offsets = (bytes(ds.ExtendedOffsetTable), bytes(ds.ExtendedOffsetTableLengths))
        try:
            return [
                get_frame(pixels, i, extended_offsets=offsets, number_of_frames=count_frames(ds))
                for i in indexes
            ]
        except Exception as exc:
            raise TranscodeError(f"a frame cannot be found in the encapsulated pixel data: {exc}") from exc
    geometry = Geometry(
        int(ds.get("Rows") or 0),
        int(ds.get("Columns") or 0),
        int(ds.get("SamplesPerPixel") or 1),
        int(ds.get("BitsAllocated") or 0),
        str(ds.get("PhotometricInterpretation", "")),
        count_frames(ds),
    )
    if not (geometry.rows and geometry.columns and geometry.bits):
        raise TranscodeError("the pixel data has no Rows, Columns or BitsAllocated to find its frames by")
    index = FrameIndex(0, 0, len(pixels), geometry.frames, frame_bits=geometry.frame_bits)
    raws = [_frame(index, part10.BytesSource(pixels), i) for i in indexes]
    if target == EXPLICIT_LE and source == BIG_ENDIAN:
        return [_swap(raw, geometry.bits) for raw in raws]
    return raws


def _swap(raw: bytes, bits: int) -> bytes:
    if bits not in (16, 32, 64):
        return raw
    size = bits // 8
    return np.frombuffer(raw, dtype=f">u{size}").astype(f"<u{size}").tobytes()
