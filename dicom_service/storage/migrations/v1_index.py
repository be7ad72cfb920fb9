"""Schema version 1: partitions, studies, series, instances, the change feed; the default partition."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
)

_m = MetaData()
_UID = String(64)
_VALUE = String(256)

_version = Table("schema_version", _m, Column("version", Integer, nullable=False))
_partition = Table(
    "partition",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created", String(32), nullable=False),
)
_study = Table(
    "study",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_uid", _UID, nullable=False),
    Column("patient_id", _VALUE),
    Column("patient_name", _VALUE),
    Column("patient_birth_date", String(8)),
    Column("accession_number", _VALUE),
    Column("referring_physician_name", _VALUE),
    Column("study_date", String(8)),
    Column("study_description", _VALUE),
    Column("attributes", Text, nullable=False),
    Column("watermark", BigInteger, nullable=False),
    UniqueConstraint("partition_id", "study_uid"),
)
_series = Table(
    "series",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", ForeignKey("study.id"), nullable=False),
    Column("series_uid", _UID, nullable=False),
    Column("modality", _VALUE),
    Column("pps_start_date", String(8)),
    Column("manufacturer_model_name", _VALUE),
    Column("attributes", Text, nullable=False),
    Column("watermark", BigInteger, nullable=False),
    UniqueConstraint("study_id", "series_uid"),
)
_instance = Table(
    "instance",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_id", ForeignKey("study.id"), nullable=False),
    Column("series_id", ForeignKey("series.id"), nullable=False),
    Column("sop_uid", _UID, nullable=False),
    Column("sop_class_uid", _UID, nullable=False),
    Column("watermark", BigInteger, nullable=False, unique=True),
    Column("transfer_syntax", _UID, nullable=False),
    Column("frames", Integer, nullable=False),
    Column("blob_key", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("metadata", Text, nullable=False),
    UniqueConstraint("partition_id", "sop_uid"),
)
_change_feed = Table(
    "change_feed",
    _m,
    Column("sequence", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("partition_id", ForeignKey("partition.id"), nullable=False),
    Column("study_uid", _UID, nullable=False),
    Column("series_uid", _UID, nullable=False),
    Column("sop_uid", _UID, nullable=False),
    Column("action", String(16), nullable=False),
    Column("timestamp", String(32), nullable=False),
    Column("watermark", BigInteger, nullable=False),
)
Index("ix_study_search", _study.c.partition_id, _study.c.watermark)
Index("ix_study_patient_id", _study.c.patient_id)
Index("ix_study_date", _study.c.study_date)
Index("ix_series_uid", _series.c.series_uid)
Index("ix_instance_series", _instance.c.series_id)
Index("ix_instance_study", _instance.c.study_id)
Index("ix_change_feed_time", _change_feed.c.timestamp)

DEFAULT_PARTITION = "Microsoft.Default"


def apply(connection: Connection, created: str) -> None:
    _m.create_all(connection)
    connection.execute(insert(_version).values(version=1))
    connection.execute(insert(_partition).values(name=DEFAULT_PARTITION, created=created))
