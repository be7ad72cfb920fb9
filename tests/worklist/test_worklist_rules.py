"""The UPS state machine (PS3.4 Table CC.2.1-2) as a case table: every state × every request × right or
wrong transaction UID, with the answer the service gives."""

from __future__ import annotations

import datetime as dt

import pytest

from dicom_service.worklist.workitem import (
    Refusal,
    State,
    Workitem,
    WorkitemError,
    change_state,
    request_cancellation,
)

OWNER, STRANGER = "1.2.3.1", "1.2.3.2"
NOW = dt.datetime(2024, 1, 2, 9, 30, tzinfo=dt.UTC)
S, P, C, X = State.SCHEDULED, State.IN_PROGRESS, State.COMPLETED, State.CANCELED


PERFORMED = {
    "00741216": {
        "vr": "SQ",
        "Value": [
            {tag: {"vr": "SQ"} for tag in ("00404028", "00404050", "00404019", "00404051", "00404033")}
        ],
    }
}


def _item(state: State, owned: bool = True) -> Workitem:
    transaction = OWNER if state is not S and owned else None
    return Workitem("1.2.9", state, transaction, PERFORMED)


def _request(transaction: str, state: str) -> dict[str, object]:
    return {"00081195": {"vr": "UI", "Value": [transaction]}, "00741000": {"vr": "CS", "Value": [state]}}


# (current state, transaction UID sent, requested state) → new state, or the status the refusal is answered
# with; "warning" = 200 + Warning
REFUSAL = {400: Refusal.INVALID, 409: Refusal.CONFLICT}
CASES = [
    (S, OWNER, "IN PROGRESS", P),
    (S, OWNER, "COMPLETED", 409),
    (S, OWNER, "CANCELED", 409),
    (P, OWNER, "IN PROGRESS", 409),
    (P, STRANGER, "IN PROGRESS", 400),
    (P, OWNER, "COMPLETED", C),
    (P, STRANGER, "COMPLETED", 400),
    (P, OWNER, "CANCELED", X),
    (P, STRANGER, "CANCELED", 400),
    (C, OWNER, "COMPLETED", "warning"),
    (C, STRANGER, "COMPLETED", 400),
    (C, OWNER, "CANCELED", 409),
    (C, OWNER, "IN PROGRESS", 409),
    (X, OWNER, "CANCELED", "warning"),
    (X, OWNER, "COMPLETED", 409),
    (X, OWNER, "IN PROGRESS", 409),
    (X, STRANGER, "CANCELED", 400),
    (S, OWNER, "SCHEDULED", 400),
    (S, OWNER, "DONE", 400),
]


@pytest.mark.parametrize(("state", "transaction", "wanted", "expected"), CASES)
def test_state_transitions(state: State, transaction: str, wanted: str, expected: object) -> None:
    item = _item(state)
    if isinstance(expected, int):
        with pytest.raises(WorkitemError) as refused:
            change_state(item, _request(transaction, wanted), NOW)
        assert refused.value.refusal is REFUSAL[expected]
        return
    outcome = change_state(item, _request(transaction, wanted), NOW)
    if expected == "warning":
        assert outcome.workitem is None
        assert outcome.warning == f"The UPS is already in the requested state of {state.value}."
        return
    assert outcome.workitem is not None and outcome.warning is None
    assert outcome.workitem.state is expected and outcome.workitem.transaction_uid == OWNER


def test_a_workitem_is_completed_only_with_its_performed_procedure() -> None:
    unrecorded = Workitem("1.2.9", P, OWNER, {})
    with pytest.raises(WorkitemError) as refused:
        change_state(unrecorded, _request(OWNER, "COMPLETED"), NOW)
    assert (
        refused.value.refusal is Refusal.CONFLICT
        and "UnifiedProcedureStepPerformedProcedureSequence" in str(refused.value)
    )
    assert change_state(unrecorded, _request(OWNER, "CANCELED"), NOW).workitem is not None


def test_a_workitem_canceled_by_request_has_no_owner_and_stays_canceled() -> None:
    canceled = request_cancellation(_item(S), {"00741238": {"vr": "LT", "Value": ["No show"]}}, NOW)
    assert canceled.state is X and canceled.transaction_uid is None
    progress = canceled.dataset["00741002"]["Value"][0]
    assert progress["00741238"]["Value"] == ["No show"]
    assert progress["00404052"]["Value"] == ["20240102093000+0000"] and "0074100E" in progress
    outcome = change_state(canceled, _request(STRANGER, "CANCELED"), NOW)
    assert outcome.workitem is None and outcome.warning is not None


@pytest.mark.parametrize(("state", "status", "warned"), [(P, 409, False), (C, 409, False), (X, 409, True)])
def test_only_a_scheduled_workitem_can_be_canceled_by_request(
    state: State, status: int, warned: bool
) -> None:
    with pytest.raises(WorkitemError) as refused:
        request_cancellation(_item(state), {}, NOW)
    assert refused.value.refusal is REFUSAL[status] and (refused.value.warning is not None) == warned
