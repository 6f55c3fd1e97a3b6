"""The server's own counters (requests, their durations, events ingested) and the registry ``/metrics`` shows.

With several worker processes, one scrape reaches one worker, so per-process counters would jump between
scrapes. ``doralens serve --workers N`` (N > 1) therefore runs prometheus_client's multiprocess mode: every
worker writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR`` and whichever worker is scraped adds them
all up. One process keeps them in memory and adds the usual ``process_*`` and ``python_*`` metrics, which mean
nothing summed over workers and are left out in multiprocess mode.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
# Every source and the kinds it can store: their counters start at 0, so rate() sees the first event.
INGEST_SOURCES = {
    "datadog": ("deployment", "failure"),
    "cdevents": ("deployment", "failure"),
    "github": ("deployment", "failure"),
    "gitlab": ("deployment", "failure"),
    "pagerduty": ("failure",),
}


def multiprocess_dir() -> Path | None:
    """The directory of multiprocess mode, when this process runs in it (decided when prometheus_client loaded)."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path or values.ValueClass is values.MutexValue:
        return None
    return Path(path)


def clear_multiprocess_dir(path: Path) -> None:
    """Remove the counter files of an earlier run, which would otherwise be added to this run's."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


class ServerMetrics:
    """Request and ingest counters of this app, and the registry that exposes them with the DORA gauges."""

    def __init__(self, dora: Collector) -> None:
        # The ``_created`` series would double the counters' series in one process and multiprocess mode has
        # none: leave them out everywhere (a process-wide switch of prometheus_client).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        shared = multiprocess_dir()
        self.registry = CollectorRegistry()
        own = self.registry if shared is None else None  # multiprocess counters are read back from their files
        self.requests = Counter(
            "doralens_http_requests",
            "HTTP requests answered, by method, route template (not the raw path) and status code.",
            ["method", "route", "status"],
            registry=own,
        )
        self.durations = Histogram(
            "doralens_http_request_duration_seconds",
            "Time from receiving an HTTP request to the end of its answer, by method and route template.",
            ["method", "route"],
            registry=own,
        )
        self.ingested = Counter(
            "doralens_events_ingested",
            "Events stored (new or updated), by kind (deployment, failure) and source (datadog, cdevents, github, "
            "gitlab, pagerduty).",
            ["kind", "source"],
            registry=own,
        )
        if shared is None:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        else:
            MultiProcessCollector(self.registry, path=str(shared))  # type: ignore[no-untyped-call]
        self.registry.register(dora)
        for source, kinds in INGEST_SOURCES.items():
            for kind in kinds:
                self.ingested.labels(kind, source)
        self.multiprocess = shared is not None

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        shown = method if method in HTTP_METHODS else "other"
        self.requests.labels(shown, route, str(status)).inc()
        self.durations.labels(shown, route).observe(seconds)

    def event_stored(self, kind: str, source: str) -> None:
        """Count one stored deployment or failure."""
        self.ingested.labels(kind, source).inc()
