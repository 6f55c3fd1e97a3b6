# ruff: noqa: N999  (the name the issue gives; run as a script, never imported)
"""Import NDJSON events with ``doralens import`` into SQLite and PostgreSQL, next to a bare ``executemany`` of the
same rows into the same tables in the same run.

Targets (issue 7): >= 50,000 events/s on SQLite, a memory peak (RSS of the import process) <= 300 MB, and >= 0.5x the
bare executemany rate. The import runs as the real command in a child process: its wall time, startup included, and
its peak RSS. ``peak_rss_mb`` is ``wait4``'s, which on Linux also holds this benchmark's own peak (the high-water mark
of a process carries over across fork and exec: here the bare inserts' rows); ``peak_rss_own_mb`` is the import
process's own high-water mark, and ``peak_rss_tree_mb`` adds that of the process a large file's import starts to
read the file (the sum of the two peaks, an upper bound of their peak together), which the memory target holds. The
bare insert gets its rows ready-made and is timed around its SQL only; like the import it writes everything in one
transaction, into the product's tables with all their indexes (``ratio``). The import sets a large import's secondary
indexes aside and builds them once at the end, so it does not compare like for like with that baseline: a second
bare insert does the same (drops the indexes the import drops, inserts, creates them again, commits), and
``ratio_to_indexes_rebuilt`` compares with it. On PostgreSQL the import writes new rows with ``COPY``, the bare
inserts with ``executemany``. Each timed run starts once what the runs before it wrote is on disk (``os.sync``).
Usage: ``python bench/import.py [--events N] [--backends sqlite,postgres]``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.schema import CreateIndex, DropIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import TreeMemory, fresh_database, report
from doralens.store.bulk_indexes import DEPLOYMENT_TABLES, FAILURE_TABLES, secondary_indexes
from doralens.store.factory import open_store
from doralens.store.sqlite import BULK_CACHE_KIB

SRC = Path(__file__).resolve().parents[1] / "src"
START_NS = 1_672_531_200 * 10**9  # 2023-01-01
SPAN_NS = 730 * 86_400 * 10**9
SERVICES = [f"svc-{n:03d}" for n in range(200)]
ENVS = ("prod", "staging", "dev")
FAILURE_SHARE = 0.1
BATCH = 10_000


def events(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Deployments (half with git data, one or two tags) and a tenth failures (most resolved), as create bodies."""
    rng = random.Random(seed)
    for n in range(count):
        finished = START_NS + rng.randrange(SPAN_NS)
        tags = [f"region:{rng.choice(('eu', 'us', 'ap'))}"] + (["tier:1"] if rng.random() < 0.5 else [])
        if rng.random() < FAILURE_SHARE:
            attributes: dict[str, Any] = {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "services": rng.sample(SERVICES, rng.choice((1, 2))),
                "env": rng.choice(ENVS),
                "started_at": finished,
                "name": f"incident {n}",
                "severity": rng.choice(("SEV-1", "SEV-2", "SEV-3")),
                "custom_tags": tags,
            }
            if rng.random() < 0.8:
                attributes["finished_at"] = finished + rng.randrange(1, 86_400) * 10**9
            yield {"data": {"type": "dora_failure", "attributes": attributes}}
            continue
        service = rng.randrange(len(SERVICES))
        attributes = {
            "id": f"{rng.getrandbits(64):016x}",
            "service": SERVICES[service],
            "env": rng.choice(ENVS),
            "team": f"team-{service % 20:02d}",  # a service belongs to one team
            "version": f"v{n}",
            "started_at": finished - 300 * 10**9,
            "finished_at": finished,
            "custom_tags": tags,
        }
        if rng.random() < 0.5:
            attributes["git"] = {
                "commit_sha": f"{rng.getrandbits(160):040x}",
                "repository_url": "https://github.com/acme/shop",
            }
        yield {"data": {"type": "dora_deployment", "attributes": attributes}}


def write_file(path: Path, count: int) -> None:
    """The NDJSON file, written as a stream."""
    with path.open("wb") as out:
        for body in events(count):
            out.write(orjson.dumps(body) + b"\n")


def run_import(url: str, path: Path, *extra: str) -> dict[str, Any]:
    """``doralens import`` in a child process: wall seconds, its peak RSS from ``wait4`` (which also holds this
    process's own), from its high-water mark, and summed with the process it starts to read the file."""
    env = {**os.environ, "DORALENS_DATABASE_URL": url, "PYTHONPATH": str(SRC)}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "doralens", "import", str(path), *extra], env=env, stdout=subprocess.PIPE
    )
    memory = TreeMemory(child.pid)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    own_mb, tree_mb = memory.stop()
    output = child.stdout.read().decode() if child.stdout else ""
    if status != 0:
        raise SystemExit(f"import failed ({status}): {output}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "peak_rss_own_mb": own_mb,
        "peak_rss_tree_mb": tree_mb,
        "output": output.strip(),
    }


def _rows(body: dict[str, Any], now: int) -> tuple[str, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    a = body["data"]["attributes"]
    tags = [(a["id"], *tag.split(":", 1)) for tag in a["custom_tags"]]
    tags_json = orjson.dumps(a["custom_tags"]).decode()
    if body["data"]["type"] == "dora_failure":
        row = (
            a["id"],
            a["name"],
            a["severity"],
            a["env"],
            None,
            None,
            a["started_at"],
            a.get("finished_at"),
            None,
            None,
            None,
            tags_json,
            now,
            now,
        )
        return "failure", [row], tags
    git = a.get("git") or {}
    repo = "github.com/acme/shop" if git else None
    row = (
        a["id"],
        a["service"],
        a["env"],
        a["team"],
        a["version"],
        a["started_at"],
        a["finished_at"],
        git.get("commit_sha"),
        git.get("repository_url"),
        repo,
        tags_json,
        now,
        now,
    )
    return "deployment", [row], tags


_SQL = {
    "deployments": "id, service, env, team, version, started_at, finished_at, commit_sha, repository_url, "
    "repository_id, custom_tags, received_at, updated_at",
    "failures": "id, name, severity, env, team, version, started_at, finished_at, commit_sha, repository_url, "
    "repository_id, custom_tags, received_at, updated_at",
    "deployment_tags": 'deployment_id, "key", "value"',
    "failure_tags": 'failure_id, "key", "value"',
    "failure_services": "failure_id, service, started_at",
}


def _connect(url: str, backend: str) -> tuple[Any, str]:
    if backend == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        conn.execute("PRAGMA synchronous = FULL")
        return conn, "?"
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")), "%s"


def _set_aside(url: str) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements of the indexes a large import sets aside, as the product finds them."""
    store = open_store(url)
    with store.backend.reader.connect() as conn:
        indexes = secondary_indexes(conn, (*DEPLOYMENT_TABLES, *FAILURE_TABLES))
        drops = [str(DropIndex(ix).compile(dialect=conn.dialect)) for ix in indexes]
        creates = [str(CreateIndex(ix).compile(dialect=conn.dialect)) for ix in indexes]
    store.close()
    return drops, creates


def bare_executemany(url: str, count: int, backend: str, *, rebuild_indexes: bool) -> float:
    """Seconds spent inserting the same rows into the same tables with ``executemany``, in one transaction as the
    import; with ``rebuild_indexes``, the indexes the import sets aside dropped first and created again at the end."""
    store = open_store(url)
    store.migrate()
    store.close()
    drops, creates = _set_aside(url) if rebuild_indexes else ([], [])
    os.sync()  # no writes of the run before still going to disk
    conn, mark = _connect(url, backend)
    now = time.time_ns()
    spent = 0.0
    cursor = conn.cursor()
    started = time.perf_counter()
    if backend == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    for statement in drops:
        cursor.execute(statement)
    spent += time.perf_counter() - started
    batch: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _SQL}
    for n, body in enumerate(events(count), start=1):
        kind, rows, tags = _rows(body, now)
        a = body["data"]["attributes"]
        if kind == "failure":
            batch["failures"] += rows
            batch["failure_tags"] += tags
            batch["failure_services"] += [(a["id"], s, a["started_at"]) for s in a["services"]]
        else:
            batch["deployments"] += rows
            batch["deployment_tags"] += tags
        if n % BATCH and n != count:
            continue
        started = time.perf_counter()
        for table, columns in _SQL.items():
            values = ", ".join([mark] * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", batch[table])
        spent += time.perf_counter() - started
        batch = {name: [] for name in _SQL}
    started = time.perf_counter()
    for statement in creates:
        cursor.execute(statement)
    conn.commit() if backend == "postgres" else cursor.execute("COMMIT")
    spent += time.perf_counter() - started
    conn.close()
    return spent


def bench_backend(backend: str, path: Path, count: int) -> dict[str, Any]:
    bare = {}
    for name, rebuild in (("bare_executemany", False), ("bare_executemany_indexes_rebuilt", True)):
        with fresh_database(backend) as url:
            seconds = bare_executemany(url, count, backend, rebuild_indexes=rebuild)
        bare[name] = {"seconds": round(seconds, 2), "events_per_s": round(count / seconds)}
    with fresh_database(backend) as url:
        store = open_store(url)
        store.migrate()
        store.close()
        os.sync()  # no writes of the bare inserts still going to disk
        imported = run_import(url, path)
        store = open_store(url)
        stored = sum(store.count_events())
        store.close()
    rate = count / imported["seconds"]
    bare_rate = bare["bare_executemany"]["events_per_s"]
    return {
        "events": count,
        "stored": stored,
        "import": {**imported, "events_per_s": round(rate)},
        **bare,
        "ratio": round(rate / bare_rate, 2),
        "ratio_to_indexes_rebuilt": round(rate / bare["bare_executemany_indexes_rebuilt"]["events_per_s"], 2),
        "target": ">= 50,000 events/s on SQLite, peak RSS <= 300 MB, ratio >= 0.5",
        "met": (backend != "sqlite" or rate >= 50_000)
        and imported["peak_rss_tree_mb"] <= 300
        and rate >= 0.5 * bare_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="doralens-import-") as folder:
        path = Path(folder) / "events.ndjson"
        write_file(path, args.events)
        result: dict[str, Any] = {"file_mb": round(path.stat().st_size / 2**20, 1)}
        result.update({b: bench_backend(b, path, args.events) for b in args.backends.split(",")})
    report("import", result)


if __name__ == "__main__":
    main()
