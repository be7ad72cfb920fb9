"""The change feed: one entry per instance created or deleted, read by sequence (v1) or time window (v2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from dicom_service.changefeed.repository import Change
from dicom_service.changefeed.repository import changes as read_changes
from dicom_service.storage.database import Database
from dicom_service.storage.service import timestamp


class WindowError(ValueError):
    """A time window the feed cannot read; the message is shown to the client (400)."""


def by_sequence(index: Database, offset: int, limit: int, include_metadata: bool) -> list[dict[str, Any]]:
    """Entries with sequence numbers offset+1 … offset+limit (the range bounds the page, as v1 documents)."""
    last = min(offset + limit, 2**63 - 1)  # sequences are 64-bit; the range stops at the largest
    changes = read_changes(index, after_sequence=offset, up_to_sequence=last, limit=limit)
    return [entry(change, include_metadata) for change in changes]


def by_time(
    index: Database,
    start: str | None,
    end: str | None,
    offset: int,
    limit: int,
    include_metadata: bool,
) -> list[dict[str, Any]]:
    """Entries with start ≤ timestamp < end, in time order; `offset` skips entries inside the window."""
    low, high = _utc(start), _utc(end)
    if low is not None and high is not None and high <= low:
        raise WindowError("The endTime must be after the startTime.")
    changes = read_changes(index, start=low or "", end=high, offset=offset, limit=limit)
    return [entry(change, include_metadata) for change in changes]


def latest(index: Database, include_metadata: bool) -> dict[str, Any] | None:
    changes = read_changes(index, newest=True)
    return entry(changes[0], include_metadata) if changes else None


def entry(change: Change, include_metadata: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sequence": change.sequence,
        "partitionName": change.partition,
        "studyInstanceUid": change.study_uid,
        "seriesInstanceUid": change.series_uid,
        "sopInstanceUid": change.sop_uid,
        "action": change.action,
        "timestamp": change.timestamp,
        "state": change.state,
    }
    if include_metadata and change.metadata is not None and change.state == "current":
        body["metadata"] = orjson.loads(change.metadata)
    return body


def _utc(value: str | None) -> str | None:
    """A client's date-time (with its time zone) in the index's timestamp form."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    try:
        return timestamp(moment)
    except OverflowError:
        raise WindowError(f"The time {value} is outside the years 1 to 9999 once in UTC.") from None
