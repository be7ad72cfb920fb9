"""What differs between the index's two engines, SQLite and PostgreSQL: each difference one named function.

Everything else in the index is portable SQLAlchemy Core.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

MIGRATION_LOCK = 0x44494353  # "DICS": the advisory lock key held while the schema is migrated
CHANGE_FEED_LOCK = 0x44494346  # "DICF": held from a change-feed insert to its transaction's commit


INDEX_TIMEOUT_SECONDS = 30.0
MAX_CONNECT_SECONDS = 10  # a server that takes longer to accept a connection is away, not slow


def engine_options(url: URL, timeout_seconds: float = INDEX_TIMEOUT_SECONDS) -> dict[str, Any]:
    """create_engine options: PostgreSQL gets a pool sized for a service process and timeouts, so a request
    waits `timeout_seconds` at most for a connection of the pool and for each statement, and a few seconds
    for a new connection (libpq's smallest connect timeout is 2 s), then fails (answered 503)."""
    if url.get_backend_name() != "postgresql":
        return {}
    connect = max(2, min(MAX_CONNECT_SECONDS, math.ceil(timeout_seconds)))
    return {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": timeout_seconds,
        "pool_pre_ping": True,  # a restarted database server costs one failed check, not a failed request
        "connect_args": {
            "connect_timeout": connect,
            "options": f"-c statement_timeout={round(timeout_seconds * 1000)}",
        },
    }


def single_statement_reads(engine: Engine) -> Engine:
    """The engine for reads of one statement. On PostgreSQL it runs them in autocommit: one statement sees
    one committed snapshot by itself (READ COMMITTED), and the BEGIN and ROLLBACK a transaction would add
    are two more round trips per read. SQLite's reads are local calls: the engine as it is."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def lock_migrations(connection: Connection) -> None:
    """Serialise schema migrations of processes that start at once (PostgreSQL: a transaction-scoped
    advisory lock, released at commit). SQLite's processes are migrated by the first writer and
    `make serve` migrates once before starting its workers."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL statement_timeout = 0"))  # a migration may take long, once
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def lock_change_feed(connection: Connection) -> None:
    """Make change-feed sequence order commit order. PostgreSQL hands out a sequence number at insert, not
    at commit, so without this a reader paging by sequence could see 11 before 10 commits and skip 10 for
    ever. The transaction-scoped advisory lock, taken right before the change-feed insert (the last write of
    its transaction) and released at commit, lets one writer at a time through that commit tail. Callers take
    their row locks before it, so it never waits in a cycle with them. SQLite has one writer at a time."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_FEED_LOCK})


@cache
def insert_missing(table: Table, dialect_name: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: a row that a concurrent writer may be adding too.
    On PostgreSQL it waits for that writer and returns no row when it committed the same key."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def upsert(dialect_name: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING id: the study or series row, its indexed values
    replaced by the newest instance's, in one statement (SQLite and PostgreSQL spell it the same). On
    PostgreSQL it locks the row until the commit; when a concurrent delete removed it, it inserts anew."""
    statement: Any = postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)
    replaced = {name: statement.excluded[name] for name in (*columns, "attributes", "watermark")}
    return statement.on_conflict_do_update(index_elements=list(key), set_=replaced).returning(table.c.id)
