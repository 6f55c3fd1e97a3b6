"""A metrics report as JSON: the body of ``GET /api/v1/metrics`` and of ``doralens metrics --json``.

Durations are seconds, rates are ratios from 0 to 1. Every value carries its sample size (and numerator and
denominator where it is a rate), ``insufficient_data`` with the reason instead of a misleading value, and links to
the events behind it; series points are clipped to the window.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any
from urllib.parse import quote_plus

from doralens.domain.buckets import SeriesPoint, Window
from doralens.domain.metrics import TimeToRestore
from doralens.domain.recovery import RecoveryTime
from doralens.domain.stats import Distribution, Rate
from doralens.domain.tiers import TierResult, report_note
from doralens.domain.timestamps import NS_PER_SECOND, format_rfc3339
from doralens.metrics.leadtime import lead_time_json
from doralens.metrics.request import MetricName, MetricsRequest
from doralens.metrics.results import (
    FailureRateResult,
    FrequencyResult,
    GroupResult,
    MetricsReport,
    RecoveryResult,
    RestoreResult,
    ReworkResult,
)

EVENTS_PATH = "/api/v1/metrics/{metric}/events"
NO_REWORK_TIER = "the State of DevOps reports give no performance clusters for the deployment rework rate"


def events_link(
    request: MetricsRequest, metric: MetricName, *, subset: str | None = None, span: Window | None = None
) -> str:
    """The drill-down URL listing the events behind one number."""
    window = span or request.window
    # The filters are encoded once per question: a report holds a link per number and series point.
    query = f"from={_moment(window.start)}&to={_moment(window.end)}{request.encoded_filters}"
    if subset is not None:
        query += f"&subset={quote_plus(subset)}"
    return f"{EVENTS_PATH.format(metric=metric)}?{query}"


# A report writes each bucket bound many times (a link per number), and the same bounds recur across questions.
@lru_cache(maxsize=4096)
def _moment(ns: int) -> str:
    return quote_plus(_when(ns))


@lru_cache(maxsize=4096)
def _when(ns: int) -> str:
    return format_rfc3339(ns)


def seconds(ns: float | None) -> float | None:
    """Nanoseconds as seconds."""
    return None if ns is None else ns / NS_PER_SECOND


def tier_json(tier: TierResult) -> dict[str, Any] | None:
    """A tier with its band and the report's caveat; None when withheld."""
    if tier.tier is None:
        return None
    return {
        "level": tier.tier.value,
        "band": tier.band,
        "report_year": tier.report_year,
        "note": report_note(tier.report_year),
    }


def _rate(value: Rate) -> dict[str, Any]:
    return {
        "value": value.value,
        "n": value.n,
        "numerator": value.numerator,
        "denominator": value.denominator,
        "insufficient_data": value.insufficient,
        "reason": value.reason,
    }


def _distribution(value: Distribution) -> dict[str, Any]:
    return {
        "value": seconds(value.median),
        "unit": "seconds",
        "n": value.n,
        "median": seconds(value.median),
        "p75": seconds(value.p75),
        "p90": seconds(value.p90),
        "mean": seconds(value.mean),
        "max": seconds(value.max),
        "insufficient_data": value.insufficient,
        "reason": value.reason,
    }


def _series(
    report: MetricsReport,
    metric: MetricName,
    points: list[SeriesPoint[Any]],
    render: Callable[[Any, Window], dict[str, Any]],
) -> list[dict[str, Any]]:
    out = []
    for span, point in zip(report.spans, points, strict=True):
        item = {"start": _when(span.start), "end": _when(span.end), **render(point.value, span)}
        out.append(item)
    return out


def _frequency(report: MetricsReport, result: FrequencyResult) -> dict[str, Any]:
    request, headline = report.request, result.headline
    metric: MetricName = "deployment_frequency"
    return {
        "value": headline.count,
        "unit": "deployments",
        "n": headline.count,
        "per_day": headline.per_day,
        "median_deploy_days_per_week": headline.median_deploy_days_per_week,
        "full_weeks": headline.weeks,
        "insufficient_data": headline.insufficient,
        "reason": headline.reason,
        "tier": tier_json(result.tier),
        "series": _series(
            report,
            metric,
            result.series,
            lambda n, span: {"value": n, "n": n, "events": events_link(request, metric, span=span)},
        ),
        "events": events_link(request, metric),
    }


def _failure_rate(report: MetricsReport, result: FailureRateResult) -> dict[str, Any]:
    request = report.request
    metric: MetricName = "change_failure_rate"

    def links(span: Window | None) -> dict[str, str]:
        return {
            "numerator": events_link(request, metric, subset="numerator", span=span),
            "denominator": events_link(request, metric, span=span),
            "incidents": events_link(request, metric, subset="incidents", span=span),
        }

    def point(value: Any, span: Window) -> dict[str, Any]:
        return {**_rate(result.value(value)), "events": links(span)}

    return {
        **_rate(result.value()),
        "unit": "ratio",
        "definition": "failures / deployments" if result.by_incidents else "change-failure deployments / deployments",
        "change_failure_deployments": _rate(result.headline.rate),
        "incident_ratio": _rate(result.headline.incident_ratio),
        "tier": tier_json(result.tier),
        "series": _series(report, metric, result.series, point),
        "events": links(None),
    }


def _restore_body(value: TimeToRestore) -> dict[str, Any]:
    return {**_distribution(value.distribution), "resolved": value.resolved, "open": value.open}


def _recovery_body(value: RecoveryTime) -> dict[str, Any]:
    return {
        **_distribution(value.distribution),
        "change_failures": value.change_failures,
        "not_recovered": value.not_recovered,
        "inconsistent": value.inconsistent,
    }


def _durations(
    report: MetricsReport,
    metric: MetricName,
    result: RestoreResult | RecoveryResult,
    body: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    request = report.request
    return {
        **body(result.headline),
        "tier": tier_json(result.tier),
        "series": _series(
            report,
            metric,
            result.series,
            lambda v, span: {**body(v), "events": events_link(request, metric, span=span)},
        ),
        "events": events_link(request, metric),
    }


def _rework(report: MetricsReport, result: ReworkResult) -> dict[str, Any]:
    request = report.request
    metric: MetricName = "deployment_rework_rate"

    def links(span: Window | None) -> dict[str, str]:
        return {
            "numerator": events_link(request, metric, subset="numerator", span=span),
            "denominator": events_link(request, metric, span=span),
        }

    return {
        **_rate(result.headline),
        "unit": "ratio",
        "tier": None,
        "tier_reason": NO_REWORK_TIER,
        "series": _series(report, metric, result.series, lambda v, span: {**_rate(v), "events": links(span)}),
        "events": links(None),
    }


def group_json(report: MetricsReport, group: GroupResult) -> dict[str, Any]:
    """The metrics of one group, by name, in the order the API documents them."""
    blocks: dict[str, Any] = {}
    if group.deployment_frequency is not None:
        blocks["deployment_frequency"] = _frequency(report, group.deployment_frequency)
    if group.change_lead_time is not None:
        link = partial(events_link, report.request, "change_lead_time")
        result = group.change_lead_time
        blocks["change_lead_time"] = lead_time_json(result, report.spans, tier_json(result.tier), link)
    if group.change_failure_rate is not None:
        blocks["change_failure_rate"] = _failure_rate(report, group.change_failure_rate)
    if group.failed_deployment_recovery_time is not None:
        recovery = group.failed_deployment_recovery_time
        blocks["failed_deployment_recovery_time"] = _durations(
            report, "failed_deployment_recovery_time", recovery, _recovery_body
        )
    if group.deployment_rework_rate is not None:
        blocks["deployment_rework_rate"] = _rework(report, group.deployment_rework_rate)
    if group.time_to_restore is not None:
        blocks["time_to_restore"] = _durations(report, "time_to_restore", group.time_to_restore, _restore_body)
    return blocks


def report_json(report: MetricsReport) -> dict[str, Any]:
    """The whole report: the question, then the metrics (or one block per group)."""
    request = report.request
    filters: dict[str, list[str]] = {}
    for name, value in request.filters.params():
        filters.setdefault(name, []).append(value)
    body: dict[str, Any] = {
        "from": format_rfc3339(request.window.start),
        "to": format_rfc3339(request.window.end),
        "interval": request.interval.value,
        "filters": filters,
        "group_by": request.group_by,
        "tier_year": request.tier_year,
        "fresh": report.fresh,
    }
    if request.group_by is None:
        body["metrics"] = group_json(report, report.groups[0])
    else:
        body["groups"] = [{request.group_by: g.group, "metrics": group_json(report, g)} for g in report.groups]
    return body
