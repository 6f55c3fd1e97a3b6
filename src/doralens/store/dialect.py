"""What differs between the SQL backends, behind one small interface used by ``SqlEventStore``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert


class Backend(Protocol):
    """A database: a reader engine, serialised write transactions, and dialect-specific statements."""

    name: str
    reader: Engine
    # Whether a large import sets secondary indexes aside and builds them at the end (``bulk_indexes.py``).
    defers_indexes: bool
    # Whether write transactions run one at a time (SQLite's BEGIN IMMEDIATE): one may then write several streams'
    # derived state with no risk of a deadlock against writers taking their locks in another order.
    serial_writers: bool

    def write(self) -> AbstractContextManager[Connection]:
        """Open a write transaction; it commits when the block exits without error."""

    def lock_failure_key(self, conn: Connection, env_key: str, started_at: int) -> None:
        """Serialise writers of failures that share env and start, for the rest of the transaction."""

    def lock_refresh(self, conn: Connection, env_key: str) -> None:
        """Serialise refreshes writing derived state of one env, for the rest of the transaction."""

    def upsert(self, table: Table) -> PgInsert | SqliteInsert:
        """An INSERT that supports ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""

    def bulk_load(self) -> AbstractContextManager[None]:
        """Tune the writer for a large transaction (an import) while the block runs."""

    def prepare_index_build(self, conn: Connection) -> None:
        """Tune the transaction for building the indexes a bulk load set aside."""

    def refresh_statistics(self, *, if_grown: bool = False) -> bool:
        """Fresh planner statistics where the database does not keep them itself (with ``if_grown``, only when the
        data has grown much since they were gathered); True when it gathered them."""

    def change_counter(self) -> int | None:
        """A number that changes whenever a transaction commits to the database (from any connection or process),
        or None when the backend cannot tell cheaply."""

    def dispose(self) -> None:
        """Close every connection."""


def iter_chunks(rows: list[dict[str, Any]], size: int = 500) -> Iterator[list[dict[str, Any]]]:
    """Yield rows in chunks small enough for any backend's parameter limit."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
