"""PostgreSQL backend over psycopg 3: pooled connections, row-level upserts, advisory locks for failure merging."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Table, create_engine, func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.engine import make_url

# Sort memory of the server while a bulk load builds indexes: a million deployments' index entries sort in memory.
BUILD_SORT_MEMORY = "256MB"


def sqlalchemy_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


class PostgresBackend:
    """A PostgreSQL database."""

    name = "postgresql"
    defers_indexes = True
    serial_writers = False

    # At most 15 connections per worker process: eight workers stay under PostgreSQL's default of 100, and
    # requests beyond that wait for a connection instead of failing with "too many clients".

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10) -> None:
        self.reader = create_engine(
            sqlalchemy_url(url), pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A READ COMMITTED transaction; conflicting writers meet on constraints and locks."""
        with self.reader.begin() as conn:
            yield conn

    def lock_failure_key(self, conn: Connection, env_key: str, started_at: int) -> None:
        """Take a transaction-scoped advisory lock on (env, started_at)."""
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"{env_key}\x1f{started_at}", 0))))

    def lock_refresh(self, conn: Connection, env_key: str) -> None:
        """Take a transaction-scoped advisory lock on refreshing ``env_key`` (attributions never cross envs)."""
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"refresh\x1f{env_key}", 0))))

    def upsert(self, table: Table) -> Insert:
        """PostgreSQL's INSERT with ON CONFLICT support."""
        return insert(table)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Nothing to tune: imports already write new rows with COPY."""
        yield

    def prepare_index_build(self, conn: Connection) -> None:
        """More sort memory for this transaction's index builds than the server's default of 64 MB."""
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BUILD_SORT_MEMORY}'")

    def refresh_statistics(self, *, if_grown: bool = False) -> bool:
        """Nothing to do: autovacuum's ANALYZE keeps PostgreSQL's statistics."""
        return False

    def change_counter(self) -> int | None:
        """None: PostgreSQL has no cheap counter of commits to a database."""
        return None

    def dispose(self) -> None:
        """Close the pool."""
        self.reader.dispose()
