"""The value rules a stored instance's indexed attributes are checked by: control characters."""

from __future__ import annotations

import pytest

from dicom_service.kernel.values import problem


@pytest.mark.parametrize("value", ["Smith\x00", "A\tB", "line\nbreak", "\x1a", "\x1c", "\x1f"])
def test_a_control_character_is_refused(value: str) -> None:
    assert problem("LO", value) == "value contains invalid control characters"


@pytest.mark.parametrize("value", ["\x1b$B;3ED\x1b(B", "Plain text", "", "~ and ~"])
def test_escape_sequences_and_printable_text_pass(value: str) -> None:
    assert problem("LO", value) is None
