"""Commit metadata uploaded by the CLI (commits, parents, changed paths) and lead time kept per deployment.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _commit_key() -> list[sa.Column[object]]:
    return [
        sa.Column("repository_id", sa.String(500), nullable=False),
        sa.Column("sha", sa.String(128), nullable=False),
    ]


def _commit_reference() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["repository_id", "sha"], ["git_commits.repository_id", "git_commits.sha"], ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "git_commits",
        *_commit_key(),
        sa.Column("author_time", sa.BigInteger, nullable=False),
        sa.Column("committer_time", sa.BigInteger, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("repository_id", "sha"),
    )
    op.create_index(
        "ix_git_commits_repository_committer_time", "git_commits", ["repository_id", "committer_time", "sha"]
    )
    op.create_table(
        "git_commit_parents",
        *_commit_key(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("parent_sha", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("repository_id", "sha", "position"),
        _commit_reference(),
    )
    op.create_table(
        "git_commit_paths",
        *_commit_key(),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.PrimaryKeyConstraint("repository_id", "sha", "path"),
        _commit_reference(),
    )
    op.create_table(
        "deployment_lead_times",
        sa.Column(
            "deployment_id",
            sa.String(128),
            sa.ForeignKey("deployments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("commit_count", sa.Integer, nullable=False),
        sa.Column("first_commit_lead_time", sa.BigInteger, nullable=True),
        sa.Column("truncated", sa.Boolean, nullable=False),
        sa.Column("computed_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "deployment_commits",
        sa.Column(
            "deployment_id",
            sa.String(128),
            sa.ForeignKey("deployments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sha", sa.String(128), nullable=False),
        sa.Column("lead_time", sa.BigInteger, nullable=False),
        sa.Column("commit_time", sa.BigInteger, nullable=False),
        sa.Column("rebased", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", "sha"),
    )
    op.create_index("ix_deployment_commits_sha", "deployment_commits", ["sha"])


def downgrade() -> None:
    op.drop_index("ix_deployment_commits_sha", "deployment_commits")
    op.drop_index("ix_git_commits_repository_committer_time", "git_commits")
    for table in (
        "deployment_commits",
        "deployment_lead_times",
        "git_commit_paths",
        "git_commit_parents",
        "git_commits",
    ):
        op.drop_table(table)
