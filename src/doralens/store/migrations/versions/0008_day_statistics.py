"""PostgreSQL: statistics on the UTC day of each event, so that grouping a window by day is planned as what it is.

The metrics group deployments by ``finished_at / 86400000000000`` and failures by ``started_at / ...``. Without
statistics on that expression the planner takes every row for its own day, and sorts a quarter's 120,000 rows (on
disk, past ``work_mem``) to group them into 90 days; with them it knows there are a few hundred days and aggregates
in memory, in parallel workers. ``ANALYZE`` (autovacuum's, or the one below) fills them. SQLite has no such
statistics, and its day-by-day plan does not need them; PostgreSQL before 14 cannot keep them on an expression.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NS_PER_DAY = 86_400_000_000_000  # written out as the queries write it (store/days.py), so the planner matches it
STATISTICS = {"st_deployments_day": ("deployments", "finished_at"), "st_failures_day": ("failures", "started_at")}


def _applies() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and (bind.dialect.server_version_info or (0,)) >= (14,)


def upgrade() -> None:
    if not _applies():
        return
    for name, (table, column) in STATISTICS.items():
        op.execute(f"CREATE STATISTICS {name} ON ({column} / {NS_PER_DAY}) FROM {table}")
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if not _applies():
        return
    for name in STATISTICS:
        op.execute(f"DROP STATISTICS IF EXISTS {name}")
