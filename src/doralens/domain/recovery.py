"""Failed deployment recovery time (DORA 2024): how long each change failure took to be put right.

Per change failure: its remediation's ``finished_at`` (the rollback, the rollforward, or a manual remediation)
minus its own ``finished_at``; without a remediation that is still present, the resolution of the failures
attributed to it. A row per change failure keeps the cases that give no duration (not recovered yet, or
inconsistent data) so they are counted beside the distribution rather than dropped from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from doralens.domain.buckets import Interval, SeriesPoint, Window, group_by_bucket, map_buckets
from doralens.domain.changefailure import DeploymentVerdict
from doralens.domain.events import Deployment, Failure
from doralens.domain.stats import DEFAULT_MIN_N_DURATIONS, Distribution
from doralens.domain.streams import order_key


class RecoveryStatus(StrEnum):
    """How a change failure's recovery time was measured, or why it was not."""

    REMEDIATION = "remediation"
    FAILURE_RESOLVED = "failure_resolved"
    NOT_RECOVERED = "not_recovered"
    INCONSISTENT = "inconsistent"


@dataclass(frozen=True, slots=True)
class Recovery:
    """One change failure's recovery: ``duration`` ns after its ``finished_at`` (``failed_at``)."""

    deployment_id: str
    failed_at: int
    duration: int | None
    status: RecoveryStatus


@dataclass(frozen=True, slots=True)
class RecoveryTime:
    """Failed deployment recovery time over change failures, with the ones not measured counted by cause."""

    distribution: Distribution
    change_failures: int
    not_recovered: int
    inconsistent: int


def recoveries(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    failures: Iterable[Failure],
) -> list[Recovery]:
    """Per change failure: remediation.finished_at (else its failures' resolution) minus its finished_at."""
    by_id = {d.id: d for d in deployments}
    failure_by_id = {f.id: f for f in failures}
    result = []
    for deployment in sorted(by_id.values(), key=order_key):
        verdict = verdicts.get(deployment.id)
        if verdict is None or not verdict.is_change_failure:
            continue
        remedy = by_id.get(verdict.remediated_by) if verdict.remediated_by else None
        linked = [failure_by_id[f] for f in verdict.failure_ids if f in failure_by_id]
        resolutions = [f.finished_at for f in linked if f.finished_at is not None]
        end: int | None = None
        status = RecoveryStatus.NOT_RECOVERED
        if remedy is not None:
            end, status = remedy.finished_at, RecoveryStatus.REMEDIATION
        elif linked and len(resolutions) == len(linked):
            # Recovered once every failure it caused is resolved: the last resolution.
            end, status = max(resolutions), RecoveryStatus.FAILURE_RESOLVED
        if end is not None and end < deployment.finished_at:
            # A remediation pointed at an earlier deployment, or a failure resolved before this one finished.
            end, status = None, RecoveryStatus.INCONSISTENT
        duration = None if end is None else end - deployment.finished_at
        result.append(Recovery(deployment.id, deployment.finished_at, duration, status))
    return result


def recovery_time_from_rows(
    rows: Iterable[Recovery], *, window: Window, min_n: int = DEFAULT_MIN_N_DURATIONS
) -> RecoveryTime:
    """Failed deployment recovery time over recovery rows whose deployment finished in the window."""
    in_window = [r for r in rows if window.contains(r.failed_at)]
    durations = [r.duration for r in in_window if r.duration is not None]
    return RecoveryTime(
        distribution=Distribution.from_values(durations, min_n=min_n),
        change_failures=len(in_window),
        not_recovered=sum(1 for r in in_window if r.status is RecoveryStatus.NOT_RECOVERED),
        inconsistent=sum(1 for r in in_window if r.status is RecoveryStatus.INCONSISTENT),
    )


def failed_deployment_recovery_time(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    failures: Iterable[Failure],
    window: Window,
    min_n: int = DEFAULT_MIN_N_DURATIONS,
) -> RecoveryTime:
    """Failed deployment recovery time over change failures finished in the window."""
    rows = recoveries(deployments, verdicts=verdicts, failures=failures)
    return recovery_time_from_rows(rows, window=window, min_n=min_n)


def failed_deployment_recovery_time_series(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    failures: Iterable[Failure],
    window: Window,
    interval: Interval,
    min_n: int = DEFAULT_MIN_N_DURATIONS,
) -> list[SeriesPoint[RecoveryTime]]:
    """Failed deployment recovery time per bucket of the failed deployment's ``finished_at``."""
    rows = recoveries(deployments, verdicts=verdicts, failures=failures)
    groups = group_by_bucket(rows, key=lambda r: r.failed_at, window=window, interval=interval)
    return map_buckets(groups, window, lambda items, part: recovery_time_from_rows(items, window=part, min_n=min_n))
