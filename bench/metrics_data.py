"""Two years of DORA events for the metrics benchmark, bulk-loaded the way migration 0004 finds old events.

200 services in three envs (20 teams); per stream, deployments in time order with redeploys (3%), rollbacks
(2%) and hotfixes (2%); failures of one service (four in five) or two, lasting minutes to days, 3% still open.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import text

from doralens.store.sql import SqlEventStore

SERVICES = 200
ENVS = ("prod", "staging", "dev")
TEAMS = 20
SECOND = 10**9
DAY = 86_400 * SECOND
START_NS = 1_672_531_200 * SECOND  # 2023-01-01
SPAN_NS = 730 * DAY
END_NS = START_NS + SPAN_NS
BATCH = 20_000


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
        services.extend({"failure_id": row["id"], "service": name, "started_at": row["started_at"]} for name in names)
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
