"""SQLite backend: WAL, one writer per process, ``BEGIN IMMEDIATE`` so writers of several processes queue.

Readers use their own pool and never block the writer (WAL). ``synchronous=FULL`` makes every acknowledged
commit durable on disk, not only across process crashes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.sqlite import Insert, insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

log = logging.getLogger("doralens.store")

BUSY_TIMEOUT_MS = 30_000
# How often a new connection asks again to put the file in WAL mode while a bulk load holds it in rollback mode
# (SQLite answers "locked" at once there, without waiting out the busy timeout).
WAL_RETRY_SECONDS = 0.05
# Page cache of the writer during a bulk load: the primary key pages of a large import stay in memory (measured at a
# million events: 128 MiB took no less CPU, and peaked 40 MB higher).
BULK_CACHE_KIB = 96 * 1024
# Page cache while a bulk load builds indexes: SQLite sorts in runs of the cache's size, in memory beside the cache
# (which a shrink does not hand back), so a small one keeps the peak under the import's memory budget; and runs that
# fit the processor's caches sort faster. Measured at a million events, CPU seconds to build the indexes an import
# sets aside: 11.3 to 11.8 with runs of 16 MiB, 10.1 of 8 MiB, 9.1 to 9.4 of 4 MiB, 9.4 of 2 MiB (more runs than one
# merge pass takes).
BUILD_CACHE_KIB = 4 * 1024
# Helper threads of SQLite's sorter while a bulk load builds indexes: it sorts runs on them while the statement's own
# thread scans the table. Measured at a million events on two cores, building the deployments' indexes: 6.6 s with
# none, 5.2 s with one, 5.2 s with two, 5.0 s with three.
BUILD_THREADS = 2
# Planner statistics: SQLite gathers none by itself, and without them it reads a service's whole history where it
# could seek each env's window. ANALYZE with a limit reads that many entries from the start of each index, not a
# random sample, so the limit must span many keys: at a thousand the first service alone filled the sample, the
# planner took every service to have 1,001 deployments and one env, and listing one service's deployments in one env
# with a tag read the whole env's index (430 ms at a million deployments, against 5.9 ms with full statistics). At
# 50,000 the estimates for services and their envs are within 10% at a million deployments, that list takes 5.5 ms,
# and the metrics benchmark's figures hold; the run took 122 to 364 ms there (a full one 1.0 s, and it grows with
# the data; this does not).
ANALYSIS_LIMIT = 50_000
# Below this many deployments every plan is fast, and statistics of a nearly empty table would mislead the planner
# once it has grown.
STATISTICS_FROM_ROWS = 10_000
# The background refresh gathers them again once the deployments have grown this many times over since they were
# gathered (a server that grew through the API alone, between two starts).
STATISTICS_GROWTH = 2


def _configure(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _enter_wal(dbapi_conn)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode (it stays so), waiting up to the busy timeout while a bulk load writes it in
    rollback mode: the switch needs the file to itself, and SQLite refuses it at once rather than wait."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").close()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(WAL_RETRY_SECONDS)


def _grown(conn: sqlite3.Connection) -> bool:
    """Whether the deployments have grown ``STATISTICS_GROWTH`` times over since their statistics were gathered (or
    have none): the highest rowid against the row count the statistics recorded, both read without a scan."""
    if conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'").fetchone() is None:
        return True
    analyzed = "SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'deployments'"
    rows_then = conn.execute(analyzed).fetchone()[0]
    rows_now = conn.execute("SELECT coalesce(max(rowid), 0) FROM deployments").fetchone()[0]
    return rows_then is None or rows_now >= STATISTICS_GROWTH * rows_then


class SqliteBackend:
    """A SQLite database file."""

    name = "sqlite"
    defers_indexes = True
    serial_writers = True

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        sa_url = parsed.set(drivername="sqlite+pysqlite")
        # One writer connection per process; the lock keeps threads from interleaving on it (reentrant: a bulk load
        # holds it throughout, around the writes of its own thread).
        self._writer = create_engine(sa_url, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=60)
        _configure(self._writer, "BEGIN IMMEDIATE")
        self.reader = create_engine(sa_url, poolclass=NullPool if database == ":memory:" else QueuePool)
        _configure(self.reader, "BEGIN")
        self._lock = threading.RLock()
        # A connection of its own for PRAGMA data_version, which changes when another connection commits.
        self._file = database if database and database != ":memory:" else None
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()

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
    def _writer_driver(self) -> Iterator[sqlite3.Connection]:
        """The writer's own sqlite3 connection, outside any transaction, under the writer lock."""
        with self._lock:
            raw = self._writer.raw_connection()
            try:
                conn = raw.driver_connection
                assert isinstance(conn, sqlite3.Connection)
                yield conn
            finally:
                raw.close()

    def _on_writer(self, *statements: str) -> None:
        with self._writer_driver() as conn:
            for statement in statements:
                conn.execute(statement).close()

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """The writer tuned for one large import while the block runs; afterwards the file in WAL mode with its log
        truncated, and (when the block succeeded) fresh statistics. The block holds the writer: another thread's
        writes wait for its end, so the settings below are the import's alone.

        - A large page cache.
        - No foreign key checks. An import writes a tag, service or match key only beside the event it belongs to,
          and deletes none it leaves a child of (the tests check every import against ``foreign_key_check``); the
          check looked each child's parent up again: at a million events, 1.2 s.
        - A rollback journal in place of the write-ahead log, when no other connection has the file open. Through
          the log, every page a large import writes goes to disk twice: into the log, then, at the checkpoint after
          the commit, into the database file. A rollback journal takes only the pages the import changes that were
          there before it began (none in a new database), and the new pages go to the file once: at a million
          events, 1.0 to 2.0 s less. The price is concurrency: in rollback mode nobody reads while the import
          writes, so the switch happens only when nobody else has the file open (not beside a running server), and
          a connection opened meanwhile waits for the import to end (``_enter_wal``)."""
        with self._lock:
            self._on_writer(f"PRAGMA cache_size = -{BULK_CACHE_KIB}", "PRAGMA foreign_keys = OFF")
            journal = self._leave_wal()
            try:
                yield
            finally:
                self._on_writer("PRAGMA cache_size = -2000", "PRAGMA threads = 0", "PRAGMA foreign_keys = ON")
                if journal:
                    self._back_to_wal()
                else:
                    self._on_writer("PRAGMA wal_checkpoint(TRUNCATE)")
        self.refresh_statistics()

    def _leave_wal(self) -> bool:
        """Switch the file to a rollback journal if no other connection, of this process or another, has it open;
        True if switched. This process's idle readers are closed first; any other holder makes SQLite refuse."""
        if self._file is None:
            return False
        self.reader.dispose()
        self._close_watch()
        with self._writer_driver() as conn:
            conn.execute("PRAGMA busy_timeout = 0").close()
            try:
                mode: str = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError:
                return False  # another connection has the file open
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").close()
            return mode == "delete"

    def _back_to_wal(self) -> None:
        """Put the file back in WAL mode after a bulk load in rollback mode. Should another process hold the file
        past the busy timeout, the import (committed or not) is not failed for it: every connection puts the file
        in WAL mode when it opens, so the next one does."""
        with self._writer_driver() as conn:
            try:
                _enter_wal(conn)
            except sqlite3.OperationalError as exc:
                log.warning("the database stays in rollback journal mode until the next connection opens it: %s", exc)

    def refresh_statistics(self, *, if_grown: bool = False) -> bool:
        """A bounded ANALYZE (``ANALYSIS_LIMIT``) once there are ``STATISTICS_FROM_ROWS`` deployments; True if run.

        Run when the server starts and after an import, so the planner knows, for instance, how few envs a service
        has; ``if_grown`` (the background refresh) runs it only when there are no statistics yet or the deployments
        have grown ``STATISTICS_GROWTH`` times over since."""
        with self._writer_driver() as conn:
            # The growth check first: it reads three values, where counting up to the threshold reads that many
            # index entries, and the background refresh asks every few seconds.
            if if_grown and not _grown(conn):
                return False
            enough = "SELECT count(*) FROM (SELECT 1 FROM deployments LIMIT ?)"
            if conn.execute(enough, (STATISTICS_FROM_ROWS,)).fetchone()[0] < STATISTICS_FROM_ROWS:
                return False
            conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}").close()
            conn.execute("ANALYZE").close()
            return True

    def prepare_index_build(self, conn: Connection) -> None:
        """A small page cache while a bulk load builds indexes (the sorter takes as much memory again as the cache),
        and helper threads for the sorter."""
        conn.exec_driver_sql(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        conn.exec_driver_sql(f"PRAGMA threads = {BUILD_THREADS}")

    def change_counter(self) -> int | None:
        """SQLite's ``PRAGMA data_version`` on a connection that never writes: it changes with every commit by any
        other connection, of this process or another (None for an in-memory database)."""
        if self._file is None:
            return None
        with self._watch_lock:
            if self._watch is None:
                path = str(Path(self._file).expanduser())
                self._watch = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            version: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
            return version

    def _close_watch(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None

    def dispose(self) -> None:
        """Close the pools and the watching connection."""
        self._writer.dispose()
        self.reader.dispose()
        self._close_watch()
