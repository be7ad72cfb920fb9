"""Whole instances as JPEG Baseline (1.2.840.10008.1.2.4.50), written one frame at a time.

The stored header is re-written with the new transfer syntax and the lossy-compression attributes, then the
Pixel Data is written as encapsulated fragments, one frame decoded and encoded at a time: an instance of any
number of frames costs the memory of one. Elements stored after the Pixel Data (trailing padding) are not
sent. Only 8-bit unsigned greyscale or colour data is accepted: JPEG Baseline carries 8 bits a sample, and
windowing deeper data down would hand a viewer values it windows a second time.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import FileDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import UID

from dicom_service.kernel import one_frame
from dicom_service.kernel.frames import Stored, decoded
from dicom_service.kernel.json_writer import JsonDataset, first_value
from dicom_service.kernel.transcode import TranscodeError, read

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
QUALITY = 90
GREYSCALE = frozenset({"MONOCHROME1", "MONOCHROME2"})
#: Colour photometric interpretations the decoders turn into RGB.
COLOUR = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422", "YBR_ICT", "YBR_RCT"})
_OFFSET_TABLES = (0x7FE00001, 0x7FE00002)
# Encapsulated Pixel Data (7FE0,0010) OB of undefined length, then an empty Basic Offset Table item.
_PIXELS_START = struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF) + struct.pack(
    "<HHL", 0xFFFE, 0xE000, 0
)
_SEQUENCE_END = struct.pack("<HHL", 0xFFFE, 0xE0DD, 0)


def refusal(sop_uid: str, metadata: JsonDataset) -> str | None:
    """Why the instance cannot be sent as JPEG Baseline (from its stored DICOM JSON), or None."""
    bits, stored = first_value(metadata.get("00280100")), first_value(metadata.get("00280101"))
    photometric = first_value(metadata.get("00280004"))
    signed = first_value(metadata.get("00280103")) == 1
    why = None
    if not first_value(metadata.get("00280010")) or bits is None:
        why = "it has no pixel data"
    elif bits != 8 or (isinstance(stored, int) and stored > 8) or signed:
        why = f"it stores {'signed ' if signed else ''}{stored or bits}-bit samples in {bits}-bit words"
    elif photometric not in GREYSCALE | COLOUR:
        why = f"its photometric interpretation is {photometric}"
    if why is None:
        return None
    return (
        f"The instance {sop_uid} cannot be sent as JPEG Baseline (1.2.840.10008.1.2.4.50), which carries"
        f" 8-bit unsigned greyscale or colour samples: {why}. Ask for transfer-syntax=* (as stored) or"
        " 1.2.840.10008.1.2.1."
    )


def encode_frame(arr: NDArray[np.generic], quality: int = QUALITY) -> bytes:
    """One decoded 8-bit frame as a JPEG Baseline code stream; colour is sent as YCbCr 4:2:2."""
    pixels = np.ascontiguousarray(arr, dtype=np.uint8)
    out = io.BytesIO()
    if pixels.ndim == 3:
        Image.fromarray(pixels, "RGB").save(out, format="JPEG", quality=quality, subsampling=1)
    else:
        Image.fromarray(pixels, "L").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def chunks(stored: Stored, quality: int = QUALITY) -> Iterator[bytes]:
    """The instance as a JPEG Baseline Part 10 file, in pieces: the header, then one piece per frame.
    Raises TranscodeError (a frame cannot be decoded) as it goes."""
    located = stored.located()
    with warnings.catch_warnings(action="ignore"):
        if located is None:
            head = read(stored.whole(), stop_before_pixels=True)
            frames = int(head.get("NumberOfFrames") or 1)
        else:
            try:
                head = one_frame.header(located[0], stored.source.read_at)
            except one_frame.HeaderUnreadable as exc:
                raise TranscodeError(str(exc)) from exc
            frames = located[0].frames
        yield _header(head)
        yield _PIXELS_START
        for index in range(frames):
            _, arr = decoded(stored, index)
            stream = encode_frame(arr, quality)
            if len(stream) % 2:
                stream += b"\0"  # items have an even length
            yield struct.pack("<HHL", 0xFFFE, 0xE000, len(stream)) + stream
        yield _SEQUENCE_END


def _header(head: FileDataset) -> bytes:
    """The stored data set before its Pixel Data, with what changes when the pixels are JPEG Baseline."""
    for tag in _OFFSET_TABLES:
        if tag in head:
            del head[tag]
    if "PixelData" in head:
        del head["PixelData"]
    if int(head.get("SamplesPerPixel") or 1) == 3:
        head.PhotometricInterpretation = "YBR_FULL_422"  # what a JPEG Baseline colour stream holds
        head.PlanarConfiguration = 0
    head.BitsStored, head.HighBit = 8, 7
    methods = (
        list(head.get("LossyImageCompressionMethod") or [])
        if head.get("LossyImageCompression") == "01"
        else []
    )
    head.LossyImageCompression = "01"
    head.LossyImageCompressionMethod = [*(str(m) for m in methods), "ISO_10918_1"]
    head.file_meta.TransferSyntaxUID = UID(JPEG_BASELINE)
    out = io.BytesIO()
    try:
        dcmwrite(out, head, implicit_vr=False, little_endian=True, enforce_file_format=True)
    except Exception as exc:
        raise TranscodeError(f"the stored header cannot be written as JPEG Baseline: {exc}") from exc
    return out.getvalue()
