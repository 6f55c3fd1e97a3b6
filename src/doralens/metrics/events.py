"""The events behind a number: the deployments or failures a metric counted, with the evidence for each.

Each metric names its subsets: ``all`` (the denominator, or every sample), ``numerator`` for rates, ``incidents``
(the failures of the incident ratio) for the change failure rate, ``open`` and ``resolved`` for time to restore,
``measured`` for recovery time. Deployments come with their change-failure reasons, remediation, rework reasons
and the failures attributed to them; failures with their attribution (method and confidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from doralens.domain.events import Deployment, Failure
from doralens.errors import ValidationFailed
from doralens.gitdata.leadtime import DeploymentLeadTime
from doralens.metrics.config import EngineConfig
from doralens.metrics.leadtime import LEAD_TIME_SUBSETS, lead_time_deployments
from doralens.metrics.refresh import refresh
from doralens.metrics.request import MetricName, MetricsRequest
from doralens.store.base import EventStore
from doralens.store.protocols import DeploymentSubset, FailureSubset
from doralens.store.records import StoredAttribution, StoredVerdict

MAX_EVENTS = 1000
Kind = Literal["deployment", "failure"]
_SUBSETS: dict[str, dict[str, tuple[Kind, str]]] = {
    "deployment_frequency": {"all": ("deployment", "all")},
    "change_failure_rate": {
        "all": ("deployment", "all"),
        "denominator": ("deployment", "all"),
        "numerator": ("deployment", "change_failures"),
        "incidents": ("failure", "all"),
    },
    "deployment_rework_rate": {
        "all": ("deployment", "all"),
        "denominator": ("deployment", "all"),
        "numerator": ("deployment", "rework"),
    },
    "failed_deployment_recovery_time": {
        "all": ("deployment", "change_failures"),
        "measured": ("deployment", "recovered"),
    },
    "time_to_restore": {"all": ("failure", "all"), "resolved": ("failure", "resolved"), "open": ("failure", "open")},
    "change_lead_time": {name: ("deployment", name) for name in LEAD_TIME_SUBSETS},
}


@dataclass(frozen=True)
class DeploymentEvent:
    """A deployment behind a number, with its verdict and the failures attributed to it."""

    deployment: Deployment
    verdict: StoredVerdict
    attributions: list[StoredAttribution]
    lead_time: DeploymentLeadTime | None = None


@dataclass(frozen=True)
class FailureEvent:
    """A failure behind a number, with its attribution rows."""

    failure: Failure
    attributions: list[StoredAttribution]


@dataclass(frozen=True)
class EventsPage:
    """One page of the events behind a metric."""

    metric: MetricName
    subset: str
    kind: Kind
    items: list[DeploymentEvent | FailureEvent]
    limit: int
    offset: int


def subsets(metric: MetricName) -> tuple[str, ...]:
    """The subsets a metric's events can be listed by."""
    return tuple(_SUBSETS.get(metric, {}))


def list_metric_events(
    *,
    store: EventStore,
    config: EngineConfig,
    request: MetricsRequest,
    metric: MetricName,
    subset: str = "all",
    limit: int = 100,
    offset: int = 0,
) -> EventsPage:
    """The events (newest first) that the metric counted in the question's window with its filters."""
    choices = _SUBSETS[metric]
    if subset not in choices:
        raise ValidationFailed.at("/query/subset", f"must be one of {', '.join(choices)}")
    if not 1 <= limit <= MAX_EVENTS:
        raise ValidationFailed.at("/query/limit", f"must be between 1 and {MAX_EVENTS}")
    if offset < 0:
        raise ValidationFailed.at("/query/offset", "must not be negative")
    refresh(store=store, config=config, envs=request.filters.refresh_envs)
    kind, narrowed = choices[subset]
    scope = request.scope()
    items: list[DeploymentEvent | FailureEvent] = []
    if metric == "change_lead_time":
        shipped, records = lead_time_deployments(store, request, narrowed, limit=limit, offset=offset)
        verdicts = store.verdicts_of([d.id for d in shipped])
        items.extend(_deployment_events(store, [(d, verdicts.get(d.id, StoredVerdict())) for d in shipped], records))
    elif kind == "deployment":
        rows = store.metric_deployments(scope, subset=_deployment_subset(narrowed), limit=limit, offset=offset)
        items.extend(_deployment_events(store, rows, {}))
    else:
        found = store.metric_failures(scope, subset=_failure_subset(narrowed), limit=limit, offset=offset)
        by_failure: dict[str, list[StoredAttribution]] = {}
        for attribution in store.attributions_from([f.id for f in found]):
            by_failure.setdefault(attribution.failure_id, []).append(attribution)
        items.extend(FailureEvent(f, by_failure.get(f.id, [])) for f in found)
    return EventsPage(metric, subset, kind, items, limit, offset)


def _deployment_events(
    store: EventStore, rows: list[tuple[Deployment, StoredVerdict]], records: dict[str, DeploymentLeadTime]
) -> list[DeploymentEvent]:
    links: dict[str, list[StoredAttribution]] = {}
    for attribution in store.attributions_to([d.id for d, _ in rows]):
        links.setdefault(attribution.deployment_id or "", []).append(attribution)
    return [DeploymentEvent(d, v, links.get(d.id, []), records.get(d.id)) for d, v in rows]


def _deployment_subset(name: str) -> DeploymentSubset:
    options: dict[str, DeploymentSubset] = {
        "all": "all",
        "change_failures": "change_failures",
        "rework": "rework",
        "recovered": "recovered",
    }
    return options[name]


def _failure_subset(name: str) -> FailureSubset:
    options: dict[str, FailureSubset] = {"all": "all", "resolved": "resolved", "open": "open"}
    return options[name]
