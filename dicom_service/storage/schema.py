"""The index database's core tables, as the current schema version has them: partitions, studies, series,
instances and the change feed. Portable SQL (SQLite or PostgreSQL); `migrations/` creates and upgrades them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dicom_service.storage.metadata import UID, VALUE, metadata

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
    # Where each bulk-data attribute lies in the file (kernel.bulk_data.record); none: found when asked.
    Column("bulk_data", LargeBinary),
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
# The change feed's entries of one instance (created, then updated): which one is current.
CHANGE_FEED_BY_INSTANCE = Index("ix_change_feed_watermark", change_feed.c.watermark)
