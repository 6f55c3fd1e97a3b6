"""The server's own counters, in one process: labels, starting values, and what the registry exposes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric

from doralens.prometheus.telemetry import (
    INGEST_SOURCES,
    MULTIPROC_ENV,
    ServerMetrics,
    clear_multiprocess_dir,
    multiprocess_dir,
)
from tests.prometheus.expect import scraped_value


class Fixed:
    """A collector of one gauge, standing for the DORA collector."""

    def collect(self) -> list[Metric]:
        family = Metric("doralens_dora_up", "test", "gauge")
        family.add_sample("doralens_dora_up", {}, 1)
        return [family]


def _text(metrics: ServerMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_requests_by_method_route_and_status() -> None:
    metrics = ServerMetrics(Fixed())
    metrics.request_done("GET", "/api/v1/metrics", 200, 0.02)
    metrics.request_done("GET", "/api/v1/metrics", 200, 3.0)
    metrics.request_done("BREW", "<unmatched>", 405, 0.001)
    text = _text(metrics)
    assert scraped_value(text, "doralens_http_requests_total", method="GET", route="/api/v1/metrics", status="200") == 2
    # unknown methods share one label value, so a client cannot make up series
    assert scraped_value(text, "doralens_http_requests_total", method="other", route="<unmatched>", status="405") == 1
    labels = {"method": "GET", "route": "/api/v1/metrics"}
    assert scraped_value(text, "doralens_http_request_duration_seconds_bucket", **labels, le="0.025") == 1
    assert scraped_value(text, "doralens_http_request_duration_seconds_bucket", **labels, le="+Inf") == 2
    assert scraped_value(text, "doralens_http_request_duration_seconds_sum", **labels) == pytest.approx(3.02)


def test_ingest_counters_start_at_zero_for_every_source() -> None:
    metrics = ServerMetrics(Fixed())
    metrics.event_stored("failure", "pagerduty")
    text = _text(metrics)
    for source, kinds in INGEST_SOURCES.items():
        for kind in kinds:
            expected = 1 if (kind, source) == ("failure", "pagerduty") else 0
            assert scraped_value(text, "doralens_events_ingested_total", kind=kind, source=source) == expected


def test_one_process_exposes_its_process_metrics_and_the_dora_collector() -> None:
    text = _text(ServerMetrics(Fixed()))
    assert scraped_value(text, "doralens_dora_up") == 1
    assert scraped_value(text, "process_cpu_seconds_total") is not None
    assert "_created" not in text


def test_apps_count_apart() -> None:
    first, second = ServerMetrics(Fixed()), ServerMetrics(Fixed())
    first.event_stored("deployment", "github")
    assert scraped_value(_text(second), "doralens_events_ingested_total", kind="deployment", source="github") == 0


def test_multiprocess_mode_needs_the_variable_before_prometheus_client_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    assert multiprocess_dir() is None
    # set only now, after this test process loaded prometheus_client: counters are in memory, so not multiprocess
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    assert multiprocess_dir() is None
    assert not ServerMetrics(Fixed()).multiprocess


def test_clearing_removes_counter_files_only(tmp_path: Path) -> None:
    (tmp_path / "counter_12.db").write_bytes(b"x")
    (tmp_path / "histogram_12.db").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    clear_multiprocess_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    clear_multiprocess_dir(tmp_path / "new")
    assert (tmp_path / "new").is_dir()
