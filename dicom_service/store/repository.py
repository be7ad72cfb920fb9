"""A store's side of the index: one instance with its study, series and change-feed entry, in one write.

On PostgreSQL a transaction that adds change-feed entries adds them last, under the change-feed lock
(`dialect.lock_change_feed`), so a reader paging by sequence never sees a later entry before an earlier one
commits; SQLite has one writer at a time, so its store writes the entry first and every row with its number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from dicom_service.kernel.instance import Instance
from dicom_service.kernel.tags import Level
from dicom_service.query_tags import repository as query_tags
from dicom_service.query_tags.rules import StoredTag
from dicom_service.storage import dialect, prepared, statements
from dicom_service.storage import schema as t
from dicom_service.storage.database import Database


class DuplicateInstance(Exception):
    """The partition already holds an instance with this SOP Instance UID."""


@dataclass(frozen=True)
class _Writes:
    """The store's statements for one engine, built once."""

    upsert_study: Any
    upsert_series: Any
    levels_upsert: Any  # PostgreSQL: study and series in one round trip; else None
    tail: Any  # PostgreSQL: the commit tail in one round trip; else None
    numbered: bool  # SQLite: the change-feed entry first, its number the watermark of every row written
    rows: Callable[[Connection, Any, dict[str, Any]], Sequence[Any]]  # a statement's rows, run on `c`


@cache
def _writes(name: str) -> _Writes:
    combined = name == "postgresql"  # the store's writes in fewer statements (store_statements)
    return _Writes(
        dialect.upsert(name, t.study, ("partition_id", "study_uid"), t.STUDY_COLUMNS),
        dialect.upsert(name, t.series, ("study_id", "series_uid"), t.SERIES_COLUMNS),
        statements.levels_upsert(t.STUDY_COLUMNS, t.SERIES_COLUMNS) if combined else None,
        statements.commit_tail() if combined else None,
        name == "sqlite",
        prepared.rows if name == "sqlite" else _rows,  # SQLite: without SQLAlchemy's work per statement
    )


def _rows(c: Connection, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
    return c.execute(statement, params).all()


def add(db: Database, partition: str, item: Instance, blob_key: str, size: int, now: str) -> int:
    """Index a stored instance; returns its watermark. Raises DuplicateInstance."""
    writes = _writes(db.dialect_name)
    rows = Rows.of(item, blob_key, size, now)
    try:
        with db.write() as c:
            pid = _partition(c, db, partition, now)
            found = query_tags.tags_to_index(c)
            return _add(c, writes, pid, partition, rows, now, found)
    except IntegrityError:
        if _holds(db, partition, item.sop_uid):  # a concurrent store of it won the race
            raise DuplicateInstance(item.sop_uid) from None
        raise


def add_group(db: Database, partition: str, entries: list[Entry], now: str) -> list[bool]:
    """SQLite: index several stored instances in one transaction, so they share one commit (most of a small
    instance's index write). Returns, per entry, whether it was added (False: the partition already holds
    it, found before any of its rows is written). Any other failure adds none of them."""
    prepared = [Rows.of(item, key, size, now) for item, key, size in entries]
    return add_rows(db, partition, lambda: prepared, now)


def add_rows(db: Database, partition: str, take: Callable[[], list[Rows]], now: str) -> list[bool]:
    """SQLite: add_group of the instances `take()` gives, called once the write lock is held."""
    writes = _writes(db.dialect_name)
    added = []
    with db.write() as c:
        # Taken now, the write lock keeps every other writer out until the commit: no concurrent store can
        # add one of these instances between its duplicate check and its rows.
        c.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        group = take()
        pid = _partition(c, db, partition, now)
        found = query_tags.tags_to_index(c)
        for rows in group:
            try:
                _add(c, writes, pid, partition, rows, now, found)
                added.append(True)
            except DuplicateInstance:
                added.append(False)
    return added


Entry = tuple[Instance, str, int]  # an instance, its blob key and its size in bytes


def _partition(c: Connection, db: Database, partition: str, now: str) -> int:
    """The partition's row id, the row added when this is its first store."""
    pid = db.partition_id(c, partition)
    if pid is None:
        c.execute(db.insert_missing(t.partition), {"name": partition, "created": now})
        # not cached: other threads must not use the id before this transaction commits
        pid = c.execute(statements.PARTITION_ID, {"b_name": partition}).scalar_one()
    return int(pid)


@dataclass(frozen=True)
class Rows:
    """An instance's rows as far as they are known before the write: made before the index's write lock
    is taken, so that the lock is held for the statements alone (on SQLite it serialises every process's
    stores)."""

    item: Instance
    change: dict[str, Any]
    instance: dict[str, Any]
    study: dict[str, Any]
    series: dict[str, Any]

    @classmethod
    def of(cls, item: Instance, key: str, size: int, now: str) -> Rows:
        uids = {"study_uid": item.study_uid, "series_uid": item.series_uid, "sop_uid": item.sop_uid}
        instance = {
            "sop_uid": item.sop_uid,
            "sop_class_uid": item.sop_class_uid,
            "transfer_syntax": item.transfer_syntax,
            "frames": item.frames,
            "blob_key": key,
            "size": size,
            "metadata": orjson.dumps(item.metadata).decode(),
            "frame_index": item.frame_index,
            "bulk_data": item.bulk_data,
        }
        study = {"study_uid": item.study_uid} | _level_values(item, Level.STUDY, t.STUDY_COLUMNS)
        series = {"series_uid": item.series_uid} | _level_values(item, Level.SERIES, t.SERIES_COLUMNS)
        return cls(item, uids | {"action": "create", "timestamp": now}, instance, study, series)


def _add(
    c: Connection,
    writes: _Writes,
    pid: int,
    partition: str,
    rows: Rows,
    now: str,
    found: list[StoredTag],
) -> int:
    item = rows.item
    if writes.rows(c, statements.INSTANCE_ID, {"b_pid": pid, "b_sop": item.sop_uid}):
        raise DuplicateInstance(item.sop_uid)
    change = rows.change | {"partition_id": pid}
    instance = rows.instance | {"partition_id": pid}
    if writes.numbered:  # SQLite: one writer; every row written with its watermark at once
        watermark = int(writes.rows(c, statements.NUMBERED_CHANGE, change)[0][0])
        study_id, series_id = _upsert_levels(c, writes, pid, rows, watermark)
        instance |= {"study_id": study_id, "series_id": series_id, "watermark": watermark}
        instance_id = int(writes.rows(c, statements.NEW_INSTANCE, instance)[0][0])
    else:
        # Study and series rows first: their row locks are taken before the change-feed lock, in
        # the same order as a delete takes them, so the two never wait for each other in a cycle.
        study_id, series_id = _upsert_levels(c, writes, pid, rows, 0)  # watermark: in the tail
        instance |= {"study_id": study_id, "series_id": series_id}
        # The commit tail: the change-feed entry's sequence is the instance's watermark, allocated
        # under the change-feed lock held to the commit, so sequences are visible in commit order.
        dialect.lock_change_feed(c)
        watermark, instance_id = _commit_tail(c, writes, change, instance)
    # The extended query tags' values need the instance row's id, which the commit tail makes.
    if found:
        ids = (instance_id, study_id, series_id, partition, item.study_uid, item.series_uid)
        row = query_tags.InstanceRow(*ids, item.sop_uid, "")
        query_tags.index_instance(c, row, item.metadata, found, now)
    return watermark


def _level_values(item: Instance, level: Level, columns: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {column: item.columns.get(column) for column in columns}
    values["attributes"] = orjson.dumps(item.level_attributes(level)).decode()
    return values


def _upsert_levels(c: Connection, writes: _Writes, pid: int, rows: Rows, watermark: int) -> tuple[int, int]:
    """The study and series rows of the instance, added or their indexed values replaced; (study, series)."""
    study = rows.study | {"partition_id": pid, "watermark": watermark}
    series = rows.series | {"watermark": watermark}
    if writes.levels_upsert is not None:  # one round trip
        params = {f"st_{k}": v for k, v in study.items()} | {f"se_{k}": v for k, v in series.items()}
        study_id, series_id = c.execute(writes.levels_upsert, params).one()
        return int(study_id), int(series_id)
    study_id = int(writes.rows(c, writes.upsert_study, study)[0][0])
    series_id = int(writes.rows(c, writes.upsert_series, series | {"study_id": study_id})[0][0])
    return study_id, series_id


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


def _commit_tail(
    c: Connection, writes: _Writes, change: dict[str, Any], instance: dict[str, Any]
) -> tuple[int, int]:
    """The change-feed entry and the instance row, the watermark set on them and on the study and
    series rows; (watermark, instance id). Run under the change-feed lock, as the last writes."""
    if writes.tail is not None:  # one round trip
        params = {f"cf_{k}": v for k, v in change.items()} | {f"i_{k}": v for k, v in instance.items()}
        watermark, instance_id = c.execute(writes.tail, params).one()
        return int(watermark), int(instance_id)
    watermark = _new_id(c.execute(statements.INSERT_CHANGE, change | {"watermark": 0}))
    c.execute(statements.SET_WATERMARK, {"b_sequence": watermark, "watermark": watermark})
    instance_id = _new_id(c.execute(statements.INSERT_INSTANCE, instance | {"watermark": watermark}))
    c.execute(statements.STUDY_WATERMARK, {"b_id": instance["study_id"], "watermark": watermark})
    c.execute(statements.SERIES_WATERMARK, {"b_id": instance["series_id"], "watermark": watermark})
    return watermark, instance_id


def _holds(db: Database, partition: str, sop_uid: str) -> bool:
    with db.read() as c:
        pid = db.partition_id(c, partition)
        return (
            pid is not None
            and c.execute(statements.INSTANCE_ID, {"b_pid": pid, "b_sop": sop_uid}).first() is not None
        )
