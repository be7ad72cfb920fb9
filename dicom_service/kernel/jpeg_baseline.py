"""Whole instances as JPEG Baseline (1.2.840.10008.1.2.4.50), written one frame at a time.

The stored header is re-written with the new transfer syntax and the lossy-compression attributes, then the
Pixel Data is written as encapsulated fragments, one frame decoded and encoded at a time
(`instance_stream`): an instance of any number of frames costs the memory of one. Only 8-bit unsigned
greyscale or colour data is accepted: JPEG Baseline carries 8 bits a sample, and windowing deeper data down
would hand a viewer values it windows a second time.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import FileDataset

from dicom_service.kernel import instance_stream
from dicom_service.kernel.frames import Stored
from dicom_service.kernel.instance_stream import Encoding
from dicom_service.kernel.json_writer import JsonDataset, first_value

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
QUALITY = 90
GREYSCALE = frozenset({"MONOCHROME1", "MONOCHROME2"})
#: Colour photometric interpretations the decoders turn into RGB.
COLOUR = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422", "YBR_ICT", "YBR_RCT"})


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
    encoding = Encoding(JPEG_BASELINE, True, lambda _, arr: encode_frame(arr, quality), _header)
    return instance_stream.chunks(stored, encoding)


def _header(head: FileDataset, _: object) -> None:
    """What changes when the pixels are JPEG Baseline."""
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
