"""The data of the overview page (and of a service's or team's page): one card and one series per metric.

The numbers are ``report_json`` of ``compute_metrics``, exactly what ``GET /api/v1/metrics`` returns for the same
question; the previous window of the same length is asked the same way, for the trend. The two are computed one
after the other: on another thread the window before took longer, not shorter, since much of a computation is Python
holding the GIL (measured on SQLite at a million deployments, two cores).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from doralens.domain.buckets import Interval, Window
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.report import report_json
from doralens.metrics.request import METRICS, MetricsRequest
from doralens.store.base import EventStore
from doralens.web.explain import why_empty
from doralens.web.present import SHORT, SUMMARIES, TITLES, number, sample, trend

API_EVENTS = "/api/v1/metrics/"


def page_link(api_link: str) -> str:
    """The dashboard page of an API drill-down link (``/api/v1/metrics/M/events?...`` → ``/events/M?...``)."""
    parts = urlsplit(api_link)
    metric = parts.path.removeprefix(API_EVENTS).removesuffix("/events")
    return f"/events/{metric}?{parts.query}"


def _main_link(block: dict[str, Any]) -> str:
    events = block["events"]
    return page_link(events if isinstance(events, str) else events["numerator"])


def card(metric: str, block: dict[str, Any], before: dict[str, Any], *, filtered: bool) -> dict[str, Any]:
    """One metric's card: value in words, tier, trend, sample, drill-down links and why it may be empty."""
    unit = block.get("unit", "deployments")
    shown = None if block.get("insufficient_data") else block.get("value")
    events = block["events"]
    links = (
        {"all": page_link(events)}
        if isinstance(events, str)
        else {name: page_link(link) for name, link in events.items()}
    )
    return {
        "metric": metric,
        "title": TITLES[metric],
        "summary": SUMMARIES[metric],
        "value": shown,
        "display": "insufficient data" if shown is None else number(shown, unit),
        "unit": unit,
        "n": block["n"],
        "sample": sample(metric, block),
        "tier": block.get("tier"),
        "tier_reason": block.get("tier_reason"),
        "trend": trend(metric, block, before),
        "why_empty": why_empty(metric, block, filtered=filtered),
        "events": _main_link(block),
        "links": links,
    }


def chart(metric: str, block: dict[str, Any]) -> dict[str, Any]:
    """One metric's series for the browser to draw: bucket starts, values, and each point's drill-down."""
    unit = block.get("unit", "deployments")
    points = block["series"]
    return {
        "id": f"chart-{metric}",
        "metric": metric,
        "title": SHORT[metric],
        "kind": "bar" if metric == "deployment_frequency" else "line",
        "unit": unit,
        "x": [p["start"] for p in points],
        "y": [None if p.get("insufficient_data") else p["value"] for p in points],
        "text": [number(None if p.get("insufficient_data") else p["value"], unit) for p in points],
        "n": [p["n"] for p in points],
        "links": [_main_link(p) for p in points],
    }


def previous_question(request: MetricsRequest) -> MetricsRequest:
    """The same question over the window of the same length just before it, as one bucket."""
    length = request.window.end - request.window.start
    return replace(request, window=Window(request.window.start - length, request.window.start), interval=Interval.ALL)


def overview(*, store: EventStore, engine: EngineConfig, request: MetricsRequest, filtered: bool) -> dict[str, Any]:
    """Cards and charts of every metric for the question, with the previous window's headlines."""
    report = report_json(compute_metrics(store=store, config=engine, request=request))
    before = report_json(compute_metrics(store=store, config=engine, request=previous_question(request)))
    previous = {
        "from": before["from"],
        "to": before["to"],
        "metrics": {m: {k: v for k, v in b.items() if k != "series"} for m, b in before["metrics"].items()},
    }
    metrics = report["metrics"]
    return {
        "report": report,
        "previous": previous,
        "cards": [card(m, metrics[m], previous["metrics"][m], filtered=filtered) for m in METRICS],
        "charts": [chart(m, metrics[m]) for m in METRICS],
    }
