"""The index database: one object every repository takes, with its engine, its read and write paths and
its writer lock. Opening it migrates the schema (`migrations/`).

Every write is one transaction (`write()`); a read of one statement sees one committed snapshot by itself
(`read()`). SQLite (the embedded default) serialises writers with a process lock so that concurrent writes
never meet a "database is locked" error, and the processes' writers with a lock file (`write_lock`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import URL, make_url

from dicom_service.storage import dialect, migrations, statements
from dicom_service.storage.write_lock import WriteLock


class Database:
    def __init__(
        self, url: str | URL, now: str, timeout_seconds: float = dialect.INDEX_TIMEOUT_SECONDS
    ) -> None:
        url = make_url(url)
        self.engine: Engine = create_engine(url, **dialect.engine_options(url, timeout_seconds))
        self._writer = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self._between_processes = _write_lock(url, timeout_seconds)
        self._reader = dialect.single_statement_reads(self.engine)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        with self.engine.begin() as connection:
            dialect.lock_migrations(connection)
            migrations.migrate(connection, now)
        self._partition_ids: dict[str, int] = {}  # partitions are never renamed or deleted

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()
        if self._between_processes is not None:
            self._between_processes.close()

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
        # the pool's checkout and return run outside the locks: only the transaction holds them
        with (
            self.engine.connect() as connection,
            self._writer,
            self._between_processes or nullcontext(),
            connection.begin(),
        ):
            yield connection

    def partition_id(self, c: Connection, name: str) -> int | None:
        """The partition's row id, cached once committed; None when no store created it yet."""
        found = self._partition_ids.get(name)
        if found is None:
            found = c.execute(statements.PARTITION_ID, {"b_name": name}).scalar()
            if found is not None:
                self._partition_ids[name] = found
        return found

    def insert_missing(self, table: Table) -> Any:
        return dialect.insert_missing(table, self.dialect_name)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across a process crash; fast commits
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _write_lock(url: URL, timeout_seconds: float) -> WriteLock | None:
    """The SQLite file's lock between processes (none for PostgreSQL or an in-memory database)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return WriteLock(f"{url.database}.write-lock", timeout_seconds)
