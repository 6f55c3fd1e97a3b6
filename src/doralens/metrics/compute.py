"""The metrics of a question: refresh what it reads, aggregate in SQL, roll up and classify with the domain.

Counts come per UTC day from SQL and are summed into the question's buckets here (weeks and months are unions
of days). Durations are summarised by PostgreSQL's ``percentile_cont`` where the store can, else from the one
sorted column the store returns, with the same arithmetic, so both backends give the same numbers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass

from doralens.domain.buckets import NS_PER_DAY, Bucket, SeriesPoint, buckets
from doralens.domain.metrics import (
    ChangeFailureRate,
    TimeToRestore,
    deployment_frequency_from_aggregates,
)
from doralens.domain.recovery import RecoveryTime
from doralens.domain.stats import rate
from doralens.domain.tiers import (
    classify_change_failure_rate,
    classify_deployment_frequency,
    classify_recovery_time,
)
from doralens.metrics.config import EngineConfig
from doralens.metrics.durations import Summaries, Summary, summaries_from_aggregates, summaries_from_samples
from doralens.metrics.leadtime import lead_time_result, read_lead_times
from doralens.metrics.reads import start
from doralens.metrics.refresh import refresh
from doralens.metrics.request import METRICS, MetricName, MetricsRequest
from doralens.metrics.results import (
    FailureRateResult,
    FrequencyResult,
    GroupResult,
    MetricsReport,
    RecoveryResult,
    RestoreResult,
    ReworkResult,
)
from doralens.store.base import EventStore
from doralens.store.records import DaySamples, DeploymentDay, MetricScope


@dataclass
class _Counts:
    deployments: list[int]
    change_failures: list[int]
    rework: list[int]
    failures: list[int]
    days: set[int]


def compute_metrics(
    *, store: EventStore, config: EngineConfig, request: MetricsRequest, metrics: Collection[MetricName] = METRICS
) -> MetricsReport:
    """Refresh the derived state the question reads, then compute the metrics asked for."""
    refreshed = refresh(store=store, config=config, envs=request.filters.refresh_envs)
    wanted = tuple(m for m in METRICS if m in metrics)
    window = request.window
    spans = buckets(window, request.interval)
    starts = [b.start for b in spans]
    scope = request.scope()
    # Deployment counts and (without percentile_cont) recovery times come from the same pass.
    by_samples = "failed_deployment_recovery_time" in wanted and not store.computes_percentiles
    counted = {"deployment_frequency", "change_failure_rate", "deployment_rework_rate"} & set(wanted)
    lead_time = "change_lead_time" in wanted  # its counts come from the same pass
    # The failure and recovery reads do not depend on the deployment pass: they run beside it unless they were
    # quick for a question of this shape (reads.py).
    length = window.end - window.start
    shape = (store.backend.name, scope.deployments, scope.failures, scope.group_by, length, len(spans), wanted)
    failure_read = start(lambda: _read_failures(store, scope, starts, wanted), key=("failures", shape))
    recovery_read = (
        start(lambda: store.recovery_aggregates(scope, bucket_starts=starts), key=("recoveries", shape))
        if "failed_deployment_recovery_time" in wanted and not by_samples
        else None
    )
    days = (
        store.deployment_days(scope, recoveries=by_samples, lead_time=lead_time)
        if counted or by_samples or lead_time
        else []
    )
    recovery = None
    restore, failures = failure_read.result()
    if by_samples:
        recovery = summaries_from_samples([_recovery_samples(d) for d in days if d.change_failures], starts)
    elif recovery_read is not None:
        recovery = summaries_from_aggregates(recovery_read.result(), len(spans))
    counts = _counts(days, failures, spans)
    lead = read_lead_times(store, request, spans, days) if lead_time else None
    keys = set(counts) | set(restore or {}) | set(recovery or {}) | (lead.groups if lead else set())
    if request.group_by is None:
        keys = {None}
    results = []
    for key in sorted(keys, key=lambda k: (k is not None, k or "")):
        count = counts.get(key) or _empty(len(spans))
        result = GroupResult(
            group=key,
            deployment_frequency=_frequency(count, request, spans) if "deployment_frequency" in wanted else None,
            change_lead_time=lead_time_result(lead, key, request, spans, config) if lead is not None else None,
            change_failure_rate=_failure_rate(count, request, spans, config)
            if "change_failure_rate" in wanted
            else None,
            failed_deployment_recovery_time=(
                _recovery(recovery.get(key), request, spans, config) if recovery is not None else None
            ),
            deployment_rework_rate=_rework(count, spans, config) if "deployment_rework_rate" in wanted else None,
            time_to_restore=_restore(restore.get(key), request, spans, config) if restore is not None else None,
        )
        results.append(result)
    clipped = [b.clip(window) for b in spans]
    return MetricsReport(request, wanted, clipped, results, refreshed.complete)


def _read_failures(
    store: EventStore, scope: MetricScope, starts: list[int], wanted: Collection[MetricName]
) -> tuple[Summaries | None, dict[str | None, list[int]]]:
    """Time to restore, if asked for, and the failures started per group and bucket (the incident ratio's
    numerators), in one read: the time-to-restore summaries or samples count the failures too, so only a question
    without time to restore reads the failures per day for them."""
    if "time_to_restore" in wanted and store.computes_percentiles:
        restore = summaries_from_aggregates(store.restore_aggregates(scope, bucket_starts=starts), len(starts))
        return restore, {g: [s.rows if s else 0 for s in per_bucket] for g, (_, per_bucket) in restore.items()}
    if "time_to_restore" in wanted:
        samples = store.failure_samples(scope)
        return summaries_from_samples(samples, starts), _per_bucket([(s.group, s.day, s.rows) for s in samples], starts)
    if "change_failure_rate" in wanted:
        return None, _per_bucket([(d.group, d.day, d.failures) for d in store.failure_days(scope)], starts)
    return None, {}


def _per_bucket(days: list[tuple[str | None, int, int]], starts: list[int]) -> dict[str | None, list[int]]:
    """Per group, the sum of (group, UTC day, number) in each bucket (``starts`` sorted)."""
    found: dict[str | None, list[int]] = {}
    for group, day, number in days:
        per_bucket = found.get(group) or found.setdefault(group, [0] * len(starts))
        per_bucket[max(0, bisect_right(starts, day * NS_PER_DAY) - 1)] += number
    return found


def _recovery_samples(day: DeploymentDay) -> DaySamples:
    return DaySamples(
        day.group, day.day, day.change_failures, day.recovered, day.recoveries, day.not_recovered, day.inconsistent
    )


def _empty(size: int) -> _Counts:
    return _Counts([0] * size, [0] * size, [0] * size, [0] * size, set())


def _counts(
    days: list[DeploymentDay], failures: dict[str | None, list[int]], spans: list[Bucket]
) -> dict[str | None, _Counts]:
    # A day belongs to the bucket holding its midnight; the window's first day may start before the window, but
    # then its first bucket does too (buckets are calendar days, weeks and months, or the window itself).
    starts = [b.start for b in spans]
    found: dict[str | None, _Counts] = {}
    for day in days:
        count = found.get(day.group) or found.setdefault(day.group, _empty(len(spans)))
        index = max(0, bisect_right(starts, day.day * NS_PER_DAY) - 1)
        count.deployments[index] += day.deployments
        count.change_failures[index] += day.change_failures
        count.rework[index] += day.rework
        if day.deployments:
            count.days.add(day.day)
    for group, per_bucket in failures.items():
        count = found.get(group) or found.setdefault(group, _empty(len(spans)))
        count.failures = per_bucket
    return found


def _frequency(count: _Counts, request: MetricsRequest, spans: list[Bucket]) -> FrequencyResult:
    headline = deployment_frequency_from_aggregates(
        count=sum(count.deployments), deploy_days=count.days, window=request.window
    )
    tier = classify_deployment_frequency(
        per_day=headline.per_day,
        median_deploy_days_per_week=headline.median_deploy_days_per_week,
        report_year=request.tier_year,
    )
    series = [SeriesPoint(b.start, b.end, n) for b, n in zip(spans, count.deployments, strict=True)]
    return FrequencyResult(headline, tier, series)


def _cfr(cf: int, failures: int, deployments: int, min_n: int) -> ChangeFailureRate:
    return ChangeFailureRate(rate(cf, deployments, min_n=min_n), rate(failures, deployments, min_n=min_n))


def _failure_rate(
    count: _Counts, request: MetricsRequest, spans: list[Bucket], config: EngineConfig
) -> FailureRateResult:
    min_n = config.min_n_rates
    headline = _cfr(sum(count.change_failures), sum(count.failures), sum(count.deployments), min_n)
    by_incidents = config.incident_ratio_headline
    shown = headline.incident_ratio if by_incidents else headline.rate
    tier = classify_change_failure_rate(shown.value, report_year=request.tier_year)
    series = [
        SeriesPoint(b.start, b.end, _cfr(cf, f, n, min_n))
        for b, cf, f, n in zip(spans, count.change_failures, count.failures, count.deployments, strict=True)
    ]
    return FailureRateResult(headline, by_incidents, tier, series)


def _rework(count: _Counts, spans: list[Bucket], config: EngineConfig) -> ReworkResult:
    min_n = config.min_n_rates
    series = [
        SeriesPoint(b.start, b.end, rate(rw, n, min_n=min_n))
        for b, rw, n in zip(spans, count.rework, count.deployments, strict=True)
    ]
    return ReworkResult(rate(sum(count.rework), sum(count.deployments), min_n=min_n), series)


def _restore(
    found: tuple[Summary, list[Summary | None]] | None,
    request: MetricsRequest,
    spans: list[Bucket],
    config: EngineConfig,
) -> RestoreResult:
    def make(summary: Summary | None) -> TimeToRestore:
        s = summary or Summary.empty()
        distribution = s.distribution(config.min_n_durations)
        return TimeToRestore(distribution=distribution, resolved=s.n, open=s.rows - s.n)

    headline = make(found[0] if found else None)
    per_bucket: list[Summary | None] = found[1] if found else [None] * len(spans)
    series = [SeriesPoint(b.start, b.end, make(s)) for b, s in zip(spans, per_bucket, strict=True)]
    tier = classify_recovery_time(headline.distribution.median, report_year=request.tier_year)
    return RestoreResult(headline, tier, series)


def _recovery(
    found: tuple[Summary, list[Summary | None]] | None,
    request: MetricsRequest,
    spans: list[Bucket],
    config: EngineConfig,
) -> RecoveryResult:
    def make(summary: Summary | None) -> RecoveryTime:
        s = summary or Summary.empty()
        return RecoveryTime(s.distribution(config.min_n_durations), s.rows, s.not_recovered, s.inconsistent)

    headline = make(found[0] if found else None)
    per_bucket: list[Summary | None] = found[1] if found else [None] * len(spans)
    series = [SeriesPoint(b.start, b.end, make(s)) for b, s in zip(spans, per_bucket, strict=True)]
    tier = classify_recovery_time(headline.distribution.median, report_year=request.tier_year)
    return RecoveryResult(headline, tier, series)
