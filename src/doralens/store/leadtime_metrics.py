"""Change lead time over a metric scope, in SQL: per-commit lead times, deployments counted by lead-time status,
and the deployments behind the numbers.

A commit counts in the bucket of the deployment that shipped it (by ``finished_at``). Percentiles come from
PostgreSQL's ``percentile_cont`` where it can (the aggregate query the other durations use), otherwise from the
one sorted column. Deployments without a record are ``no_git`` (no sha sent) or ``pending`` (not computed yet).

Every read here goes through the copy of the record on the deployment's row (``lead_time_*`` and ``has_git``, at
the end of the metric indexes): counts come from the index alone (most of them from ``deployment_days``, in the
pass that counts deployments), and only deployments that shipped commits are joined to their commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, select

from doralens.domain.buckets import NS_PER_DAY
from doralens.domain.events import Deployment
from doralens.store.dialect import Backend
from doralens.store.percentiles import SqlPercentileStore, bucket_index, bucket_layout
from doralens.store.records import DaySamples, DurationAggregate, MetricScope
from doralens.store.rows import DEPLOYMENT_COLUMNS, deployment_from
from doralens.store.schema import deployment_commits, deployments
from doralens.store.scopes import deployment_conditions, shape
from doralens.store.statements import STATEMENTS

NO_GIT = "no_git"
PENDING = "pending"
OK = "ok"


def _group(scope: MetricScope) -> ColumnElement[Any]:
    return (deployments.c[scope.group_by] if scope.group_by else literal(None)).label("grp")


def _shipped_commits() -> Any:
    """Deployments joined to the commits they shipped: measured ones that shipped any, by their row's copy."""
    return deployments.join(
        deployment_commits,
        (deployment_commits.c.deployment_id == deployments.c.id) & deployments.c.lead_time_shipped.is_not(None),
    )


class SqlLeadTimeMetrics(SqlPercentileStore):
    """Lead-time reads for the metrics engine."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def lead_time_samples(self, scope: MetricScope) -> list[DaySamples]:
        """Per group and UTC day of the deployments' ``finished_at``: the lead times of the commits counted."""
        day = (deployments.c.finished_at // literal(NS_PER_DAY)).label("day")
        stmt = (
            select(_group(scope), day, deployment_commits.c.lead_time)
            .select_from(_shipped_commits())
            .where(*deployment_conditions(scope))
        )
        found: dict[tuple[str | None, int], list[int]] = {}
        with self.backend.reader.connect() as conn:
            for group, number, lead in conn.execute(stmt):
                found.setdefault((group, int(number)), []).append(int(lead))
        return [DaySamples(g, d, len(v), len(v), tuple(v)) for (g, d), v in found.items()]

    def lead_time_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Lead-time aggregates per group and bucket and per group (PostgreSQL only)."""

        def build() -> Select[Any]:
            inner = (
                select(
                    _group(scope),
                    bucket_index(deployments.c.finished_at, bucket_starts).label("bucket"),
                    deployment_commits.c.lead_time.label("dur"),
                    literal(None).label("status"),
                )
                .select_from(_shipped_commits())
                .where(*deployment_conditions(scope))
            )
            return self._aggregates(inner.subquery())

        key = ("lead_time_aggregates", self.backend.name, shape(scope), bucket_layout(bucket_starts))
        return self._read_aggregates(STATEMENTS.get(key, build), scope, bucket_starts)

    def lead_time_statuses(self, scope: MetricScope) -> list[tuple[str | None, str, int]]:
        """Deployments of the scope per group and lead-time status, for every status but ``ok``: the per-day
        counts (``deployment_days``) give the records, so ``ok``, the usual one, is what the others leave."""
        status = deployments.c.lead_time_status
        stmt = (
            select(_group(scope), status, func.count())
            .where(*deployment_conditions(scope), status.is_not(None), status != literal(OK))
            .group_by(*([literal_column("grp")] if scope.group_by else []), status)
        )
        with self.backend.reader.connect() as conn:
            return [(g, s, int(n)) for g, s, n in conn.execute(stmt)]

    def lead_time_deployments(
        self, scope: MetricScope, *, statuses: Collection[str] | None, limit: int, offset: int
    ) -> list[Deployment]:
        """Deployments of the scope with a lead-time record (of ``statuses``, when given), newest first."""
        conditions = deployment_conditions(scope)
        status = deployments.c.lead_time_status
        conditions.append(status.is_not(None) if statuses is None else status.in_(sorted(statuses)))
        stmt = (
            select(*DEPLOYMENT_COLUMNS)
            .where(*conditions)
            .order_by(deployments.c.finished_at.desc(), deployments.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.backend.reader.connect() as conn:
            rows = conn.execute(stmt).all()
        return [deployment_from(row) for row in rows]
