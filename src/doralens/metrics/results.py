"""What a metrics question gets back: per group, each metric's headline, tier and series."""

from __future__ import annotations

from dataclasses import dataclass

from doralens.domain.buckets import SeriesPoint, Window
from doralens.domain.metrics import ChangeFailureRate, DeploymentFrequency, TimeToRestore
from doralens.domain.recovery import RecoveryTime
from doralens.domain.stats import Rate
from doralens.domain.tiers import TierResult
from doralens.metrics.leadtime import LeadTimeResult
from doralens.metrics.request import MetricName, MetricsRequest


@dataclass(frozen=True)
class FrequencyResult:
    """Deployment frequency: headline, tier, deployments per bucket."""

    headline: DeploymentFrequency
    tier: TierResult
    series: list[SeriesPoint[int]]


@dataclass(frozen=True)
class FailureRateResult:
    """Change failure rate (and incident ratio); ``by_incidents`` when the incident ratio is the headline."""

    headline: ChangeFailureRate
    by_incidents: bool
    tier: TierResult
    series: list[SeriesPoint[ChangeFailureRate]]

    def value(self, point: ChangeFailureRate | None = None) -> Rate:
        """The rate shown as the headline value (of the whole window, or of one point)."""
        chosen = point or self.headline
        return chosen.incident_ratio if self.by_incidents else chosen.rate


@dataclass(frozen=True)
class RestoreResult:
    """Time to restore: headline, tier, per bucket."""

    headline: TimeToRestore
    tier: TierResult
    series: list[SeriesPoint[TimeToRestore]]


@dataclass(frozen=True)
class RecoveryResult:
    """Failed deployment recovery time: headline, tier, per bucket."""

    headline: RecoveryTime
    tier: TierResult
    series: list[SeriesPoint[RecoveryTime]]


@dataclass(frozen=True)
class ReworkResult:
    """Deployment rework rate: headline and per bucket (the reports give no tiers for it)."""

    headline: Rate
    series: list[SeriesPoint[Rate]]


@dataclass(frozen=True)
class GroupResult:
    """The metrics asked for, of one group (``group`` None when the question is not grouped)."""

    group: str | None
    deployment_frequency: FrequencyResult | None = None
    change_lead_time: LeadTimeResult | None = None
    change_failure_rate: FailureRateResult | None = None
    failed_deployment_recovery_time: RecoveryResult | None = None
    deployment_rework_rate: ReworkResult | None = None
    time_to_restore: RestoreResult | None = None


@dataclass(frozen=True)
class MetricsReport:
    """The answer to a metrics question; ``fresh`` is False only if writes kept racing the refresh."""

    request: MetricsRequest
    metrics: tuple[MetricName, ...]
    spans: list[Window]  # the buckets of the series, clipped to the window
    groups: list[GroupResult]
    fresh: bool
