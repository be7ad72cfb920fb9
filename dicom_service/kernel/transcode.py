"""Transfer syntax conversion of stored Part 10 instances, for WADO-RS retrieve (facts §4.2)."""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from openjpeg.utils import encode_array
from pydicom import dcmread
from pydicom.dataset import Dataset, FileDataset
from pydicom.filewriter import dcmwrite
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.encoders.base import get_encoder
from pydicom.uid import UID

from dicom_service.kernel import jpeg12

jpeg12.register()  # GDCM after pylibjpeg, for the 12-bit JPEG Extended streams pylibjpeg refuses

ANY = "*"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"

#: Syntaxes whose pixel data is not encapsulated (a frame is a slice of PixelData).
NATIVE = frozenset({IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, BIG_ENDIAN})
#: Targets this module can produce from another syntax.
TARGETS = frozenset({EXPLICIT_LE, J2K_LOSSLESS})
PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

# Bytes per word of the binary VRs whose byte order flips between big and little endian.
_WORD_SIZE = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


class TranscodeError(Exception):
    """The requested transfer syntax cannot be produced from this instance (WADO-RS answers 406)."""


def syntax_name(uid: str) -> str:
    """`uid` with its registered name, for messages a client reads."""
    name = UID(uid).name
    return f"{name} ({uid})" if name and name != uid else uid


@functools.cache
def can_decode(source: str) -> bool:
    """Whether the pixel data of `source` can be decoded by the pinned libraries."""
    if source in NATIVE:
        return True
    try:
        return bool(get_decoder(UID(source)).is_available)
    except NotImplementedError:  # pydicom knows no decoder for this syntax at all
        return False


@functools.cache
def _j2k_encoder_available() -> bool:
    return bool(get_encoder(UID(J2K_LOSSLESS)).is_available)


@functools.cache
def can_transcode(source: str, target: str) -> bool:
    """Whether `source` data can be answered in `target`, from the syntaxes alone (no decoding).

    True does not promise success for every instance: JPEG 2000 encodes at most 24 bits stored.
    """
    if target in (ANY, source):
        return True
    if target == EXPLICIT_LE:
        return can_decode(source)
    if target == J2K_LOSSLESS:
        return can_decode(source) and _j2k_encoder_available()
    return False


def read(
    data: bytes | io.BytesIO, specific_tags: Sequence[str] | None = None, stop_before_pixels: bool = False
) -> FileDataset:
    """Parse stored Part 10 bytes; a file pydicom cannot read is a TranscodeError, never a traceback."""
    try:
        tags = list(specific_tags) if specific_tags is not None else None
        stream = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
        return dcmread(stream, specific_tags=tags, stop_before_pixels=stop_before_pixels)
    except Exception as exc:
        raise TranscodeError(f"the stored instance is not a readable DICOM Part 10 file: {exc}") from exc


def source_syntax(ds: Dataset) -> str:
    """The transfer syntax UID of a dataset read by `read`."""
    meta = getattr(ds, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None)
    if not uid:
        raise TranscodeError("the stored instance has no transfer syntax in its file meta information")
    return str(uid)


def transcode(data: bytes, target: str) -> bytes:
    """`data` (a whole Part 10 file) re-encoded in the transfer syntax `target`.

    `target` "*" or the stored syntax returns `data` itself. Targets: Explicit VR Little Endian from every
    decodable syntax, JPEG 2000 lossless from the same. Raises TranscodeError otherwise.
    """
    if target == ANY:
        return data
    with warnings.catch_warnings(action="ignore"):  # pydicom's value warnings are not the client's concern
        return _transcode(data, target)


def _transcode(data: bytes, target: str) -> bytes:
    ds = read(data)
    source = source_syntax(ds)
    if source == target:
        return data
    if not can_transcode(source, target):
        raise TranscodeError(_refusal(source, target))
    try:
        if any(tag in ds for tag in PIXEL_TAGS):
            _to_little_endian(ds, source)
            if source not in NATIVE:
                # Keep the instance's identity: WADO-RS returns the same SOP Instance UID.
                ds.decompress(generate_instance_uid=False)
            if target == J2K_LOSSLESS:
                _compress_j2k(ds)
        return _write(ds, target)
    except TranscodeError:
        raise
    except Exception as exc:
        raise TranscodeError(
            f"cannot transcode this instance from {syntax_name(source)} to {syntax_name(target)}: {exc}"
        ) from exc


def _refusal(source: str, target: str) -> str:
    if target not in TARGETS:
        offered = ", ".join(sorted(syntax_name(uid) for uid in TARGETS))
        return (
            f"cannot transcode from {syntax_name(source)} to {syntax_name(target)}: "
            f"the service produces only {offered}, or the stored syntax with transfer-syntax=*"
        )
    return (
        f"cannot transcode from {syntax_name(source)} to {syntax_name(target)}: "
        "no decoder for the stored syntax is installed; ask for transfer-syntax=*"
    )


def _to_little_endian(ds: Dataset, source: str) -> None:
    """Swap the raw binary values of a big endian dataset in place; pydicom re-encodes the typed ones."""
    if source != BIG_ENDIAN:
        return
    bits = int(ds.get("BitsAllocated", 0) or 0)
    for elem in ds.iterall():
        size = _WORD_SIZE.get(str(elem.VR))
        if not size or not isinstance(elem.value, bytes | bytearray):
            continue
        if elem.tag == 0x7FE00010 and bits in (32, 64):
            size = bits // 8  # big endian pixels larger than an OW word are swapped whole
        value = bytes(elem.value)
        usable = len(value) - len(value) % size
        swapped = np.frombuffer(value, dtype=f">u{size}", count=usable // size).astype(f"<u{size}")
        elem.value = swapped.tobytes() + value[usable:]


def _compress_j2k(ds: Dataset) -> None:
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric.startswith("YBR"):
        # A native YBR image: encode the RGB a viewer sees, as JPEG 2000 has no sub-sampled input.
        arr = ds.pixel_array
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
        ds.compress(UID(J2K_LOSSLESS), arr, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    else:
        ds.compress(UID(J2K_LOSSLESS), encoding_plugin="pylibjpeg", generate_instance_uid=False)


def _write(ds: FileDataset, target: str) -> bytes:
    ds.file_meta.TransferSyntaxUID = UID(target)
    out = io.BytesIO()
    # Both targets encode the dataset as explicit VR little endian.
    dcmwrite(out, ds, implicit_vr=False, little_endian=True, enforce_file_format=True)
    return out.getvalue()


def decode_frame(ds: Dataset, index: int) -> NDArray[np.generic]:
    """The 0-based frame `index` of a dataset read with its pixel data, as (rows, columns[, samples]).

    Colour comes out as RGB (pydicom converts YBR by default); palette colour stays as indexes.
    """
    return decode_described(ds, index)[0]


def decode_described(ds: Dataset, index: int) -> tuple[NDArray[np.generic], dict[str, Any]]:
    """`decode_frame`, with the decoder's description of the frame (its photometric interpretation and
    planar configuration as decoded)."""
    source = source_syntax(ds)
    try:
        arr, described = get_decoder(UID(source)).as_array(ds, index=index)
    except NotImplementedError as exc:
        raise TranscodeError(f"no decoder for pixel data in {syntax_name(source)} is installed") from exc
    except Exception as exc:
        raise TranscodeError(f"the pixel data in {syntax_name(source)} cannot be decoded: {exc}") from exc
    return arr, dict(described)


def little_endian_bytes(arr: NDArray[np.generic], bits_allocated: int) -> bytes:
    """A decoded frame as native little endian pixel data (bit-packed when BitsAllocated is 1)."""
    if bits_allocated == 1:
        return np.packbits(arr.astype(np.uint8).ravel(), bitorder="little").tobytes()
    kind = arr.dtype.kind if arr.dtype.kind in "iuf" else "u"
    return arr.astype(f"<{kind}{max(bits_allocated // 8, 1)}", copy=False).tobytes()


def encode_j2k_frame(ds: Dataset, arr: NDArray[np.generic]) -> bytes:
    """A decoded frame as a JPEG 2000 lossless code stream (at most 24 bits stored)."""
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
            f"cannot encode a frame from {syntax_name(source_syntax(ds))} as {syntax_name(J2K_LOSSLESS)} "
            f"({bits} bits stored, {samples} samples per pixel): {exc}"
        ) from exc
