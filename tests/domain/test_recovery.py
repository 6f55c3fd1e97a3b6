"""Failed deployment recovery time: by remediation, by the attributed failures' resolution, or not at all."""

from __future__ import annotations

from doralens.domain.buckets import Interval
from doralens.domain.recovery import (
    Recovery,
    RecoveryStatus,
    failed_deployment_recovery_time,
    failed_deployment_recovery_time_series,
    recoveries,
)
from doralens.domain.stats import Distribution
from tests.builders import deployment, failure, ts
from tests.domain.march import MARCH, march_deployments, march_failures, march_verdicts, verdict


def test_recovery_rows_say_how_each_change_failure_recovered() -> None:
    rows = recoveries(march_deployments(), verdicts=march_verdicts(), failures=march_failures())
    assert rows == [
        Recovery("d2", ts("2024-03-05T10:00:00Z"), 1_800_000_000_000, RecoveryStatus.REMEDIATION),  # d3 + 30 min
        Recovery("d4", ts("2024-03-13T09:00:00Z"), 7_200_000_000_000, RecoveryStatus.FAILURE_RESOLVED),  # f1 at 11:00
        Recovery("d5", ts("2024-03-25T12:00:00Z"), None, RecoveryStatus.NOT_RECOVERED),
        Recovery("d7", ts("2024-04-02T10:00:00Z"), None, RecoveryStatus.NOT_RECOVERED),
    ]


def test_failed_deployment_recovery_time_over_march() -> None:
    verdicts, failures = march_verdicts(), march_failures()
    recovery = failed_deployment_recovery_time(march_deployments(), verdicts=verdicts, failures=failures, window=MARCH)
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
    assert recoveries(deployments, verdicts=one_open, failures=failures)[0].status is RecoveryStatus.NOT_RECOVERED


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
