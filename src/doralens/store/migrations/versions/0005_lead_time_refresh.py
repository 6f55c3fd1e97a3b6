"""Lead time computed off the request path: streams whose lead time is stale, and what each record was computed
from, so that a refresh recomputes only the deployments whose range changed.

Every existing stream starts stale, so the first refresh computes lead time for deployments stored before.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_time_dirty",
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("env_key", sa.String(200), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("service", "env_key"),
    )
    with op.batch_alter_table("deployment_lead_times") as batch:
        batch.add_column(sa.Column("inputs", sa.String(64), nullable=True))
        batch.add_column(sa.Column("previous_deployment_id", sa.String(128), nullable=True))
    op.create_index("ix_deployment_lead_times_status", "deployment_lead_times", ["status"])
    op.execute(
        "INSERT INTO lead_time_dirty (service, env_key, token) "
        "SELECT DISTINCT service, env_key, 'migrated' FROM deployment_streams"
    )


def downgrade() -> None:
    op.drop_index("ix_deployment_lead_times_status", "deployment_lead_times")
    with op.batch_alter_table("deployment_lead_times") as batch:
        batch.drop_column("previous_deployment_id")
        batch.drop_column("inputs")
    op.drop_table("lead_time_dirty")
