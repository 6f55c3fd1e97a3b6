"""The indexes a test database holds, with their full definitions, read from the database's own catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from doralens.store.sql import SqlEventStore


def index_definitions(store: SqlEventStore) -> list[tuple[Any, ...]]:
    """Every index of the database with its full definition, by name."""
    sql = (
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        if store.backend.name == "sqlite"
        else "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
    )
    with store.backend.reader.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]
