"""Percentiles computed by PostgreSQL: ``percentile_cont`` per group and bucket, and per group over the window,
in one ``GROUPING SETS`` query; the mean comes back as an exact integer sum, divided by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from sqlalchemy import ColumnElement, Subquery, case, func, literal, select, tuple_

from doralens.store.dialect import Backend
from doralens.store.records import DurationAggregate, MetricScope
from doralens.store.schema import deployments, failures
from doralens.store.scopes import as_int, deployment_conditions, deployment_group, failure_conditions, failure_select

_PERCENTILES = (0.5, 0.75, 0.9)


def bucket_index(column: ColumnElement[int], starts: Sequence[int]) -> ColumnElement[int]:
    """The index of the bucket (from sorted ``starts``) holding ``column``: arithmetic when widths are equal."""
    widths = {b - a for a, b in pairwise(starts)}
    if not widths:
        return literal(0)
    if len(widths) == 1:
        return (column - literal(starts[0])) // literal(widths.pop())
    return case(*((column >= start, index) for index, start in reversed(list(enumerate(starts)))), else_=0)


class SqlPercentileStore:
    """``percentile_cont`` aggregates (PostgreSQL)."""

    backend: Backend

    @property
    def computes_percentiles(self) -> bool:
        """True when the database computes ``percentile_cont`` itself (PostgreSQL)."""
        return self.backend.name == "postgresql"

    def restore_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Time-to-restore aggregates per group and bucket and per group (PostgreSQL only)."""
        columns = (
            bucket_index(failures.c.started_at, bucket_starts).label("bucket"),
            (failures.c.finished_at - failures.c.started_at).label("dur"),
            literal(None).label("status"),
        )
        inner = failure_select(scope, *columns).where(*failure_conditions(scope)).subquery()
        return self._aggregates(inner)

    def recovery_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Failed deployment recovery aggregates per group and bucket and per group (PostgreSQL only)."""
        inner = (
            select(
                deployment_group(scope),
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
            raise NotImplementedError("percentile_cont aggregates need PostgreSQL; read the samples instead")
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
            func.sum(as_int(inner.c.status == "not_recovered")),
            func.sum(as_int(inner.c.status == "inconsistent")),
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
