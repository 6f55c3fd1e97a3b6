"""Change lead time counted from the deployments' metric indexes: whether a sha was sent, and a copy of each
deployment's lead-time record (status, whether it shipped commits, whether its range was truncated) on its row,
appended to the metric indexes.

Before, every metrics read joined each deployment of the window to its record, a lookup per row; now the counts are
read from the index alone and only deployments that shipped commits are joined to them. Existing rows are filled
from what is stored.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

VERDICTS = ("is_change_failure", "is_rework", "recovery_ns", "recovery_status")
LEAD_TIME = ("has_git", "lead_time_status", "lead_time_shipped", "lead_time_truncated")
DEPLOYMENT_INDEXES: dict[str, list[str]] = {
    "ix_deployments_finished": ["finished_at"],
    "ix_deployments_env_finished": ["env", "finished_at"],
    "ix_deployments_service_env_finished": ["service", "env", "finished_at"],
    "ix_deployments_team_finished": ["team", "finished_at"],
    "ix_deployments_repository_finished": ["repository_id", "finished_at"],
}
_RECORD = "FROM deployment_lead_times r WHERE r.deployment_id = deployments.id"


def upgrade() -> None:
    # ALTER TABLE, never a batch copy on SQLite: dropping the old table would cascade to the lead-time records.
    op.add_column("deployments", sa.Column("has_git", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("deployments", sa.Column("lead_time_status", sa.String(16), nullable=True))
    op.add_column("deployments", sa.Column("lead_time_shipped", sa.Boolean(), nullable=True))
    op.add_column("deployments", sa.Column("lead_time_truncated", sa.Boolean(), nullable=True))
    op.execute("UPDATE deployments SET has_git = (commit_sha IS NOT NULL)")
    # The flags are TRUE or NULL, for measured records only (see schema.py).
    measured = "r.status IN ('ok', 'orphaned')"
    op.execute(
        f"UPDATE deployments SET lead_time_status = (SELECT r.status {_RECORD}), "
        f"lead_time_shipped = (SELECT CASE WHEN {measured} AND r.commit_count > 0 THEN TRUE END {_RECORD}), "
        f"lead_time_truncated = (SELECT CASE WHEN {measured} AND r.truncated THEN TRUE END {_RECORD}) "
        f"WHERE EXISTS (SELECT 1 {_RECORD})"
    )
    for name, columns in DEPLOYMENT_INDEXES.items():
        op.drop_index(name, "deployments")
        op.create_index(name, "deployments", [*columns, *VERDICTS, *LEAD_TIME])


def downgrade() -> None:
    for name, columns in DEPLOYMENT_INDEXES.items():
        op.drop_index(name, "deployments")
        op.create_index(name, "deployments", [*columns, *VERDICTS])
    for name in reversed(LEAD_TIME):
        op.execute(f"ALTER TABLE deployments DROP COLUMN {name}")  # SQLite >= 3.35 drops in place, as PostgreSQL
