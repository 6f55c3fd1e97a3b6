"""The DORA metrics over events in a window, as a headline and as a series per interval bucket.

A deployment counts in the window (or bucket) containing its ``finished_at``, a failure in the one containing
its ``started_at``. Inputs may hold events outside the window (history that detection needed): each function
filters. Every value carries its sample size, its numerator and denominator where it has them, and an
insufficient flag. Failed deployment recovery time lives in ``recovery.py``; change lead time, which needs git
data, in ``doralens.gitdata.leadtime``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from doralens.domain.buckets import (
    Interval,
    SeriesPoint,
    Window,
    count_by_bucket,
    day_number,
    full_weeks,
    group_by_bucket,
    map_buckets,
)
from doralens.domain.changefailure import DeploymentVerdict
from doralens.domain.events import Deployment, Failure
from doralens.domain.stats import (
    DEFAULT_MIN_N_DURATIONS,
    DEFAULT_MIN_N_RATES,
    Distribution,
    Rate,
    median,
    rate,
)

DAYS_PER_WEEK = 7


@dataclass(frozen=True, slots=True)
class DeploymentFrequency:
    """Deployments in the window, per day, and the median of distinct deployment days per full UTC week."""

    count: int
    per_day: float | None
    median_deploy_days_per_week: float | None
    weeks: int
    min_weeks: int = 1

    @property
    def n(self) -> int:
        """The number of deployments."""
        return self.count

    @property
    def insufficient(self) -> bool:
        """True when the window holds too few full weeks for the weekly median (and so for a tier)."""
        return self.weeks < self.min_weeks

    @property
    def reason(self) -> str | None:
        """Why the weekly median is withheld, or None."""
        if not self.insufficient:
            return None
        return (
            f"insufficient data: {self.weeks} full UTC weeks (Monday to Sunday) in the window, "
            f"at least {self.min_weeks} needed"
        )


@dataclass(frozen=True, slots=True)
class ChangeFailureRate:
    """Change-failure deployments / deployments, and failures / deployments (seed's ``incident_ratio``)."""

    rate: Rate
    incident_ratio: Rate


@dataclass(frozen=True, slots=True)
class TimeToRestore:
    """Durations of resolved failures, with how many were resolved and how many are still open."""

    distribution: Distribution
    resolved: int
    open: int


def deploy_days_per_week(deploy_days: Collection[int], *, window: Window) -> list[int]:
    """Distinct deployment days per full week of the window, from UTC day numbers (``finished_at // day``)."""
    result = []
    for week in full_weeks(window):
        first = day_number(week.start)
        result.append(sum(1 for day in range(first, first + DAYS_PER_WEEK) if day in deploy_days))
    return result


def deployment_frequency_from_aggregates(
    *, count: int, deploy_days: Collection[int], window: Window, min_weeks: int = 1
) -> DeploymentFrequency:
    """Deployment frequency from a count and the set of UTC deployment day numbers (cheap to get from SQL)."""
    per_week = deploy_days_per_week(deploy_days, window=window)
    enough = len(per_week) >= min_weeks
    return DeploymentFrequency(
        count=count,
        per_day=count / window.days if window.days > 0 else None,
        median_deploy_days_per_week=median(per_week) if enough else None,
        weeks=len(per_week),
        min_weeks=min_weeks,
    )


def deployment_frequency(
    deployments: Iterable[Deployment], *, window: Window, min_weeks: int = 1
) -> DeploymentFrequency:
    """Deployment frequency over the deployments finished in the window."""
    finished = [d.finished_at for d in deployments if window.contains(d.finished_at)]
    return deployment_frequency_from_aggregates(
        count=len(finished),
        deploy_days={day_number(moment) for moment in finished},
        window=window,
        min_weeks=min_weeks,
    )


def deployment_count_series(
    deployments: Iterable[Deployment], *, window: Window, interval: Interval
) -> list[SeriesPoint[int]]:
    """Deployments per bucket, empty buckets as zeros."""
    return count_by_bucket((d.finished_at for d in deployments), window=window, interval=interval)


def _verdict_count(
    deployments: Iterable[Deployment],
    verdicts: Mapping[str, DeploymentVerdict],
    holds: Callable[[DeploymentVerdict], bool],
) -> int:
    found = (verdicts.get(d.id) for d in deployments)
    return sum(1 for verdict in found if verdict is not None and holds(verdict))


def change_failure_rate(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    failures: Iterable[Failure],
    window: Window,
    min_n: int = DEFAULT_MIN_N_RATES,
) -> ChangeFailureRate:
    """Change failure rate and incident ratio over deployments finished and failures started in the window."""
    in_window = [d for d in deployments if window.contains(d.finished_at)]
    failed = _verdict_count(in_window, verdicts, lambda v: v.is_change_failure)
    incidents = sum(1 for f in failures if window.contains(f.started_at))
    return ChangeFailureRate(
        rate=rate(failed, len(in_window), min_n=min_n),
        incident_ratio=rate(incidents, len(in_window), min_n=min_n),
    )


def change_failure_rate_series(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    failures: Iterable[Failure],
    window: Window,
    interval: Interval,
    min_n: int = DEFAULT_MIN_N_RATES,
) -> list[SeriesPoint[ChangeFailureRate]]:
    """Change failure rate per bucket."""
    by_deployment = group_by_bucket(deployments, key=lambda d: d.finished_at, window=window, interval=interval)
    by_failure = group_by_bucket(failures, key=lambda f: f.started_at, window=window, interval=interval)
    return [
        SeriesPoint(
            bucket.start,
            bucket.end,
            change_failure_rate(in_bucket, verdicts=verdicts, failures=failed, window=bucket.clip(window), min_n=min_n),
        )
        for (bucket, in_bucket), (_, failed) in zip(by_deployment, by_failure, strict=True)
    ]


def time_to_restore(
    failures: Iterable[Failure], *, window: Window, min_n: int = DEFAULT_MIN_N_DURATIONS
) -> TimeToRestore:
    """Distribution of ``finished_at - started_at`` over resolved failures started in the window."""
    durations = []
    still_open = 0
    for failure in failures:
        if window.contains(failure.started_at):
            if failure.finished_at is None:
                still_open += 1
            else:
                durations.append(failure.finished_at - failure.started_at)
    return TimeToRestore(
        distribution=Distribution.from_values(durations, min_n=min_n),
        resolved=len(durations),
        open=still_open,
    )


def time_to_restore_series(
    failures: Iterable[Failure], *, window: Window, interval: Interval, min_n: int = DEFAULT_MIN_N_DURATIONS
) -> list[SeriesPoint[TimeToRestore]]:
    """Time to restore per bucket of ``started_at``."""
    groups = group_by_bucket(failures, key=lambda f: f.started_at, window=window, interval=interval)
    return map_buckets(groups, window, lambda items, part: time_to_restore(items, window=part, min_n=min_n))


def rework_rate(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    window: Window,
    min_n: int = DEFAULT_MIN_N_RATES,
) -> Rate:
    """Unplanned rework deployments / deployments finished in the window."""
    in_window = [d for d in deployments if window.contains(d.finished_at)]
    reworked = _verdict_count(in_window, verdicts, lambda v: v.is_rework)
    return rate(reworked, len(in_window), min_n=min_n)


def rework_rate_series(
    deployments: Iterable[Deployment],
    *,
    verdicts: Mapping[str, DeploymentVerdict],
    window: Window,
    interval: Interval,
    min_n: int = DEFAULT_MIN_N_RATES,
) -> list[SeriesPoint[Rate]]:
    """Deployment rework rate per bucket."""
    groups = group_by_bucket(deployments, key=lambda d: d.finished_at, window=window, interval=interval)
    return map_buckets(
        groups, window, lambda items, part: rework_rate(items, verdicts=verdicts, window=part, min_n=min_n)
    )
