"""UTC interval buckets: 24 h days across DST, Monday weeks, calendar months, zero-filled counts."""

from __future__ import annotations

import pytest

from doralens.domain.buckets import (
    Bucket,
    Interval,
    SeriesPoint,
    Window,
    bucket_start,
    buckets,
    count_by_bucket,
    full_weeks,
    zero_fill,
)
from tests.builders import ts

DAY_NS = 86_400_000_000_000


def window(start: str, end: str) -> Window:
    return Window(ts(start), ts(end))


def test_day_buckets_stay_utc_across_the_european_spring_dst_change() -> None:
    # Europe moved clocks forward at 2024-03-31T01:00Z: local days are 23 h long there, UTC days never are.
    march = window("2024-03-30T00:00:00Z", "2024-04-02T00:00:00Z")
    events = [
        ts("2024-03-31T00:30:00+01:00"),  # local 31 March, UTC 30 March 23:30
        ts("2024-03-31T03:30:00+02:00"),  # UTC 31 March 01:30
        ts("2024-04-01T01:30:00+02:00"),  # local 1 April, UTC 31 March 23:30
    ]
    points = count_by_bucket(events, window=march, interval=Interval.DAY)
    assert [p.start for p in points] == [1711756800000000000, 1711843200000000000, 1711929600000000000]
    assert [p.value for p in points] == [1, 2, 0]
    assert {p.end - p.start for p in points} == {DAY_NS}


def test_day_buckets_stay_utc_across_the_european_autumn_dst_change() -> None:
    # Europe moved clocks back at 2024-10-27T01:00Z: a 25 h local day; the UTC bucket is still 24 h.
    autumn = window("2024-10-27T00:00:00Z", "2024-10-28T00:00:00Z")
    events = [
        ts("2024-10-27T02:30:00+02:00"),  # 00:30Z, before the change
        ts("2024-10-27T02:30:00+01:00"),  # 01:30Z, the same local time an hour later
        ts("2024-10-28T00:30:00+01:00"),  # local 28 October, UTC 27 October 23:30
    ]
    points = count_by_bucket(events, window=autumn, interval=Interval.DAY)
    assert points == [SeriesPoint(1729987200000000000, 1730073600000000000, 3)]


def test_weeks_start_on_monday_in_utc() -> None:
    # 2024-03-31 is a Sunday: its week started Monday 25 March.
    assert (
        bucket_start(
            ts("2024-03-31T23:30:00Z"),
            interval=Interval.WEEK,
            window=window("2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z"),
        )
        == 1711324800000000000
    )
    assert (
        bucket_start(
            ts("2024-04-01T00:00:00Z"),
            interval=Interval.WEEK,
            window=window("2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z"),
        )
        == 1711929600000000000
    )


def test_month_buckets_follow_the_calendar_including_leap_february() -> None:
    span = window("2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z")
    events = [ts("2024-02-29T23:59:59.999999999Z"), ts("2024-03-01T00:00:00Z")]
    points = count_by_bucket(events, window=span, interval=Interval.MONTH)
    assert [(p.start, p.end, p.value) for p in points] == [
        (1706745600000000000, 1709251200000000000, 1),  # February 2024: 29 days
        (1709251200000000000, 1711929600000000000, 1),  # March 2024: 31 days
    ]


def test_months_roll_over_the_year() -> None:
    assert buckets(window("2023-12-15T00:00:00Z", "2024-01-15T00:00:00Z"), Interval.MONTH) == [
        Bucket(ts("2023-12-01T00:00:00Z"), ts("2024-01-01T00:00:00Z")),
        Bucket(ts("2024-01-01T00:00:00Z"), ts("2024-02-01T00:00:00Z")),
    ]


def test_buckets_keep_calendar_bounds_but_count_only_inside_the_window() -> None:
    span = window("2024-03-30T12:00:00Z", "2024-04-01T06:00:00Z")
    events = [
        ts("2024-03-30T11:59:59Z"),  # before the window, same day
        ts("2024-03-30T12:00:00Z"),  # the start is included
        ts("2024-04-01T05:59:59Z"),
        ts("2024-04-01T06:00:00Z"),  # the end is excluded
    ]
    points = count_by_bucket(events, window=span, interval=Interval.DAY)
    assert [(p.start, p.value) for p in points] == [
        (ts("2024-03-30T00:00:00Z"), 1),
        (ts("2024-03-31T00:00:00Z"), 0),
        (ts("2024-04-01T00:00:00Z"), 1),
    ]


def test_all_is_one_bucket_equal_to_the_window() -> None:
    span = window("2024-03-30T12:00:00Z", "2024-04-01T06:00:00Z")
    assert buckets(span, Interval.ALL) == [Bucket(span.start, span.end)]


def test_an_empty_window_has_no_buckets() -> None:
    moment = ts("2024-03-01T00:00:00Z")
    assert buckets(Window(moment, moment), Interval.DAY) == []
    assert buckets(Window(moment, moment), Interval.ALL) == []


def test_a_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="end before"):
        Window(ts("2024-03-02T00:00:00Z"), ts("2024-03-01T00:00:00Z"))


def test_full_weeks_are_the_mondays_to_sundays_inside_the_window() -> None:
    # Wednesday 6 March to Wednesday 27 March 2024: the weeks of 11 and 18 March are whole.
    weeks = full_weeks(window("2024-03-06T00:00:00Z", "2024-03-27T00:00:00Z"))
    assert [w.start for w in weeks] == [ts("2024-03-11T00:00:00Z"), ts("2024-03-18T00:00:00Z")]


def test_zero_fill_completes_grouped_counts() -> None:
    span = window("2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z")
    points = zero_fill({ts("2024-03-02T00:00:00Z"): 5}, window=span, interval=Interval.DAY)
    assert [p.value for p in points] == [0, 5, 0]


def test_zero_fill_rejects_counts_bucketed_another_way() -> None:
    span = window("2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z")
    # midnight in Paris is not a UTC bucket start
    with pytest.raises(ValueError, match="not the start"):
        zero_fill({ts("2024-03-02T00:00:00+01:00"): 5}, window=span, interval=Interval.DAY)
