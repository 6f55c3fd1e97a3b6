"""Duration samples summarised per group and bucket: from PostgreSQL aggregates, or from the sorted column.

Both paths end in the same ``Distribution``: the percentiles are ``percentile_cont``'s (computed by PostgreSQL, or
by ``doralens.domain.stats`` with the same arithmetic), and the mean is the exact integer sum divided once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from doralens.domain.recovery import RecoveryStatus
from doralens.domain.stats import Distribution
from doralens.store.records import DurationAggregate, DurationRow

Summaries = dict[str | None, tuple["Summary", list["Summary | None"]]]


@dataclass(frozen=True)
class Summary:
    """Samples of one group and bucket: ``rows`` events, ``n`` of them measured, and how the others fell short.

    ``values`` holds the sorted durations when they were read; otherwise ``aggregate`` holds SQL's summary.
    """

    rows: int
    n: int
    not_recovered: int = 0
    inconsistent: int = 0
    values: list[int] = field(default_factory=list)
    aggregate: DurationAggregate | None = None

    @classmethod
    def empty(cls) -> Summary:
        """No samples at all."""
        return cls(rows=0, n=0)

    def distribution(self, min_n: int) -> Distribution:
        """The distribution of the measured durations, withheld below ``min_n``."""
        agg = self.aggregate
        if agg is None or agg.n == 0:
            return Distribution.from_sorted(self.values, min_n=min_n)
        return Distribution.from_aggregates(
            n=agg.n,
            median=agg.median,
            p75=agg.p75,
            p90=agg.p90,
            mean=agg.total / agg.n,
            max=None if agg.max is None else float(agg.max),
            min_n=min_n,
        )


def _from_rows(rows: Sequence[DurationRow]) -> Summary:
    values = [r.duration for r in rows if r.duration is not None]
    return Summary(
        rows=len(rows),
        n=len(values),
        not_recovered=sum(1 for r in rows if r.status == RecoveryStatus.NOT_RECOVERED),
        inconsistent=sum(1 for r in rows if r.status == RecoveryStatus.INCONSISTENT),
        values=values,
    )


def summaries_from_rows(rows: Sequence[DurationRow], starts: Sequence[int]) -> Summaries:
    """Per group: the window's summary and one per bucket (``starts`` sorted), from rows sorted by duration."""
    by_group: dict[str | None, list[DurationRow]] = {}
    for row in rows:
        by_group.setdefault(row.group, []).append(row)
    result: Summaries = {}
    for group, found in by_group.items():
        ordered = sorted(found, key=lambda r: (r.duration is not None, r.duration or 0))
        per_bucket: list[list[DurationRow]] = [[] for _ in starts]
        for row in ordered:
            per_bucket[bisect_right(starts, row.at) - 1].append(row)
        result[group] = (_from_rows(ordered), [_from_rows(b) if b else None for b in per_bucket])
    return result


def _from_aggregate(agg: DurationAggregate) -> Summary:
    return Summary(
        rows=agg.rows, n=agg.n, not_recovered=agg.not_recovered, inconsistent=agg.inconsistent, aggregate=agg
    )


def summaries_from_aggregates(aggregates: Sequence[DurationAggregate], size: int) -> Summaries:
    """Per group: the window's summary and one per bucket, from ``GROUPING SETS`` rows."""
    headlines: dict[str | None, Summary] = {}
    per_bucket: dict[str | None, list[Summary | None]] = {}
    for agg in aggregates:
        buckets = per_bucket.setdefault(agg.group, [None] * size)
        if agg.bucket is None:
            headlines[agg.group] = _from_aggregate(agg)
        else:
            buckets[agg.bucket] = _from_aggregate(agg)
    return {group: (headlines.get(group, Summary.empty()), per_bucket[group]) for group in per_bucket}
