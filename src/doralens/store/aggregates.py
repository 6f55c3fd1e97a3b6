"""Metric aggregation in SQL: deployment and failure counts per UTC day, duration samples, and percentiles.

Counts come per UTC day (``time / day`` on positive nanoseconds), so the metrics layer rolls them up into
weeks and months exactly. Durations come back per day as the one column they need (SQLite: ``group_concat``,
PostgreSQL: ``array_agg``), or from PostgreSQL as ``percentile_cont`` aggregates per bucket and for the whole
window in one ``GROUPING SETS`` query, the mean as an exact sum so both backends divide the same integers. How
SQLite reads per-day numbers without sorting every row is in ``days.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.functions import array_agg

from doralens.store.days import (
    day_bounds,
    day_of,
    day_summary,
    days_cte,
    per_day,
    query_condition,
    ranged,
    read_day_summary,
    service_env_seek,
)
from doralens.store.dialect import Backend
from doralens.store.percentiles import SqlPercentileStore
from doralens.store.query_sql import EventKind
from doralens.store.records import DaySamples, DeploymentDay, FailureDay, LeadTimeDay, MetricScope, StreamFacets
from doralens.store.schema import deployment_streams, deployments, failures
from doralens.store.scopes import (
    as_int,
    deployment_conditions,
    deployment_group,
    failure_conditions,
    failure_select,
    shape,
)
from doralens.store.statements import STATEMENTS, fetch, window_params

_PERCENTILES = (0.5, 0.75, 0.9)


class SqlAggregateStore(SqlPercentileStore):
    """The aggregation half of ``EventStore``."""

    backend: Backend

    def _day_by_day(self, scope: MetricScope, node: Any, kind: EventKind) -> bool:
        return self.backend.name == "sqlite" and scope.group_by is None and ranged(node, kind)

    def deployment_days(
        self, scope: MetricScope, *, recoveries: bool = False, lead_time: bool = False
    ) -> list[DeploymentDay]:
        """Per group and UTC day: deployments, change failures, rework, and the change failures' recovery (with
        the recovery times when ``recoveries``, what change lead time counts when ``lead_time``)."""
        day_by_day = self._day_by_day(scope, scope.deployments, "deployment")
        key = ("deployment_days", self.backend.name, day_by_day, shape(scope), recoveries, lead_time)
        stmt = STATEMENTS.get(key, lambda: self._deployment_days(scope, day_by_day, recoveries, lead_time))
        rows = self._read(stmt, scope)
        if day_by_day:
            return [_deployment_day(None, day, [*c, *r], v) for day, ((c, _), (r, v)) in _days_read(rows)]
        return [_deployment_day(g, int(d), [int(n or 0) for n in numbers], _values(v)) for g, d, *numbers, v in rows]

    def _deployment_days(self, scope: MetricScope, day_by_day: bool, recoveries: bool, lead_time: bool) -> Select[Any]:
        recovery, status, row = deployments.c.recovery_ns, deployments.c.recovery_status, deployments.c
        counts = [func.count(), func.sum(cast(row.is_change_failure, Integer)), func.sum(cast(row.is_rework, Integer))]
        if lead_time:
            # The same pass over the index: COUNT() of columns that are TRUE or NULL is the cheapest aggregate.
            pending = func.sum(as_int(row.lead_time_status.is_(None) & row.has_git))
            counts += [func.count(row.lead_time_status), pending, func.count(row.lead_time_shipped)]
            counts.append(func.count(row.lead_time_truncated))
        recovered = [func.count(recovery), func.sum(as_int(status == "not_recovered"))]
        recovered.append(func.sum(as_int(status == "inconsistent")))
        if day_by_day:
            # Two reads per day: every deployment for the counts, change failures only for their recovery.
            times = func.group_concat(recovery) if recoveries else None
            reads: list[Read] = [(counts, None, []), (recovered, times, [deployments.c.is_change_failure])]
            return _per_day(scope, deployments.c.finished_at, scope.deployments, "deployment", reads)
        day = day_of(deployments.c.finished_at).label("day")
        values = self._aggregated(recovery) if recoveries else literal(None)
        seek = service_env_seek(scope.deployments) if self.backend.name == "sqlite" else []
        stmt = select(deployment_group(scope), day, *counts, *recovered, values)
        stmt = stmt.where(*deployment_conditions(scope), *seek)
        return stmt.group_by(*_day_groups(scope))

    def failure_days(self, scope: MetricScope) -> list[FailureDay]:
        """Failures started, and those still open, per group and UTC day."""
        return [FailureDay(s.group, s.day, s.rows, s.rows - s.measured) for s in self._failure_samples(scope, False)]

    def failure_samples(self, scope: MetricScope) -> list[DaySamples]:
        """Per group and UTC day: failures started, and the durations of those resolved."""
        return self._failure_samples(scope, True)

    def _failure_samples(self, scope: MetricScope, durations: bool) -> list[DaySamples]:
        day_by_day = self._day_by_day(scope, scope.failures, "failure")
        key = ("failure_samples", self.backend.name, day_by_day, shape(scope), durations)
        stmt = STATEMENTS.get(key, lambda: self._failure_statement(scope, day_by_day, durations))
        rows = self._read(stmt, scope)
        if day_by_day:
            return [DaySamples(None, day, n, measured, tuple(v)) for day, (((n, measured), v),) in _days_read(rows)]
        return [DaySamples(g, int(d), int(n), int(m), tuple(_values(v))) for g, d, n, m, v in rows]

    def _failure_statement(self, scope: MetricScope, day_by_day: bool, durations: bool) -> Select[Any]:
        duration = failures.c.finished_at - failures.c.started_at
        counts = [func.count(), func.count(duration)]
        if day_by_day:
            values = func.group_concat(duration) if durations else None
            return _per_day(scope, failures.c.started_at, scope.failures, "failure", [(counts, values, [])])
        day = day_of(failures.c.started_at).label("day")
        agg = self._aggregated(duration) if durations else literal(None)
        stmt = failure_select(scope, day, *counts, agg).where(*failure_conditions(scope))
        return stmt.group_by(*_day_groups(scope))

    def _read(self, stmt: Select[Any], scope: MetricScope) -> Sequence[Any]:
        """The rows of a statement built from the scope (or one of its shape), for the scope's window."""
        with self.backend.reader.connect() as conn:
            return fetch(conn, stmt, window_params(scope.start, scope.end))

    def _aggregated(self, values: ColumnElement[Any]) -> ColumnElement[Any]:
        """Every non-NULL value of a group: SQLite's ``group_concat`` text, PostgreSQL's ``array_agg`` list."""
        if self.backend.name == "sqlite":
            return func.group_concat(values)
        return array_agg(values).filter(values.is_not(None))

    def environments(self) -> list[str | None]:
        """Every env deployments have been seen in (None for deployments without one)."""
        with self.backend.reader.connect() as conn:
            keys = conn.execute(select(deployment_streams.c.env_key).distinct()).scalars()
            return sorted((key or None for key in keys), key=lambda e: (e is not None, e or ""))

    def stream_facets(self) -> StreamFacets:
        """The services, envs and teams deployments have been seen with (for filter choices), sorted."""
        c = deployment_streams.c
        with self.backend.reader.connect() as conn:
            rows = conn.execute(select(c.service, c.env_key, c.team_key)).all()
        return StreamFacets(
            services=tuple(sorted({r.service for r in rows})),
            envs=tuple(sorted({r.env_key for r in rows if r.env_key})),
            teams=tuple(sorted({r.team_key for r in rows if r.team_key})),
        )

    def failure_severities(self) -> tuple[str, ...]:
        """Every severity failures have been seen with (for filter choices), sorted."""
        with self.backend.reader.connect() as conn:
            found = conn.execute(select(failures.c.severity).where(failures.c.severity.is_not(None)).distinct())
            return tuple(sorted(found.scalars()))


Read = tuple[Sequence[ColumnElement[Any]], ColumnElement[Any] | None, list[ColumnElement[bool]]]


def _per_day(
    scope: MetricScope, time: ColumnElement[int], node: Any, kind: EventKind, reads: Sequence[Read]
) -> Select[Any]:
    """SQLite's day-by-day plan (``days.py``): one row per day of the window with a text summary per read.

    A read is (counts, values or None, extra conditions).
    """
    days = days_cte(scope)
    low, high = day_bounds(days, scope)
    where = [time >= low, time < high, *query_condition(node, kind)]
    summaries = [
        select(day_summary(counts, values)).where(*where, *extra).scalar_subquery() for counts, values, extra in reads
    ]
    return per_day(days, *summaries)


def _days_read(rows: Sequence[Any]) -> list[tuple[int, list[tuple[list[int], list[int]]]]]:
    """Per day with events, each read's counts and values; the first read's first count says whether the day had
    any event."""
    found = []
    for day, *texts in rows:
        parsed = [read_day_summary(str(text)) for text in texts]
        if parsed[0][0][0]:
            found.append((int(day), parsed))
    return found


def _day_groups(scope: MetricScope) -> list[ColumnElement[Any]]:
    # Grouping by a constant NULL too makes PostgreSQL misjudge the groups' memory and sort instead of hashing.
    return [literal_column("grp"), literal_column("day")] if scope.group_by else [literal_column("day")]


def _deployment_day(group: str | None, day: int, counts: list[int], recoveries: list[int]) -> DeploymentDay:
    n, cf, rw, *lead, recovered, not_recovered, inconsistent = counts
    lead_time = LeadTimeDay(*lead) if lead else None
    return DeploymentDay(group, day, n, cf, rw, recovered, not_recovered, inconsistent, tuple(recoveries), lead_time)


def _values(value: str | list[int] | None) -> list[int]:
    """Durations as SQLite's ``group_concat`` (text) or PostgreSQL's ``array_agg`` (a list) returns them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [int(part) for part in value.split(",")] if value else []
    return [int(v) for v in value if v is not None]
