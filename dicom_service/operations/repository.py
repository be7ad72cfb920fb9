"""Operation records in the index database: create, read, claim the next one, renew its lease, report
progress, finish or hand back.

`claim_next` is the one place that hands work to a worker: on PostgreSQL its `FOR UPDATE SKIP LOCKED` lets
several workers claim without meeting; SQLite ignores the clause and serialises writers instead. A claim
records its owner and a heartbeat; the owner renews the heartbeat while it runs the job, and an operation
whose heartbeat is older than the lease is claimable again (its process is gone). Every later write of the
worker is conditioned on still being the owner, so an operation is run to its end by one process only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from dicom_service.operations import operation as ops
from dicom_service.operations.operation import SECRET, Operation
from dicom_service.storage.operations_schema import operation as table

if TYPE_CHECKING:
    from dicom_service.storage.database import Database


def insert_operation(
    c: Connection, op_id: str, op_type: str, partition: str, spec: Any, resources: list[str], now: str
) -> None:
    """A new `notStarted` operation, inside the caller's transaction; this process's worker is woken."""
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
    ops.wake_workers()


class ActiveOperation(Exception):
    """Another operation of the type runs, and only one may at a time; `args[0]` is its ID."""


def start(
    index: Database, op_type: str, partition: str, spec: Any, resources: list[str], now: str, exclusive: bool
) -> str:
    """A new operation; with `exclusive`, refused (ActiveOperation) while another of its type is active."""
    op_id = ops.new_id()
    with index.write() as c:
        running = active_of_type(c, op_type) if exclusive else None
        if running is not None:
            raise ActiveOperation(running)
        insert_operation(c, op_id, op_type, partition, spec, resources, now)
    return op_id


def get(index: Database, op_id: str) -> Operation | None:
    with index.read() as c:
        row = c.execute(select(table).where(table.c.id == op_id)).first()
    return _operation(row) if row is not None else None


def active_of_type(c: Connection, op_type: str) -> str | None:
    """The ID of a `notStarted` or `running` operation of this type, if any."""
    found = c.execute(
        select(table.c.id).where(table.c.type == op_type, table.c.status.in_(ops.ACTIVE)).limit(1)
    ).scalar()
    return str(found) if found is not None else None


def claim_next(index: Database, owner: str, now: str, stale_before: str) -> Operation | None:
    """Take the oldest claimable operation for `owner`: it becomes `running` with a fresh heartbeat, its
    attempts counted. Claimable is `notStarted`, or `running` with a heartbeat older than `stale_before` (its
    process died or lost the database; a row without heartbeat was left by a version without leases). One
    already started MAX_ATTEMPTS times ends `failed` instead, and the next one is looked at."""
    while True:
        with index.write() as c:
            row = c.execute(
                select(table)
                .where(_claimable(stale_before))
                .order_by(table.c.created)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            # The update repeats the condition: SQLite runs the select outside the write transaction, so
            # another process may have claimed the row since (PostgreSQL's row lock makes it hold anyway).
            still = update(table).where(table.c.id == row.id, _claimable(stale_before))
            if row.attempts >= ops.MAX_ATTEMPTS:
                c.execute(still.values(**_gave_up(row.attempts, now), **_secret_erased(row.spec)))
                continue
            values = {"status": ops.RUNNING, "owner": owner, "heartbeat": now, "updated": now}
            if c.execute(still.values(attempts=table.c.attempts + 1, **values)).rowcount != 1:
                continue
        claimed = _operation(row)
        return Operation(**{**claimed.__dict__, "status": ops.RUNNING, "attempts": claimed.attempts + 1})


def _claimable(stale_before: str) -> Any:
    stale = or_(table.c.heartbeat.is_(None), table.c.heartbeat < stale_before)
    return or_(table.c.status == ops.NOT_STARTED, and_(table.c.status == ops.RUNNING, stale))


def _gave_up(attempts: int, now: str) -> dict[str, Any]:
    message = (
        f"The operation was interrupted {attempts} times (its service process stopped or lost the database"
        " while running it) and is not started again."
    )
    return {
        "status": ops.FAILED,
        "updated": now,
        "owner": None,
        "heartbeat": None,
        "results": json.dumps({"errors": [message]}),
    }


def _owned(op_id: str, owner: str) -> Any:
    """The operation's row while `owner` still holds it: every write of a worker is conditioned on this, so
    a worker whose lease was taken over writes nothing."""
    return update(table).where(table.c.id == op_id, table.c.owner == owner, table.c.status == ops.RUNNING)


def renew(index: Database, op_id: str, owner: str, now: str) -> bool:
    """The owner's heartbeat; False when it no longer holds the operation."""
    with index.write() as c:
        return c.execute(_owned(op_id, owner).values(heartbeat=now)).rowcount == 1


def progress(index: Database, op_id: str, owner: str, percent: int, checkpoint: Any, now: str) -> bool:
    """Percent and checkpoint (a heartbeat too); False, writing nothing, when `owner` lost the operation."""
    with index.write() as c:
        values = {
            "percent": max(0, min(percent, 99)),
            "checkpoint": json.dumps(checkpoint),
            "updated": now,
            "heartbeat": now,
        }
        return c.execute(_owned(op_id, owner).values(**values)).rowcount == 1


def finish(
    index: Database, op_id: str, owner: str, status: str, results: dict[str, Any] | None, now: str
) -> bool:
    """The outcome; False, writing nothing, when `owner` lost the operation (another process runs it)."""
    with index.write() as c:
        values = {
            "status": status,
            "percent": 100,
            "updated": now,
            "owner": None,
            "heartbeat": None,
            "results": json.dumps(results) if results is not None else None,
            **_secret_erased(c.execute(select(table.c.spec).where(table.c.id == op_id)).scalar()),
        }
        return c.execute(_owned(op_id, owner).values(**values)).rowcount == 1


def _secret_erased(spec: str | None) -> dict[str, Any]:
    """An ended operation keeps no credentials: its spec's `secret` (export's sealed destination) goes."""
    loaded = json.loads(spec) if spec else None
    if not isinstance(loaded, dict) or SECRET not in loaded:
        return {}
    return {"spec": json.dumps({k: v for k, v in loaded.items() if k != SECRET})}


def release(index: Database, op_id: str, owner: str, now: str) -> bool:
    """A graceful stop hands the operation back: `notStarted` again, so the next claim (here or in a sibling)
    takes it at once instead of waiting for the lease; this start is not counted, since nothing failed."""
    with index.write() as c:
        values = {
            "status": ops.NOT_STARTED,
            "updated": now,
            "owner": None,
            "heartbeat": None,
            "attempts": table.c.attempts - 1,
        }
        return c.execute(_owned(op_id, owner).values(**values)).rowcount == 1


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
