"""Metrics reports as Prometheus metric families: one gauge per figure, labelled by window and group.

Prometheus conventions: base units (seconds, ratios from 0 to 1), the ``doralens_`` prefix, a ``_samples`` gauge
beside every metric with the sample size the API calls ``n`` (deployment frequency's count is its own sample). A
value the API withholds (too few samples) is left out, never exported as 0: its ``_samples`` gauge still says how
much data there was. Each series carries ``window`` and at most one of ``service``, ``env``, ``team`` (the grouping
of the report it comes from); groups the API names ``null`` (events without a team, say) are left out, since an
empty label would read as the totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric

from doralens.domain.stats import Distribution, Rate
from doralens.domain.tiers import TierResult
from doralens.domain.timestamps import NS_PER_SECOND
from doralens.metrics.results import GroupResult, MetricsReport

QUANTILES = (("0.5", "median"), ("0.75", "p75"), ("0.9", "p90"))
_WITHHELD = "Left out where there are too few samples (see _samples), never exported as 0."

# name -> help text, in exposition order
HELP: dict[str, str] = {
    "doralens_deployments": "Deployments finished in the window (deployment frequency: divide by the window).",
    "doralens_change_lead_time_seconds": "Change lead time: quantiles over the commits the window's deployments "
    f"shipped first, from author time to the deployment's finish. {_WITHHELD}",
    "doralens_change_lead_time_samples": "Commits change lead time was measured over (0 without git data).",
    "doralens_change_failure_rate": "Change failure rate, 0 to 1: change-failure deployments / deployments (failures "
    f"/ deployments with DORALENS_INCIDENT_RATIO_HEADLINE). {_WITHHELD}",
    "doralens_change_failure_rate_samples": "Deployments the change failure rate is over.",
    "doralens_change_failure_deployments": "Deployments of the window that are change failures.",
    "doralens_failures": "Failures that started in the window.",
    "doralens_failed_deployment_recovery_time_seconds": "Failed deployment recovery time: quantiles over the "
    f"window's recovered change failures. {_WITHHELD}",
    "doralens_failed_deployment_recovery_time_samples": "Change failures with a recovery time.",
    "doralens_deployment_rework_rate": f"Deployment rework rate, 0 to 1: rework deployments / deployments. {_WITHHELD}",
    "doralens_deployment_rework_rate_samples": "Deployments the rework rate is over.",
    "doralens_time_to_restore_seconds": "Time to restore: quantiles over the resolved failures that started in the "
    f"window. {_WITHHELD}",
    "doralens_time_to_restore_samples": "Resolved failures that started in the window.",
    "doralens_performance_tier": "1 for each metric's performance tier against the State of DevOps clusters "
    "(DORALENS_TIER_YEAR); left out where the tier is withheld.",
}


@dataclass(frozen=True)
class WindowReport:
    """A metrics report and the label of the window it covers."""

    window: str
    report: MetricsReport


class _Families:
    """Gauge families by name; samples may carry different label sets (one grouping per report)."""

    def __init__(self) -> None:
        self._found = {name: Metric(name, text, "gauge") for name, text in HELP.items()}

    def add(self, name: str, labels: dict[str, str], value: float | None) -> None:
        if value is not None:
            self._found[name].add_sample(name, labels, float(value))

    def quantiles(self, name: str, labels: dict[str, str], value: Distribution, scale: float = NS_PER_SECOND) -> None:
        for quantile, attr in QUANTILES:
            found: float | None = getattr(value, attr)
            self.add(name, {**labels, "quantile": quantile}, None if found is None else found / scale)

    def tier(self, metric: str, labels: dict[str, str], tier: TierResult) -> None:
        if tier.tier is not None:
            self.add("doralens_performance_tier", {**labels, "metric": metric, "tier": tier.tier.value}, 1)

    def families(self) -> list[Metric]:
        return [family for family in self._found.values() if family.samples]


def _rate(families: _Families, name: str, labels: dict[str, str], value: Rate) -> None:
    families.add(name, labels, value.value)
    families.add(f"{name}_samples", labels, value.n)


def _group(families: _Families, labels: dict[str, str], group: GroupResult) -> None:
    if (frequency := group.deployment_frequency) is not None:
        families.add("doralens_deployments", labels, frequency.headline.count)
        families.tier("deployment_frequency", labels, frequency.tier)
    if (lead := group.change_lead_time) is not None:
        families.quantiles("doralens_change_lead_time_seconds", labels, lead.headline.distribution)
        families.add("doralens_change_lead_time_samples", labels, lead.headline.distribution.n)
        families.tier("change_lead_time", labels, lead.tier)
    if (cfr := group.change_failure_rate) is not None:
        _rate(families, "doralens_change_failure_rate", labels, cfr.value())
        families.add("doralens_change_failure_deployments", labels, cfr.headline.rate.numerator)
        families.add("doralens_failures", labels, cfr.headline.incident_ratio.numerator)
        families.tier("change_failure_rate", labels, cfr.tier)
    if (recovery := group.failed_deployment_recovery_time) is not None:
        distribution = recovery.headline.distribution
        families.quantiles("doralens_failed_deployment_recovery_time_seconds", labels, distribution)
        families.add("doralens_failed_deployment_recovery_time_samples", labels, distribution.n)
        families.tier("failed_deployment_recovery_time", labels, recovery.tier)
    if (rework := group.deployment_rework_rate) is not None:
        _rate(families, "doralens_deployment_rework_rate", labels, rework.headline)
    if (restore := group.time_to_restore) is not None:
        families.quantiles("doralens_time_to_restore_seconds", labels, restore.headline.distribution)
        families.add("doralens_time_to_restore_samples", labels, restore.headline.distribution.n)
        families.tier("time_to_restore", labels, restore.tier)


def dora_families(reports: Iterable[WindowReport]) -> list[Metric]:
    """The gauges of every report's groups (families without a sample are left out)."""
    families = _Families()
    for item in reports:
        grouping = item.report.request.group_by
        for group in item.report.groups:
            if grouping is not None and group.group is None:
                continue
            labels = {"window": item.window}
            if grouping is not None and group.group is not None:
                labels[grouping] = group.group
            _group(families, labels, group)
    return families.families()
