"""The index database's tables and its migrations; portable SQL (SQLite by default, PostgreSQL later).

`migrate` brings any database to the current schema version and records it; it runs at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
)

from dicom_service.partitions.default import DEFAULT_PARTITION

metadata = MetaData()

UID = String(64)
VALUE = String(256)

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

partition = Table(
    "partition",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created", String(32), nullable=False),
)

study = Table(
    "study",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_uid", UID, nullable=False),
    Column("patient_id", VALUE),
    Column("patient_name", VALUE),
    Column("patient_birth_date", String(8)),
    Column("accession_number", VALUE),
    Column("referring_physician_name", VALUE),
    Column("study_date", String(8)),
    Column("study_description", VALUE),
    Column("attributes", Text, nullable=False),  # DICOM JSON of the study-level attributes
    Column("watermark", BigInteger, nullable=False),  # of the newest instance: orders results newest first
    UniqueConstraint("partition_id", "study_uid"),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", ForeignKey("study.id"), nullable=False),
    Column("series_uid", UID, nullable=False),
    Column("modality", VALUE),
    Column("pps_start_date", String(8)),
    Column("manufacturer_model_name", VALUE),
    Column("attributes", Text, nullable=False),
    Column("watermark", BigInteger, nullable=False),
    UniqueConstraint("study_id", "series_uid"),
)

# The searchable attribute columns of the study and series rows, written from each stored instance.
STUDY_COLUMNS = (
    "patient_id",
    "patient_name",
    "patient_birth_date",
    "accession_number",
    "referring_physician_name",
    "study_date",
    "study_description",
)
SERIES_COLUMNS = ("modality", "pps_start_date", "manufacturer_model_name")

instance = Table(
    "instance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_id", ForeignKey("study.id"), nullable=False),
    Column("series_id", ForeignKey("series.id"), nullable=False),
    Column("sop_uid", UID, nullable=False),
    Column("sop_class_uid", UID, nullable=False),
    Column("watermark", BigInteger, nullable=False, unique=True),
    Column("transfer_syntax", UID, nullable=False),
    Column("frames", Integer, nullable=False),
    Column("blob_key", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("metadata", Text, nullable=False),  # DICOM JSON without bulk data
    # Where Pixel Data and each frame lie in the file (kernel.frame_index); none: found when asked.
    Column("frame_index", LargeBinary),
    UniqueConstraint("partition_id", "sop_uid"),
)

change_feed = Table(
    "change_feed",
    metadata,
    Column("sequence", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_uid", UID, nullable=False),
    Column("series_uid", UID, nullable=False),
    Column("sop_uid", UID, nullable=False),
    Column("action", String(16), nullable=False),
    Column("timestamp", String(32), nullable=False),  # UTC, fixed width, so it sorts as text
    Column("watermark", BigInteger, nullable=False),
)

Index("ix_study_search", study.c.partition_id, study.c.watermark)
Index("ix_study_patient_id", study.c.patient_id)
Index("ix_study_date", study.c.study_date)
Index("ix_series_uid", series.c.series_uid)
Index("ix_instance_series", instance.c.series_id)
Index("ix_instance_study", instance.c.study_id)
Index("ix_change_feed_time", change_feed.c.timestamp)
# Which instance, if any, holds a blob: the orphan sweep asks it for every blob it finds.
INSTANCE_BY_BLOB = Index("ix_instance_blob_key", instance.c.blob_key)


def _version_1(connection: Connection) -> None:
    metadata.create_all(connection)


def _worklist(connection: Connection) -> None:
    from dicom_service.storage.worklist_schema import create_tables

    create_tables(connection)


def _operations(connection: Connection) -> None:
    from dicom_service.storage import operations_schema  # its tables need this module's `metadata`

    operations_schema.create_tables(connection)


def _operation_lease(connection: Connection) -> None:
    from dicom_service.storage import operations_schema

    operations_schema.add_lease_columns(connection)


def _blob_key_indexes(connection: Connection) -> None:
    from dicom_service.storage.operations_schema import ORIGINAL_BY_BLOB

    INSTANCE_BY_BLOB.create(connection, checkfirst=True)
    ORIGINAL_BY_BLOB.create(connection, checkfirst=True)


def _frame_index(connection: Connection) -> None:
    """The instances' frame index (idempotent: a database created at this version has it from step 1);
    instances stored before it have none, and their frames are found by walking the file when asked."""
    if "frame_index" not in {column["name"] for column in inspect(connection).get_columns("instance")}:
        kind = instance.c.frame_index.type.compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE instance ADD COLUMN frame_index {kind}"))


# Append a function to add a schema version; never edit a released one.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _version_1,
    _worklist,
    _operations,
    _operation_lease,
    _blob_key_indexes,
    _frame_index,
]


def migrate(connection: Connection, created: str) -> int:
    """Bring the database to the newest schema version; returns that version."""
    current = 0
    if inspect(connection).has_table("schema_version"):
        current = connection.execute(select(schema_version.c.version)).scalar() or 0
    for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
        step(connection)
        if number == 1:
            connection.execute(insert(schema_version).values(version=1))
            connection.execute(insert(partition).values(name=DEFAULT_PARTITION, created=created))
        else:
            connection.execute(schema_version.update().values(version=number))
    return len(MIGRATIONS)
