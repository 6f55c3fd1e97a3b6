"""Change lead time of a metrics question: the distribution over commits, the deployments it came from, those left
out and why, the tier, a series per bucket (by the deployment's ``finished_at``), and its JSON block.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from doralens.domain.buckets import NS_PER_DAY, Bucket, SeriesPoint, Window
from doralens.domain.events import Deployment
from doralens.domain.stats import Distribution
from doralens.domain.tiers import TierResult, classify_lead_time
from doralens.domain.timestamps import format_rfc3339
from doralens.gitdata.leadtime import RETRY_STATUSES, DeploymentLeadTime
from doralens.gitdata.records import SqlLeadTimeStore
from doralens.metrics.config import EngineConfig
from doralens.metrics.durations import Summary, summaries_from_aggregates, summaries_from_samples
from doralens.metrics.request import MetricsRequest
from doralens.store.base import EventStore
from doralens.store.leadtime_metrics import NO_GIT, OK, PENDING, SqlLeadTimeMetrics
from doralens.store.records import DeploymentDay, LeadTimeDay

MEASURED = ("ok", "orphaned")
EXPLANATIONS = {
    "no_baseline": "first deployment of its service and env with git data, or the previous one came from another "
    "repository: there is nothing to measure its commits from",
    "previous_too_old": "the previous deployment of its service and env finished longer before than "
    "DORALENS_LEAD_TIME_MAX_BASELINE_AGE (60 days unless set): its range would mix unrelated work",
    "head_unknown": "the deployed commit is unknown to the server: upload commits with `doralens deployment "
    "--upload-commits`, or give the server the repository (DORALENS_GIT_REPOSITORIES or DORALENS_GIT_REMOTES)",
    "base_unknown": "the previous deployment's commit is unknown to the uploaded commits and the repositories",
    "incomplete": "the uploaded commits miss part of the range, and no repository the server reads has it",
    "unavailable": "reading the repository failed; it is tried again with the next deployment of the stream",
    NO_GIT: "sent without git.commit_sha: change lead time cannot cover them",
    PENDING: "not computed yet (the background refresh will)",
}


@dataclass(frozen=True)
class LeadTimePoint:
    """Lead time over the commits of one bucket (or the window), and the deployments that shipped them."""

    distribution: Distribution
    deployments: int  # measured deployments that shipped at least one commit


@dataclass(frozen=True)
class LeadTimeResult:
    """Change lead time: headline, deployments by lead-time status, tier, per bucket."""

    headline: LeadTimePoint
    statuses: Mapping[str, int]  # deployments of the window by status (``ok``, ``no_baseline``, ``no_git``...)
    without_new_commits: int
    truncated: int
    tier: TierResult
    series: list[SeriesPoint[LeadTimePoint]] = field(default_factory=list)


@dataclass
class GroupCounts:
    """One group's deployments as change lead time counts them: by status for the window, shipped per bucket."""

    statuses: Counter[str]
    shipped: list[int]  # measured deployments that shipped commits, per bucket
    truncated: int = 0


@dataclass(frozen=True)
class LeadTimes:
    """Every group's lead-time samples and counts, from which one group's result is made."""

    summaries: dict[str | None, tuple[Summary, list[Summary | None]]]
    counts: dict[str | None, GroupCounts]

    @property
    def groups(self) -> set[str | None]:
        """The groups with any deployment in the window."""
        return set(self.summaries) | set(self.counts)


def read_lead_times(
    store: EventStore, request: MetricsRequest, spans: list[Bucket], days: list[DeploymentDay]
) -> LeadTimes:
    """Read the question's lead-time samples and counts, given its ``deployment_days(lead_time=True)``."""
    reads = SqlLeadTimeMetrics(store.backend)
    scope, starts = request.scope(), [b.start for b in spans]
    counts: dict[str | None, GroupCounts] = {}
    records: Counter[str | None] = Counter()
    for day in days:
        found = counts.get(day.group) or counts.setdefault(day.group, GroupCounts(Counter(), [0] * len(spans)))
        lead = day.lead_time or LeadTimeDay(0, 0, 0, 0)
        found.statuses[NO_GIT] += day.deployments - lead.records - lead.pending
        found.statuses[PENDING] += lead.pending
        found.shipped[max(0, bisect_right(starts, day.day * NS_PER_DAY) - 1)] += lead.shipped
        found.truncated += lead.truncated
        records[day.group] += lead.records
    if sum(records.values()):
        others: Counter[str | None] = Counter()
        for group, status, n in reads.lead_time_statuses(scope):
            counts[group].statuses[status] += n
            others[group] += n
        for group, n in records.items():
            counts[group].statuses[OK] += n - others[group]
    summaries: dict[str | None, tuple[Summary, list[Summary | None]]] = {}
    if any(sum(c.shipped) for c in counts.values()):  # else there is no commit to read
        if reads.computes_percentiles:
            summaries = summaries_from_aggregates(reads.lead_time_aggregates(scope, bucket_starts=starts), len(spans))
        else:
            summaries = summaries_from_samples(reads.lead_time_samples(scope), starts)
    return LeadTimes(summaries, counts)


def lead_time_result(
    found: LeadTimes, group: str | None, request: MetricsRequest, spans: list[Bucket], config: EngineConfig
) -> LeadTimeResult:
    """One group's change lead time."""
    counts = found.counts.get(group) or GroupCounts(Counter(), [0] * len(spans))
    statuses = +counts.statuses  # without the statuses no deployment has
    shipped = counts.shipped
    headline_summary, per_bucket = found.summaries.get(group) or (Summary.empty(), [None] * len(spans))

    def point(summary: Summary | None, deployments: int) -> LeadTimePoint:
        return LeadTimePoint((summary or Summary.empty()).distribution(config.min_n_durations), deployments)

    headline = point(headline_summary, sum(shipped))
    measured = sum(statuses[s] for s in MEASURED)
    return LeadTimeResult(
        headline=headline,
        statuses=dict(statuses),
        without_new_commits=measured - headline.deployments,
        truncated=counts.truncated,
        tier=classify_lead_time(headline.distribution.median, report_year=request.tier_year),
        series=[SeriesPoint(b.start, b.end, point(s, n)) for b, s, n in zip(spans, per_bucket, shipped, strict=True)],
    )


def _seconds(ns: float | None) -> float | None:
    return None if ns is None else ns / 1e9


def point_json(value: LeadTimePoint) -> dict[str, Any]:
    """A lead-time value: the distribution in seconds, over ``n`` commits from ``deployments`` deployments."""
    d = value.distribution
    return {
        "value": _seconds(d.median),
        "unit": "seconds",
        "n": d.n,
        "median": _seconds(d.median),
        "p75": _seconds(d.p75),
        "p90": _seconds(d.p90),
        "mean": _seconds(d.mean),
        "max": _seconds(d.max),
        "insufficient_data": d.insufficient,
        "reason": d.reason,
        "commits": d.n,
        "deployments": value.deployments,
    }


def left_out_json(statuses: Mapping[str, int]) -> dict[str, Any]:
    """Deployments of the window whose commits do not count, by reason, each with its explanation."""
    return {
        status: {"count": statuses.get(status, 0), "explanation": EXPLANATIONS[status]}
        for status in EXPLANATIONS
        if statuses.get(status) or status in ("no_baseline", "previous_too_old")
    }


def lead_time_json(
    result: LeadTimeResult, spans: list[Window], tier: dict[str, Any] | None, link: Callable[..., str]
) -> dict[str, Any]:
    """The ``change_lead_time`` block of a report; ``link(span=...)`` makes the drill-down URL of a span."""
    series = [
        {
            "start": format_rfc3339(span.start),
            "end": format_rfc3339(span.end),
            **point_json(p.value),
            "events": link(span=span),
        }
        for span, p in zip(spans, result.series, strict=True)
    ]
    return {
        "available": True,
        **point_json(result.headline),
        "deployments_without_new_commits": result.without_new_commits,
        "truncated_deployments": result.truncated,
        "no_baseline": result.statuses.get("no_baseline", 0),
        "previous_too_old": result.statuses.get("previous_too_old", 0),
        "left_out": left_out_json(result.statuses),
        "tier": tier,
        "series": series,
        "events": link(),
    }


def record_json(record: DeploymentLeadTime) -> dict[str, Any]:
    """A deployment's lead time for drill-down: its status, what it was measured from, and each commit."""
    return {
        "status": record.status.value,
        "explanation": record.explanation,
        "previous_deployment_id": record.previous_id,
        "commit_count": record.commit_count,
        "first_commit_lead_time": _seconds(record.first_commit_lead_time),
        "truncated": record.truncated,
        "commits": [
            {
                "sha": c.sha,
                "lead_time": c.lead_time / 1e9,
                "commit_time": format_rfc3339(c.commit_time),
                "time_used": "committer" if c.rebased else "author",
            }
            for c in sorted(record.commits, key=lambda c: (-c.lead_time, c.sha))
        ],
    }


LEAD_TIME_SUBSETS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "measured": MEASURED,
    "no_baseline": ("no_baseline", "previous_too_old"),
    "not_measured": tuple(sorted(s.value for s in RETRY_STATUSES)),
}


def lead_time_deployments(
    store: EventStore, request: MetricsRequest, subset: str, *, limit: int, offset: int
) -> tuple[list[Deployment], dict[str, DeploymentLeadTime]]:
    """The deployments with lead time of a subset (newest first), and their records."""
    found = SqlLeadTimeMetrics(store.backend).lead_time_deployments(
        request.scope(), statuses=LEAD_TIME_SUBSETS[subset], limit=limit, offset=offset
    )
    return found, SqlLeadTimeStore(store.backend).load(d.id for d in found)
