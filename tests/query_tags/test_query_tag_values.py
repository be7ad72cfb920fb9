"""What an extended query tag indexes from an instance's stored DICOM JSON, per VR: the comparison form, or
the `DICOM100:` reason the value cannot be indexed (a case table; no service needed)."""

from __future__ import annotations

from typing import Any

import pytest

from dicom_service.kernel.tags import Level
from dicom_service.query_tags.rules import Indexed, StoredTag, TagError, check_new, indexed_value


def tag(path: str, vr: str, creator: str | None = None) -> StoredTag:
    return StoredTag(1, path, vr, creator, Level.SERIES, "ready", "enabled", None, 0)


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("CS", {"vr": "CS", "Value": ["M"]}, "m"),
    ("CS", {"vr": "CS", "Value": ["M", "F"]}, "m"),  # the first value only
    ("CS", {"vr": "CS", "Value": ["lower case"]}, "error"),
    ("SH", {"vr": "SH", "Value": ["A" * 17]}, "error"),
    ("LO", {"vr": "LO", "Value": ["Chest CT"]}, "chest ct"),
    ("PN", {"vr": "PN", "Value": [{"Alphabetic": "Müller^Hans"}]}, "muller hans"),
    ("PN", {"vr": "PN", "Value": [{"Alphabetic": "a^b^c^d^e^f"}]}, "error"),
    ("DA", {"vr": "DA", "Value": ["20240229"]}, "20240229"),
    ("DA", {"vr": "DA", "Value": ["20230229"]}, "error"),
    ("TM", {"vr": "TM", "Value": ["101530.5"]}, "101530.5"),
    ("TM", {"vr": "TM", "Value": ["10:15"]}, "error"),
    ("DT", {"vr": "DT", "Value": ["20240101101530+0100"]}, "20240101101530+0100"),
    ("DS", {"vr": "DS", "Value": [2.50]}, "2.5"),
    ("IS", {"vr": "IS", "Value": [7]}, "7.0"),
    ("US", {"vr": "US", "Value": [70000]}, "error"),
    ("SS", {"vr": "SS", "Value": [-3]}, "-3.0"),
    ("FD", {"vr": "FD", "Value": [0.125]}, "0.125"),
    ("UI", {"vr": "UI", "Value": ["1.2.3"]}, "1.2.3"),
    ("UI", {"vr": "UI", "Value": ["1.2.x"]}, "error"),
    ("CS", {"vr": "CS"}, None),  # empty: not indexed
    ("CS", {"vr": "CS", "Value": [None]}, None),
]


@pytest.mark.parametrize(("vr", "element", "expected"), CASES)
def test_values_indexed_or_refused_by_vr(vr: str, element: dict[str, Any], expected: str | None) -> None:
    outcome = indexed_value({"00091001": element}, tag("00091001", vr))
    if expected is None:
        assert outcome is None
    elif expected == "error":
        assert (
            isinstance(outcome, str)
            and outcome.startswith("DICOM100: (0009,1001) - Content")
            and vr in outcome
        )
    else:
        assert isinstance(outcome, Indexed) and outcome.value == expected
        assert outcome.element["Value"] == element["Value"][:1]


def test_a_private_tag_is_read_only_under_its_creator() -> None:
    element = {"vr": "LO", "Value": ["X"]}
    ours = {"00090010": {"vr": "LO", "Value": ["ACME 1.0"]}, "00091001": element}
    theirs = {"00090010": {"vr": "LO", "Value": ["OTHER"]}, "00091001": element}
    assert isinstance(indexed_value(ours, tag("00091001", "LO", "ACME 1.0")), Indexed)
    assert indexed_value(theirs, tag("00091001", "LO", "ACME 1.0")) is None


def test_new_tags_resolve_keywords_and_default_to_the_dictionary_vr() -> None:
    added = check_new(
        [
            {"path": "PatientSex", "level": "study"},
            {"path": "00091001", "vr": "SH", "privateCreator": "ACME", "level": "series"},
        ]
    )
    assert [(t.path, t.vr, t.private_creator, t.level) for t in added] == [
        ("00100040", "CS", None, Level.STUDY),
        ("00091001", "SH", "ACME", Level.SERIES),
    ]
    with pytest.raises(TagError, match="sequence"):
        check_new([{"path": "ReferencedStudySequence", "level": "study"}])
