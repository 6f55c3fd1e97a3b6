"""The DORA gauges of a scrape, computed with the query API's own functions and cached for a short while.

Every window ends at the scrape (to the whole second) and is computed for the totals and each configured
grouping, exactly as ``GET /api/v1/metrics?from=…&to=…&group_by=…`` would answer. The result is kept for
``cache_seconds`` so frequent scrapes (several Prometheus servers, several workers) do not recompute on a big
database; concurrent scrapes wait for the one computation rather than each starting their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric

from doralens.config import Settings
from doralens.config_prometheus import window_seconds
from doralens.domain.timestamps import NS_PER_SECOND, format_rfc3339
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.request import build_request
from doralens.prometheus.dora import WindowReport, dora_families
from doralens.store.base import EventStore
from doralens.store.records import GroupBy

log = logging.getLogger("doralens.prometheus")


@dataclass(frozen=True)
class DoraExport:
    """What the DORA gauges cover: windows (labels such as ``30d``), groupings, env filter, cache lifetime."""

    windows: tuple[str, ...] = ("30d",)
    group_by: tuple[GroupBy, ...] = ("service", "env", "team")
    envs: tuple[str, ...] = ()
    cache_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DoraExport:
        """What the server's settings ask the export to cover."""
        return cls(
            windows=settings.prometheus_windows,
            group_by=settings.prometheus_group_by,
            envs=settings.prometheus_envs,
            cache_seconds=settings.prometheus_cache_seconds,
        )


def _gauge(name: str, documentation: str, samples: Sequence[tuple[dict[str, str], float]]) -> Metric:
    family = Metric(name, documentation, "gauge")
    for labels, value in samples:
        family.add_sample(name, labels, value)
    return family


class DoraCollector:
    """A prometheus_client collector of the DORA gauges; ``clock`` gives the time in ns (injectable for tests)."""

    def __init__(
        self,
        *,
        store: EventStore,
        config: EngineConfig,
        export: DoraExport,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._store = store
        self._config = config
        self._export = export
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: list[Metric] | None = None
        self._computed_at = 0

    def describe(self) -> list[Metric]:
        """Nothing to declare up front: registering must not query the database."""
        return []

    def collect(self) -> list[Metric]:
        """The gauges, from the cache while it is fresh, else computed now."""
        with self._lock:
            now = self._clock()
            ttl = int(self._export.cache_seconds * NS_PER_SECOND)
            if self._cached is not None and self._computed_at <= now < self._computed_at + ttl:
                return self._cached
            try:
                families = self._compute(now)
            except Exception:
                # A scrape still gets the request counters and says the DORA figures are missing; the next one
                # tries again.
                log.exception("computing the DORA metrics for /metrics failed")
                self._cached = None
                return [self._up(0)]
            self._cached, self._computed_at = families, now
            return families

    def _up(self, value: int) -> Metric:
        return _gauge(
            "doralens_dora_up",
            "1 when the DORA gauges could be computed from the database; 0 when not (they are then left out).",
            [({}, value)],
        )

    def _compute(self, now: int) -> list[Metric]:
        started = time.perf_counter()
        end = now - now % NS_PER_SECOND
        reports: list[WindowReport] = []
        for label in self._export.windows:
            start = end - window_seconds(label) * NS_PER_SECOND
            for grouping in (None, *self._export.group_by):
                request = build_request(
                    now=end,
                    default_tier_year=self._config.tier_year,
                    start=format_rfc3339(start),
                    end=format_rfc3339(end),
                    interval="all",
                    env=self._export.envs,
                    group_by=grouping,
                )
                report = compute_metrics(store=self._store, config=self._config, request=request)
                reports.append(WindowReport(label, report))
        windows = [({"window": label}, float(window_seconds(label))) for label in self._export.windows]
        return [
            self._up(1),
            _gauge(
                "doralens_dora_window_end_timestamp_seconds",
                "When the DORA gauges were computed (Unix time): every window ends then. They are reused for "
                "DORALENS_PROMETHEUS_CACHE_SECONDS.",
                [({}, end / NS_PER_SECOND)],
            ),
            _gauge("doralens_dora_window_seconds", "Length of each window of the DORA gauges.", windows),
            _gauge(
                "doralens_dora_compute_duration_seconds",
                "How long computing the DORA gauges took, for tuning DORALENS_PROMETHEUS_CACHE_SECONDS.",
                [({}, time.perf_counter() - started)],
            ),
            *dora_families(reports),
        ]
