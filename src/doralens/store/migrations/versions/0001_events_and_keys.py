"""Events and keys: deployments, failures, their tags and services, failure match keys, API keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _event_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("env", sa.String(200), nullable=True),
        sa.Column("team", sa.String(200), nullable=True),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("commit_sha", sa.String(128), nullable=True),
        sa.Column("repository_url", sa.Text, nullable=True),
        sa.Column("repository_id", sa.String(500), nullable=True),
        sa.Column("custom_tags", sa.Text, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    ]


def _tag_table(name: str, owner_column: str, owner_table: str) -> None:
    op.create_table(
        name,
        sa.Column(
            owner_column,
            sa.String(128),
            sa.ForeignKey(f"{owner_table}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint(owner_column, "key", "value"),
    )
    op.create_index(f"ix_{name}_key_value", name, ["key", "value"])


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=False),
        *_event_columns(),
    )
    op.create_index("ix_deployments_service_env_finished", "deployments", ["service", "env", "finished_at"])
    op.create_index("ix_deployments_env_finished", "deployments", ["env", "finished_at"])
    op.create_index("ix_deployments_team_finished", "deployments", ["team", "finished_at"])
    op.create_index("ix_deployments_repository_finished", "deployments", ["repository_id", "finished_at"])
    op.create_index("ix_deployments_finished", "deployments", ["finished_at"])
    _tag_table("deployment_tags", "deployment_id", "deployments")

    op.create_table(
        "failures",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("severity", sa.String(200), nullable=True),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        *_event_columns(),
    )
    op.create_index("ix_failures_started", "failures", ["started_at"])
    op.create_index("ix_failures_env_started", "failures", ["env", "started_at"])
    op.create_index("ix_failures_team_started", "failures", ["team", "started_at"])
    op.create_table(
        "failure_services",
        sa.Column("failure_id", sa.String(128), sa.ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("failure_id", "service"),
    )
    op.create_index("ix_failure_services_service", "failure_services", ["service", "failure_id"])
    _tag_table("failure_tags", "failure_id", "failures")
    op.create_table(
        "failure_match_keys",
        sa.Column("env_key", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(220), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("failure_id", sa.String(128), sa.ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("env_key", "subject", "started_at"),
    )
    op.create_index("ix_failure_match_keys_failure", "failure_match_keys", ["failure_id"])


def downgrade() -> None:
    for table in (
        "failure_match_keys",
        "failure_tags",
        "failure_services",
        "failures",
        "deployment_tags",
        "deployments",
        "api_keys",
    ):
        op.drop_table(table)
