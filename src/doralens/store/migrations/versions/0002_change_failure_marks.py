"""Manual change-failure marks and remediations on deployments (PATCH and CLI), with who set them and when.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("marked_change_failure", sa.Boolean()),
    ("remediation_type", sa.String(16)),
    ("remediation_deployment_id", sa.String(128)),
    ("remediation_version", sa.String(200)),
    ("marked_by", sa.String(200)),
    ("marked_at", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_index("ix_deployments_service_env_version", "deployments", ["service", "env", "version"])


def downgrade() -> None:
    op.drop_index("ix_deployments_service_env_version", "deployments")
    with op.batch_alter_table("deployments") as batch:
        for name, _ in COLUMNS:
            batch.drop_column(name)
