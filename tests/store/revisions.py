"""Migration tests start from an earlier revision of the schema."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, text

from doralens.store import migrate
from doralens.store.schema import metadata


def start_at(conn: Connection, revision: str) -> None:
    """Empty the database (the PostgreSQL fixture hands over a migrated one) and migrate it up to ``revision``."""
    metadata.drop_all(conn)
    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    command.upgrade(migrate._config(conn), revision)
