"""Schema version 3: long-running operations, extended query tags with their values and errors, the kept
originals of updated instances, and the change feed's index by instance."""

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
)

_m = MetaData()
_CASCADE = "CASCADE"
# referenced; created by version 1
for _name in ("study", "series", "instance"):
    Table(_name, _m, Column("id", Integer, primary_key=True))
_change_feed = Table(
    "change_feed", _m, Column("sequence", Integer, primary_key=True), Column("watermark", BigInteger)
)

_operation = Table(
    "operation",
    _m,
    Column("id", String(32), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("partition", String(64), nullable=False),
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    Column("percent", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("spec", Text, nullable=False),
    Column("checkpoint", Text),
    Column("resources", Text),
    Column("results", Text),
)
_tag = Table(
    "extended_query_tag",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", String(8), nullable=False, unique=True),
    Column("vr", String(2), nullable=False),
    Column("private_creator", String(64)),
    Column("level", String(8), nullable=False),
    Column("status", String(8), nullable=False),
    Column("query_status", String(8), nullable=False),
    Column("operation_id", String(32)),
    Column("error_count", Integer, nullable=False, default=0),
)
_value = Table(
    "extended_tag_value",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", ForeignKey("extended_query_tag.id", ondelete=_CASCADE), nullable=False),
    Column("study_id", ForeignKey("study.id", ondelete=_CASCADE)),
    Column("series_id", ForeignKey("series.id", ondelete=_CASCADE)),
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE)),
    Column("value", String(256), nullable=False),
    Column("element", Text, nullable=False),
)
_error = Table(
    "extended_tag_error",
    _m,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", ForeignKey("extended_query_tag.id", ondelete=_CASCADE), nullable=False),
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE), nullable=False),
    Column("partition", String(64), nullable=False),
    Column("study_uid", String(64), nullable=False),
    Column("series_uid", String(64), nullable=False),
    Column("sop_uid", String(64), nullable=False),
    Column("created", String(32), nullable=False),
    Column("message", Text, nullable=False),
)
_original = Table(
    "instance_original",
    _m,
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE), primary_key=True),
    Column("blob_key", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("transfer_syntax", String(64), nullable=False),
    Column("metadata", Text, nullable=False),
)
Index("ix_operation_status", _operation.c.status, _operation.c.created)
Index("ix_tag_value_study", _value.c.tag_id, _value.c.study_id)
Index("ix_tag_value_series", _value.c.tag_id, _value.c.series_id)
Index("ix_tag_value_instance", _value.c.tag_id, _value.c.instance_id)
Index("ix_tag_error", _error.c.tag_id, _error.c.id)
_BY_INSTANCE = Index("ix_change_feed_watermark", _change_feed.c.watermark)


def apply(connection: Connection, _created: str) -> None:
    _m.create_all(connection, tables=[_operation, _tag, _value, _error, _original])
    _BY_INSTANCE.create(connection, checkfirst=True)
