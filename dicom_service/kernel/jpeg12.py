"""A second JPEG decoder for pydicom: GDCM's IJG libjpeg, for 12-bit JPEG Extended (process 2 and 4).

pylibjpeg's libjpeg refuses the common slightly-broken 12-bit streams that archives and viewers decode
(a sequential scan whose SOS names a spectral selection start other than 0, as in pydicom's
JPEG-lossy.dcm: "scan start must be zero"); IJG libjpeg only warns about it. pydicom's own GDCM plugin
declines 12-bit JPEG Extended altogether, so this module registers GDCM under its own label, for that
transfer syntax only, after the pylibjpeg plugin: GDCM decodes what pylibjpeg gives up on.
"""

from __future__ import annotations

from typing import cast

import gdcm
from pydicom.pixels import decoders
from pydicom.pixels.decoders.base import Decoder, DecodeRunner, get_decoder
from pydicom.uid import JPEGExtended12Bit

LABEL = "gdcm-jpeg-extended"
DECODER = get_decoder(JPEGExtended12Bit)


def is_available(uid: str) -> bool:
    return uid == JPEGExtended12Bit


def decode_frame(src: bytes, runner: DecodeRunner) -> bytes:
    """One encoded frame as native little endian samples (pydicom's plugin interface)."""
    fragment = gdcm.Fragment()
    fragment.SetByteStringValue(src)
    fragments = gdcm.SequenceOfFragments.New()
    fragments.AddFragment(fragment)
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    element.SetValue(fragments.__ref__())
    image = gdcm.Image()
    image.SetNumberOfDimensions(2)
    image.SetDimensions((runner.columns, runner.rows, 1))
    image.SetDataElement(element)
    kind = gdcm.PhotometricInterpretation.GetPIType(str(runner.photometric_interpretation))
    image.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(kind))
    syntax = gdcm.TransferSyntax.GetTSType(str(runner.transfer_syntax))
    image.SetTransferSyntax(gdcm.TransferSyntax(syntax))
    bits = runner.bits_stored
    image.SetPixelFormat(
        gdcm.PixelFormat(
            runner.samples_per_pixel, runner.bits_allocated, bits, bits - 1, runner.pixel_representation
        )
    )
    buffer = image.GetBuffer()  # the raw bytes as a str, or None when the stream is not decodable
    if buffer is None:
        raise ValueError("GDCM found no decodable JPEG stream")
    return cast(bytes, buffer.encode("utf-8", "surrogateescape"))


def register() -> None:
    """Add the plugin once, after pylibjpeg (pydicom tries plugins in the order they were added).

    pydicom's own GDCM plugin would otherwise come first for every JPEG and JPEG 2000 syntax; it is
    removed so that everything pylibjpeg decodes keeps being decoded by pylibjpeg.
    """
    gdcm.Trace.WarningOff()  # libjpeg's warnings about the stream would go to stderr
    for decoder in decoders.__dict__.values():
        if isinstance(decoder, Decoder) and "gdcm" in decoder.available_plugins:
            decoder.remove_plugin("gdcm")
    if LABEL not in DECODER.available_plugins:
        DECODER.add_plugin(LABEL, (__name__, "decode_frame"))
