"""Helpers of the end-to-end metric tests: load events into a real store, ask a question, read the JSON."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from doralens.domain.events import Deployment, Failure
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.report import report_json
from doralens.metrics.request import MetricName, build_request
from doralens.store.base import EventStore
from tests.builders import ts
from tests.metrics.scenario import MARCH

NOW = ts("2024-06-01T00:00:00Z")


def load(store: EventStore, events: Iterable[Deployment | Failure]) -> None:
    """Record events in the order given."""
    for event in events:
        if isinstance(event, Deployment):
            store.record_deployment(event)
        else:
            store.record_failure(event)


def ask(
    store: EventStore,
    *,
    start: str = MARCH[0],
    end: str = MARCH[1],
    interval: str = "all",
    config: EngineConfig | None = None,
    metrics: Iterable[MetricName] | None = None,
    **filters: Any,
) -> dict[str, Any]:
    """The report JSON of a question, computed directly (refreshing first, as every read does)."""
    request = build_request(now=NOW, default_tier_year=2024, start=start, end=end, interval=interval, **filters)
    kwargs = {"metrics": list(metrics)} if metrics is not None else {}
    report = compute_metrics(store=store, config=config or EngineConfig(), request=request, **kwargs)
    return report_json(report)


def headline(body: dict[str, Any], metric: str) -> dict[str, Any]:
    """One metric's block, without its series and links."""
    return {k: v for k, v in body["metrics"][metric].items() if k not in ("series", "events")}
