"""List deployments with a selective query over many stored deployments, against hand-written SQL.

Target (issue "Read and manage events"): ``service:x env:prod`` returning 1,000 rows out of 1,000,000 at
p50 <= 50 ms on SQLite and PostgreSQL, and <= 3x the equivalent hand-written SQL run on the same database in the
same run. Usage: ``python bench/query.py [--rows N] [--backends sqlite,postgres] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.common import fresh_database, report, summary, timings_ms
from doralens.domain.query import parse_query
from doralens.store.factory import open_store
from doralens.store.listing import ListSpec
from doralens.store.sql import SqlEventStore

SERVICES = 200
ENVS = ("prod", "staging", "dev")
START_NS = 1_672_531_200 * 10**9  # 2023-01-01
SPAN_NS = 730 * 86_400 * 10**9
QUERY = "service:svc-007 env:prod"
HAND_SQL = (
    "SELECT * FROM deployments WHERE service = :service AND env = :env ORDER BY finished_at DESC, id DESC LIMIT 1000"
)


def generate(store: SqlEventStore, rows: int, seed: int = 7) -> float:
    """Insert ``rows`` deployments (each with one custom tag) in bulk; return seconds taken."""
    rng = random.Random(seed)
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for n in range(rows):
        finished = START_NS + rng.randrange(SPAN_NS)
        deployment_id = f"{n:016x}"
        region = rng.choice(("eu", "us", "ap"))
        batch.append(
            {
                "id": deployment_id,
                "service": f"svc-{rng.randrange(SERVICES):03d}",
                "env": rng.choice(ENVS),
                "team": f"team-{rng.randrange(20):02d}",
                "version": f"v{n}",
                "started_at": finished - 300 * 10**9,
                "finished_at": finished,
                "commit_sha": None,
                "repository_url": None,
                "repository_id": None,
                "custom_tags": json.dumps([f"region:{region}"]),
                "received_at": finished,
                "updated_at": finished,
            }
        )
        tags.append({"deployment_id": deployment_id, "key": "region", "value": region})
        if len(batch) == 20_000 or n == rows - 1:
            with store.backend.write() as conn:
                conn.execute(text(_insert_sql("deployments", batch[0])), batch)
                conn.execute(text(_insert_sql("deployment_tags", tags[0])), tags)
            batch, tags = [], []
    with store.backend.write() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def _insert_sql(table: str, row: dict[str, Any]) -> str:
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({values})"


def bench_backend(backend: str, rows: int, repeat: int) -> dict[str, Any]:
    with fresh_database(backend) as url:
        store = open_store(url)
        store.migrate()
        load_seconds = generate(store, rows)
        spec = ListSpec(query=parse_query(QUERY), limit=1000)
        returned = len(store.list_deployments(spec))

        def ours() -> object:
            return store.list_deployments(spec)

        def hand_written() -> object:
            with store.backend.reader.connect() as conn:
                return conn.execute(text(HAND_SQL), {"service": "svc-007", "env": "prod"}).all()

        hand_rows = len(hand_written())  # type: ignore[arg-type]
        ours_times = timings_ms(ours, repeat)
        hand_times = timings_ms(hand_written, repeat)
        store.close()
    ours_summary, hand_summary = summary(ours_times), summary(hand_times)
    return {
        "rows_stored": rows,
        "load_seconds": round(load_seconds, 1),
        "query": QUERY,
        "rows_returned": returned,
        "hand_sql_rows": hand_rows,
        "doralens": ours_summary,
        "hand_written_sql": hand_summary,
        "ratio_p50": round(ours_summary["p50_ms"] / hand_summary["p50_ms"], 2),
        "target": "p50 <= 50 ms and ratio <= 3",
        "met": ours_summary["p50_ms"] <= 50 and ours_summary["p50_ms"] <= 3 * hand_summary["p50_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    result = {backend: bench_backend(backend, args.rows, args.repeat) for backend in args.backends.split(",")}
    report("query", result)


if __name__ == "__main__":
    main()
