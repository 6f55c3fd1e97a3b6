"""``GET /api/v1/metrics`` over two years of events, against a bare SQL scan of the same rows in the same run.

Generates deployments and failures for 200 services in three envs over two years (default 1,000,000 and
100,000, and a tenth of that to measure scaling), computes the derived state once (the initial refresh, timed),
then starts ``doralens serve`` on the database and times the endpoint for a 90-day window over one kept-alive
HTTP connection: unfiltered, one env, one service, and unfiltered with a weekly series. The bare scan is
hand-written SQL reading the same rows: one aggregate pass over the window's deployments, its failures and its
change failures, without grouping or percentiles, run in this process between two requests.

The requests go to a real server, not to an in-process test client: with starlette 1.x and httpx 0.28 the test
client alone takes about 6 ms a request (``/healthz`` measured 6 to 8 ms through it, 1 ms over HTTP), more than
the whole one-service answer costs the server.

Targets (issue "The metrics engine"): median <= 150 ms unfiltered and <= 20 ms for one service on SQLite,
<= 3x the bare scan, and the time at 1M <= 12x the time at 100k.
Usage: ``python bench/metrics.py [--scales 100000:10000,1000000:100000] [--deployments N --failures N]
[--backends sqlite,postgres] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.common import KeptAlive, fresh_database, paired_timings_ms, report, summary
from bench.metrics_data import DAY, END_NS, analyze, generate
from doralens.config import Settings
from doralens.domain.timestamps import format_rfc3339
from doralens.gitdata.service import engine_config
from doralens.metrics.refresh import refresh
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.servers import start_server

WINDOW = (END_NS - 90 * DAY, END_NS)
CASES: dict[str, dict[str, str]] = {
    "unfiltered": {"interval": "all"},
    "one_env": {"interval": "all", "env": "prod"},
    "one_service": {"interval": "all", "service": "svc-007"},
    "unfiltered_weekly": {"interval": "week"},
}


def bare_scan(store: SqlEventStore, case: dict[str, str]) -> Any:
    """Hand-written SQL reading the rows the endpoint reads: deployments, failures, change failures."""
    where_d, where_f = ["finished_at >= :s", "finished_at < :e"], ["started_at >= :s", "started_at < :e"]
    params: dict[str, Any] = {"s": WINDOW[0], "e": WINDOW[1]}
    if "env" in case:
        where_d.append("env = :env")
        where_f.append("env = :env")
        params["env"] = case["env"]
    if "service" in case:
        where_d.append("service = :service")
        where_f.append(
            "id IN (SELECT failure_id FROM failure_services WHERE service = :service AND started_at >= :s "
            "AND started_at < :e)"
        )
        params["service"] = case["service"]
    deployments = " AND ".join(where_d)
    with store.backend.reader.connect() as conn:
        return (
            conn.execute(
                text(
                    "SELECT count(*), sum(CAST(is_change_failure AS INTEGER)), sum(CAST(is_rework AS INTEGER)) "
                    f"FROM deployments WHERE {deployments}"
                ),
                params,
            ).one(),
            conn.execute(
                text(f"SELECT count(*), sum(finished_at - started_at) FROM failures WHERE {' AND '.join(where_f)}"),
                params,
            ).one(),
            conn.execute(
                text(f"SELECT count(*), sum(recovery_ns) FROM deployments WHERE {deployments} AND is_change_failure"),
                params,
            ).one(),
        )


def bench_scale(backend: str, deployments: int, failures: int, repeat: int) -> dict[str, Any]:
    with fresh_database(backend) as url:
        store = open_store(url)
        store.migrate()
        load_seconds = generate(store, deployments, failures)
        analyze(store)
        # The server's own engine configuration (git data plugged in), so its first read finds the state it made.
        engine, _ = engine_config(Settings(database_url=url), store.backend)
        initial = refresh(store=store, config=engine, max_rounds=1000)
        analyze(store)
        window = {"from": format_rfc3339(WINDOW[0]), "to": format_rfc3339(WINDOW[1])}
        cases: dict[str, Any] = {}
        with start_server(url) as live, KeptAlive(live.url) as client:
            headers = {"DD-API-KEY": live.api_key, "DD-APPLICATION-KEY": live.app_key}
            for name, case in CASES.items():
                params = {**window, **case}
                body = json.loads(client.get("/api/v1/metrics", params, headers))["metrics"]
                api_times, bare_times = paired_timings_ms(
                    lambda p=params: client.get("/api/v1/metrics", p, headers),
                    lambda c=case: bare_scan(store, c),
                    repeat,
                )
                ours, bare = summary(api_times), summary(bare_times)
                cases[name] = {
                    "deployments_in_window": body["deployment_frequency"]["value"],
                    "failures_in_window": body["time_to_restore"]["resolved"] + body["time_to_restore"]["open"],
                    "change_failure_rate": body["change_failure_rate"]["value"],
                    "api": ours,
                    "bare_scan": bare,
                    "ratio_p50": round(ours["p50_ms"] / bare["p50_ms"], 2),
                }
        store.close()
    return {
        "deployments": deployments,
        "failures": failures,
        "load_seconds": round(load_seconds, 1),
        "initial_refresh_seconds": round(initial.seconds, 1),
        "initial_refresh_complete": initial.complete,
        "cases": cases,
    }


def _verdicts(backend: str, runs: dict[str, Any]) -> dict[str, Any]:
    largest = runs[max(runs, key=int)]
    cases = largest["cases"]
    checks: dict[str, Any] = {"ratio_p50 <= 3": {n: c["ratio_p50"] <= 3 for n, c in cases.items()}}
    if backend == "sqlite":
        checks["unfiltered p50 <= 150 ms"] = cases["unfiltered"]["api"]["p50_ms"] <= 150
        checks["one service p50 <= 20 ms"] = cases["one_service"]["api"]["p50_ms"] <= 20
    if len(runs) > 1:
        smallest = runs[min(runs, key=int)]
        checks["scaling (largest / smallest p50)"] = {
            n: round(c["api"]["p50_ms"] / smallest["cases"][n]["api"]["p50_ms"], 2) for n, c in cases.items()
        }
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="100000:10000,1000000:100000", help="deployments:failures,...")
    parser.add_argument("--deployments", type=int, help="one scale only: this many deployments")
    parser.add_argument("--failures", type=int, help="one scale only: this many failures")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if args.deployments is not None:
        scales = [(args.deployments, args.failures if args.failures is not None else args.deployments // 10)]
    else:
        scales = [(int(d), int(f)) for d, f in (pair.split(":") for pair in args.scales.split(","))]
    result: dict[str, Any] = {}
    for backend in args.backends.split(","):
        runs = {str(d): bench_scale(backend, d, f, args.repeat) for d, f in scales}
        result[backend] = {"runs": runs, "checks": _verdicts(backend, runs)}
        print(json.dumps({backend: result[backend]["checks"]}), file=sys.stderr)
    report("metrics", result)


if __name__ == "__main__":
    main()
