"""The index database's migrations: frozen steps, one per schema version, run in order at start-up.

Each step holds the DDL of its own version (tables on a private `MetaData`), never the live table
definitions, so a later change to a table cannot change what an old step does. Append a module to add a
schema version; never edit a released one. Steps are idempotent: a database part-way through one is
finished on the next start.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Integer, MetaData, Table, inspect, select

from dicom_service.storage.migrations import (
    v1_index,
    v2_worklist,
    v3_operations,
    v4_operation_lease,
    v5_blob_key_indexes,
    v6_frame_index,
    v7_bulk_data,
)

STEPS: list[Callable[[Connection, str], None]] = [
    v1_index.apply,
    v2_worklist.apply,
    v3_operations.apply,
    v4_operation_lease.apply,
    v5_blob_key_indexes.apply,
    v6_frame_index.apply,
    v7_bulk_data.apply,
]

schema_version = Table("schema_version", MetaData(), Column("version", Integer, nullable=False))


def current_version(connection: Connection) -> int:
    if not inspect(connection).has_table("schema_version"):
        return 0
    return connection.execute(select(schema_version.c.version)).scalar() or 0


def migrate(connection: Connection, created: str) -> int:
    """Bring the database to the newest schema version; returns that version. `created` dates the rows
    a step adds (the default partition)."""
    current = current_version(connection)
    for number, step in enumerate(STEPS[current:], start=current + 1):
        step(connection, created)
        connection.execute(schema_version.update().values(version=number))
    return len(STEPS)
