"""The worklist (UPS-RS, PS3.4 Annex CC): workitems, their attribute requirements and their state machine.

Pure functions over DICOM JSON data sets: a new workitem from a create request, an updated one from an
update, the result of a state change or a cancellation request. A refusal is a `WorkitemError` carrying
why (`Refusal`; the HTTP glue picks the status), a sentence for the client and, where the standard gives a
warning, its text. The TransactionUID is the owner's lock: it lives beside the data set, never in what a
client reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import Enum

from dicom_service.kernel import tags
from dicom_service.kernel.json_reader import display, text_problem
from dicom_service.kernel.json_writer import JsonDataset, first_value
from dicom_service.worklist.attributes import CREATE_REQUIRED, UPDATE_NOT_ALLOWED, UPDATE_NOT_EMPTY


class State(Enum):
    """Procedure Step State (0074,1000)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class Refusal(Enum):
    """Why a request is refused: its data (INVALID) or the workitem's state (CONFLICT)."""

    INVALID = "invalid"
    CONFLICT = "conflict"


class WorkitemError(Exception):
    """A request the workitem's state or data refuses: why, a sentence for the client, maybe a warning."""

    def __init__(self, refusal: Refusal, message: str, warning: str | None = None) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.warning = warning


@dataclass(frozen=True)
class Workitem:
    uid: str
    state: State
    transaction_uid: str | None
    dataset: JsonDataset  # without TransactionUID


@dataclass(frozen=True)
class StateChange:
    workitem: Workitem | None  # None: nothing to save (already in the requested final state)
    warning: str | None = None


UPS_PUSH_SOP_CLASS = "1.2.840.10008.5.1.4.34.6.1"
(
    SOP_CLASS_UID,
    SOP_INSTANCE_UID,
    TRANSACTION_UID,
    PROCEDURE_STEP_STATE,
    PRIORITY,
    INPUT_READINESS,
    PROGRESS_INFORMATION,
    CANCELLATION_DATE_TIME,
) = tags.tags(
    "SOPClassUID",
    "SOPInstanceUID",
    "TransactionUID",
    "ProcedureStepState",
    "ScheduledProcedureStepPriority",
    "InputReadinessState",
    "ProcedureStepProgressInformationSequence",
    "ProcedureStepCancellationDateTime",
)

ENUMERATED = {
    PRIORITY: ("HIGH", "MEDIUM", "LOW"),
    INPUT_READINESS: ("READY", "UNAVAILABLE", "INCOMPLETE"),
    PROCEDURE_STEP_STATE: tuple(s.value for s in State),
}
# PS3.4 Table CC.2.5-3 final state "P": what a COMPLETED workitem's first performed-procedure item holds.
PERFORMED_PROCEDURE, MODIFIED, DISCONTINUATION_REASONS = tags.tags(
    "UnifiedProcedureStepPerformedProcedureSequence",
    "ScheduledProcedureStepModificationDateTime",
    "ProcedureStepDiscontinuationReasonCodeSequence",
)
COMPLETED_REQUIRED = tags.tags(
    "PerformedStationNameCodeSequence",
    "PerformedProcedureStepStartDateTime",
    "PerformedWorkitemCodeSequence",
    "PerformedProcedureStepEndDateTime",
    "OutputInformationSequence",
)
# Action Information of a cancellation request (PS3.4 Table CC.2.2-1), kept in the progress information.
CANCEL_INFORMATION = frozenset(
    tags.tags(
        "ReasonForCancellation",
        "ProcedureStepDiscontinuationReasonCodeSequence",
        "ContactURI",
        "ContactDisplayName",
    )
)


def create(dataset: JsonDataset, uid_from_query: str | None, now: dt.datetime) -> Workitem:
    """A new SCHEDULED workitem from a create request's data set; raises WorkitemError."""
    in_body = _text(dataset, SOP_INSTANCE_UID)
    uid = uid_from_query or in_body
    if not uid:
        raise WorkitemError(
            Refusal.INVALID,
            "The workitem UID is missing: give it as the first query parameter (POST /workitems?{uid}) "
            "or as SOPInstanceUID (0008,0018) in the data set.",
        )
    check_uid(uid)
    if uid_from_query and in_body and in_body != uid_from_query:
        raise WorkitemError(
            Refusal.INVALID,
            f"The SOPInstanceUID '{in_body}' of the data set differs from the workitem UID '{uid}' "
            "of the URL.",
        )
    problems = [
        f"The attribute {display('', tag)} is required and must have a value."
        for tag in CREATE_REQUIRED
        if _text(dataset, tag) is None
    ]
    if first_value(dataset.get(TRANSACTION_UID)) is not None:
        problems.append(
            f"The attribute {display('', TRANSACTION_UID)} must be empty when a workitem is created."
        )
    state = _text(dataset, PROCEDURE_STEP_STATE)
    if state is not None and state != State.SCHEDULED.value:
        problems.append(
            f"The attribute {display('', PROCEDURE_STEP_STATE)} is '{state}'; "
            "a new workitem must be SCHEDULED."
        )
    sop_class = _text(dataset, SOP_CLASS_UID)
    if sop_class is not None and sop_class != UPS_PUSH_SOP_CLASS:
        problems.append(
            f"The attribute {display('', SOP_CLASS_UID)} is '{sop_class}'; a workitem is created with the "
            f"UPS Push SOP Class {UPS_PUSH_SOP_CLASS}."
        )
    problems += _enumerated_problems(dataset)
    if problems:
        raise WorkitemError(Refusal.INVALID, " ".join(problems))
    stored = {tag: value for tag, value in dataset.items() if tag != TRANSACTION_UID}
    stored[SOP_INSTANCE_UID] = {"vr": "UI", "Value": [uid]}
    stored[SOP_CLASS_UID] = {"vr": "UI", "Value": [UPS_PUSH_SOP_CLASS]}
    stored.setdefault(MODIFIED, {"vr": "DT", "Value": [_date_time(now)]})
    return Workitem(uid, State.SCHEDULED, None, dict(sorted(stored.items())))


def update(item: Workitem, changes: JsonDataset, transaction_uid: str | None, now: dt.datetime) -> Workitem:
    """`item` with the changes of an update request applied; raises WorkitemError."""
    if item.state in (State.COMPLETED, State.CANCELED):
        raise WorkitemError(
            Refusal.CONFLICT,
            f"The workitem '{item.uid}' is {item.state.value}; "
            "a completed or canceled workitem cannot be updated.",
        )
    if item.state is State.SCHEDULED and transaction_uid:
        raise WorkitemError(
            Refusal.INVALID,
            f"The workitem '{item.uid}' is SCHEDULED: an update must not give a transaction UID "
            "(it has none until it is claimed).",
        )
    if item.state is State.IN_PROGRESS:
        if not transaction_uid:
            raise WorkitemError(
                Refusal.INVALID,
                f"The workitem '{item.uid}' is IN PROGRESS: give its transaction UID as the first query "
                "parameter (POST /workitems/{uid}?{transactionUid}).",
            )
        _check_transaction(item, transaction_uid)
    problems = [
        f"The attribute {display('', tag)} cannot be changed by an update."
        for tag in changes
        if tag in UPDATE_NOT_ALLOWED
    ]
    problems += [
        f"The attribute {display('', tag)} cannot be emptied; give it a value or leave it out."
        for tag in UPDATE_NOT_EMPTY
        if tag in changes and first_value(changes[tag]) is None
    ]
    problems += _enumerated_problems(changes)
    if problems:
        raise WorkitemError(Refusal.INVALID, " ".join(problems))
    modified = {MODIFIED: {"vr": "DT", "Value": [_date_time(now)]}}
    return replace(item, dataset=dict(sorted({**item.dataset, **changes, **modified}.items())))


def change_state(item: Workitem, request: JsonDataset, now: dt.datetime) -> StateChange:
    """The outcome of a Change Workitem State request (PS3.4 Table CC.2.1-2); raises WorkitemError."""
    transaction_uid = _text(request, TRANSACTION_UID)
    wanted = _text(request, PROCEDURE_STEP_STATE)
    problems = []
    if transaction_uid is None:
        problems.append(f"The attribute {display('', TRANSACTION_UID)} is required and must have a value.")
    if wanted is None:
        problems.append(
            f"The attribute {display('', PROCEDURE_STEP_STATE)} is required and must have a value."
        )
    elif wanted not in (State.IN_PROGRESS.value, State.COMPLETED.value, State.CANCELED.value):
        problems.append(
            f"The requested state '{wanted}' is not one of IN PROGRESS, COMPLETED and CANCELED "
            "(a workitem is SCHEDULED only when it is created)."
        )
    if problems or transaction_uid is None or wanted is None:
        raise WorkitemError(Refusal.INVALID, " ".join(problems))
    check_uid(transaction_uid, "transaction UID")
    target = State(wanted)
    if item.transaction_uid is not None:
        _check_transaction(item, transaction_uid)
    if item.state is State.SCHEDULED:
        if target is not State.IN_PROGRESS:
            raise WorkitemError(
                Refusal.CONFLICT,
                f"The workitem '{item.uid}' is SCHEDULED, not IN PROGRESS; the state transition "
                f"from SCHEDULED to {target.value} is not allowed (claim it with IN PROGRESS first).",
            )
        return StateChange(replace(item, state=target, transaction_uid=transaction_uid))
    if item.state is State.IN_PROGRESS:
        if target is State.IN_PROGRESS:
            raise WorkitemError(Refusal.CONFLICT, f"The workitem '{item.uid}' is already IN PROGRESS.")
        if target is State.COMPLETED:
            _check_final_state(item)
            return StateChange(replace(item, state=target))
        return StateChange(replace(item, state=target, dataset=_with_cancellation(item.dataset, {}, now)))
    if target is item.state:
        warning = f"The UPS is already in the requested state of {item.state.value}."
        return StateChange(None, warning)
    raise WorkitemError(
        Refusal.CONFLICT,
        f"The workitem '{item.uid}' is {item.state.value} and may no longer be updated; the state transition "
        f"from {item.state.value} to {target.value} is not allowed.",
    )


def request_cancellation(item: Workitem, information: JsonDataset, now: dt.datetime) -> Workitem:
    """A SCHEDULED workitem canceled at a client's request; raises WorkitemError."""
    unknown = [tag for tag in information if tag not in CANCEL_INFORMATION]
    if unknown:
        allowed = ", ".join(display("", tag) for tag in sorted(CANCEL_INFORMATION))
        named = ", ".join(display("", tag) for tag in unknown)
        raise WorkitemError(
            Refusal.INVALID, f"A cancellation request may hold only {allowed}; it holds {named}."
        )
    if item.state is State.CANCELED:
        message = "The UPS is already in the requested state of CANCELED."
        raise WorkitemError(Refusal.CONFLICT, f"The workitem '{item.uid}' is already CANCELED.", message)
    if item.state is State.COMPLETED:
        raise WorkitemError(
            Refusal.CONFLICT, f"The workitem '{item.uid}' is already COMPLETED; it cannot be canceled."
        )
    if item.state is State.IN_PROGRESS:
        raise WorkitemError(
            Refusal.CONFLICT,
            f"The workitem '{item.uid}' is IN PROGRESS; only its performer can cancel it, through the state "
            "transaction with its transaction UID.",
        )
    return replace(item, state=State.CANCELED, dataset=_with_cancellation(item.dataset, information, now))


def readable(item: Workitem) -> JsonDataset:
    """The workitem as a client reads it: its data set with its current state, never the TransactionUID."""
    return {**item.dataset, PROCEDURE_STEP_STATE: {"vr": "CS", "Value": [item.state.value]}}


def check_uid(uid: str, what: str = "workitem UID") -> None:
    problem = text_problem("UI", uid)
    if problem:
        raise WorkitemError(Refusal.INVALID, f"The {what} '{uid}' is not a valid UID: it {problem}.")


def _check_transaction(item: Workitem, transaction_uid: str) -> None:
    if transaction_uid != item.transaction_uid:
        raise WorkitemError(
            Refusal.INVALID,
            f"The transaction UID '{transaction_uid}' is not the one of the workitem '{item.uid}'.",
        )


def _check_final_state(item: Workitem) -> None:
    """A COMPLETED workitem records what was performed (PS3.4 CC.2.5.1.3, error C304)."""
    performed = (item.dataset.get(PERFORMED_PROCEDURE) or {}).get("Value") or []
    if performed and isinstance(performed[0], dict):
        missing = [
            display(f"{PERFORMED_PROCEDURE}[0].", tag)
            for tag in COMPLETED_REQUIRED
            if tag not in performed[0]
        ]
    else:
        missing = [f"{display('', PERFORMED_PROCEDURE)} with an item"]
    if missing:
        raise WorkitemError(
            Refusal.CONFLICT,
            f"The workitem '{item.uid}' has not met the final state requirements of COMPLETED: it lacks "
            f"{', '.join(missing)}. Add them with an update (with the transaction UID) first.",
        )


def _date_time(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")


def _with_cancellation(dataset: JsonDataset, information: JsonDataset, now: dt.datetime) -> JsonDataset:
    items = list((dataset.get(PROGRESS_INFORMATION) or {}).get("Value") or [{}])
    stamp = _date_time(now)
    items[0] = {DISCONTINUATION_REASONS: {"vr": "SQ"}, **items[0]}
    items[0] = dict(
        sorted({**items[0], **information, CANCELLATION_DATE_TIME: {"vr": "DT", "Value": [stamp]}}.items())
    )
    return dict(sorted({**dataset, PROGRESS_INFORMATION: {"vr": "SQ", "Value": items}}.items()))


def _enumerated_problems(dataset: JsonDataset) -> list[str]:
    problems = []
    for tag, allowed in ENUMERATED.items():
        value = _text(dataset, tag)
        if value is not None and value not in allowed:
            problems.append(
                f"The attribute {display('', tag)} is '{value}'; it must be one of {', '.join(allowed)}."
            )
    return problems


def _text(dataset: JsonDataset, tag: str) -> str | None:
    value = first_value(dataset.get(tag))
    return value if isinstance(value, str) and value.strip() else None
