"""The index database through SQLAlchemy Core: instances, their study and series rows, the change feed.

Every write is one transaction: an instance is in the index with its study, series and change-feed entry,
or not at all. A transaction that adds change-feed entries adds them last, under the change-feed lock
(`dialect.lock_change_feed`), so a reader paging by sequence never sees a later entry before an earlier one
commits. SQLite (the embedded default) serialises writers with a process lock so that concurrent
stores never meet a "database is locked" error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from dicom_service.kernel.instance import Instance
from dicom_service.kernel.tags import Level, Match
from dicom_service.query_tags import repository as query_tags
from dicom_service.search.query import Filter, Query
from dicom_service.storage import dialect, statements
from dicom_service.storage import schema as t
from dicom_service.storage.operations_schema import instance_original


class DuplicateInstance(Exception):
    """The partition already holds an instance with this SOP Instance UID."""


@dataclass(frozen=True)
class StoredInstance:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str
    watermark: int
    transfer_syntax: str
    frames: int
    blob_key: str
    size: int
    metadata: str  # DICOM JSON text ("" when not asked for)
    frame_index: bytes | None = None  # kernel.frame_index, when asked for and recorded


@dataclass(frozen=True)
class Change:
    sequence: int
    partition: str
    study_uid: str
    series_uid: str
    sop_uid: str
    action: str
    timestamp: str
    state: str
    metadata: str | None


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


def _level_values(item: Instance, level: Level, columns: tuple[str, ...], watermark: int) -> dict[str, Any]:
    values: dict[str, Any] = {column: item.columns.get(column) for column in columns}
    values["attributes"] = orjson.dumps(item.level_attributes(level)).decode()
    values["watermark"] = watermark
    return values


class SqlIndex:
    def __init__(self, url: str | URL, now: str) -> None:
        url = make_url(url)
        self.engine: Engine = create_engine(url, **dialect.engine_options(url))
        self._writer = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self._reader = dialect.single_statement_reads(self.engine)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        with self.engine.begin() as connection:
            dialect.lock_migrations(connection)
            t.migrate(connection, now)
        self._partition_ids: dict[str, int] = {}  # partitions are never renamed or deleted
        name = self.engine.dialect.name
        self._upsert_study = dialect.upsert(name, t.study, ("partition_id", "study_uid"), t.STUDY_COLUMNS)
        self._upsert_series = dialect.upsert(name, t.series, ("study_id", "series_uid"), t.SERIES_COLUMNS)
        combined = name == "postgresql"  # the store's writes in fewer statements (store_statements)
        self._levels_upsert = (
            statements.levels_upsert(t.STUDY_COLUMNS, t.SERIES_COLUMNS) if combined else None
        )
        self._tail = statements.commit_tail() if combined else None

    def close(self) -> None:
        self.engine.dispose()

    def read(self) -> AbstractContextManager[Connection]:
        """A connection for a read of one statement, which sees one committed snapshot by itself."""
        return self._reader.connect()

    def write(self) -> AbstractContextManager[Connection]:
        """One write transaction, serialised with the index's other writers (SQLite has one writer)."""
        return self._write()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._writer is None:
            with self.engine.begin() as connection:
                yield connection
            return
        with self._writer, self.engine.begin() as connection:
            yield connection

    # --- partitions

    def partitions(self) -> list[dict[str, Any]]:
        with self.read() as c:
            rows = c.execute(select(t.partition).order_by(t.partition.c.id)).all()
        return [{"partitionKey": r.id, "partitionName": r.name, "createdDate": r.created} for r in rows]

    def _partition_id(self, c: Connection, name: str) -> int | None:
        found = self._partition_ids.get(name)
        if found is None:
            found = c.execute(statements.PARTITION_ID, {"b_name": name}).scalar()
            if found is not None:
                self._partition_ids[name] = found
        return found

    # --- store

    def add(self, partition: str, item: Instance, blob_key: str, size: int, now: str) -> int:
        """Index a stored instance; returns its watermark. Raises DuplicateInstance."""
        try:
            with self._write() as c:
                pid = self._partition_id(c, partition)
                if pid is None:
                    c.execute(self._insert_missing(t.partition), {"name": partition, "created": now})
                    # not cached: other threads must not use the id before this transaction commits
                    pid = c.execute(statements.PARTITION_ID, {"b_name": partition}).scalar_one()
                if (
                    c.execute(statements.INSTANCE_ID, {"b_pid": pid, "b_sop": item.sop_uid}).first()
                    is not None
                ):
                    raise DuplicateInstance(item.sop_uid)
                # Study and series rows first: their row locks are taken before the change-feed lock, in
                # the same order as a delete takes them, so the two never wait for each other in a cycle.
                study_id, series_id = self._upsert_levels(c, pid, item)
                change = {
                    "partition_id": pid,
                    "study_uid": item.study_uid,
                    "series_uid": item.series_uid,
                    "sop_uid": item.sop_uid,
                    "action": "create",
                    "timestamp": now,
                }
                instance = {
                    "partition_id": pid,
                    "study_id": study_id,
                    "series_id": series_id,
                    "sop_uid": item.sop_uid,
                    "sop_class_uid": item.sop_class_uid,
                    "transfer_syntax": item.transfer_syntax,
                    "frames": item.frames,
                    "blob_key": blob_key,
                    "size": size,
                    "metadata": orjson.dumps(item.metadata).decode(),
                    "frame_index": item.frame_index,
                }
                # The commit tail: the change-feed entry's sequence is the instance's watermark, allocated
                # under the change-feed lock held to the commit, so sequences are visible in commit order.
                dialect.lock_change_feed(c)
                watermark, instance_id = self._commit_tail(c, change, instance)
                if found := query_tags.tags_to_index(c):  # the extended query tags' values
                    ids = (instance_id, study_id, series_id, partition, item.study_uid, item.series_uid)
                    row = query_tags.InstanceRow(*ids, item.sop_uid, "")
                    query_tags.index_instance(c, row, item.metadata, found, now)
        except IntegrityError:
            if self._holds(partition, item.sop_uid):  # a concurrent store of it won the race
                raise DuplicateInstance(item.sop_uid) from None
            raise
        return watermark

    def _upsert_levels(self, c: Connection, pid: int, item: Instance) -> tuple[int, int]:
        """The study and series rows of `item`, added or their indexed values replaced; (study, series)."""
        study = {"partition_id": pid, "study_uid": item.study_uid}
        study |= _level_values(item, Level.STUDY, t.STUDY_COLUMNS, 0)  # watermark set in the commit tail
        series = {"series_uid": item.series_uid} | _level_values(item, Level.SERIES, t.SERIES_COLUMNS, 0)
        if self._levels_upsert is not None:  # one round trip
            params = {f"st_{k}": v for k, v in study.items()} | {f"se_{k}": v for k, v in series.items()}
            study_id, series_id = c.execute(self._levels_upsert, params).one()
            return int(study_id), int(series_id)
        study_id = int(c.execute(self._upsert_study, study).scalar_one())
        series_id = int(c.execute(self._upsert_series, series | {"study_id": study_id}).scalar_one())
        return study_id, series_id

    def _commit_tail(
        self, c: Connection, change: dict[str, Any], instance: dict[str, Any]
    ) -> tuple[int, int]:
        """The change-feed entry and the instance row, the watermark set on them and on the study and
        series rows; (watermark, instance id). Run under the change-feed lock, as the last writes."""
        if self._tail is not None:  # one round trip
            params = {f"cf_{k}": v for k, v in change.items()} | {f"i_{k}": v for k, v in instance.items()}
            watermark, instance_id = c.execute(self._tail, params).one()
            return int(watermark), int(instance_id)
        watermark = _new_id(c.execute(statements.INSERT_CHANGE, change | {"watermark": 0}))
        c.execute(statements.SET_WATERMARK, {"b_sequence": watermark, "watermark": watermark})
        instance_id = _new_id(c.execute(statements.INSERT_INSTANCE, instance | {"watermark": watermark}))
        c.execute(statements.STUDY_WATERMARK, {"b_id": instance["study_id"], "watermark": watermark})
        c.execute(statements.SERIES_WATERMARK, {"b_id": instance["series_id"], "watermark": watermark})
        return watermark, instance_id

    def _insert_missing(self, table: Table) -> Any:
        return dialect.insert_missing(table, self.engine.dialect.name)

    def _holds(self, partition: str, sop_uid: str) -> bool:
        with self.read() as c:
            pid = self._partition_id(c, partition)
            return (
                pid is not None
                and c.execute(statements.INSTANCE_ID, {"b_pid": pid, "b_sop": sop_uid}).first() is not None
            )

    # --- retrieve

    def instances(
        self,
        partition: str,
        study_uid: str,
        series_uid: str | None = None,
        sop_uid: str | None = None,
        *,
        metadata: bool = True,
        frame_index: bool = False,
    ) -> list[StoredInstance]:
        """The instances of a study, series or one instance, in the order they were stored; with their
        DICOM JSON unless `metadata` is false, with their frame index when `frame_index` is true."""
        select = self._select_instances(partition, study_uid, series_uid, sop_uid, metadata, frame_index)
        with self.read() as c:
            rows = c.execute(*select).all()
        return [StoredInstance(*row) for row in rows]

    def _select_instances(
        self,
        partition: str,
        study_uid: str,
        series_uid: str | None,
        sop_uid: str | None,
        metadata: bool = True,
        frame_index: bool = False,
    ) -> tuple[Any, dict[str, str]]:
        """The statement and its parameters; the statement is built once per level and columns."""
        params = {"b_partition": partition, "b_study": study_uid}
        if series_uid is not None:
            params["b_series"] = series_uid
        if sop_uid is not None:
            params["b_sop"] = sop_uid
        statement = statements.instances(series_uid is not None, sop_uid is not None, metadata, frame_index)
        return statement, params

    # --- delete

    def delete(
        self, partition: str, study_uid: str, series_uid: str | None, sop_uid: str | None, now: str
    ) -> list[str]:
        """Remove the instances (and emptied series and study rows); returns their blob keys."""
        with self._write() as c:
            pid = self._partition_id(c, partition)
            if pid is None:
                return []
            study_id = c.execute(statements.STUDY_ID, {"b_parent": pid, "b_uid": study_uid}).scalar()
            if study_id is None:  # (the study's row lock, taken first, orders this after concurrent stores)
                return []
            rows = c.execute(*self._select_instances(partition, study_uid, series_uid, sop_uid)).all()
            if not rows:
                return []
            watermarks = [row.watermark for row in rows]
            originals = (  # the versions kept by bulk updates go with the instance
                select(instance_original.c.blob_key)
                .join(t.instance, t.instance.c.id == instance_original.c.instance_id)
                .where(t.instance.c.watermark.in_(watermarks))
            )
            kept = list(c.execute(originals).scalars())
            c.execute(delete(t.instance).where(t.instance.c.watermark.in_(watermarks)))
            left = select(t.instance.c.id).where(t.instance.c.series_id == t.series.c.id)
            c.execute(delete(t.series).where(t.series.c.study_id == study_id, ~exists(left)))
            left = select(t.series.c.id).where(t.series.c.study_id == t.study.c.id)
            c.execute(delete(t.study).where(t.study.c.id == study_id, ~exists(left)))
            dialect.lock_change_feed(c)  # the commit tail: sequences visible in commit order
            c.execute(
                insert(t.change_feed),
                [
                    {
                        "partition_id": pid,
                        "study_uid": row.study_uid,
                        "series_uid": row.series_uid,
                        "sop_uid": row.sop_uid,
                        "action": "delete",
                        "timestamp": now,
                        "watermark": row.watermark,
                    }
                    for row in rows
                ],
            )
        return [row.blob_key for row in rows] + kept

    # --- search

    def search(self, query: Query) -> list[dict[str, Any]]:
        """Rows of the resource's level: each a dict of attribute JSON texts and counts."""
        st, se, i, p = t.study, t.series, t.instance, t.partition
        level = query.resource.level
        if level is Level.STUDY:
            columns = [st.c.id.label("study_id"), st.c.attributes.label("study")]
            source: Any = st
            order = st.c.watermark
        elif level is Level.SERIES:
            columns = [
                st.c.id.label("study_id"),
                se.c.id.label("series_id"),
                st.c.attributes.label("study"),
                se.c.attributes.label("series"),
            ]
            source = se.join(st, se.c.study_id == st.c.id)
            order = se.c.watermark
        else:
            columns = [
                st.c.id.label("study_id"),
                se.c.id.label("series_id"),
                st.c.attributes.label("study"),
                se.c.attributes.label("series"),
                i.c.metadata.label("instance"),
            ]
            source = i.join(se, i.c.series_id == se.c.id).join(st, i.c.study_id == st.c.id)
            order = i.c.watermark
        statement = (
            select(*columns)
            .select_from(source.join(p, st.c.partition_id == p.c.id))
            .where(p.c.name == query.partition)
        )
        if query.study_uid is not None:
            statement = statement.where(st.c.study_uid == query.study_uid)
        if query.series_uid is not None:
            statement = statement.where(se.c.series_uid == query.series_uid)
        for item in query.filters:
            statement = statement.where(_condition(item))
        statement = statement.order_by(order.desc()).limit(query.limit).offset(query.offset)
        with self.read() as c:
            return [dict(row._mapping) for row in c.execute(statement)]

    def study_counts(self, study_ids: list[int]) -> dict[int, tuple[int, int, list[str]]]:
        """study id → (series count, instance count, modalities)."""
        if not study_ids:
            return {}
        se, i = t.series, t.instance
        with self.engine.connect() as c:
            series_rows = c.execute(
                select(se.c.study_id, se.c.modality, se.c.attributes).where(se.c.study_id.in_(study_ids))
            ).all()
            instance_rows = c.execute(
                select(i.c.study_id, func.count()).where(i.c.study_id.in_(study_ids)).group_by(i.c.study_id)
            ).all()
        counts = {sid: n for sid, n in instance_rows}
        result: dict[int, tuple[int, int, list[str]]] = {}
        for sid in study_ids:
            rows = [r for r in series_rows if r.study_id == sid]
            modalities = sorted({_modality(r.attributes) for r in rows} - {""})
            result[sid] = (len(rows), counts.get(sid, 0), modalities)
        return result

    def series_counts(self, series_ids: list[int]) -> dict[int, int]:
        if not series_ids:
            return {}
        i = t.instance
        with self.read() as c:
            rows = c.execute(
                select(i.c.series_id, func.count())
                .where(i.c.series_id.in_(series_ids))
                .group_by(i.c.series_id)
            ).all()
        return {sid: n for sid, n in rows}

    # --- change feed

    def changes(
        self,
        after_sequence: int | None = None,
        up_to_sequence: int | None = None,
        start: str | None = None,
        end: str | None = None,
        offset: int = 0,
        limit: int = 10,
        newest: bool = False,
    ) -> list[Change]:
        cf, p, i = t.change_feed, t.partition, t.instance
        current = select(i.c.metadata).where(i.c.watermark == cf.c.watermark).scalar_subquery()
        later = cf.alias("later")  # a bulk update's entry supersedes the instance's earlier ones
        superseded = exists(
            select(later.c.sequence).where(
                later.c.watermark == cf.c.watermark, later.c.sequence > cf.c.sequence
            )
        )
        statement = select(
            cf.c.sequence,
            p.c.name,
            cf.c.study_uid,
            cf.c.series_uid,
            cf.c.sop_uid,
            cf.c.action,
            cf.c.timestamp,
            current.label("metadata"),
            superseded.label("superseded"),
        ).join(p, cf.c.partition_id == p.c.id)
        if after_sequence is not None:
            statement = statement.where(cf.c.sequence > after_sequence)
        if up_to_sequence is not None:
            statement = statement.where(cf.c.sequence <= up_to_sequence)
        if start is not None:
            statement = statement.where(cf.c.timestamp >= start)
        if end is not None:
            statement = statement.where(cf.c.timestamp < end)
        if newest:
            statement = statement.order_by(cf.c.sequence.desc()).limit(1)
        elif start is not None or end is not None:
            statement = statement.order_by(cf.c.timestamp, cf.c.sequence).offset(offset).limit(limit)
        else:
            statement = statement.order_by(cf.c.sequence).offset(offset).limit(limit)
        with self.read() as c:
            rows = c.execute(statement).all()
        return [
            Change(
                r.sequence,
                r.name,
                r.study_uid,
                r.series_uid,
                r.sop_uid,
                r.action,
                r.timestamp,
                _state(r.action, r.metadata is not None, r.superseded),
                r.metadata,
            )
            for r in rows
        ]


def _state(action: str, exists_now: bool, superseded: bool) -> str:
    if not exists_now or action == "delete":
        return "deleted"
    return "replaced" if superseded else "current"


def _modality(attributes: str) -> str:
    value = orjson.loads(attributes).get("00080060", {}).get("Value") or [""]
    return str(value[0] or "")


def _condition(item: Filter) -> Any:
    if item.extended_tag is not None:
        return query_tags.matches(item, _match)
    if item.tag == "00080061":  # ModalitiesInStudy: any series of the study
        se = t.series.alias("any_series")  # not the outer query's series row, when it has one
        return exists(select(se.c.id).where(se.c.study_id == t.study.c.id, se.c.modality.in_(item.values)))
    table = {Level.STUDY: t.study, Level.SERIES: t.series, Level.INSTANCE: t.instance}[item.level]
    return _match(table.c[item.column], item)


def _match(column: Any, item: Filter) -> Any:
    """How `column` matches the filter's values: exact, a date range, or person-name word prefixes."""
    if item.match is Match.DATE and (item.low or item.high):
        bounds = []
        if item.low:
            bounds.append(column >= item.low)
        if item.high:
            bounds.append(column <= item.high)
        return and_(*bounds)
    if item.words:
        return and_(
            *(
                or_(
                    column.like(_escape(word) + "%", escape="\\"),
                    column.like("% " + _escape(word) + "%", escape="\\"),
                )
                for word in item.words
            )
        )
    if len(item.values) == 1:
        return column == item.values[0]
    return column.in_(item.values)


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash; fast commits
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
