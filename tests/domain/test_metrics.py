"""The metrics over a hand-built March 2024 (tests/domain/march.py), every expected number worked by hand."""

from __future__ import annotations

import random

from doralens.domain.attribution import attribute_failures
from doralens.domain.buckets import Interval, Window
from doralens.domain.changefailure import detect_change_failures
from doralens.domain.metrics import (
    change_failure_rate,
    change_failure_rate_series,
    deploy_days_per_week,
    deployment_count_series,
    deployment_frequency,
    deployment_frequency_from_aggregates,
    rework_rate,
    rework_rate_series,
    time_to_restore,
    time_to_restore_series,
)
from doralens.domain.recovery import failed_deployment_recovery_time
from doralens.domain.stats import Distribution, Rate
from tests.builders import deployment, failure, ts
from tests.domain.march import MARCH, march_deployments, march_failures, march_verdicts

# --- deployment frequency -------------------------------------------------------------------------


def test_deployment_frequency_over_march() -> None:
    frequency = deployment_frequency(march_deployments(), window=MARCH)
    assert frequency.count == 6
    assert frequency.n == 6
    assert frequency.per_day == 0.1935483870967742  # 6 / 31
    # full weeks from Mondays 4, 11, 18, 25 March: deploy days 2, 1, 0, 2 → median of 0 1 2 2 is 1.5
    assert frequency.weeks == 4
    assert frequency.median_deploy_days_per_week == 1.5
    assert not frequency.insufficient


def test_deployment_frequency_with_no_deployments_is_zero_not_missing() -> None:
    frequency = deployment_frequency([], window=MARCH)
    assert (frequency.count, frequency.per_day, frequency.median_deploy_days_per_week) == (0, 0.0, 0.0)


def test_deployment_frequency_without_a_full_week_withholds_the_weekly_median() -> None:
    # Wednesday to Sunday: no Monday-to-Sunday week inside
    short = Window(ts("2024-03-06T00:00:00Z"), ts("2024-03-11T00:00:00Z"))
    frequency = deployment_frequency(march_deployments(), window=short)
    assert frequency.count == 0
    assert frequency.per_day == 0.0
    assert frequency.median_deploy_days_per_week is None
    assert frequency.insufficient
    assert frequency.reason == "insufficient data: 0 full UTC weeks (Monday to Sunday) in the window, at least 1 needed"


def test_deployment_frequency_from_sql_aggregates_matches_the_event_version() -> None:
    # distinct UTC day numbers of 4, 5, 13, 25 and 26 March 2024 (days since 1970-01-01)
    days = {19786, 19787, 19795, 19807, 19808}
    assert deploy_days_per_week(days, window=MARCH) == [2, 1, 0, 2]
    aggregated = deployment_frequency_from_aggregates(count=6, deploy_days=days, window=MARCH)
    assert aggregated == deployment_frequency(march_deployments(), window=MARCH)


def test_deployment_counts_per_week_include_empty_weeks() -> None:
    points = deployment_count_series(march_deployments(), window=MARCH, interval=Interval.WEEK)
    assert [p.start for p in points] == [
        ts("2024-02-26T00:00:00Z"),  # the week holding 1 March; d0 (29 February) is outside the window
        ts("2024-03-04T00:00:00Z"),
        ts("2024-03-11T00:00:00Z"),
        ts("2024-03-18T00:00:00Z"),
        ts("2024-03-25T00:00:00Z"),
    ]
    assert [p.value for p in points] == [0, 3, 1, 0, 2]


def test_deployment_counts_per_day_and_month() -> None:
    days = deployment_count_series(march_deployments(), window=MARCH, interval=Interval.DAY)
    assert len(days) == 31
    assert [(i + 1, p.value) for i, p in enumerate(days) if p.value] == [
        (4, 1),
        (5, 2),
        (13, 1),
        (25, 1),
        (26, 1),
    ]
    months = deployment_count_series(march_deployments(), window=MARCH, interval=Interval.MONTH)
    assert [p.value for p in months] == [6]


def test_deployment_belongs_to_the_utc_month_of_its_finished_at() -> None:
    spring = Window(ts("2024-02-01T00:00:00Z"), ts("2024-05-01T00:00:00Z"))
    deployments = [
        deployment(id="feb", finished="2024-02-29T23:59:59.999999999Z"),
        deployment(id="mar", finished="2024-03-01T00:00:00Z", started="2024-02-29T23:00:00Z"),
        # local time in Paris is already April (after the DST change), UTC is still March
        deployment(id="mar2", finished="2024-04-01T01:30:00+02:00"),
    ]
    points = deployment_count_series(deployments, window=spring, interval=Interval.MONTH)
    assert [p.value for p in points] == [1, 2, 0]


# --- change failure rate --------------------------------------------------------------------------


def test_change_failure_rate_over_march() -> None:
    cfr = change_failure_rate(march_deployments(), verdicts=march_verdicts(), failures=march_failures(), window=MARCH)
    assert cfr.rate == Rate(numerator=3, denominator=6, value=0.5)
    # f1, f4, f2, f3 started in March: four failures over six deployments
    assert cfr.incident_ratio == Rate(numerator=4, denominator=6, value=0.6666666666666666)


def test_change_failure_rate_with_no_deployments_is_insufficient() -> None:
    cfr = change_failure_rate([], verdicts={}, failures=march_failures(), window=MARCH)
    assert cfr.rate == Rate(numerator=0, denominator=0, value=None)
    assert cfr.rate.insufficient
    assert cfr.incident_ratio == Rate(numerator=4, denominator=0, value=None)


def test_change_failure_rate_per_week() -> None:
    points = change_failure_rate_series(
        march_deployments(),
        verdicts=march_verdicts(),
        failures=march_failures(),
        window=MARCH,
        interval=Interval.WEEK,
    )
    rates = [(p.value.rate.numerator, p.value.rate.denominator, p.value.rate.value) for p in points]
    assert rates == [(0, 0, None), (1, 3, 0.3333333333333333), (1, 1, 1.0), (0, 0, None), (1, 2, 0.5)]
    incidents = [(p.value.incident_ratio.numerator, p.value.incident_ratio.denominator) for p in points]
    assert incidents == [(0, 0), (0, 3), (1, 1), (1, 0), (2, 2)]


def test_change_failure_rate_ignores_arrival_order() -> None:
    deployments, failures = march_deployments(), march_failures()
    expected = change_failure_rate(deployments, verdicts=march_verdicts(), failures=failures, window=MARCH)
    random.Random(3).shuffle(deployments)
    random.Random(4).shuffle(failures)
    assert change_failure_rate(deployments, verdicts=march_verdicts(), failures=failures, window=MARCH) == expected


# --- time to restore ------------------------------------------------------------------------------


def test_time_to_restore_over_march() -> None:
    restore = time_to_restore(march_failures(), window=MARCH)
    # resolved: 0.5 h, 1.5 h, 2 h; f3 is open; f0 started in February
    assert restore.resolved == 3
    assert restore.open == 1
    assert restore.distribution == Distribution(
        n=3,
        median=5_400_000_000_000,  # 1.5 h
        p75=6_300_000_000_000,  # 1.75 h: position 1.5
        p90=6_840_000_000_000,  # 1.9 h: position 1.8
        mean=4_800_000_000_000,  # 4 h / 3
        max=7_200_000_000_000,
    )


def test_time_to_restore_with_only_open_failures() -> None:
    restore = time_to_restore(
        [failure(id="o1"), failure(id="o2")],
        window=Window(ts("2024-03-01T00:00:00Z"), ts("2024-03-02T00:00:00Z")),
    )
    assert (restore.resolved, restore.open) == (0, 2)
    assert restore.distribution.insufficient
    assert restore.distribution.median is None


def test_time_to_restore_per_week_by_started_at() -> None:
    points = time_to_restore_series(march_failures(), window=MARCH, interval=Interval.WEEK, min_n=1)
    assert [(p.value.resolved, p.value.open, p.value.distribution.median) for p in points] == [
        (0, 0, None),
        (0, 0, None),
        (1, 0, 5_400_000_000_000),
        (1, 0, 1_800_000_000_000),
        (1, 1, 7_200_000_000_000),
    ]


def test_failure_belongs_to_the_bucket_of_its_start_not_its_end() -> None:
    spring = Window(ts("2024-03-01T00:00:00Z"), ts("2024-05-01T00:00:00Z"))
    late = failure(id="late", started="2024-03-31T23:00:00Z", finished="2024-04-01T01:00:00Z")
    points = time_to_restore_series([late], window=spring, interval=Interval.MONTH, min_n=1)
    assert [p.value.resolved for p in points] == [1, 0]
    assert points[0].value.distribution.max == 7_200_000_000_000


# --- rework rate and lead time --------------------------------------------------------------------


def test_rework_rate_over_march() -> None:
    assert rework_rate(march_deployments(), verdicts=march_verdicts(), window=MARCH) == Rate(
        numerator=2, denominator=6, value=0.3333333333333333
    )


def test_rework_rate_per_week() -> None:
    points = rework_rate_series(march_deployments(), verdicts=march_verdicts(), window=MARCH, interval=Interval.WEEK)
    assert [(p.value.numerator, p.value.denominator) for p in points] == [
        (0, 0),
        (1, 3),
        (0, 1),
        (0, 0),
        (1, 2),
    ]


def test_hotfix_after_a_failure_from_events_to_metrics() -> None:
    deployments = [
        deployment(id="v1", finished="2024-03-04T08:00:00Z", version="1.0"),
        deployment(id="v2", finished="2024-03-04T10:00:00Z", version="2.0"),
        deployment(id="fix", finished="2024-03-04T11:30:00Z", version="2.0.1-hotfix"),
        deployment(id="v3", finished="2024-03-06T09:00:00Z", version="3.0"),
    ]
    failures = [failure(id="f", started="2024-03-04T10:20:00Z", finished="2024-03-04T11:45:00Z")]
    attributions = attribute_failures(failures, deployments)
    verdicts = detect_change_failures(deployments, failures=failures, attributions=attributions)
    assert [(a.deployment_id, a.confidence) for a in attributions] == [("v2", "medium")]

    cfr = change_failure_rate(deployments, verdicts=verdicts, failures=failures, window=MARCH)
    assert (cfr.rate.numerator, cfr.rate.denominator, cfr.rate.value) == (1, 4, 0.25)
    assert cfr.incident_ratio.value == 0.25
    # v2 failed at 10:00 and was rolled forward at 11:30
    recovery = failed_deployment_recovery_time(deployments, verdicts=verdicts, failures=failures, window=MARCH, min_n=1)
    assert recovery.distribution.median == 5_400_000_000_000
    # the hotfix is rework (a rollforward, and the first deployment during the failure)
    assert rework_rate(deployments, verdicts=verdicts, window=MARCH).value == 0.25
    assert time_to_restore(failures, window=MARCH, min_n=1).distribution.median == 5_100_000_000_000  # 85 min
