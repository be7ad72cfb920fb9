"""Tables of the long-running operations and what they maintain: extended query tags with their indexed
values and errors, and the original versions of instances changed by a bulk update.

They live on the shared `metadata`; `migrations/` creates them. Rows that belong to an instance, series,
study or tag are removed with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from dicom_service.storage.metadata import UID, VALUE, metadata

operation = Table(
    "operation",
    metadata,
    Column("id", String(32), primary_key=True),  # a GUID as 32 hex digits
    Column("type", String(16), nullable=False),  # reindex, export, update
    Column("status", String(16), nullable=False),  # notStarted, running, succeeded, failed, canceled
    Column("partition", String(64), nullable=False),
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    Column("percent", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),  # starts, including resumes after a restart
    Column("spec", Text, nullable=False),  # JSON: what to do
    Column("checkpoint", Text),  # JSON: how far it got (a resumed run continues from there)
    Column("resources", Text),  # JSON list of link paths, relative to the version root
    Column("results", Text),  # JSON
    # While `running`: the process that claimed it (a token of its worker) and when that worker last said it
    # still runs it; a sibling may take it over once the heartbeat is older than the lease.
    Column("owner", String(64)),
    Column("heartbeat", String(32)),  # UTC, fixed width, so it compares as text
)

extended_query_tag = Table(
    "extended_query_tag",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", String(8), nullable=False, unique=True),
    Column("vr", String(2), nullable=False),
    Column("private_creator", String(64)),
    Column("level", String(8), nullable=False),
    Column("status", String(8), nullable=False),  # adding, ready, deleting
    Column("query_status", String(8), nullable=False),  # enabled, disabled
    Column("operation_id", String(32)),  # the reindex adding it, until it is ready
    Column("error_count", Integer, nullable=False, default=0),
)

_CASCADE = "CASCADE"

extended_tag_value = Table(
    "extended_tag_value",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", ForeignKey("extended_query_tag.id", ondelete=_CASCADE), nullable=False),
    # exactly one owner, the row of the tag's level
    Column("study_id", ForeignKey("study.id", ondelete=_CASCADE)),
    Column("series_id", ForeignKey("series.id", ondelete=_CASCADE)),
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE)),
    Column("value", VALUE, nullable=False),  # the comparison form (folded text, date, canonical number)
    Column("element", Text, nullable=False),  # DICOM JSON of the attribute (first value), for results
)

extended_tag_error = Table(
    "extended_tag_error",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", ForeignKey("extended_query_tag.id", ondelete=_CASCADE), nullable=False),
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE), nullable=False),
    Column("partition", String(64), nullable=False),
    Column("study_uid", UID, nullable=False),
    Column("series_uid", UID, nullable=False),
    Column("sop_uid", UID, nullable=False),
    Column("created", String(32), nullable=False),
    Column("message", Text, nullable=False),
)

instance_original = Table(
    "instance_original",
    metadata,
    Column("instance_id", ForeignKey("instance.id", ondelete=_CASCADE), primary_key=True),
    Column("blob_key", String(80), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("transfer_syntax", UID, nullable=False),
    Column("metadata", Text, nullable=False),
)

Index("ix_operation_status", operation.c.status, operation.c.created)
Index("ix_tag_value_study", extended_tag_value.c.tag_id, extended_tag_value.c.study_id)
Index("ix_tag_value_series", extended_tag_value.c.tag_id, extended_tag_value.c.series_id)
Index("ix_tag_value_instance", extended_tag_value.c.tag_id, extended_tag_value.c.instance_id)
Index("ix_tag_error", extended_tag_error.c.tag_id, extended_tag_error.c.id)
ORIGINAL_BY_BLOB = Index("ix_original_blob_key", instance_original.c.blob_key)
