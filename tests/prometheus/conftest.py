"""Helpers of the Prometheus export tests: a clock to set, and a collector's output as a dictionary."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from tests.builders import ts
from tests.prometheus.expect import Series

APRIL = ts("2024-04-01T00:00:00Z")  # a 31-day window ending here is the scenario's March


class Clock:
    """The time a collector sees, in ns; tests move it."""

    def __init__(self, now: int = APRIL) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def series(families: Iterable[Metric]) -> Series:
    """Every sample of some families, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value for family in families for s in family.samples}


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    """The key of one series in ``series()``."""
    return name, frozenset(labels.items())
