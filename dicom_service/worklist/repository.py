"""Workitems in the index database: add, read, change under the index's writer lock, search.

A change reads the workitem and saves its new form in one write transaction, so two requests on the same
workitem (say two performers claiming it) are decided one after the other, never interleaved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dicom_service.kernel.json_writer import JsonDataset
from dicom_service.kernel.tags import Match
from dicom_service.storage import schema as t
from dicom_service.storage.database import Database
from dicom_service.storage.worklist_schema import workitem, workitem_key
from dicom_service.worklist.query import KeyFilter, WorkitemQuery, search_keys
from dicom_service.worklist.workitem import State, Workitem, readable

T = TypeVar("T")


class DuplicateWorkitem(Exception):
    """The partition already holds a workitem with this UID."""


class WorkitemNotFound(Exception):
    """The partition holds no workitem with this UID."""


class WorklistStore:
    def __init__(self, index: Database) -> None:
        self.index = index

    def add(self, partition: str, item: Workitem, now: str) -> None:
        """Store a new workitem (its partition created if needed). Raises DuplicateWorkitem.

        Where writers are not serialised (PostgreSQL), a concurrent create of the same workitem or partition
        ends in a unique-constraint error: the workitem is then a duplicate, or the add is tried once more."""
        try:
            self._add(partition, item, now)
        except IntegrityError:
            if self.get(partition, item.uid) is not None:
                raise DuplicateWorkitem(item.uid) from None
            self._add(partition, item, now)

    def _add(self, partition: str, item: Workitem, now: str) -> None:
        with self.index.write() as c:
            pid = _partition_id(c, partition)
            if pid is None:
                created = c.execute(insert(t.partition).values(name=partition, created=now))
                pid = created.inserted_primary_key[0]  # type: ignore[index]
            taken = c.execute(
                select(workitem.c.id).where(workitem.c.partition_id == pid, workitem.c.uid == item.uid)
            ).first()
            if taken is not None:
                raise DuplicateWorkitem(item.uid)
            row = {
                "partition_id": pid,
                "uid": item.uid,
                "state": item.state.value,
                "transaction_uid": item.transaction_uid,
                "attributes": _text(item),
                "created": now,
                "updated": now,
            }
            row_id = c.execute(insert(workitem).values(**row)).inserted_primary_key[0]  # type: ignore[index]
            _save_keys(c, row_id, readable(item))

    def get(self, partition: str, uid: str) -> Workitem | None:
        with self.index.read() as c:
            row = _find(c, partition, uid)
        return _workitem(row) if row is not None else None

    def change(
        self, partition: str, uid: str, decide: Callable[[Workitem], tuple[Workitem | None, T]], now: str
    ) -> T:
        """Apply `decide` to the stored workitem and save the workitem it returns (None: nothing to save).

        Raises WorkitemNotFound, or whatever `decide` raises (then nothing is saved)."""
        with self.index.write() as c:
            row = _find(c, partition, uid, for_update=True)
            if row is None:
                raise WorkitemNotFound(uid)
            changed, answer = decide(_workitem(row))
            if changed is not None:
                c.execute(
                    update(workitem)
                    .where(workitem.c.id == row.id)
                    .values(
                        state=changed.state.value,
                        transaction_uid=changed.transaction_uid,
                        attributes=_text(changed),
                        updated=now,
                    )
                )
                c.execute(delete(workitem_key).where(workitem_key.c.workitem_id == row.id))
                _save_keys(c, row.id, readable(changed))
        return answer

    def search(self, query: WorkitemQuery) -> list[Workitem]:
        """The matching workitems, newest first, one page."""
        with self.index.read() as c:
            pid = _partition_id(c, query.partition)
            if pid is None:
                return []
            statement = (
                select(workitem)
                .where(workitem.c.partition_id == pid, *(_condition(f) for f in query.filters))
                .order_by(workitem.c.id.desc())
                .limit(query.limit)
                .offset(query.offset)
            )
            rows = c.execute(statement).all()
        return [_workitem(row) for row in rows]


def _partition_id(c: Connection, name: str) -> int | None:
    return c.execute(select(t.partition.c.id).where(t.partition.c.name == name)).scalar()


def _find(c: Connection, partition: str, uid: str, for_update: bool = False) -> Any:
    statement = (
        select(workitem)
        .join(t.partition, t.partition.c.id == workitem.c.partition_id)
        .where(t.partition.c.name == partition, workitem.c.uid == uid)
    )
    if for_update:
        statement = statement.with_for_update()
    return c.execute(statement).first()


def _workitem(row: Any) -> Workitem:
    return Workitem(row.uid, State(row.state), row.transaction_uid, json.loads(row.attributes))


def _text(item: Workitem) -> str:
    return json.dumps(readable(item), separators=(",", ":"))


def _save_keys(c: Connection, row_id: int, dataset: JsonDataset) -> None:
    keys = [
        {"workitem_id": row_id, "path": path, "value": value[:256]} for path, value in search_keys(dataset)
    ]
    if keys:
        c.execute(insert(workitem_key), keys)


def _condition(item: KeyFilter) -> Any:
    k = workitem_key
    value = k.c.value
    if item.match is Match.DATE:
        bounds = [value >= item.low] if item.low else []
        bounds += [value <= item.high] if item.high else []
        matched = and_(*bounds)
    elif item.words:
        matched = and_(
            *(
                or_(
                    value.like(_escape(w) + "%", escape="\\"),
                    value.like("% " + _escape(w) + "%", escape="\\"),
                )
                for w in item.words
            )
        )
    else:
        matched = value.in_(item.values)
    return exists(
        select(k.c.workitem_id).where(k.c.workitem_id == workitem.c.id, k.c.path == item.key, matched)
    )


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
