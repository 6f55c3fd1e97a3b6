"""Metric aggregation in SQL: deployment and failure counts per UTC day, durations, and percentiles.

Counts are grouped by ``(time - origin) / day`` with ``origin`` a UTC midnight, so days are exact and the metrics
layer rolls them up into weeks and months. Durations come back as the one column they need, or (PostgreSQL) as
``percentile_cont`` aggregates per bucket and for the whole window, in one ``GROUPING SETS`` query; the mean is
returned as an exact sum so both backends divide the same integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, case, func, literal, select, tuple_

from doralens.domain.buckets import NS_PER_DAY
from doralens.domain.query_ast import MatchAll
from doralens.store.dialect import Backend
from doralens.store.query_sql import compile_query
from doralens.store.records import DeploymentDay, DurationAggregate, DurationRow, FailureDay, MetricScope
from doralens.store.schema import deployment_streams, deployments, failure_services, failures

_PERCENTILES = (0.5, 0.75, 0.9)


def _as_int(condition: ColumnElement[Any]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def deployment_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for deployments finished in the scope's window that match its query."""
    conditions = [deployments.c.finished_at >= scope.start, deployments.c.finished_at < scope.end]
    if not isinstance(scope.deployments, MatchAll):
        conditions.append(compile_query(scope.deployments, "deployment"))
    return conditions


def failure_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for failures started in the scope's window that match its query."""
    conditions = [failures.c.started_at >= scope.start, failures.c.started_at < scope.end]
    if not isinstance(scope.failures, MatchAll):
        conditions.append(compile_query(scope.failures, "failure"))
    return conditions


def _deployment_group(scope: MetricScope) -> ColumnElement[Any]:
    return deployments.c[scope.group_by] if scope.group_by else literal(None).label("grp")


def _failure_select(scope: MetricScope, *columns: ColumnElement[Any]) -> Select[Any]:
    """Failures of the scope with their group column first; grouped by service, one row per impacted service."""
    if scope.group_by == "service":
        joined = failures.join(failure_services, failure_services.c.failure_id == failures.c.id)
        return select(failure_services.c.service.label("grp"), *columns).select_from(joined)
    group = failures.c[scope.group_by].label("grp") if scope.group_by else literal(None).label("grp")
    return select(group, *columns)


def bucket_index(column: ColumnElement[int], starts: Sequence[int]) -> ColumnElement[int]:
    """The index of the bucket (from sorted ``starts``) holding ``column``: arithmetic when widths are equal."""
    widths = {b - a for a, b in pairwise(starts)}
    if not widths:
        return literal(0)
    if len(widths) == 1:
        return (column - literal(starts[0])) // literal(widths.pop())
    return case(*((column >= start, index) for index, start in reversed(list(enumerate(starts)))), else_=0)


class SqlAggregateStore:
    """The aggregation half of ``EventStore``."""

    backend: Backend

    @property
    def computes_percentiles(self) -> bool:
        """True when the database computes ``percentile_cont`` itself (PostgreSQL)."""
        return self.backend.name == "postgresql"

    def deployment_days(self, scope: MetricScope, *, origin: int) -> list[DeploymentDay]:
        """Deployments, change failures and rework per group and UTC day since ``origin``."""
        day = ((deployments.c.finished_at - literal(origin)) // literal(NS_PER_DAY)).label("day")
        inner = (
            select(
                _deployment_group(scope).label("grp"),
                day,
                _as_int(deployments.c.is_change_failure).label("cf"),
                _as_int(deployments.c.is_rework).label("rw"),
            )
            .where(*deployment_conditions(scope))
            .subquery()
        )
        stmt = select(inner.c.grp, inner.c.day, func.count(), func.sum(inner.c.cf), func.sum(inner.c.rw)).group_by(
            inner.c.grp, inner.c.day
        )
        with self.backend.reader.connect() as conn:
            return [DeploymentDay(g, int(d), int(n), int(cf), int(rw)) for g, d, n, cf, rw in conn.execute(stmt)]

    def failure_days(self, scope: MetricScope, *, origin: int) -> list[FailureDay]:
        """Failures started, and those still open, per group and UTC day since ``origin``."""
        day = ((failures.c.started_at - literal(origin)) // literal(NS_PER_DAY)).label("day")
        is_open = _as_int(failures.c.finished_at.is_(None)).label("op")
        inner = _failure_select(scope, day, is_open).where(*failure_conditions(scope)).subquery()
        stmt = select(inner.c.grp, inner.c.day, func.count(), func.sum(inner.c.op)).group_by(inner.c.grp, inner.c.day)
        with self.backend.reader.connect() as conn:
            return [FailureDay(g, int(d), int(n), int(op)) for g, d, n, op in conn.execute(stmt)]

    def restore_durations(self, scope: MetricScope) -> list[DurationRow]:
        """Per failure of the scope: its start and ``finished_at - started_at`` (None while open), by duration."""
        duration = (failures.c.finished_at - failures.c.started_at).label("dur")
        stmt = _failure_select(scope, failures.c.started_at, duration).where(*failure_conditions(scope))
        with self.backend.reader.connect() as conn:
            rows = conn.execute(stmt.order_by(duration))
            return [DurationRow(g, at, d) for g, at, d in rows]

    def recovery_durations(self, scope: MetricScope) -> list[DurationRow]:
        """Per change failure of the scope: its ``finished_at``, recovery time and recovery status, by duration."""
        stmt = select(
            _deployment_group(scope).label("grp"),
            deployments.c.finished_at,
            deployments.c.recovery_ns,
            deployments.c.recovery_status,
        ).where(*deployment_conditions(scope), deployments.c.is_change_failure)
        with self.backend.reader.connect() as conn:
            rows = conn.execute(stmt.order_by(deployments.c.recovery_ns))
            return [DurationRow(g, at, d, s) for g, at, d, s in rows]

    def restore_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Time-to-restore aggregates per group and bucket and per group (PostgreSQL only)."""
        columns = (
            bucket_index(failures.c.started_at, bucket_starts).label("bucket"),
            (failures.c.finished_at - failures.c.started_at).label("dur"),
            literal(None).label("status"),
        )
        inner = _failure_select(scope, *columns).where(*failure_conditions(scope)).subquery()
        return self._aggregates(inner)

    def recovery_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Failed deployment recovery aggregates per group and bucket and per group (PostgreSQL only)."""
        inner = (
            select(
                _deployment_group(scope).label("grp"),
                bucket_index(deployments.c.finished_at, bucket_starts).label("bucket"),
                deployments.c.recovery_ns.label("dur"),
                deployments.c.recovery_status.label("status"),
            )
            .where(*deployment_conditions(scope), deployments.c.is_change_failure)
            .subquery()
        )
        return self._aggregates(inner)

    def _aggregates(self, inner: Subquery) -> list[DurationAggregate]:
        if not self.computes_percentiles:
            raise NotImplementedError("percentile_cont aggregates need PostgreSQL; read the durations instead")
        dur = inner.c.dur
        stmt = select(
            inner.c.grp,
            inner.c.bucket,
            func.grouping(inner.c.bucket),
            func.count(dur),
            *(func.percentile_cont(p).within_group(dur) for p in _PERCENTILES),
            func.sum(dur),
            func.max(dur),
            func.count(),
            func.sum(_as_int(inner.c.status == "not_recovered")),
            func.sum(_as_int(inner.c.status == "inconsistent")),
        ).group_by(func.grouping_sets(tuple_(inner.c.grp, inner.c.bucket), tuple_(inner.c.grp)))
        with self.backend.reader.connect() as conn:
            return [
                DurationAggregate(
                    group=row[0],
                    bucket=None if row[2] else int(row[1]),
                    n=int(row[3]),
                    median=row[4],
                    p75=row[5],
                    p90=row[6],
                    total=int(row[7] or 0),
                    max=None if row[8] is None else int(row[8]),
                    rows=int(row[9]),
                    not_recovered=int(row[10] or 0),
                    inconsistent=int(row[11] or 0),
                )
                for row in conn.execute(stmt)
            ]

    def environments(self) -> list[str | None]:
        """Every env deployments have been seen in (None for deployments without one)."""
        with self.backend.reader.connect() as conn:
            keys = conn.execute(select(deployment_streams.c.env_key).distinct()).scalars()
            return sorted((key or None for key in keys), key=lambda e: (e is not None, e or ""))
