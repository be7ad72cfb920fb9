"""Operation records in the index database: create, read, claim the next one, report progress, finish.

`claim_next` is the one place that hands work to a worker: on PostgreSQL its `FOR UPDATE SKIP LOCKED` lets
several workers claim without meeting; SQLite ignores the clause and serialises writers instead.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, insert, select, update

from dicom_service.dicom import operations as ops
from dicom_service.dicom.operations import Operation
from dicom_service.dicom.storage.operations_schema import operation as table

if TYPE_CHECKING:
    from dicom_service.dicom.storage.index import SqlIndex


def insert_operation(
    c: Connection, op_id: str, op_type: str, partition: str, spec: Any, resources: list[str], now: str
) -> None:
    """A new `notStarted` operation, inside the caller's transaction."""
    c.execute(
        insert(table).values(
            id=op_id,
            type=op_type,
            status=ops.NOT_STARTED,
            partition=partition,
            created=now,
            updated=now,
            percent=0,
            attempts=0,
            spec=json.dumps(spec),
            resources=json.dumps(resources),
        )
    )


class ActiveOperation(Exception):
    """Another operation of the type runs, and only one may at a time; `args[0]` is its ID."""


def start(
    index: SqlIndex, op_type: str, partition: str, spec: Any, resources: list[str], now: str, exclusive: bool
) -> str:
    """A new operation; with `exclusive`, refused (ActiveOperation) while another of its type is active."""
    op_id = ops.new_id()
    with index.write() as c:
        running = active_of_type(c, op_type) if exclusive else None
        if running is not None:
            raise ActiveOperation(running)
        insert_operation(c, op_id, op_type, partition, spec, resources, now)
    return op_id


def get(index: SqlIndex, op_id: str) -> Operation | None:
    with index.engine.connect() as c:
        row = c.execute(select(table).where(table.c.id == op_id)).first()
    return _operation(row) if row is not None else None


def active_of_type(c: Connection, op_type: str) -> str | None:
    """The ID of a `notStarted` or `running` operation of this type, if any."""
    found = c.execute(
        select(table.c.id).where(table.c.type == op_type, table.c.status.in_(ops.ACTIVE)).limit(1)
    ).scalar()
    return str(found) if found is not None else None


def claim_next(index: SqlIndex, now: str) -> Operation | None:
    """Take the oldest `notStarted` operation: it becomes `running`, its attempts counted."""
    with index.write() as c:
        row = c.execute(
            select(table)
            .where(table.c.status == ops.NOT_STARTED)
            .order_by(table.c.created)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        c.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(status=ops.RUNNING, updated=now, attempts=table.c.attempts + 1)
        )
    claimed = _operation(row)
    return Operation(**{**claimed.__dict__, "status": ops.RUNNING, "attempts": claimed.attempts + 1})


def recover_interrupted(index: SqlIndex, now: str) -> None:
    """At start-up: what a stopped process left `running` resumes, unless it has been started too often."""
    with index.write() as c:
        c.execute(
            update(table)
            .where(table.c.status == ops.RUNNING, table.c.attempts >= ops.MAX_ATTEMPTS)
            .values(
                status=ops.FAILED,
                updated=now,
                results=json.dumps({"errors": ["The operation was interrupted too many times."]}),
            )
        )
        c.execute(
            update(table).where(table.c.status == ops.RUNNING).values(status=ops.NOT_STARTED, updated=now)
        )


def progress(index: SqlIndex, op_id: str, percent: int, checkpoint: Any, now: str) -> None:
    with index.write() as c:
        c.execute(
            update(table)
            .where(table.c.id == op_id)
            .values(percent=max(0, min(percent, 99)), checkpoint=json.dumps(checkpoint), updated=now)
        )


def finish(index: SqlIndex, op_id: str, status: str, results: dict[str, Any] | None, now: str) -> None:
    with index.write() as c:
        c.execute(
            update(table)
            .where(table.c.id == op_id)
            .values(
                status=status,
                percent=100,
                updated=now,
                results=json.dumps(results) if results is not None else None,
            )
        )


def _operation(row: Row[Any]) -> Operation:
    return Operation(
        id=row.id,
        type=row.type,
        status=row.status,
        partition=row.partition,
        created=row.created,
        updated=row.updated,
        percent=row.percent,
        attempts=row.attempts,
        spec=json.loads(row.spec),
        checkpoint=json.loads(row.checkpoint) if row.checkpoint else None,
        resources=json.loads(row.resources) if row.resources else [],
        results=json.loads(row.results) if row.results else None,
    )
