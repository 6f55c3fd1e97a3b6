"""GitLab's DORA metrics API over our metrics: ``[{"date", "value"}]`` in GitLab's units, a project being a service
and a group a team.

Values per bucket: ``deployment_frequency`` the number of deployments; ``change_failure_rate`` the headline change
failure rate as a ratio (GitLab divides incidents by deployments: that is our incident ratio, which
``DORALENS_INCIDENT_RATIO_HEADLINE`` makes the headline); ``time_to_restore_service`` the median seconds failures
stayed open; ``lead_time_for_changes`` the median seconds from commit to deployment. A value withheld for
insufficient data is null, as is a rate without deployments. Monthly values are computed over the month's events,
not from daily medians. Environment tiers are guessed from env names the way GitLab guesses them (see
``environment_tier``); deployments without an env belong to no tier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from doralens.domain.buckets import Bucket, Interval, Window, buckets
from doralens.domain.timestamps import from_datetime
from doralens.errors import ValidationFailed
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.request import MetricFilters, MetricName, MetricsRequest
from doralens.metrics.results import GroupResult
from doralens.store.base import EventStore

GITLAB_METRICS: dict[str, MetricName] = {
    "deployment_frequency": "deployment_frequency",
    "lead_time_for_changes": "change_lead_time",
    "time_to_restore_service": "time_to_restore",
    "change_failure_rate": "change_failure_rate",
}
INTERVALS = {"daily": Interval.DAY, "monthly": Interval.MONTH, "all": Interval.ALL}
TIERS = ("production", "staging", "testing", "development", "other")
# Checked in this order, so that "preprod" is staging and "dev-test" development.
_TIER_PATTERNS = (
    ("development", re.compile(r"dev|review|trunk", re.IGNORECASE)),
    ("testing", re.compile(r"test|tst|int|ac(?:ce)?pt|qa|qc|control|quality", re.IGNORECASE)),
    ("staging", re.compile(r"st(?:a)?g|mod(?:e)?l|pre|demo|non", re.IGNORECASE)),
    ("production", re.compile(r"pr(?:o)?d|live", re.IGNORECASE)),
)

Subject = Literal["project", "group"]


def environment_tier(env: str) -> str:
    """The GitLab deployment tier an environment name suggests."""
    return next((tier for tier, pattern in _TIER_PATTERNS if pattern.search(env)), "other")


def _date(text: str | None, name: str, default: date) -> date:
    if text is None or not text.strip():
        return default
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ValidationFailed.at(f"/query/{name}", "must be an ISO 8601 date such as 2021-03-01") from None


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def _midnight(day: date) -> int:
    return from_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))


def gitlab_metrics(
    *,
    store: EventStore,
    config: EngineConfig,
    subject: Subject,
    name: str,
    metric: str | None,
    start_date: str | None = None,
    end_date: str | None = None,
    interval: str | None = None,
    environment_tiers: Sequence[str] = (),
    today: date,
) -> list[dict[str, Any]]:
    """GitLab's answer for a project (service) or group (team): a point per day or month, or one for all."""
    if metric not in GITLAB_METRICS:
        raise ValidationFailed.at("/query/metric", f"must be one of {', '.join(GITLAB_METRICS)}")
    step = INTERVALS.get(interval or "daily")
    if step is None:
        raise ValidationFailed.at("/query/interval", "must be one of all, monthly, daily")
    tiers = tuple(environment_tiers) or ("production",)
    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        raise ValidationFailed.at("/query/environment_tiers", f"{unknown[0]!r} is not one of {', '.join(TIERS)}")
    end = _date(end_date, "end_date", today)
    start = _date(start_date, "start_date", _months_before(end, 3))
    if start > end:
        raise ValidationFailed.at("/query/start_date", "must not be after end_date")
    envs = tuple(e for e in store.environments() if e is not None and environment_tier(e) in tiers)
    window = Window(_midnight(start), _midnight(end + timedelta(days=1)))
    filters = MetricFilters(
        envs=envs, services=(name,) if subject == "project" else (), teams=(name,) if subject == "group" else ()
    )
    ours = GITLAB_METRICS[metric]
    spans = buckets(window, step)
    if not envs:
        # No environment of these tiers (an empty env filter would mean any env): nothing happened in them.
        empty = 0 if ours == "deployment_frequency" else None
        return _dated(spans, [empty] * len(spans), empty, step)
    request = MetricsRequest(window, step, filters, None, config.tier_year)
    report = compute_metrics(store=store, config=config, request=request, metrics=[ours])
    values, headline = _values(report.groups[0], ours, len(spans))
    return _dated(spans, values, headline, step)


def _dated(spans: list[Bucket], values: list[Any], headline: Any, step: Interval) -> list[dict[str, Any]]:
    if step is Interval.ALL:
        return [{"date": None, "value": headline}]
    return [
        {"date": datetime.fromtimestamp(span.start // 10**9, tz=UTC).date().isoformat(), "value": value}
        for span, value in zip(spans, values, strict=True)
    ]


def _values(group: GroupResult, metric: MetricName, size: int) -> tuple[list[Any], Any]:
    values: list[Any]
    headline: Any
    if metric == "deployment_frequency" and group.deployment_frequency is not None:
        values = [p.value for p in group.deployment_frequency.series]
        headline = group.deployment_frequency.headline.count
    elif metric == "change_failure_rate" and group.change_failure_rate is not None:
        result = group.change_failure_rate
        values = [result.value(p.value).value for p in result.series]
        headline = result.value().value
    elif metric == "time_to_restore" and group.time_to_restore is not None:
        values = [_seconds(p.value.distribution.median) for p in group.time_to_restore.series]
        headline = _seconds(group.time_to_restore.headline.distribution.median)
    elif metric == "change_lead_time" and group.change_lead_time is not None:
        values = [_seconds(p.value.distribution.median) for p in group.change_lead_time.series]
        headline = _seconds(group.change_lead_time.headline.distribution.median)
    else:
        values = [None] * size
        headline = None
    return values, headline


def _seconds(ns: float | None) -> float | None:
    return None if ns is None else ns / 10**9
