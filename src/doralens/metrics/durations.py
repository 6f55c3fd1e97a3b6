"""Duration samples summarised per group and bucket: from PostgreSQL aggregates, or from the sorted column.

Both paths end in the same ``Distribution``: the percentiles are ``percentile_cont``'s (computed by PostgreSQL, or
by ``doralens.domain.stats`` with the same arithmetic), and the mean is the exact integer sum divided once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from doralens.domain.buckets import NS_PER_DAY
from doralens.domain.stats import Distribution
from doralens.store.records import DaySamples, DurationAggregate

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
    # The window's summary is often also its only bucket's: summarise once.
    _distributions: dict[int, Distribution] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def empty(cls) -> Summary:
        """No samples at all."""
        return cls(rows=0, n=0)

    def distribution(self, min_n: int) -> Distribution:
        """The distribution of the measured durations, withheld below ``min_n``."""
        if min_n not in self._distributions:
            self._distributions[min_n] = self._distribution(min_n)
        return self._distributions[min_n]

    def _distribution(self, min_n: int) -> Distribution:
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


def summaries_from_samples(samples: Sequence[DaySamples], starts: Sequence[int]) -> Summaries:
    """Per group: the window's summary and one per bucket (``starts`` sorted), from per-day samples."""
    by_group: dict[str | None, list[list[DaySamples]]] = {}
    for day in samples:
        per_bucket = by_group.setdefault(day.group, [[] for _ in starts])
        per_bucket[max(0, bisect_right(starts, day.day * NS_PER_DAY) - 1)].append(day)
    result: Summaries = {}
    for group, per_bucket in by_group.items():
        summaries = [_summary(days) if days else None for days in per_bucket]
        if len(summaries) == 1:
            result[group] = (summaries[0] or Summary.empty(), summaries)
        else:
            result[group] = (_summary([d for days in per_bucket for d in days]), summaries)
    return result


def _summary(days: Sequence[DaySamples]) -> Summary:
    values: list[int] = []
    for day in days:
        values.extend(day.durations)
    values.sort()
    return Summary(
        rows=sum(day.rows for day in days),
        n=sum(day.measured for day in days),
        not_recovered=sum(day.not_recovered for day in days),
        inconsistent=sum(day.inconsistent for day in days),
        values=values,
    )


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
