"""Helpers of the import and export tests: emptying a store between examples, and dumping it for comparison."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from doralens.store import bulk_indexes
from doralens.store.schema import metadata
from doralens.store.sql import SqlEventStore
from doralens.transfer import child

# Columns that record when a row was written, not what it says.
_WRITE_TIMES = {"received_at", "updated_at", "token"}


def clear(store: SqlEventStore) -> None:
    """Delete every row of every table (children first)."""
    with store.backend.write() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(delete(table))


def dump(store: SqlEventStore, *, since: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the columns that only say when they were written (and, on SQLite, none
    whose parent is missing)."""
    skip = _WRITE_TIMES if since else _WRITE_TIMES | {"since"}
    found: dict[str, list[tuple[Any, ...]]] = {}
    with store.backend.reader.connect() as conn:
        if store.backend.name == "sqlite":
            # Imports write without foreign key checks (``SqliteBackend.bulk_load``): no row may point nowhere.
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        for table in metadata.sorted_tables:
            columns = [c for c in table.c if c.name not in skip]
            rows = conn.execute(select(*columns)).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


@pytest.fixture(params=["indexes kept", "indexes set aside"])
def index_policy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Imports as a small one runs, and as a large one runs (secondary indexes set aside from the first batch)."""
    if request.param == "indexes set aside":
        monkeypatch.setattr(bulk_indexes, "MIN_ROWS", 0)
        monkeypatch.setattr(bulk_indexes, "SHARE_OF_STORED", 0)
    return str(request.param)


@pytest.fixture(params=["read in this process", "read in a child process"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Imports whose file this process reads (a small file), and imports whose file a child process reads."""
    monkeypatch.setattr(child, "MIN_BYTES", 0 if request.param == "read in a child process" else 2**62)
    return str(request.param)
