"""``GET /api/v1/metrics`` over two years of events, against a bare SQL scan of the same rows in the same run.

Generates deployments and failures for 200 services in three envs over two years (default 1,000,000 and
100,000, and a tenth of that to measure scaling), computes the derived state once (the initial refresh, timed),
then times the endpoint for a 90-day window: unfiltered, one env, one service, and unfiltered with a weekly series.
The bare scan is hand-written SQL reading the same rows: one aggregate pass over the window's deployments, its
failures and its change failures, without grouping or percentiles.

Targets (issue "The metrics engine"): median <= 150 ms unfiltered and <= 20 ms for one service on SQLite,
<= 3x the bare scan, and the time at 1M <= 12x the time at 100k.
Usage: ``python bench/metrics.py [--scales 100000:10000,1000000:100000] [--deployments N --failures N]
[--backends sqlite,postgres] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench.common import fresh_database, report, summary, timings_ms
from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.domain.timestamps import format_rfc3339
from doralens.metrics.config import EngineConfig
from doralens.metrics.refresh import refresh
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore

SERVICES = 200
ENVS = ("prod", "staging", "dev")
TEAMS = 20
SECOND = 10**9
DAY = 86_400 * SECOND
START_NS = 1_672_531_200 * SECOND  # 2023-01-01
SPAN_NS = 730 * DAY
END_NS = START_NS + SPAN_NS
WINDOW = (END_NS - 90 * DAY, END_NS)
BATCH = 20_000
API_KEY, APP_KEY = "a" * 32, "b" * 32
CASES: dict[str, dict[str, str]] = {
    "unfiltered": {"interval": "all"},
    "one_env": {"interval": "all", "env": "prod"},
    "one_service": {"interval": "all", "service": "svc-007"},
    "unfiltered_weekly": {"interval": "week"},
}


def _deployment_rows(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Deployments stream by stream, in time order, with redeploys, rollbacks and hotfixes among them."""
    streams = [(s, e) for s in range(SERVICES) for e in ENVS]
    weights = [rng.uniform(0.5, 1.5) for _ in streams]
    total = sum(weights)
    made = 0
    for index, ((service, env), weight) in enumerate(zip(streams, weights, strict=True)):
        n = count - made if index == len(streams) - 1 else round(count * weight / total)
        made += n
        finished = sorted(START_NS + rng.randrange(SPAN_NS) for _ in range(n))
        history: list[str] = []
        for number, at in enumerate(finished):
            roll = rng.random()
            if history and roll < 0.03:
                version = history[-1]  # a redeploy
            elif len(history) > 2 and roll < 0.05:
                version = history[-rng.randrange(2, min(6, len(history)) + 1)]  # a rollback
            elif history and roll < 0.07:
                version = f"{history[-1]}-hotfix"
            else:
                version = f"{number}.0.0"
            history.append(version)
            yield {
                "id": f"{service:03d}{env[0]}{number:012x}",
                "service": f"svc-{service:03d}",
                "env": env,
                "team": f"team-{service % TEAMS:02d}",
                "version": version,
                "started_at": at - rng.randrange(60, 1800) * SECOND,
                "finished_at": at,
                "custom_tags": "[]",
                "received_at": at,
                "updated_at": at,
            }


def _failure_rows(count: int, rng: random.Random) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Failures of one service (four in five) or two, lasting minutes to days, a few still open."""
    for number in range(count):
        started = START_NS + rng.randrange(SPAN_NS)
        services = rng.sample(range(SERVICES), 2 if rng.random() < 0.2 else 1)
        duration = max(60 * SECOND, int(rng.expovariate(1 / (2 * 3600)) * SECOND))
        row = {
            "id": f"failure-{number:010d}",
            "severity": rng.choice(("SEV-1", "SEV-2", "SEV-3")),
            "env": rng.choice(ENVS),
            "team": f"team-{services[0] % TEAMS:02d}",
            "started_at": started,
            "finished_at": None if rng.random() < 0.03 else started + duration,
            "custom_tags": "[]",
            "received_at": started,
            "updated_at": started,
        }
        yield row, [f"svc-{s:03d}" for s in services]


def _insert(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        names, values = ", ".join(columns), ", ".join(f":{c}" for c in columns)
        conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), rows)


def generate(store: SqlEventStore, deployments: int, failures: int, seed: int = 7) -> float:
    """Bulk-load events (as migration 0004 finds old ones: every stream dirty); return seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for row in _deployment_rows(deployments, rng):
        batch.append(row)
        if len(batch) == BATCH:
            with store.backend.write() as conn:
                _insert(conn, "deployments", batch)
            batch = []
    with store.backend.write() as conn:
        _insert(conn, "deployments", batch)
    rows: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    for row, names in _failure_rows(failures, rng):
        rows.append(row)
        services.extend({"failure_id": row["id"], "service": name} for name in names)
        if len(rows) == BATCH:
            with store.backend.write() as conn:
                _insert(conn, "failures", rows)
                _insert(conn, "failure_services", services)
            rows, services = [], []
    with store.backend.write() as conn:
        _insert(conn, "failures", rows)
        _insert(conn, "failure_services", services)
        conn.execute(
            text(
                "INSERT INTO deployment_streams (service, env_key, team_key) "
                "SELECT DISTINCT service, COALESCE(env, ''), COALESCE(team, '') FROM deployments"
            )
        )
        conn.execute(
            text(
                "INSERT INTO dirty_streams (service, env_key, since, token) SELECT service, COALESCE(env, ''), "
                "MIN(finished_at), 'bulk-load' FROM deployments GROUP BY service, COALESCE(env, '')"
            )
        )
    return time.perf_counter() - started


def analyze(store: SqlEventStore) -> None:
    """Fresh planner statistics (and, on PostgreSQL, a visibility map for index-only scans)."""
    if store.backend.name == "postgresql":
        with store.backend.reader.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.backend.write() as conn:
            conn.exec_driver_sql("ANALYZE")


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
        where_f.append("id IN (SELECT failure_id FROM failure_services WHERE service = :service)")
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
        settings = Settings(database_url=url, api_key=API_KEY, app_key=APP_KEY)
        engine = EngineConfig.from_settings(settings)
        initial = refresh(store=store, config=engine, max_rounds=1000)
        analyze(store)
        create_key(store, kind="api", name="bench", secret=API_KEY)
        create_key(store, kind="app", name="bench", secret=APP_KEY)
        window = {"from": format_rfc3339(WINDOW[0]), "to": format_rfc3339(WINDOW[1])}
        cases: dict[str, Any] = {}
        with TestClient(
            create_app(settings, store), headers={"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
        ) as client:
            for name, case in CASES.items():
                params = {**window, **case}
                first = client.get("/api/v1/metrics", params=params)
                assert first.status_code == 200, first.text
                body = first.json()["metrics"]
                ours = summary(timings_ms(lambda p=params: client.get("/api/v1/metrics", params=p), repeat))
                bare = summary(timings_ms(lambda c=case: bare_scan(store, c), repeat))
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
