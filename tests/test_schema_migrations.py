"""An index written by an earlier schema version is brought up to date at start-up, keeping its data:
operations gain their lease columns, instances and kept originals their blob-key indexes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select, text, update

from dicom_service.operations import repository as records
from dicom_service.storage.index import SqlIndex
from dicom_service.storage.schema import MIGRATIONS, schema_version
from dicom_service.storage.service import utc_now


def test_an_index_of_schema_version_3_is_migrated_with_its_operations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    index = SqlIndex(url, utc_now())
    op_id = records.start(index, "reindex", "Microsoft.Default", {"tags": []}, [], utc_now(), exclusive=False)
    with index.write() as c:  # as version 3 left it: no lease columns, no blob-key indexes
        c.execute(text("DROP INDEX ix_instance_blob_key"))
        c.execute(text("DROP INDEX ix_original_blob_key"))
        c.execute(text("ALTER TABLE operation DROP COLUMN owner"))
        c.execute(text("ALTER TABLE operation DROP COLUMN heartbeat"))
        c.execute(update(schema_version).values(version=3))
    index.close()

    index = SqlIndex(url, utc_now())
    try:
        with index.engine.connect() as c:
            assert c.execute(select(schema_version.c.version)).scalar() == len(MIGRATIONS)
            columns = {column["name"] for column in inspect(c).get_columns("operation")}
            indexes = {found["name"] for found in inspect(c).get_indexes("instance")}
        assert {"owner", "heartbeat"} <= columns and "ix_instance_blob_key" in indexes
        kept = records.get(index, op_id)
        assert kept is not None and kept.status == "notStarted"
    finally:
        index.close()


def test_an_index_of_schema_version_5_gains_the_frame_index_column(tmp_path: Path) -> None:
    """Instances stored before it keep NULL: their frames are found by walking the file when asked."""
    url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    index = SqlIndex(url, utc_now())
    with index.write() as c:  # as version 5 left it
        c.execute(text("ALTER TABLE instance DROP COLUMN frame_index"))
        c.execute(update(schema_version).values(version=5))
    index.close()

    index = SqlIndex(url, utc_now())
    try:
        with index.engine.connect() as c:
            assert c.execute(select(schema_version.c.version)).scalar() == len(MIGRATIONS)
            assert "frame_index" in {column["name"] for column in inspect(c).get_columns("instance")}
    finally:
        index.close()
