"""The metrics over a hand-built March 2024, with every expected number worked out by hand."""

from __future__ import annotations

import random

from doralens.domain.attribution import attribute_failures
from doralens.domain.buckets import Interval, Window
from doralens.domain.changefailure import DeploymentVerdict, RemediationType, detect_change_failures
from doralens.domain.events import Deployment, Failure
from doralens.domain.metrics import (
    LEAD_TIME_UNAVAILABLE,
    Recovery,
    RecoveryStatus,
    Unavailable,
    change_failure_rate,
    change_failure_rate_series,
    deploy_days_per_week,
    deployment_count_series,
    deployment_frequency,
    deployment_frequency_from_aggregates,
    failed_deployment_recovery_time,
    failed_deployment_recovery_time_series,
    lead_time,
    recoveries,
    rework_rate,
    rework_rate_series,
    time_to_restore,
    time_to_restore_series,
)
from doralens.domain.stats import Distribution, Rate
from tests.builders import deployment, failure, ts

MARCH = Window(ts("2024-03-01T00:00:00Z"), ts("2024-04-01T00:00:00Z"))


def verdict(
    deployment_id: str,
    *,
    change_failure: bool = False,
    remediated_by: str | None = None,
    failure_ids: tuple[str, ...] = (),
    is_rework: bool = False,
) -> DeploymentVerdict:
    return DeploymentVerdict(
        deployment_id=deployment_id,
        is_change_failure=change_failure,
        reasons=(),
        overridden_reasons=(),
        remediated_by=remediated_by,
        remediation_type=RemediationType.ROLLBACK if remediated_by else None,
        remediates=(),
        is_rework=is_rework,
        rework_reasons=(),
        failure_ids=failure_ids,
        rework_failure_ids=(),
    )


def march_deployments() -> list[Deployment]:
    return [
        deployment(id="d0", finished="2024-02-29T10:00:00Z"),  # before the window
        deployment(id="d1", finished="2024-03-04T10:00:00Z"),  # Monday
        deployment(id="d2", finished="2024-03-05T10:00:00Z"),  # Tuesday; failed, rolled back by d3
        deployment(id="d3", finished="2024-03-05T10:30:00Z"),
        deployment(id="d4", finished="2024-03-13T09:00:00Z"),  # Wednesday; caused f1
        deployment(id="d5", finished="2024-03-25T12:00:00Z"),  # Monday; failed, never recovered
        deployment(id="d6", finished="2024-03-26T08:00:00Z"),  # Tuesday; first deployment during f2
        deployment(id="d7", finished="2024-04-02T10:00:00Z"),  # after the window; failed
    ]


def march_verdicts() -> dict[str, DeploymentVerdict]:
    verdicts = [
        verdict("d2", change_failure=True, remediated_by="d3"),
        verdict("d3", is_rework=True),
        verdict("d4", change_failure=True, failure_ids=("f1",)),
        verdict("d5", change_failure=True),
        verdict("d6", is_rework=True),
        verdict("d7", change_failure=True),
    ]
    return {v.deployment_id: v for v in verdicts}


def march_failures() -> list[Failure]:
    return [
        failure(id="f0", started="2024-02-28T10:00:00Z", finished="2024-03-01T10:00:00Z"),  # before
        failure(id="f1", started="2024-03-13T09:30:00Z", finished="2024-03-13T11:00:00Z"),  # 1.5 h
        failure(("api",), id="f4", started="2024-03-20T00:00:00Z", finished="2024-03-20T00:30:00Z"),  # 0.5 h
        failure(id="f2", started="2024-03-26T07:00:00Z", finished="2024-03-26T09:00:00Z"),  # 2 h
        failure(id="f3", started="2024-03-28T12:00:00Z"),  # open
    ]


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
    assert (
        frequency.reason
        == "insufficient data: n=0, at least 1 needed full UTC weeks (Monday to Sunday) in the window"
    )


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
    cfr = change_failure_rate(
        march_deployments(), verdicts=march_verdicts(), failures=march_failures(), window=MARCH
    )
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
    assert (
        change_failure_rate(deployments, verdicts=march_verdicts(), failures=failures, window=MARCH)
        == expected
    )


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


# --- failed deployment recovery time --------------------------------------------------------------


def test_recovery_rows_say_how_each_change_failure_recovered() -> None:
    rows = recoveries(march_deployments(), verdicts=march_verdicts(), failures=march_failures())
    assert rows == [
        Recovery(
            "d2", ts("2024-03-05T10:00:00Z"), 1_800_000_000_000, RecoveryStatus.REMEDIATION
        ),  # d3 + 30 min
        Recovery(
            "d4", ts("2024-03-13T09:00:00Z"), 7_200_000_000_000, RecoveryStatus.FAILURE_RESOLVED
        ),  # f1 at 11:00
        Recovery("d5", ts("2024-03-25T12:00:00Z"), None, RecoveryStatus.NOT_RECOVERED),
        Recovery("d7", ts("2024-04-02T10:00:00Z"), None, RecoveryStatus.NOT_RECOVERED),
    ]


def test_failed_deployment_recovery_time_over_march() -> None:
    verdicts, failures = march_verdicts(), march_failures()
    recovery = failed_deployment_recovery_time(
        march_deployments(), verdicts=verdicts, failures=failures, window=MARCH
    )
    assert (recovery.change_failures, recovery.not_recovered, recovery.inconsistent) == (3, 1, 0)
    assert recovery.distribution.n == 2
    assert recovery.distribution.insufficient  # two durations, three needed by default
    relaxed = failed_deployment_recovery_time(
        march_deployments(), verdicts=verdicts, failures=failures, window=MARCH, min_n=2
    )
    assert relaxed.distribution == Distribution(
        n=2,
        median=4_500_000_000_000,  # (0.5 h + 2 h) / 2
        p75=5_850_000_000_000,  # 0.5 h + 0.75 * 1.5 h
        p90=6_660_000_000_000,  # 0.5 h + 0.9 * 1.5 h
        mean=4_500_000_000_000,
        max=7_200_000_000_000,
        min_n=2,
    )


def test_recovery_waits_for_every_attributed_failure() -> None:
    deployments = [deployment(id="d", finished="2024-03-01T10:00:00Z")]
    failures = [
        failure(id="a", started="2024-03-01T10:10:00Z", finished="2024-03-01T11:00:00Z"),
        failure(id="b", started="2024-03-01T10:20:00Z", finished="2024-03-01T13:00:00Z"),
        failure(id="c", started="2024-03-01T10:30:00Z"),
    ]
    both_resolved = {"d": verdict("d", change_failure=True, failure_ids=("a", "b"))}
    rows = recoveries(deployments, verdicts=both_resolved, failures=failures)
    assert rows[0].duration == 10_800_000_000_000  # the last resolution, 13:00: 3 h
    one_open = {"d": verdict("d", change_failure=True, failure_ids=("a", "c"))}
    assert (
        recoveries(deployments, verdicts=one_open, failures=failures)[0].status
        is RecoveryStatus.NOT_RECOVERED
    )


def test_recovery_falls_back_to_the_failure_when_the_remediation_was_deleted() -> None:
    deployments = [deployment(id="d", finished="2024-03-01T10:00:00Z")]
    failures = [failure(id="a", started="2024-03-01T10:10:00Z", finished="2024-03-01T10:40:00Z")]
    verdicts = {"d": verdict("d", change_failure=True, remediated_by="gone", failure_ids=("a",))}
    row = recoveries(deployments, verdicts=verdicts, failures=failures)[0]
    assert (row.duration, row.status) == (2_400_000_000_000, RecoveryStatus.FAILURE_RESOLVED)


def test_remediation_before_the_failed_deployment_is_counted_as_inconsistent() -> None:
    deployments = [
        deployment(id="earlier", finished="2024-03-01T09:00:00Z"),
        deployment(id="d", finished="2024-03-01T10:00:00Z"),
    ]
    verdicts = {"d": verdict("d", change_failure=True, remediated_by="earlier")}
    recovery = failed_deployment_recovery_time(deployments, verdicts=verdicts, failures=[], window=MARCH)
    assert (recovery.change_failures, recovery.inconsistent, recovery.distribution.n) == (1, 1, 0)


def test_recovery_time_per_week_by_the_failed_deployment() -> None:
    points = failed_deployment_recovery_time_series(
        march_deployments(),
        verdicts=march_verdicts(),
        failures=march_failures(),
        window=MARCH,
        interval=Interval.WEEK,
        min_n=1,
    )
    assert [(p.value.change_failures, p.value.distribution.median) for p in points] == [
        (0, None),
        (1, 1_800_000_000_000),
        (1, 7_200_000_000_000),
        (0, None),
        (1, None),
    ]


# --- rework rate and lead time --------------------------------------------------------------------


def test_rework_rate_over_march() -> None:
    assert rework_rate(march_deployments(), verdicts=march_verdicts(), window=MARCH) == Rate(
        numerator=2, denominator=6, value=0.3333333333333333
    )


def test_rework_rate_per_week() -> None:
    points = rework_rate_series(
        march_deployments(), verdicts=march_verdicts(), window=MARCH, interval=Interval.WEEK
    )
    assert [(p.value.numerator, p.value.denominator) for p in points] == [
        (0, 0),
        (1, 3),
        (0, 1),
        (0, 0),
        (1, 2),
    ]


def test_lead_time_is_unavailable_with_a_reason() -> None:
    assert lead_time() == Unavailable(metric="change_lead_time", reason=LEAD_TIME_UNAVAILABLE)
    assert "git" in lead_time().reason


# --- from events to metrics -----------------------------------------------------------------------


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
    recovery = failed_deployment_recovery_time(
        deployments, verdicts=verdicts, failures=failures, window=MARCH, min_n=1
    )
    assert recovery.distribution.median == 5_400_000_000_000
    # the hotfix is rework (a rollforward, and the first deployment during the failure)
    assert rework_rate(deployments, verdicts=verdicts, window=MARCH).value == 0.25
    assert time_to_restore(failures, window=MARCH, min_n=1).distribution.median == 5_100_000_000_000  # 85 min
