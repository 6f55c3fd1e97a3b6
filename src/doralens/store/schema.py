"""The database schema as SQLAlchemy Core tables: the one description both backends and the migrations share.

Timestamps are BIGINT nanoseconds UTC. ``custom_tags`` is kept twice: as the JSON list the client sent (for
faithful reads) and exploded into ``*_tags`` rows (for indexed search). Failure services likewise.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(8), nullable=False),  # "api" or "app"
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("last4", String(4), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("service", String(200), nullable=False),
    Column("env", String(200), nullable=True),
    Column("team", String(200), nullable=True),
    Column("version", String(200), nullable=True),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=False),
    Column("commit_sha", String(128), nullable=True),
    Column("repository_url", Text, nullable=True),
    Column("repository_id", String(500), nullable=True),
    Column("custom_tags", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    # Manual change-failure verdict (migration 0002); upserts of the same id leave these alone.
    Column("marked_change_failure", Boolean, nullable=True),
    Column("remediation_type", String(16), nullable=True),
    Column("remediation_deployment_id", String(128), nullable=True),
    Column("remediation_version", String(200), nullable=True),
    Column("marked_by", String(200), nullable=True),
    Column("marked_at", BigInteger, nullable=True),
    Index("ix_deployments_service_env_finished", "service", "env", "finished_at"),
    Index("ix_deployments_service_env_version", "service", "env", "version"),
    Index("ix_deployments_env_finished", "env", "finished_at"),
    Index("ix_deployments_team_finished", "team", "finished_at"),
    Index("ix_deployments_repository_finished", "repository_id", "finished_at"),
    Index("ix_deployments_finished", "finished_at"),
)

deployment_tags = Table(
    "deployment_tags",
    metadata,
    Column("deployment_id", String(128), ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("deployment_id", "key", "value"),
    Index("ix_deployment_tags_key_value", "key", "value"),
)

failures = Table(
    "failures",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", Text, nullable=True),
    Column("severity", String(200), nullable=True),
    Column("env", String(200), nullable=True),
    Column("team", String(200), nullable=True),
    Column("version", String(200), nullable=True),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    Column("commit_sha", String(128), nullable=True),
    Column("repository_url", Text, nullable=True),
    Column("repository_id", String(500), nullable=True),
    Column("custom_tags", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_failures_started", "started_at"),
    Index("ix_failures_env_started", "env", "started_at"),
    Index("ix_failures_team_started", "team", "started_at"),
)

failure_services = Table(
    "failure_services",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(200), nullable=False),
    PrimaryKeyConstraint("failure_id", "service"),
    Index("ix_failure_services_service", "service", "failure_id"),
)

failure_tags = Table(
    "failure_tags",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("failure_id", "key", "value"),
    Index("ix_failure_tags_key_value", "key", "value"),
)

# One row per (env, impacted subject, started_at) of failures sent without an id: the unique key that lets a
# later event find, update or resolve the earlier one, and keeps two racing copies from creating two failures.
failure_match_keys = Table(
    "failure_match_keys",
    metadata,
    Column("env_key", String(200), nullable=False),
    Column("subject", String(220), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("env_key", "subject", "started_at"),
    Index("ix_failure_match_keys_failure", "failure_id"),
)

# Commit metadata uploaded by the CLI (migration 0003): the parent graph lead time walks when the server cannot read
# the repository. A commit's content never changes under its sha, so uploads only ever add rows.
git_commits = Table(
    "git_commits",
    metadata,
    Column("repository_id", String(500), nullable=False),
    Column("sha", String(128), nullable=False),
    Column("author_time", BigInteger, nullable=False),
    Column("committer_time", BigInteger, nullable=False),
    Column("subject", Text, nullable=False),
    PrimaryKeyConstraint("repository_id", "sha"),
    # The walk loads history in pages going back in time from a commit, ordered by (time, sha): with the sha in
    # the index, a page is read off the index instead of sorting every older commit.
    Index("ix_git_commits_repository_committer_time", "repository_id", "committer_time", "sha"),
)

git_commit_parents = Table(
    "git_commit_parents",
    metadata,
    Column("repository_id", String(500), nullable=False),
    Column("sha", String(128), nullable=False),
    Column("position", Integer, nullable=False),
    Column("parent_sha", String(128), nullable=False),
    PrimaryKeyConstraint("repository_id", "sha", "position"),
    ForeignKeyConstraint(
        ["repository_id", "sha"], ["git_commits.repository_id", "git_commits.sha"], ondelete="CASCADE"
    ),
)

git_commit_paths = Table(
    "git_commit_paths",
    metadata,
    Column("repository_id", String(500), nullable=False),
    Column("sha", String(128), nullable=False),
    Column("path", String(1024), nullable=False),
    PrimaryKeyConstraint("repository_id", "sha", "path"),
    ForeignKeyConstraint(
        ["repository_id", "sha"], ["git_commits.repository_id", "git_commits.sha"], ondelete="CASCADE"
    ),
)

# Lead time per deployment (migration 0003): the summary kept for drill-down, and each commit it shipped first.
deployment_lead_times = Table(
    "deployment_lead_times",
    metadata,
    Column("deployment_id", String(128), ForeignKey("deployments.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("commit_count", Integer, nullable=False),
    Column("first_commit_lead_time", BigInteger, nullable=True),
    Column("truncated", Boolean, nullable=False),
    Column("computed_at", BigInteger, nullable=False),
)

deployment_commits = Table(
    "deployment_commits",
    metadata,
    Column("deployment_id", String(128), ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    Column("sha", String(128), nullable=False),
    Column("lead_time", BigInteger, nullable=False),
    Column("commit_time", BigInteger, nullable=False),
    Column("rebased", Boolean, nullable=False),
    PrimaryKeyConstraint("deployment_id", "sha"),
    # Failure attribution asks which deployment shipped a commit.
    Index("ix_deployment_commits_sha", "sha"),
)
