"""The events behind a number, and one deployment or failure with its evidence.

A list is ``list_metric_events``, item for item what ``GET /api/v1/metrics/{metric}/events`` returns; a deployment
comes with its change-failure reasons, remediation, the failures blamed on it and the commits it shipped (with
their lead times); a failure with the deployments it is attributed to.
"""

from __future__ import annotations

from typing import Any

from doralens.api.serialize import deployment_object, event_object, failure_object
from doralens.domain.timestamps import format_rfc3339
from doralens.errors import NotFound, ValidationFailed
from doralens.gitdata.records import SqlLeadTimeStore
from doralens.gitdata.uploaded import SqlCommitStore
from doralens.metrics.config import EngineConfig
from doralens.metrics.events import list_metric_events, subsets
from doralens.metrics.leadtime import record_json
from doralens.metrics.refresh import refresh
from doralens.metrics.request import METRICS, MetricName, MetricsRequest
from doralens.store.base import EventStore
from doralens.web.present import TITLES

PAGE_SIZE = 50
SUBSET_TITLES = {
    "all": "all",
    "numerator": "counted in the numerator",
    "denominator": "the denominator",
    "incidents": "failures (incident ratio)",
    "resolved": "resolved",
    "open": "still open",
    "measured": "measured",
    "no_baseline": "without a baseline",
    "not_measured": "not measured",
}


def metric_name(text: str) -> MetricName:
    """A metric named in a URL path, or 404."""
    for metric in METRICS:
        if metric == text:
            return metric
    raise NotFound()


def events(
    *, store: EventStore, engine: EngineConfig, request: MetricsRequest, metric: MetricName, subset: str, page: int
) -> dict[str, Any]:
    """One page of the events behind ``metric`` (newest first)."""
    if page < 1:
        raise ValidationFailed.at("/query/page", "must be 1 or more")
    found = list_metric_events(
        store=store,
        config=engine,
        request=request,
        metric=metric,
        subset=subset,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return {
        "metric": metric,
        "title": TITLES[metric],
        "subset": subset,
        "subsets": [{"key": s, "title": SUBSET_TITLES.get(s, s)} for s in subsets(metric)],
        "kind": found.kind,
        "page": page,
        "page_size": PAGE_SIZE,
        "more": len(found.items) == PAGE_SIZE,
        "data": [event_object(item) for item in found.items],
    }


def deployment(*, store: EventStore, engine: EngineConfig, deployment_id: str) -> dict[str, Any]:
    """A deployment with its verdict, attributed failures, remediation and lead time (with commit subjects)."""
    found = store.get_deployment(deployment_id)
    if found is None:
        raise NotFound()
    refresh(store=store, config=engine, envs=[found.env])
    verdict = store.verdicts_of([found.id]).get(found.id)
    attributions = store.attributions_to([found.id])
    body = deployment_object(found, verdict, attributions)
    record = SqlLeadTimeStore(store.backend).load([found.id]).get(found.id)
    lead_time = record_json(record) if record is not None else None
    if lead_time is not None:
        subjects = SqlCommitStore(store.backend).subjects([c["sha"] for c in lead_time["commits"]])
        for commit in lead_time["commits"]:
            commit["subject"] = subjects.get(commit["sha"])
    failure_ids = sorted({a.failure_id for a in attributions})
    failures = [f for f in (store.get_failure(i) for i in failure_ids) if f is not None]
    return {"data": body, "lead_time": lead_time, "failures": [failure_object(f) for f in failures]}


def failure(*, store: EventStore, engine: EngineConfig, failure_id: str) -> dict[str, Any]:
    """A failure with the deployments it is attributed to, and the user's override if any."""
    found = store.get_failure(failure_id)
    if found is None:
        raise NotFound()
    refresh(store=store, config=engine, envs=[found.env])
    attributions = store.attributions_from([found.id])
    override = store.attribution_override(found.id)
    return {
        "data": failure_object(found, attributions),
        "override": None
        if override is None
        else {
            "deployment_id": override.deployment_id,
            "set_by": override.set_by,
            "set_at": format_rfc3339(override.set_at),
        },
    }
