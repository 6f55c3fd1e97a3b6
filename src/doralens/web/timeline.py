"""Deployments and failures on one time axis: when a deployment failed, when it was remediated, how long each
failure lasted. The events are ``list_metric_events`` of deployment frequency and time to restore."""

from __future__ import annotations

from typing import Any

from doralens.domain.timestamps import NS_PER_SECOND, format_rfc3339, parse_rfc3339
from doralens.metrics.config import EngineConfig
from doralens.metrics.events import DeploymentEvent, FailureEvent, list_metric_events
from doralens.metrics.request import MetricsRequest
from doralens.store.base import EventStore

MAX_EVENTS = 1000


def _deployment(item: DeploymentEvent) -> dict[str, Any]:
    d, verdict = item.deployment, item.verdict
    recovered = None
    if verdict.recovery_ns is not None:
        recovered = format_rfc3339(d.finished_at + verdict.recovery_ns)
    return {
        "id": d.id,
        "service": d.service,
        "env": d.env,
        "version": d.version,
        "at": format_rfc3339(d.finished_at),
        "change_failure": verdict.is_change_failure,
        "reasons": list(verdict.reasons),
        "rework": verdict.is_rework,
        "remediated_by": verdict.remediated_by,
        "recovered_at": recovered,
        "recovery_time": None if verdict.recovery_ns is None else verdict.recovery_ns / NS_PER_SECOND,
        "link": f"/deployments/{d.id}",
    }


def _failure(item: FailureEvent) -> dict[str, Any]:
    f = item.failure
    return {
        "id": f.id,
        "name": f.name,
        "services": list(f.services) or ([f"team {f.team}"] if f.team else []),
        "env": f.env,
        "severity": f.severity,
        "started": format_rfc3339(f.started_at),
        "finished": None if f.finished_at is None else format_rfc3339(f.finished_at),
        "deployments": sorted({a.deployment_id for a in item.attributions if a.deployment_id}),
        "link": f"/failures/{f.id}",
    }


def timeline(*, store: EventStore, engine: EngineConfig, request: MetricsRequest) -> dict[str, Any]:
    """The window's newest deployments and failures (up to ``MAX_EVENTS`` of each), oldest first."""
    shipped = list_metric_events(
        store=store, config=engine, request=request, metric="deployment_frequency", limit=MAX_EVENTS
    )
    failed = list_metric_events(store=store, config=engine, request=request, metric="time_to_restore", limit=MAX_EVENTS)
    deployments = [_deployment(i) for i in reversed(shipped.items) if isinstance(i, DeploymentEvent)]
    failures = [_failure(i) for i in reversed(failed.items) if isinstance(i, FailureEvent)]
    entries = [{"kind": "deployment", "at": d["at"], **d} for d in deployments]
    entries += [{"kind": "failure", "at": f["started"], **f} for f in failures]
    entries.sort(key=lambda e: (parse_rfc3339(e["at"]), e["id"]))
    return {
        "from": format_rfc3339(request.window.start),
        "to": format_rfc3339(request.window.end),
        "deployments": deployments,
        "failures": failures,
        "entries": entries[::-1],
        "truncated": len(shipped.items) == MAX_EVENTS or len(failed.items) == MAX_EVENTS,
        "max_events": MAX_EVENTS,
    }
