"""Workitems for the worklist tests: DICOM JSON data sets meeting the UPS Push create requirements."""

from __future__ import annotations

from typing import Any

from pydicom.uid import generate_uid

DICOM_JSON = "application/dicom+json"
SEND = {"Content-Type": DICOM_JSON, "Accept": DICOM_JSON}
ACCEPT = {"Accept": DICOM_JSON}

SOP_CLASS, SOP_INSTANCE, TRANSACTION_UID, STATE = "00080016", "00080018", "00081195", "00741000"
PATIENT_NAME, PATIENT_ID, STUDY_UID = "00100010", "00100020", "0020000D"
START, PRIORITY, LABEL, READINESS = "00404005", "00741200", "00741204", "00404041"
REQUESTS, ACCESSION, PROCEDURE_ID = "0040A370", "00080050", "00401001"
STATION_NAME, STATION_CLASS, STATION_PLACE, CODE_VALUE = "00404025", "00404026", "00404027", "00080100"
PROGRESS, REASON, CANCELED_AT = "00741002", "00741238", "00404052"
PERFORMED = "00741216"


def code(value: str) -> dict[str, Any]:
    return {
        "vr": "SQ",
        "Value": [
            {
                CODE_VALUE: {"vr": "SH", "Value": [value]},
                "00080102": {"vr": "SH", "Value": ["99TEST"]},
                "00080104": {"vr": "LO", "Value": [f"Code {value}"]},
            }
        ],
    }


def workitem(
    uid: str | None = None,
    patient: str = "Doe^Jane",
    patient_id: str = "PAT-1",
    start: str = "20240102090000",
    accession: str = "ACC-1",
    procedure_id: str = "RP-1",
    station: str = "CT01",
    station_class: str = "CT",
    place: str = "EAST",
    study: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A SCHEDULED workitem; `uid` also as SOPInstanceUID when given."""
    dataset: dict[str, Any] = {
        PATIENT_NAME: {"vr": "PN", "Value": [{"Alphabetic": patient}]},
        PATIENT_ID: {"vr": "LO", "Value": [patient_id]},
        STUDY_UID: {"vr": "UI", "Value": [study or generate_uid()]},
        START: {"vr": "DT", "Value": [start]},
        READINESS: {"vr": "CS", "Value": ["READY"]},
        REQUESTS: {
            "vr": "SQ",
            "Value": [
                {
                    ACCESSION: {"vr": "SH", "Value": [accession]},
                    PROCEDURE_ID: {"vr": "SH", "Value": [procedure_id]},
                }
            ],
        },
        STATION_NAME: code(station),
        STATION_CLASS: code(station_class),
        STATION_PLACE: code(place),
        STATE: {"vr": "CS", "Value": ["SCHEDULED"]},
        PRIORITY: {"vr": "CS", "Value": ["MEDIUM"]},
        "00741202": {"vr": "LO", "Value": ["Reading worklist"]},
        LABEL: {"vr": "LO", "Value": ["Read chest study"]},
        **extra,
    }
    if uid is not None:
        dataset[SOP_INSTANCE] = {"vr": "UI", "Value": [uid]}
    return dataset


def state_change(transaction_uid: str | None, state: str | None) -> list[dict[str, Any]]:
    dataset: dict[str, Any] = {}
    if transaction_uid is not None:
        dataset[TRANSACTION_UID] = {"vr": "UI", "Value": [transaction_uid]}
    if state is not None:
        dataset[STATE] = {"vr": "CS", "Value": [state]}
    return [dataset]


def value(dataset: dict[str, Any], tag: str) -> Any:
    return dataset[tag]["Value"][0]


def performed(station: str = "CT01") -> dict[str, Any]:
    """What a performer records before completing: the Unified Procedure Step Performed Procedure Sequence."""
    return {
        PERFORMED: {
            "vr": "SQ",
            "Value": [
                {
                    "00404028": code(station),  # PerformedStationNameCodeSequence
                    "00404050": {
                        "vr": "DT",
                        "Value": ["20240102091500"],
                    },  # PerformedProcedureStepStartDateTime
                    "00404019": code("READ"),  # PerformedWorkitemCodeSequence
                    "00404051": {
                        "vr": "DT",
                        "Value": ["20240102094500"],
                    },  # PerformedProcedureStepEndDateTime
                    "00404033": {"vr": "SQ"},  # OutputInformationSequence
                }
            ],
        }
    }
