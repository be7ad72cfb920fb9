"""Every workitem body is checked as DICOM JSON before use: a broken one answers 400 naming the fault, on
each of the four transactions that take a body, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydicom.uid import generate_uid

from tests.service.live import LiveService, Validated
from tests.service.worklist_data import ACCEPT, LABEL, SEND, STATE, value, workitem

GOOD = workitem()


def _with(**attributes: Any) -> bytes:
    return json.dumps([{**GOOD, **attributes}]).encode()


def _nested(depth: int) -> bytes:
    """Sequences in sequences, `depth` deep (written as text: too deep for json.dumps)."""
    return b"[" + b'{"0040A370": {"vr": "SQ", "Value": [' * depth + b"{}" + b"]}}" * depth + b"]"


BAD_BODIES = [
    ("empty", b"", "empty"),
    ("not JSON", b"{not json", "not valid JSON"),
    ("not UTF-8", b'[{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "\xff"}]}}]', "UTF-8"),
    ("an object, not an array", json.dumps(GOOD).encode(), "array"),
    ("an empty array", b"[]", "array"),
    ("an array of numbers", b"[1]", "not a JSON object"),
    ("a keyword as key", _with(PatientName={"vr": "PN"}), "'PatientName' is not an attribute tag"),
    ("a lower-case tag", _with(**{"0040a370": {"vr": "SQ"}}), "upper-case"),
    ("a group length", _with(**{"00100000": {"vr": "UL", "Value": [1]}}), "group length"),
    (
        "an attribute that is a string",
        _with(**{"00100020": "PAT"}),
        "00100020 (PatientID) is not a JSON object",
    ),
    ("no VR", _with(**{"00100020": {"Value": ["PAT"]}}), "not a DICOM value representation"),
    ("an unknown VR", _with(**{"00100020": {"vr": "XX"}}), '"XX"'),
    ("the wrong VR", _with(**{"00100020": {"vr": "DA", "Value": ["20240101"]}}), "its VR is LO"),
    ("an unknown member", _with(**{"00100020": {"vr": "LO", "value": ["x"]}}), "unknown members"),
    ("a Value not an array", _with(**{"00100020": {"vr": "LO", "Value": "PAT"}}), "not a JSON array"),
    ("a number for a string", _with(**{"00100020": {"vr": "LO", "Value": [12]}}), "not a string"),
    ("a person name as a string", _with(**{"00100010": {"vr": "PN", "Value": ["Doe^Jane"]}}), "person name"),
    ("a bad UID", _with(**{"0020000D": {"vr": "UI", "Value": ["1.2.abc"]}}), "0020000D (StudyInstanceUID)"),
    ("a bad date-time", _with(**{"00404005": {"vr": "DT", "Value": ["2024-01-02"]}}), "not a date-time"),
    ("a bad date", _with(**{"00100030": {"vr": "DA", "Value": ["20241399"]}}), "YYYYMMDD"),
    ("lower-case code string", _with(**{"00404041": {"vr": "CS", "Value": ["ready"]}}), "invalid character"),
    ("US out of range", _with(**{"00280010": {"vr": "US", "Value": [70000]}}), "outside the range"),
    (
        "bulk data by reference",
        _with(**{"7FE00010": {"vr": "OW", "BulkDataURI": "http://x/y"}}),
        "BulkDataURI",
    ),
    ("bad base64", _with(**{"00420011": {"vr": "OB", "InlineBinary": "***"}}), "base64"),
    (
        "a sequence item that is not a data set",
        _with(**{"0040A370": {"vr": "SQ", "Value": ["ACC"]}}),
        "item 1 that is not a data set",
    ),
    (
        "a bad attribute inside a sequence",
        _with(**{"0040A370": {"vr": "SQ", "Value": [{"00080050": {"vr": "SH", "Value": ["x" * 17]}}]}}),
        "0040A370[0].00080050 (AccessionNumber) has the value",
    ),
    ("nested too deeply", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("sequences nested too deeply", _nested(400), "nested too deeply"),
    ("sequences nested deeper than 32", _nested(40), "nested more than 32 deep"),
    ("a huge integer", b'[{"00101030": {"vr": "DS", "Value": [' + b"9" * 30 + b"]}}]", "out of range"),
    ("a lone surrogate", b'[{"00100020": {"vr": "LO", "Value": ["\\ud800"]}}]', "lone surrogate"),
    (
        "a lone surrogate in a name",
        b'[{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "\\udc00"}]}}]',
        "surrogate",
    ),
    ("NaN", _with(**{"00101030": {"vr": "DS", "Value": [float("nan")]}}), "NaN is not a JSON number"),
    ("a broken second data set", json.dumps([GOOD, {"x": 1}]).encode(), "'x' is not an attribute tag"),
    (
        "the JSON pointer of the fault",
        _with(**{"0040A370": {"vr": "SQ", "Value": [{"0020000D": {"vr": "UI", "Value": ["x"]}}]}}),
        "(at /0/0040A370/Value/0/0020000D)",
    ),
]


@pytest.mark.parametrize(("label", "body", "named"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_a_broken_create_body_is_refused(
    service: LiveService, checked: Validated, label: str, body: bytes, named: str
) -> None:
    session = checked.session()
    uid = generate_uid()
    answer = session.post(f"{service.root}/v2/workitems?{uid}", data=body, headers=SEND)
    assert answer.status_code == 400, (label, answer.status_code, answer.text)
    assert named in answer.text, (label, answer.text)
    assert session.get(f"{service.root}/v2/workitems/{uid}", headers=ACCEPT).status_code == 404


@pytest.mark.parametrize("action", ["update", "state", "cancelrequest"])
@pytest.mark.parametrize(("label", "body", "named"), BAD_BODIES[:8], ids=[b[0] for b in BAD_BODIES[:8]])
def test_a_broken_body_is_refused_by_every_workitem_transaction(
    service: LiveService, checked: Validated, action: str, label: str, body: bytes, named: str
) -> None:
    session = checked.session()
    uid = generate_uid()
    base = f"{service.root}/v1/workitems"
    assert session.post(f"{base}?{uid}", data=json.dumps([GOOD]), headers=SEND).status_code == 201
    if action == "update":
        answer = session.post(f"{base}/{uid}", data=body, headers=SEND)
    elif action == "state":
        answer = session.put(f"{base}/{uid}/state", data=body, headers=SEND)
    else:
        answer = session.post(f"{base}/{uid}/cancelrequest", data=body, headers=SEND)
    assert answer.status_code == 400, (label, answer.status_code, answer.text)
    assert named in answer.text, (label, answer.text)
    after = session.get(f"{base}/{uid}", headers=ACCEPT).json()
    assert value(after, STATE) == "SCHEDULED" and after[LABEL] == GOOD[LABEL]


def test_a_workitem_body_of_another_media_type_is_refused_with_415(
    service: LiveService, checked: Validated
) -> None:
    session = checked.session()
    headers = {"Content-Type": "application/json", "Accept": "application/dicom+json"}
    answer = session.post(
        f"{service.root}/v2/workitems?{generate_uid()}", data=json.dumps([GOOD]), headers=headers
    )
    assert answer.status_code == 415


def test_a_workitem_read_without_accept_is_refused_with_406(service: LiveService, checked: Validated) -> None:
    answer = checked.session().get(f"{service.root}/v2/workitems", headers={"Accept": ""})
    assert answer.status_code == 406
