"""Open the configured store."""

from __future__ import annotations

from doralens.store.dialect import Backend
from doralens.store.postgres import PostgresBackend
from doralens.store.sql import SqlEventStore
from doralens.store.sqlite import SqliteBackend


def open_store(database_url: str) -> SqlEventStore:
    """Open the store for a ``sqlite:///`` or ``postgresql://`` URL (does not migrate)."""
    backend: Backend = (
        SqliteBackend(database_url) if database_url.startswith("sqlite:") else PostgresBackend(database_url)
    )
    return SqlEventStore(backend)
