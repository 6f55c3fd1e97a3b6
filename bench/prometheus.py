"""A ``/metrics`` scrape (the DORA gauges of a 30-day window, totals and three groupings) against the metrics
reads it stands for, in the same run.

Generates deployments and failures for 200 services in three envs (bench/metrics_data.py; default 100,000 and
10,000), computes the derived state once, then times, in process and without HTTP: one read of the metrics API's
report (the totals), the four reads a scrape makes (totals, by service, by env, by team), a scrape that computes
(cache off) and one served from the cache. The scrape should cost no more than its four reads (the exposition
adds little, and it skips the JSON), and a cached scrape only the formatting of its lines.
Usage: ``python bench/prometheus.py [--deployments N --failures N] [--backends sqlite,postgres] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import generate_latest

from bench.common import fresh_database, report, summary, timings_ms
from bench.metrics_data import DAY, END_NS, analyze, generate
from doralens.domain.timestamps import format_rfc3339
from doralens.metrics.compute import compute_metrics
from doralens.metrics.config import EngineConfig
from doralens.metrics.refresh import refresh
from doralens.metrics.report import report_json
from doralens.metrics.request import build_request
from doralens.prometheus.collector import DoraCollector, DoraExport
from doralens.prometheus.telemetry import ServerMetrics
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore

GROUPINGS = (None, "service", "env", "team")


def _read(store: SqlEventStore, engine: EngineConfig, group_by: str | None) -> dict[str, Any]:
    request = build_request(
        now=END_NS,
        default_tier_year=engine.tier_year,
        start=format_rfc3339(END_NS - 30 * DAY),
        end=format_rfc3339(END_NS),
        interval="all",
        group_by=group_by,
    )
    return report_json(compute_metrics(store=store, config=engine, request=request))


def bench_backend(backend: str, deployments: int, failures: int, repeat: int) -> dict[str, Any]:
    with fresh_database(backend) as url:
        store = open_store(url)
        store.migrate()
        generate(store, deployments, failures)
        analyze(store)
        engine = EngineConfig()
        refresh(store=store, config=engine, max_rounds=1000)
        analyze(store)

        def scraper(cache_seconds: float) -> ServerMetrics:
            export = DoraExport(windows=("30d",), cache_seconds=cache_seconds)
            return ServerMetrics(DoraCollector(store=store, config=engine, export=export, clock=lambda: END_NS))

        uncached, cached = scraper(0), scraper(3600)
        body = generate_latest(uncached.registry)
        one = summary(timings_ms(lambda: _read(store, engine, None), repeat))
        four = summary(timings_ms(lambda: [_read(store, engine, g) for g in GROUPINGS], repeat))
        scrape = summary(timings_ms(lambda: generate_latest(uncached.registry), repeat))
        hit = summary(timings_ms(lambda: generate_latest(cached.registry), repeat))
        store.close()
    return {
        "deployments": deployments,
        "failures": failures,
        "exposition_bytes": len(body),
        "exposition_lines": body.count(b"\n"),
        "one_read": one,
        "four_reads": four,
        "scrape": scrape,
        "scrape_cached": hit,
        "scrape_over_four_reads_p50": round(scrape["p50_ms"] / four["p50_ms"], 2),
        "scrape_over_one_read_p50": round(scrape["p50_ms"] / one["p50_ms"], 2),
        "cached_over_scrape_p50": round(hit["p50_ms"] / scrape["p50_ms"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=100_000)
    parser.add_argument("--failures", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    for backend in args.backends.split(","):
        run = bench_backend(backend, args.deployments, args.failures, args.repeat)
        result[backend] = {
            **run,
            "checks": {
                "scrape <= 1.25x its four reads": run["scrape_over_four_reads_p50"] <= 1.25,
                "cached scrape <= 0.25x a computing one": run["cached_over_scrape_p50"] <= 0.25,
            },
        }
        print(json.dumps({backend: result[backend]["checks"]}), file=sys.stderr)
    report("prometheus", result)


if __name__ == "__main__":
    main()
