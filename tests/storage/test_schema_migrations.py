"""An index written by an earlier schema version is brought up to date at start-up, keeping its data:
operations gain their lease columns, instances and kept originals their blob-key indexes. The frozen
migration steps build exactly the schema the live table definitions describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, inspect, select, text, update

from dicom_service.operations import repository as records
from dicom_service.storage import migrations, operations_schema, worklist_schema
from dicom_service.storage.database import Database
from dicom_service.storage.metadata import metadata
from dicom_service.storage.schema import schema_version
from dicom_service.storage.service import utc_now


def test_an_index_of_schema_version_3_is_migrated_with_its_operations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    index = Database(url, utc_now())
    op_id = records.start(index, "reindex", "Microsoft.Default", {"tags": []}, [], utc_now(), exclusive=False)
    with index.write() as c:  # as version 3 left it: no lease columns, no blob-key indexes
        c.execute(text("DROP INDEX ix_instance_blob_key"))
        c.execute(text("DROP INDEX ix_original_blob_key"))
        c.execute(text("ALTER TABLE operation DROP COLUMN owner"))
        c.execute(text("ALTER TABLE operation DROP COLUMN heartbeat"))
        c.execute(update(schema_version).values(version=3))
    index.close()

    index = Database(url, utc_now())
    try:
        with index.engine.connect() as c:
            assert c.execute(select(schema_version.c.version)).scalar() == len(migrations.STEPS)
            columns = {column["name"] for column in inspect(c).get_columns("operation")}
            indexes = {found["name"] for found in inspect(c).get_indexes("instance")}
        assert {"owner", "heartbeat"} <= columns and "ix_instance_blob_key" in indexes
        kept = records.get(index, op_id)
        assert kept is not None and kept.status == "notStarted"
    finally:
        index.close()


def _shape(connection: Connection) -> dict[str, Any]:
    found = inspect(connection)
    shape: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        columns = {c["name"]: (str(c["type"]), c["nullable"]) for c in found.get_columns(table)}
        indexes = {(i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)}
        uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints(table)}
        keys = {(tuple(k["constrained_columns"]), k["referred_table"]) for k in found.get_foreign_keys(table)}
        shape[table] = (columns, indexes, uniques, keys)
    return shape


def test_the_migration_steps_build_the_schema_the_table_definitions_describe(tmp_path: Path) -> None:
    assert operations_schema.operation is not None and worklist_schema.workitem is not None  # all on metadata
    migrated = create_engine(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    declared = create_engine(f"sqlite:///{tmp_path / 'declared.sqlite'}")
    try:
        with migrated.begin() as c:
            assert migrations.migrate(c, utc_now()) == len(migrations.STEPS)
            got = _shape(c)
        with declared.begin() as c:
            metadata.create_all(c)
            want = _shape(c)
    finally:
        migrated.dispose()
        declared.dispose()
    assert got == want


def test_an_index_of_schema_version_5_gains_the_frame_index_column(tmp_path: Path) -> None:
    """Instances stored before it keep NULL: their frames are found by walking the file when asked."""
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    index = Database(url, utc_now())
    with index.write() as c:  # as version 5 left it
        c.execute(text("ALTER TABLE instance DROP COLUMN frame_index"))
        c.execute(update(schema_version).values(version=5))
    index.close()

    index = Database(url, utc_now())
    try:
        with index.engine.connect() as c:
            assert c.execute(select(schema_version.c.version)).scalar() == len(migrations.STEPS)
            assert "frame_index" in {column["name"] for column in inspect(c).get_columns("instance")}
    finally:
        index.close()
