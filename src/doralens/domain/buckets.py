"""Time windows and UTC interval buckets: day, week (from Monday), calendar month, or the whole window.

Boundaries are UTC midnights computed with integer arithmetic on nanoseconds, so every day bucket is exactly
24 h whatever daylight saving time does in any local zone, and no float rounds an event into the wrong bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from doralens.domain.timestamps import NS_PER_SECOND

NS_PER_DAY = 86_400 * NS_PER_SECOND
NS_PER_WEEK = 7 * NS_PER_DAY
_EPOCH = date(1970, 1, 1)
# 1970-01-01 was a Thursday; 1970-01-05 (day 4) was the first Monday, so Monday days are 4 modulo 7.
_MONDAY_REMAINDER = 4

T = TypeVar("T")
E = TypeVar("E")


class Interval(StrEnum):
    """The width of one point of a series."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time range ``[start, end)`` in integer nanoseconds UTC."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a window must not end before it starts")

    def contains(self, ns: int) -> bool:
        """True when ``ns`` falls inside the window (start included, end excluded)."""
        return self.start <= ns < self.end

    @property
    def days(self) -> float:
        """The window's length in days (fractional)."""
        return (self.end - self.start) / NS_PER_DAY


@dataclass(frozen=True, slots=True)
class Bucket:
    """One interval ``[start, end)``: calendar bounds, which may reach past the window at either end."""

    start: int
    end: int

    def clip(self, window: Window) -> Window:
        """The part of this bucket inside ``window``: what a point of the series is computed over."""
        return Window(max(self.start, window.start), min(self.end, window.end))


@dataclass(frozen=True, slots=True)
class SeriesPoint(Generic[T]):
    """A metric value for one bucket ``[start, end)``."""

    start: int
    end: int
    value: T


def day_number(ns: int) -> int:
    """Days since 1970-01-01 of the UTC date containing ``ns``."""
    return ns // NS_PER_DAY


def _day_to_ns(day: int) -> int:
    return day * NS_PER_DAY


def _floor_day(day: int, interval: Interval) -> int:
    if interval is Interval.DAY:
        return day
    if interval is Interval.WEEK:
        return day - (day - _MONDAY_REMAINDER) % 7
    if interval is Interval.MONTH:
        moment = _EPOCH + timedelta(days=day)
        return (date(moment.year, moment.month, 1) - _EPOCH).days
    raise ValueError(f"{interval} has no calendar boundaries")


def _next_day(day: int, interval: Interval) -> int:
    if interval is Interval.DAY:
        return day + 1
    if interval is Interval.WEEK:
        return day + 7
    moment = _EPOCH + timedelta(days=day)
    following = date(moment.year + moment.month // 12, moment.month % 12 + 1, 1)
    return (following - _EPOCH).days


def bucket_start(ns: int, *, interval: Interval, window: Window) -> int:
    """Start of the bucket containing ``ns``: a UTC midnight (Monday for weeks, the 1st for months)."""
    if interval is Interval.ALL:
        return window.start
    return _day_to_ns(_floor_day(day_number(ns), interval))


def buckets(window: Window, interval: Interval) -> list[Bucket]:
    """Every bucket that overlaps the window, in time order; none for an empty window."""
    if window.start == window.end:
        return []
    if interval is Interval.ALL:
        return [Bucket(window.start, window.end)]
    result: list[Bucket] = []
    day = _floor_day(day_number(window.start), interval)
    while _day_to_ns(day) < window.end:
        following = _next_day(day, interval)
        result.append(Bucket(_day_to_ns(day), _day_to_ns(following)))
        day = following
    return result


def full_weeks(window: Window) -> list[Bucket]:
    """The Monday-to-Sunday UTC weeks lying entirely inside the window."""
    return [b for b in buckets(window, Interval.WEEK) if b.start >= window.start and b.end <= window.end]


def group_by_bucket(
    items: Iterable[E], *, key: Callable[[E], int], window: Window, interval: Interval
) -> list[tuple[Bucket, list[E]]]:
    """Items in the window grouped by the bucket holding ``key(item)``; every bucket listed, maybe empty."""
    spans = buckets(window, interval)
    groups: dict[int, list[E]] = {b.start: [] for b in spans}
    for item in items:
        moment = key(item)
        if window.contains(moment):
            groups[bucket_start(moment, interval=interval, window=window)].append(item)
    return [(b, groups[b.start]) for b in spans]


def zero_fill(counts: Mapping[int, int], *, window: Window, interval: Interval) -> list[SeriesPoint[int]]:
    """A count per bucket from counts keyed by bucket start (``GROUP BY`` output), zeros for absent ones."""
    spans = buckets(window, interval)
    starts = {b.start for b in spans}
    stray = sorted(set(counts) - starts)
    if stray:
        # A key that is no bucket start means the aggregate was bucketed differently (time zone, week start).
        raise ValueError(f"counts keyed by {stray[0]}, which is not the start of a {interval} bucket of the window")
    return [SeriesPoint(b.start, b.end, counts.get(b.start, 0)) for b in spans]


def count_by_bucket(timestamps: Iterable[int], *, window: Window, interval: Interval) -> list[SeriesPoint[int]]:
    """How many timestamps fall in each bucket of the window, empty buckets included as zeros."""
    counts: dict[int, int] = {}
    for moment in timestamps:
        if window.contains(moment):
            start = bucket_start(moment, interval=interval, window=window)
            counts[start] = counts.get(start, 0) + 1
    return zero_fill(counts, window=window, interval=interval)


def map_buckets(
    groups: Sequence[tuple[Bucket, list[E]]], window: Window, compute: Callable[[list[E], Window], T]
) -> list[SeriesPoint[T]]:
    """A series of ``compute(items, part)`` per bucket, ``part`` being the bucket clipped to the window."""
    return [SeriesPoint(b.start, b.end, compute(items, b.clip(window))) for b, items in groups]
