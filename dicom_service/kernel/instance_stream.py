"""Whole instances in another transfer syntax, streamed: the stored header re-written, then the pixel data
one frame at a time, each read by its offset, decoded and encoded alone, so an instance of any number of
frames costs the memory of one. Elements stored after the Pixel Data (trailing padding) are not sent.

An `Encoding` says what a target changes: the header, and how a frame is written, native (one Pixel Data
value of defined length, every frame the same size) or encapsulated (one item per frame after an empty
Basic Offset Table). Files the walker leaves to pydicom, big endian files (whose other binary values
swap too) and bit-packed pixel data are transcoded whole, in memory, within the decoding limits.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import UID

from dicom_service.kernel import one_frame
from dicom_service.kernel.frame_index import FrameIndex
from dicom_service.kernel.frames import Stored, decoded_described, frames
from dicom_service.kernel.transcode import (
    BIG_ENDIAN,
    EXPLICIT_LE,
    J2K_LOSSLESS,
    NATIVE,
    TranscodeError,
    encode_j2k_frame,
    little_endian_bytes,
    read,
    syntax_name,
    transcode,
)

Header = Callable[[FileDataset, dict[str, Any] | None], None]  # changes to the header (with the decoding)
_OFFSET_TABLES = (0x7FE00001, 0x7FE00002)
# Encapsulated Pixel Data (7FE0,0010) OB of undefined length, then an empty Basic Offset Table item.
_ENCAPSULATED_START = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF) + struct.pack(
    "<HHL", 0xFFFE, 0xE000, 0
)
_SEQUENCE_END = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def as_decoded(head: FileDataset, decoding: dict[str, Any] | None) -> None:
    """What decoding changes, as pydicom's `decompress` records it: colour decoded to RGB, interleaved."""
    if decoding is None:
        return
    head.PhotometricInterpretation = decoding["photometric_interpretation"]
    if int(decoding["samples_per_pixel"]) > 1:
        head.PlanarConfiguration = int(decoding["planar_configuration"])


@dataclass(frozen=True)
class Encoding:
    syntax: str
    encapsulated: bool
    frame: Callable[[Dataset, NDArray[np.generic]], bytes]  # a decoded frame (and its data set) encoded
    header: Header = as_decoded


ENCODINGS = {
    EXPLICIT_LE: Encoding(
        EXPLICIT_LE, False, lambda ds, arr: little_endian_bytes(arr, int(ds.get("BitsAllocated") or 0))
    ),
    J2K_LOSSLESS: Encoding(J2K_LOSSLESS, True, encode_j2k_frame),
}


def transcoded(stored: Stored, target: str) -> Iterator[bytes]:
    """The stored instance as a Part 10 file in `target` (a TranscodeError while it goes): frame by frame
    where it can be, else transcoded whole."""
    encoding = ENCODINGS.get(target)
    if encoding is not None and streamable(stored):
        return chunks(stored, encoding)
    return iter([transcode(stored.whole(), target)])


def streamable(stored: Stored) -> bool:
    """Whether the instance can be transcoded frame by frame (its frames located, see `frame_by_frame`)."""
    located = stored.located()
    return located is not None and frame_by_frame(*located)


def frame_by_frame(index: FrameIndex, syntax: str) -> bool:
    """Whether an instance with this frame index is transcoded frame by frame: little endian, frames of
    whole bytes."""
    return syntax != BIG_ENDIAN and (index.encapsulated or index.frame_bits % 8 == 0)


def chunks(stored: Stored, encoding: Encoding) -> Iterator[bytes]:
    """The instance as a Part 10 file in `encoding`, in pieces: the header, then one piece per frame.
    Raises TranscodeError (a frame cannot be decoded or encoded) as it goes."""
    with warnings.catch_warnings(action="ignore"):  # pydicom's value warnings are not the client's concern
        located = stored.located()
        if located is None:
            head = _whole_header(stored)
            count, source = int(head.get("NumberOfFrames") or 1), str(head.file_meta.TransferSyntaxUID)
        else:
            try:
                head = one_frame.header(located[0], stored.source.read_at)
            except one_frame.HeaderUnreadable as exc:
                raise TranscodeError(str(exc)) from exc
            count, source = located[0].frames, located[1]
        first, decoding = _frame(stored, source, encoding, 0)
        if encoding.encapsulated:
            yield _header(head, encoding, decoding)
            yield _ENCAPSULATED_START
            for index in range(count):
                stream = first if index == 0 else _frame(stored, source, encoding, index)[0]
                if len(stream) % 2:
                    stream += b"\0"  # items have an even length
                yield struct.pack("<HHL", 0xFFFE, 0xE000, len(stream)) + stream
            yield _SEQUENCE_END
            return
        length = len(first) * count
        if length >= 0xFFFFFFFF:
            raise TranscodeError(f"its pixel data in {syntax_name(encoding.syntax)} would pass 4 GiB")
        vr = b"OB" if int(head.get("BitsAllocated") or 0) <= 8 else b"OW"
        yield _header(head, encoding, decoding)
        yield struct.pack("<HH2sHL", 0x7FE0, 0x0010, vr, 0, length + length % 2)
        for index in range(count):
            raw = first if index == 0 else _frame(stored, source, encoding, index)[0]
            if len(raw) != len(first):
                raise TranscodeError(
                    f"frame {index + 1} decodes to {len(raw)} bytes, frame 1 to {len(first)}"
                )
            yield raw
        if length % 2:
            yield b"\0"


def _frame(
    stored: Stored, source: str, encoding: Encoding, index: int
) -> tuple[bytes, dict[str, Any] | None]:
    """Frame `index` in `encoding`, with what its decoding changed (None: not decoded, copied as stored)."""
    if not encoding.encapsulated and source in NATIVE:
        return frames(stored, [index + 1], encoding.syntax)[0], None
    ds, arr, decoding = decoded_described(stored, index)
    return encoding.frame(ds, arr), decoding


def _whole_header(stored: Stored) -> FileDataset:
    return read(stored.whole(), stop_before_pixels=True)


def _header(head: FileDataset, encoding: Encoding, decoding: dict[str, Any] | None) -> bytes:
    """The stored data set before its Pixel Data, with what changes in `encoding`."""
    for tag in _OFFSET_TABLES:
        if tag in head:
            del head[tag]
    if "PixelData" in head:
        del head["PixelData"]
    encoding.header(head, decoding)
    head.file_meta.TransferSyntaxUID = UID(encoding.syntax)
    out = io.BytesIO()
    try:
        dcmwrite(out, head, implicit_vr=False, little_endian=True, enforce_file_format=True)
    except Exception as exc:
        raise TranscodeError(
            f"the stored header cannot be written as {syntax_name(encoding.syntax)}: {exc}"
        ) from exc
    return out.getvalue()
