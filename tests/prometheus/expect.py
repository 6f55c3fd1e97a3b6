"""What ``/metrics`` should export, read independently from ``GET /api/v1/metrics`` answers; what it did export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from doralens.domain.timestamps import NS_PER_SECOND as NS
from doralens.domain.timestamps import format_rfc3339

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]
QUANTILES = {"0.5": "median", "0.75": "p75", "0.9": "p90"}
DURATIONS = {
    "change_lead_time": "doralens_change_lead_time",
    "failed_deployment_recovery_time": "doralens_failed_deployment_recovery_time",
    "time_to_restore": "doralens_time_to_restore",
}
META = ("doralens_dora_", "doralens_http_", "doralens_events_")


def _put(found: Series, name: str, labels: dict[str, str], value: float | None) -> None:
    if value is not None:
        found[(name, frozenset(labels.items()))] = float(value)


def _block(found: Series, labels: dict[str, str], metrics: dict[str, Any]) -> None:
    _put(found, "doralens_deployments", labels, metrics["deployment_frequency"]["value"])
    for metric, prefix in DURATIONS.items():
        block = metrics[metric]
        for quantile, key in QUANTILES.items():
            _put(found, f"{prefix}_seconds", {**labels, "quantile": quantile}, block[key])
        _put(found, f"{prefix}_samples", labels, block["n"])
    cfr = metrics["change_failure_rate"]
    _put(found, "doralens_change_failure_rate", labels, cfr["value"])
    _put(found, "doralens_change_failure_rate_samples", labels, cfr["n"])
    _put(found, "doralens_change_failure_deployments", labels, cfr["change_failure_deployments"]["numerator"])
    _put(found, "doralens_failures", labels, cfr["incident_ratio"]["numerator"])
    rework = metrics["deployment_rework_rate"]
    _put(found, "doralens_deployment_rework_rate", labels, rework["value"])
    _put(found, "doralens_deployment_rework_rate_samples", labels, rework["n"])
    for metric, block in metrics.items():
        if block.get("tier"):
            _put(found, "doralens_performance_tier", {**labels, "metric": metric, "tier": block["tier"]["level"]}, 1)


def expected_series(body: dict[str, Any], window: str) -> Series:
    """The DORA series a metrics API answer stands for, under ``window``; ``null`` groups have none."""
    found: Series = {}
    grouping = body["group_by"]
    if grouping is None:
        _block(found, {"window": window}, body["metrics"])
        return found
    for group in body["groups"]:
        if group[grouping] is not None:
            _block(found, {"window": window, grouping: group[grouping]}, group["metrics"])
    return found


def scraped_series(text: str) -> Series:
    """The DORA series of a scrape (the metadata, request and ingest families left aside)."""
    found: Series = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("doralens_") and not family.name.startswith(META):
            for sample in family.samples:
                found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def scraped_value(text: str, name: str, **labels: str) -> float | None:
    """One sample of a scrape, or None when it is not there."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def questions(text: str, windows: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """The metrics API questions a scrape answered: each window (as the scrape states it) and each grouping."""
    end = scraped_value(text, "doralens_dora_window_end_timestamp_seconds")
    assert end is not None, "no window end in the scrape"
    assert end == int(end), "the windows end on a whole second"
    found = []
    for window in windows:
        length = scraped_value(text, "doralens_dora_window_seconds", window=window)
        assert length is not None, f"no window {window} in the scrape"
        span = {"from": format_rfc3339(int(end - length) * NS), "to": format_rfc3339(int(end) * NS), "interval": "all"}
        found.append((window, span))
        found.extend((window, {**span, "group_by": grouping}) for grouping in ("service", "env", "team"))
    return found


def agreement(
    text: str, windows: tuple[str, ...], ask: Callable[[dict[str, str]], dict[str, Any]]
) -> tuple[Series, Series]:
    """What the scrape exported, and what ``ask`` (``GET /api/v1/metrics`` with parameters) says it should."""
    expected: Series = {}
    for window, params in questions(text, windows):
        expected.update(expected_series(ask(params), window))
    return scraped_series(text), expected
