"""Our own query API over the metrics (``/api/v1/metrics``): the DORA metrics, one of them, or the events
behind a number. API and application keys required, as for Datadog reads."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from doralens.api.auth import AppKey
from doralens.api.deps import EngineDep, StoreDep
from doralens.api.errors import api_json
from doralens.api.serialize import event_object
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.events import list_metric_events
from doralens.metrics.reads import timed, was_quick
from doralens.metrics.report import report_json
from doralens.metrics.request import METRICS, MetricName, MetricsRequest, build_request
from doralens.store.base import EventStore

router = APIRouter(prefix="/api/v1/metrics", tags=["Metrics"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `source.pointer` names the parameter (`/query/from`, ...)"},
    403: {"description": "Forbidden: missing or unknown API or application key"},
}

Values = list[str] | None

# An answer that took less than this the last time for a question of the same shape runs on the event loop: the
# hand-off to a worker thread and back costs about 0.4 ms, a tenth of a narrow question's whole answer. Slower
# ones (and the first of each shape) run in a worker thread, so a long read does not hold other requests up.
INLINE_ANSWER_BELOW_SECONDS = 0.010


async def metrics_request(
    engine: EngineDep,
    start: Annotated[
        str | None,
        Query(alias="from", description="Start (inclusive): RFC 3339, a date (UTC midnight), or an age such as 30d."),
    ] = None,
    to: Annotated[
        str | None, Query(description="End (exclusive), same forms; default now. Default window 90 days.")
    ] = None,
    interval: Annotated[
        str, Query(description="Series buckets (UTC): day, week (from Monday), month or all.")
    ] = "week",
    env: Annotated[Values, Query(description="Environments; repeat the parameter for several.")] = None,
    service: Annotated[Values, Query(description="Services; a failure matches when it impacts one.")] = None,
    team: Annotated[Values, Query(description="Teams.")] = None,
    repository: Annotated[Values, Query(description="Repository ids such as github.com/org/repo.")] = None,
    severity: Annotated[Values, Query(description="Failure severities; narrows failure-based numbers only.")] = None,
    tag: Annotated[Values, Query(description="Custom tags, key:value.")] = None,
    query: Annotated[str | None, Query(description="Datadog search syntax, applied to both event kinds.")] = None,
    group_by: Annotated[str | None, Query(description="service, team or env: one block per group.")] = None,
    tier_year: Annotated[int | None, Query(description="State of DevOps report for tiers: 2024 or 2023.")] = None,
) -> MetricsRequest:
    """The question the query parameters ask (shared by every metrics endpoint)."""
    return build_request(
        now=time.time_ns(),
        default_tier_year=engine.tier_year,
        start=start,
        end=to,
        interval=interval,
        env=env or (),
        service=service or (),
        team=team or (),
        repository=repository or (),
        severity=severity or (),
        tag=tag or (),
        query=query,
        group_by=group_by,
        tier_year=tier_year,
    )


Question = Annotated[MetricsRequest, Depends(metrics_request)]
Metric = Annotated[MetricName, Path(description="A metric name, as the keys of GET /api/v1/metrics.")]


@router.get("", summary="The DORA metrics: headline, tier, sample size and series of each", responses=_ERRORS)
async def get_metrics(_: AppKey, store: StoreDep, engine: EngineDep, question: Question) -> JSONResponse:
    """Deployment frequency, change lead time, change failure rate, failed deployment recovery time, deployment
    rework rate and time to restore, each with its sample size and links to the events behind it."""
    return await answer(store, engine, question, METRICS)


@router.get("/{metric}", summary="One DORA metric", responses=_ERRORS)
async def get_metric(metric: Metric, _: AppKey, store: StoreDep, engine: EngineDep, question: Question) -> JSONResponse:
    """The same answer as ``GET /api/v1/metrics``, for one metric only."""
    return await answer(store, engine, question, (metric,))


async def answer(
    store: EventStore, engine: EngineConfig, question: MetricsRequest, metrics: Collection[MetricName]
) -> JSONResponse:
    """The metrics asked for, computed where its shape was quick enough the last time (see above)."""
    window = question.window
    shape = (
        "answer",
        tuple(metrics),
        question.filters,
        question.group_by,
        question.interval,
        window.end - window.start,
    )

    def work() -> JSONResponse:
        return api_json(report_json(compute_metrics(store=store, config=engine, request=question, metrics=metrics)))

    if was_quick(shape, INLINE_ANSWER_BELOW_SECONDS):
        return timed(work, shape)
    return await run_in_threadpool(timed, work, shape)


@router.get("/{metric}/events", summary="The events behind a metric", responses=_ERRORS)
def get_metric_events(
    metric: Metric,
    _: AppKey,
    store: StoreDep,
    engine: EngineDep,
    question: Question,
    subset: Annotated[str, Query(description="all, numerator, incidents, resolved, open or measured.")] = "all",
    limit: Annotated[int, Query(description="At most this many (1 to 1000).")] = 100,
    offset: Annotated[int, Query(description="Skip this many (newest first).")] = 0,
) -> JSONResponse:
    """Deployments (with change-failure reasons, remediation, rework reasons, attributed failures) or failures
    (with their attribution, method and confidence) counted by the metric, newest first."""
    page = list_metric_events(
        store=store, config=engine, request=question, metric=metric, subset=subset, limit=limit, offset=offset
    )
    data = [event_object(item) for item in page.items]
    meta = {"metric": metric, "subset": subset, "kind": page.kind, "limit": limit, "offset": offset}
    return api_json({"data": data, "meta": meta})
