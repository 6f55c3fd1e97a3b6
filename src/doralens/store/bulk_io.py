"""Raw bulk statements for imports: many rows of prepared tuples in one round trip per statement.

On PostgreSQL new rows go through ``COPY``; elsewhere (and for updates) through the driver's ``executemany``. Both
run on the connection of the caller's SQLAlchemy transaction, so they commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from doralens.domain.streams import env_key
from doralens.store.dialect import Backend
from doralens.store.dirty import new_token


def driver_connection(conn: Connection) -> Any:
    """The driver's own connection under the caller's transaction (sqlite3's or psycopg's)."""
    return conn.connection.driver_connection


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _marks(backend: Backend, count: int) -> str:
    return ", ".join(["%s" if backend.name == "postgresql" else "?"] * count)


def insert_rows(
    conn: Connection, backend: Backend, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert new rows (no conflict possible): ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
    if not rows:
        return
    driver = driver_connection(conn)
    if backend.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table}" ({_names(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f'INSERT INTO "{table}" ({_names(columns)}) VALUES ({_marks(backend, len(columns))})'
    _executemany(conn, backend, sql, rows)


def upsert_rows(
    conn: Connection,
    backend: Backend,
    table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    update: Iterable[str] | None = None,
) -> None:
    """Insert rows, or on a key conflict set the ``update`` columns (none: leave the stored row alone)."""
    if not rows:
        return
    changed = [f'"{c}" = excluded."{c}"' for c in (update or ())]
    action = f"DO UPDATE SET {', '.join(changed)}" if changed else "DO NOTHING"
    sql = (
        f'INSERT INTO "{table}" ({_names(columns)}) VALUES ({_marks(backend, len(columns))}) '
        f"ON CONFLICT ({_names(keys)}) {action}"
    )
    _executemany(conn, backend, sql, rows)


def delete_where_in(conn: Connection, backend: Backend, table: str, column: str, values: Sequence[str]) -> None:
    """Delete the rows whose ``column`` is one of ``values``."""
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        sql = f'DELETE FROM "{table}" WHERE "{column}" IN ({_marks(backend, len(chunk))})'
        driver_connection(conn).execute(sql, tuple(chunk)).close()


def _executemany(conn: Connection, backend: Backend, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    driver = driver_connection(conn)
    if backend.name == "postgresql":
        with driver.cursor() as cursor:
            cursor.executemany(sql, rows)
    else:
        driver.executemany(sql, rows)


def select_in(
    conn: Connection, backend: Backend, sql: str, values: Sequence[str], chunk: int = 500
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (whose ``IN (…)`` stands for the values) for every value: on PostgreSQL in one query over an
    array (many ``IN`` lists would each be planned, some as a scan of the table), elsewhere ``chunk`` values a query."""
    if not values:
        return []
    driver = driver_connection(conn)
    if backend.name == "postgresql":
        with driver.cursor() as cursor:
            cursor.execute(sql.replace("IN (…)", "= ANY(%s)"), (list(values),), prepare=False)
            return list(cursor.fetchall())
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), chunk):
        part = tuple(values[start : start + chunk])
        cursor = driver.execute(sql.replace("IN (…)", f"IN ({_marks(backend, len(part))})"), part)
        found.extend(cursor.fetchall())
        cursor.close()
    return found


def mark_streams_dirty(conn: Connection, backend: Backend, streams: dict[tuple[str, str | None], int]) -> None:
    """``dirty.mark_dirty`` as one ``executemany``: a row per stream, one fresh token, the earliest ``since`` kept."""
    if not streams:
        return
    token = new_token()
    rows = sorted((service, env_key(env), since, token) for (service, env), since in streams.items())
    earlier = 'CASE WHEN excluded."since" < dirty_streams."since" THEN excluded."since" ELSE dirty_streams."since" END'
    sql = (
        f'INSERT INTO dirty_streams ("service", "env_key", "since", "token") VALUES ({_marks(backend, 4)}) '
        f'ON CONFLICT ("service", "env_key") DO UPDATE SET "token" = excluded."token", "since" = {earlier}'
    )
    _executemany(conn, backend, sql, rows)


def mark_lead_time_stale(conn: Connection, backend: Backend, streams: Iterable[tuple[str, str | None]]) -> None:
    """``leadtime.mark_lead_time_dirty`` as one ``executemany``."""
    token = new_token()
    rows = [(service, key, token) for service, key in sorted({(service, env_key(env)) for service, env in streams})]
    if rows:
        upsert_rows(
            conn,
            backend,
            "lead_time_dirty",
            ("service", "env_key", "token"),
            ("service", "env_key"),
            rows,
            update=("token",),
        )
