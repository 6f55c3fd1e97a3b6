"""Derived metrics state: deployment verdicts, failure attributions and overrides, streams, dirty streams, and
the fingerprint of the settings the derived state was computed with.

The metric indexes are rebuilt to end with the verdict columns (index-only counts), failure indexes to carry
``finished_at`` (durations without table access). Every existing stream starts dirty, so the first refresh
computes verdicts for the events stored before this revision.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

VERDICTS = ("is_change_failure", "is_rework", "recovery_ns", "recovery_status")
COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any], bool], ...] = (
    ("is_change_failure", sa.Boolean(), False),
    ("change_failure_reasons", sa.Text(), True),
    ("overridden_reasons", sa.Text(), True),
    ("remediated_by", sa.String(128), True),
    ("remediation_kind", sa.String(16), True),
    ("is_rework", sa.Boolean(), False),
    ("rework_reasons", sa.Text(), True),
    ("rework_failure_ids", sa.Text(), True),
    ("recovery_ns", sa.BigInteger(), True),
    ("recovery_status", sa.String(16), True),
)
DEPLOYMENT_INDEXES: dict[str, list[str]] = {
    "ix_deployments_finished": ["finished_at"],
    "ix_deployments_env_finished": ["env", "finished_at"],
    "ix_deployments_service_env_finished": ["service", "env", "finished_at"],
    "ix_deployments_team_finished": ["team", "finished_at"],
    "ix_deployments_repository_finished": ["repository_id", "finished_at"],
}
FAILURE_INDEXES: dict[str, list[str]] = {
    "ix_failures_started": ["started_at"],
    "ix_failures_env_started": ["env", "started_at"],
    "ix_failures_team_started": ["team", "started_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        for name, type_, nullable in COLUMNS:
            default = None if nullable else sa.false()
            batch.add_column(sa.Column(name, type_, nullable=nullable, server_default=default))
    for name, columns in DEPLOYMENT_INDEXES.items():
        op.drop_index(name, "deployments")
        op.create_index(name, "deployments", [*columns, *VERDICTS])
    op.create_index("ix_deployments_commit_sha", "deployments", ["commit_sha"])
    op.create_index("ix_deployments_remediation", "deployments", ["remediation_deployment_id"])
    op.create_index(
        "ix_deployments_change_failures",
        "deployments",
        ["finished_at", "recovery_ns", "recovery_status"],
        sqlite_where=sa.text("is_change_failure = 1"),
        postgresql_where=sa.text("is_change_failure"),
    )
    for name, columns in FAILURE_INDEXES.items():
        op.drop_index(name, "failures")
        op.create_index(name, "failures", [*columns, "finished_at"])
    _create_tables()
    # Existing events: register their streams and mark every stream dirty. The constant token is never written
    # again (writers use random ones), so a refresh that read it can tell that nothing changed since.
    op.execute(
        "INSERT INTO deployment_streams (service, env_key, team_key) "
        "SELECT DISTINCT service, COALESCE(env, ''), COALESCE(team, '') FROM deployments"
    )
    op.execute(
        "INSERT INTO dirty_streams (service, env_key, since, token) "
        "SELECT service, COALESCE(env, ''), MIN(finished_at), 'migration-0004' FROM deployments "
        "GROUP BY service, COALESCE(env, '')"
    )


def _create_tables() -> None:
    op.create_table(
        "failure_attributions",
        sa.Column("failure_id", sa.String(128), sa.ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("deployment_id", sa.String(128), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("confidence", sa.String(8), nullable=True),
        sa.Column("basis", sa.String(24), nullable=True),
        sa.PrimaryKeyConstraint("failure_id", "service"),
    )
    op.create_index("ix_failure_attributions_deployment", "failure_attributions", ["deployment_id"])
    op.create_table(
        "attribution_overrides",
        sa.Column("failure_id", sa.String(128), sa.ForeignKey("failures.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("deployment_id", sa.String(128), nullable=True),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "deployment_streams",
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("env_key", sa.String(200), nullable=False),
        sa.Column("team_key", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("service", "env_key", "team_key"),
    )
    op.create_index("ix_deployment_streams_team", "deployment_streams", ["env_key", "team_key"])
    op.create_table(
        "dirty_streams",
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("env_key", sa.String(200), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("service", "env_key"),
    )
    op.create_table(
        "derived_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    tables = ("derived_settings", "dirty_streams", "deployment_streams", "attribution_overrides")
    for table in (*tables, "failure_attributions"):
        op.drop_table(table)
    for name, columns in FAILURE_INDEXES.items():
        op.drop_index(name, "failures")
        op.create_index(name, "failures", columns)
    op.drop_index("ix_deployments_change_failures", "deployments")
    op.drop_index("ix_deployments_remediation", "deployments")
    op.drop_index("ix_deployments_commit_sha", "deployments")
    for name, columns in DEPLOYMENT_INDEXES.items():
        op.drop_index(name, "deployments")
        op.create_index(name, "deployments", columns)
    with op.batch_alter_table("deployments") as batch:
        for name, _, _ in COLUMNS:
            batch.drop_column(name)
