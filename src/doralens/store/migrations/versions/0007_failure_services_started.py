"""Each impacted-service row of a failure carries the failure's start, and the service index continues with it.

A question about one service's failures used to read every failure of the window and keep those impacting the
service, or look up every failure the service ever had; with the start beside the service in the index, the database
reads exactly the service's failures inside the window. The rows are rewritten with their failure whenever it is,
so the copy always equals ``failures.started_at``. Existing rows are filled from their failures.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_INDEX = "ix_failure_services_service"


def upgrade() -> None:
    # ALTER TABLE, never a batch copy. SQLite needs a default to add a NOT NULL column; every row is filled below,
    # and the writers always give the value, so PostgreSQL drops the default again (SQLite cannot).
    op.add_column("failure_services", sa.Column("started_at", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE failure_services SET started_at = "
        "(SELECT f.started_at FROM failures f WHERE f.id = failure_services.failure_id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("failure_services", "started_at", server_default=None)
    op.drop_index(_INDEX, "failure_services")
    op.create_index(_INDEX, "failure_services", ["service", "started_at", "failure_id"])


def downgrade() -> None:
    op.drop_index(_INDEX, "failure_services")
    op.create_index(_INDEX, "failure_services", ["service", "failure_id"])
    op.execute("ALTER TABLE failure_services DROP COLUMN started_at")  # SQLite >= 3.35 drops in place
