"""SQLite backend: WAL, one writer per process, ``BEGIN IMMEDIATE`` so writers of several processes queue.

Readers use their own pool and never block the writer (WAL). ``synchronous=FULL`` makes every acknowledged
commit durable on disk, not only across process crashes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.sqlite import Insert, insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

BUSY_TIMEOUT_MS = 30_000
# Page cache of the writer during a bulk load: index pages of a large table stay in memory between batches.
BULK_CACHE_KIB = 128 * 1024


def _configure(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


class SqliteBackend:
    """A SQLite database file."""

    name = "sqlite"
    defers_indexes = True

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        sa_url = parsed.set(drivername="sqlite+pysqlite")
        # One writer connection per process; the lock keeps threads from interleaving on it.
        self._writer = create_engine(sa_url, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=60)
        _configure(self._writer, "BEGIN IMMEDIATE")
        self.reader = create_engine(sa_url, poolclass=NullPool if database == ":memory:" else QueuePool)
        _configure(self.reader, "BEGIN")
        self._lock = threading.Lock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction under the process-wide writer lock and SQLite's own (IMMEDIATE) lock."""
        with self._lock, self._writer.begin() as conn:
            yield conn

    def lock_failure_key(self, conn: Connection, env_key: str, started_at: int) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already serialises every writer of the file."""

    def lock_refresh(self, conn: Connection, env_key: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already serialises every writer of the file."""

    def upsert(self, table: Table) -> Insert:
        """SQLite's INSERT with ON CONFLICT support."""
        return insert(table)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """A large page cache on the writer connection while the block runs (each batch still commits durably)."""
        with self._lock:
            raw = self._writer.raw_connection()
            try:
                raw.driver_connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")  # type: ignore[union-attr]
            finally:
                raw.close()
        try:
            yield
        finally:
            with self._lock:
                raw = self._writer.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA cache_size = -2000")  # type: ignore[union-attr]
                finally:
                    raw.close()

    def dispose(self) -> None:
        """Close the pools."""
        self._writer.dispose()
        self.reader.dispose()
