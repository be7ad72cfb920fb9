"""PS3.4 Table CC.2.5-3 (the UPS attributes), once, as the service applies it: which attributes a create
request must give a value, which an update may not change or may not empty, and which every search
result returns. The workitem rules and the search read their sets from here."""

from __future__ import annotations

from dicom_service.kernel import tags

# keyword: (N-CREATE, N-SET, return key)
#   N-CREATE "1": present with a value (requirement type 1; 1C and 2C are optional here)
#   N-SET "-": not allowed, fixed once the workitem exists (ProcedureStepState changes through its
#   transactions); "1": may be left out of an update, but not emptied (type 3/1)
#   return key "R": type 1 or 2 at the top level, in every search result
TABLE: dict[str, tuple[str, str, str]] = {
    "SpecificCharacterSet": ("", "", "R"),
    "SOPClassUID": ("", "-", "R"),
    "SOPInstanceUID": ("", "-", "R"),
    "TransactionUID": ("", "-", ""),
    "ScheduledProcedureStepPriority": ("1", "1", "R"),
    "ScheduledProcedureStepModificationDateTime": ("", "", "R"),
    "ProcedureStepLabel": ("1", "1", "R"),
    "WorklistLabel": ("", "1", "R"),
    "ScheduledProcessingParametersSequence": ("", "", "R"),
    "ScheduledStationNameCodeSequence": ("", "", "R"),
    "ScheduledStationClassCodeSequence": ("", "", "R"),
    "ScheduledStationGeographicLocationCodeSequence": ("", "", "R"),
    "ScheduledHumanPerformersSequence": ("", "", "R"),
    "ScheduledProcedureStepStartDateTime": ("1", "1", "R"),
    "ExpectedCompletionDateTime": ("", "1", "R"),
    "ScheduledWorkitemCodeSequence": ("", "1", "R"),
    "CommentsOnTheScheduledProcedureStep": ("", "1", "R"),
    "InputReadinessState": ("1", "1", "R"),
    "InputInformationSequence": ("", "", "R"),
    "StudyInstanceUID": ("", "", "R"),
    "PatientName": ("", "-", "R"),
    "PatientID": ("", "-", "R"),
    "IssuerOfPatientID": ("", "-", "R"),
    "IssuerOfPatientIDQualifiersSequence": ("", "-", ""),
    "OtherPatientIDsSequence": ("", "", "R"),
    "PatientBirthDate": ("", "-", "R"),
    "PatientSex": ("", "-", "R"),
    "AdmissionID": ("", "-", "R"),
    "IssuerOfAdmissionIDSequence": ("", "-", "R"),
    "AdmittingDiagnosesDescription": ("", "-", "R"),
    "AdmittingDiagnosesCodeSequence": ("", "-", "R"),
    "ReferencedRequestSequence": ("", "-", "R"),
    "ReplacedProcedureStepSequence": ("", "-", "R"),
    "ProcedureStepState": ("1", "-", "R"),
    "ProcedureStepProgressInformationSequence": ("", "", "R"),
    "UnifiedProcedureStepPerformedProcedureSequence": ("", "", "R"),
}


def _column(index: int, code: str) -> tuple[str, ...]:
    return tags.tags(*(keyword for keyword, row in TABLE.items() if row[index] == code))


CREATE_REQUIRED = _column(0, "1")
UPDATE_NOT_ALLOWED = frozenset(_column(1, "-"))
UPDATE_NOT_EMPTY = _column(1, "1")
RETURNED = frozenset(_column(2, "R"))
