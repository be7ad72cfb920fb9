"""The change feed's side of the index: entries by sequence or time window, with each instance's state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from dicom_service.storage import schema as t
from dicom_service.storage.database import Database


@dataclass(frozen=True)
class Change:
    sequence: int
    partition: str
    study_uid: str
    series_uid: str
    sop_uid: str
    action: str
    timestamp: str
    state: str
    metadata: str | None


def changes(
    db: Database,
    after_sequence: int | None = None,
    up_to_sequence: int | None = None,
    start: str | None = None,
    end: str | None = None,
    offset: int = 0,
    limit: int = 1,  # the latest entry; a page passes the spec's limit
    newest: bool = False,
) -> list[Change]:
    cf, p, i = t.change_feed, t.partition, t.instance
    current = select(i.c.metadata).where(i.c.watermark == cf.c.watermark).scalar_subquery()
    later = cf.alias("later")  # a bulk update's entry supersedes the instance's earlier ones
    superseded = exists(
        select(later.c.sequence).where(later.c.watermark == cf.c.watermark, later.c.sequence > cf.c.sequence)
    )
    statement = select(
        cf.c.sequence,
        p.c.name,
        cf.c.study_uid,
        cf.c.series_uid,
        cf.c.sop_uid,
        cf.c.action,
        cf.c.timestamp,
        current.label("metadata"),
        superseded.label("superseded"),
    ).join(p, cf.c.partition_id == p.c.id)
    if after_sequence is not None:
        statement = statement.where(cf.c.sequence > after_sequence)
    if up_to_sequence is not None:
        statement = statement.where(cf.c.sequence <= up_to_sequence)
    if start is not None:
        statement = statement.where(cf.c.timestamp >= start)
    if end is not None:
        statement = statement.where(cf.c.timestamp < end)
    if newest:
        statement = statement.order_by(cf.c.sequence.desc()).limit(1)
    elif start is not None or end is not None:
        statement = statement.order_by(cf.c.timestamp, cf.c.sequence).offset(offset).limit(limit)
    else:
        statement = statement.order_by(cf.c.sequence).offset(offset).limit(limit)
    with db.read() as c:
        rows = c.execute(statement).all()
    return [
        Change(
            r.sequence,
            r.name,
            r.study_uid,
            r.series_uid,
            r.sop_uid,
            r.action,
            r.timestamp,
            _state(r.action, r.metadata is not None, r.superseded),
            r.metadata,
        )
        for r in rows
    ]


def _state(action: str, exists_now: bool, superseded: bool) -> str:
    if not exists_now or action == "delete":
        return "deleted"
    return "replaced" if superseded else "current"
