"""Alembic environment: always run with a connection handed in by ``doralens.store.migrate``."""

from __future__ import annotations

from alembic import context

from doralens.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
context.run_migrations()
