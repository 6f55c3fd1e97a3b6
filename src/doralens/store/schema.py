"""The database schema as SQLAlchemy Core tables: the one description both backends and the migrations share.

Timestamps are BIGINT nanoseconds UTC. ``custom_tags`` is kept twice: as the JSON list the client sent (for
faithful reads) and exploded into ``*_tags`` rows (for indexed search). Failure services likewise.

Derived state (migration 0004) lives beside the events: each deployment's change-failure and rework verdict,
failure attributions, user overrides of them, and the streams whose derived state must be recomputed. The metric
indexes end with the two verdict columns so that counting deployments per day is an index-only scan.
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
    false,
    true,
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

# Metric filters, each followed by the time column; the verdict columns are appended to make them covering.
DEPLOYMENT_METRIC_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_deployments_finished": ("finished_at",),
    "ix_deployments_env_finished": ("env", "finished_at"),
    "ix_deployments_service_env_finished": ("service", "env", "finished_at"),
    "ix_deployments_team_finished": ("team", "finished_at"),
    "ix_deployments_repository_finished": ("repository_id", "finished_at"),
}
# Mostly NULL (only change failures have them), so cheap in an index, and they spare recovery reads the table.
VERDICT_COLUMNS = ("is_change_failure", "is_rework", "recovery_ns", "recovery_status")
# What change lead time counts per deployment (migration 0006), so its counts need neither the table nor a join.
LEAD_TIME_COLUMNS = ("has_git", "lead_time_status", "lead_time_shipped", "lead_time_truncated")
# Failure filters followed by started_at; finished_at appended so durations need no table access.
FAILURE_METRIC_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_failures_started": ("started_at", "finished_at"),
    "ix_failures_env_started": ("env", "started_at", "finished_at"),
    "ix_failures_team_started": ("team", "started_at", "finished_at"),
}

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
    # Derived verdict (migration 0004), written only by the refresh of the deployment's stream.
    Column("is_change_failure", Boolean, nullable=False, server_default=false()),
    Column("change_failure_reasons", Text, nullable=True),  # comma list, ChangeFailureReason values
    Column("overridden_reasons", Text, nullable=True),  # automatic reasons a manual "stable" mark removed
    Column("remediated_by", String(128), nullable=True),
    Column("remediation_kind", String(16), nullable=True),
    Column("is_rework", Boolean, nullable=False, server_default=false()),
    Column("rework_reasons", Text, nullable=True),  # comma list, ReworkReason values
    Column("rework_failure_ids", Text, nullable=True),  # the failures this was the first deployment during
    Column("recovery_ns", BigInteger, nullable=True),  # failed deployment recovery time, when measured
    Column("recovery_status", String(16), nullable=True),  # RecoveryStatus, for change failures only
    # Whether a commit sha was sent (migration 0006), written like the verdict by the refresh of the stream.
    Column("has_git", Boolean, nullable=False, server_default=false()),
    # What change lead time counts of the deployment's lead-time record (deployment_lead_times), written and
    # cleared with it. Status NULL without a record: "pending" with git data, "no git" without. The two flags are
    # TRUE or NULL (never FALSE) so that COUNT() reads them: a measured deployment that shipped commits, and one
    # whose range was cut at the commit limit.
    Column("lead_time_status", String(16), nullable=True),
    Column("lead_time_shipped", Boolean, nullable=True),
    Column("lead_time_truncated", Boolean, nullable=True),
    *(
        Index(name, *columns, *VERDICT_COLUMNS, *LEAD_TIME_COLUMNS)
        for name, columns in DEPLOYMENT_METRIC_INDEXES.items()
    ),
    Index("ix_deployments_service_env_version", "service", "env", "version"),
)

# Migration 0010: mostly empty columns, indexed only where they have a value, which is what their lookups ask for
# (and say: SQLite and PostgreSQL use a partial index only when the query implies its condition).
for _name, _column in (
    ("ix_deployments_commit_sha", deployments.c.commit_sha),
    ("ix_deployments_remediation", deployments.c.remediation_deployment_id),
):
    Index(_name, _column, sqlite_where=_column.is_not(None), postgresql_where=_column.is_not(None))

# Change failures only, for SQLite's day-by-day recovery read (see days.py) when no filter narrows it first. SQLite
# uses a partial index only when the query says the same condition, hence "= 1" as its queries say it.
Index(
    "ix_deployments_change_failures",
    deployments.c.finished_at,
    deployments.c.recovery_ns,
    deployments.c.recovery_status,
    sqlite_where=deployments.c.is_change_failure == true(),
    postgresql_where=deployments.c.is_change_failure,
)

deployment_tags = Table(
    "deployment_tags",
    metadata,
    Column("deployment_id", String(128), ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("deployment_id", "key", "value"),
    Index("ix_deployment_tags_key_value", "key", "value"),
    sqlite_with_rowid=False,  # migration 0009: the primary key is the table
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
    *(Index(name, *columns) for name, columns in FAILURE_METRIC_INDEXES.items()),
)

failure_services = Table(
    "failure_services",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(200), nullable=False),
    # A copy of the failure's start, written with the row: one service's failures in a window come from the index.
    Column("started_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("failure_id", "service"),
    Index("ix_failure_services_service", "service", "started_at", "failure_id"),
    sqlite_with_rowid=False,  # migration 0009: the primary key is the table
)

failure_tags = Table(
    "failure_tags",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", String(200), nullable=False),
    PrimaryKeyConstraint("failure_id", "key", "value"),
    Index("ix_failure_tags_key_value", "key", "value"),
    sqlite_with_rowid=False,  # migration 0009: the primary key is the table
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
    sqlite_with_rowid=False,  # migration 0009: the primary key is the table
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
    # What the record was computed from (migration 0005): a refresh recomputes a deployment only when it differs.
    Column("inputs", String(64), nullable=True),
    Column("previous_deployment_id", String(128), nullable=True),
    Index("ix_deployment_lead_times_status", "status"),
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

# Which deployment caused each failure: one row per linked deployment, or one row without (unattributed, or a
# user's "no deployment caused it"). ``service`` is the linked deployment's service, '' for a row without one.
failure_attributions = Table(
    "failure_attributions",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), nullable=False),
    Column("service", String(200), nullable=False),
    Column("deployment_id", String(128), nullable=True),
    Column("method", String(16), nullable=False),
    Column("confidence", String(8), nullable=True),
    Column("basis", String(24), nullable=True),
    PrimaryKeyConstraint("failure_id", "service"),
    Index("ix_failure_attributions_deployment", "deployment_id"),
)

# A user's attribution of a failure (``deployment_id`` NULL: no deployment caused it); replaces the rules.
attribution_overrides = Table(
    "attribution_overrides",
    metadata,
    Column("failure_id", String(128), ForeignKey("failures.id", ondelete="CASCADE"), primary_key=True, nullable=False),
    Column("deployment_id", String(128), nullable=True),
    Column("set_by", String(200), nullable=False),
    Column("set_at", BigInteger, nullable=False),
)

# Every (service, env, team) seen on a deployment, so that a failure naming only a team finds its streams, and the
# environments can be listed, without scanning deployments. Rows are never removed: a stale one costs a no-op.
deployment_streams = Table(
    "deployment_streams",
    metadata,
    Column("service", String(200), nullable=False),
    Column("env_key", String(200), nullable=False),  # env, '' for none
    Column("team_key", String(200), nullable=False),  # team, '' for none
    PrimaryKeyConstraint("service", "env_key", "team_key"),
    Index("ix_deployment_streams_team", "env_key", "team_key"),
)

# Streams whose derived state is stale. Writers upsert a row in the same transaction as their change, with a fresh
# random ``token``; a refresh removes the row only if the token is still the one it read before loading data.
dirty_streams = Table(
    "dirty_streams",
    metadata,
    Column("service", String(200), nullable=False),
    Column("env_key", String(200), nullable=False),
    Column("since", BigInteger, nullable=False),  # the earliest event time touched, for diagnostics
    Column("token", String(32), nullable=False),
    PrimaryKeyConstraint("service", "env_key"),
)

# Settings the stored derived state was computed with (a fingerprint): when they change, every stream is redone.
derived_settings = Table(
    "derived_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Streams whose change lead time is stale (migration 0005), marked by deployment writes in their transaction. A
# sibling of ``dirty_streams``: lead time reads git, which must not hold up the refresh of verdicts.
lead_time_dirty = Table(
    "lead_time_dirty",
    metadata,
    Column("service", String(200), nullable=False),
    Column("env_key", String(200), nullable=False),
    Column("token", String(32), nullable=False),
    PrimaryKeyConstraint("service", "env_key"),
)
