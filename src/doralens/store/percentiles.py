"""Percentiles computed by PostgreSQL: ``percentile_cont`` per group and bucket, and per group over the window,
in one ``GROUPING SETS`` query; the mean comes back as an exact integer sum, divided by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Subquery, bindparam, case, func, literal, select, tuple_

from doralens.store.dialect import Backend
from doralens.store.records import DurationAggregate, MetricScope
from doralens.store.schema import deployments, failures
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


BUCKET_ORIGIN = "bucket_origin"
BUCKET_WIDTH = "bucket_width"
Layout = tuple[int, ...] | str


def bucket_layout(starts: Sequence[int]) -> Layout:
    """What a statement from ``bucket_index`` depends on: "one" bucket, buckets of "equal" width (origin and width
    are parameters, see ``bucket_params``), else the starts themselves (months)."""
    widths = {b - a for a, b in pairwise(starts)}
    if not widths:
        return "one"
    return "equal" if len(widths) == 1 else tuple(starts)


def bucket_params(starts: Sequence[int]) -> dict[str, int]:
    """The values of the parameters of an "equal" layout (harmless for the others)."""
    return {BUCKET_ORIGIN: starts[0], BUCKET_WIDTH: starts[1] - starts[0] if len(starts) > 1 else 1}


def bucket_index(column: ColumnElement[int], starts: Sequence[int]) -> ColumnElement[int]:
    """The index of the bucket (from sorted ``starts``) holding ``column``: arithmetic when widths are equal."""
    layout = bucket_layout(starts)
    if layout == "one":
        return literal(0)
    if layout == "equal":
        params = bucket_params(starts)
        origin = bindparam(BUCKET_ORIGIN, params[BUCKET_ORIGIN], type_=BigInteger)
        return (column - origin) // bindparam(BUCKET_WIDTH, params[BUCKET_WIDTH], type_=BigInteger)
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

        def build() -> Select[Any]:
            columns = (
                bucket_index(failures.c.started_at, bucket_starts).label("bucket"),
                (failures.c.finished_at - failures.c.started_at).label("dur"),
                literal(None).label("status"),
            )
            return self._aggregates(failure_select(scope, *columns).where(*failure_conditions(scope)).subquery())

        key = ("restore_aggregates", self.backend.name, shape(scope), bucket_layout(bucket_starts))
        return self._read_aggregates(STATEMENTS.get(key, build), scope, bucket_starts)

    def recovery_aggregates(self, scope: MetricScope, *, bucket_starts: Sequence[int]) -> list[DurationAggregate]:
        """Failed deployment recovery aggregates per group and bucket and per group (PostgreSQL only)."""

        def build() -> Select[Any]:
            inner = select(
                deployment_group(scope),
                bucket_index(deployments.c.finished_at, bucket_starts).label("bucket"),
                deployments.c.recovery_ns.label("dur"),
                deployments.c.recovery_status.label("status"),
            ).where(*deployment_conditions(scope), deployments.c.is_change_failure)
            return self._aggregates(inner.subquery())

        key = ("recovery_aggregates", self.backend.name, shape(scope), bucket_layout(bucket_starts))
        return self._read_aggregates(STATEMENTS.get(key, build), scope, bucket_starts)

    def _aggregates(self, inner: Subquery) -> Select[Any]:
        """The percentile aggregates of ``inner``'s durations (``grp``, ``bucket``, ``dur``, ``status``)."""
        dur = inner.c.dur
        return select(
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

    def _read_aggregates(
        self, stmt: Select[Any], scope: MetricScope, bucket_starts: Sequence[int]
    ) -> list[DurationAggregate]:
        """Run an ``_aggregates`` statement built for the scope (or one of its shape and bucket layout)."""
        if not self.computes_percentiles:
            raise NotImplementedError("percentile_cont aggregates need PostgreSQL; read the samples instead")
        params = window_params(scope.start, scope.end) | bucket_params(bucket_starts)
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
                for row in fetch(conn, stmt, params)
            ]
