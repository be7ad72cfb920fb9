"""Content negotiation as DICOMweb clients send it (Accept with `type=` and `transfer-syntax=`)."""

from __future__ import annotations

import pytest

from dicom_service.web.mediatypes import Representation, negotiate

EXPLICIT = "1.2.840.10008.1.2.1"
J2K = "1.2.840.10008.1.2.4.90"
JPEG = "1.2.840.10008.1.2.4.50"
FRAMES = (
    Representation('multipart/related; type="application/octet-stream"', ("*", EXPLICIT), EXPLICIT),
    Representation('multipart/related; type="image/jp2"', (J2K,), J2K),
    Representation("application/octet-stream", ("*",), None),
)


@pytest.mark.parametrize(
    ("accept", "key", "syntax"),
    [
        ('multipart/related; type="*/*"', 'multipart/related; type="application/octet-stream"', EXPLICIT),
        ('multipart/related; type="image/*"', 'multipart/related; type="image/jp2"', J2K),
        (
            'multipart/related; type="application/octet-stream"; transfer-syntax=*',
            'multipart/related; type="application/octet-stream"',
            "*",
        ),
        ("application/octet-stream; transfer-syntax=*", "application/octet-stream", "*"),
        ("*/*", 'multipart/related; type="application/octet-stream"', EXPLICIT),
        ('multipart/related; type="video/*", image/jp2;q=0', None, None),
        (f'multipart/related; type="application/octet-stream"; transfer-syntax={JPEG}', None, None),
    ],
)
def test_frame_accept_headers_pick_the_representation_a_client_expects(
    accept: str, key: str | None, syntax: str | None
) -> None:
    choice = negotiate(accept, FRAMES, accept_required=False)
    if key is None:
        assert choice is None
    else:
        assert choice is not None
        assert (choice.representation.key, choice.transfer_syntax) == (key, syntax)
