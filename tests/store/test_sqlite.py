"""SQLite's own upkeep: sampled planner statistics once there is data to plan for, and the change counter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from doralens.store import sqlite
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.builders import deployment


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlEventStore]:
    store = open_store(f"sqlite:///{tmp_path}/events.db")
    store.migrate()
    yield store
    store.close()


def _statistics(store: SqlEventStore) -> set[str]:
    with store.backend.reader.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return set()
        return {str(t) for t in conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()}


def test_statistics_wait_for_enough_deployments(sqlite_store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "STATISTICS_FROM_ROWS", 3)
    for day in (1, 2):
        sqlite_store.record_deployment(deployment("web", "prod", f"2024-03-0{day}T10:00:00Z"))
    assert not sqlite_store.backend.refresh_statistics()
    assert "deployments" not in _statistics(sqlite_store)
    sqlite_store.record_deployment(deployment("web", "dev", "2024-03-03T10:00:00Z"))
    assert sqlite_store.backend.refresh_statistics()
    assert "deployments" in _statistics(sqlite_store)


def test_a_bulk_load_ends_with_fresh_statistics(sqlite_store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "STATISTICS_FROM_ROWS", 3)
    with sqlite_store.backend.bulk_load():
        for day in (1, 2, 3):
            sqlite_store.record_deployment(deployment("web", "prod", f"2024-03-0{day}T10:00:00Z"))
        assert "deployments" not in _statistics(sqlite_store)
    assert "deployments" in _statistics(sqlite_store)


def test_the_change_counter_moves_with_every_commit(sqlite_store: SqlEventStore) -> None:
    before = sqlite_store.backend.change_counter()
    assert before is not None
    assert sqlite_store.backend.change_counter() == before
    sqlite_store.record_deployment(deployment("web", "prod", "2024-03-01T10:00:00Z"))
    assert sqlite_store.backend.change_counter() != before


def _writer_settings(store: SqlEventStore) -> tuple[int, int]:
    with store.backend.write() as conn:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        threads = conn.exec_driver_sql("PRAGMA threads").scalar_one()
    return cache, threads


def test_an_index_build_gets_the_sorter_threads_and_the_writer_gives_them_back(sqlite_store: SqlEventStore) -> None:
    assert _writer_settings(sqlite_store) == (-2000, 0)
    with sqlite_store.backend.bulk_load():
        with sqlite_store.backend.write() as conn:
            sqlite_store.backend.prepare_index_build(conn)
        assert _writer_settings(sqlite_store) == (-sqlite.BUILD_CACHE_KIB, sqlite.BUILD_THREADS)
    assert _writer_settings(sqlite_store) == (-2000, 0)


def test_statistics_are_gathered_again_once_the_deployments_have_doubled(
    sqlite_store: SqlEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "STATISTICS_FROM_ROWS", 3)
    record = sqlite_store.record_deployment
    for day in range(1, 4):
        record(deployment("web", "prod", f"2024-03-{day:02d}T10:00:00Z"))
    assert sqlite_store.backend.refresh_statistics(if_grown=True)  # none yet
    assert not sqlite_store.backend.refresh_statistics(if_grown=True)  # 3 rows, as gathered
    for day in range(4, 6):
        record(deployment("web", "prod", f"2024-03-{day:02d}T10:00:00Z"))
    assert not sqlite_store.backend.refresh_statistics(if_grown=True)  # 5 rows: not twice 3
    record(deployment("web", "prod", "2024-03-06T10:00:00Z"))
    assert sqlite_store.backend.refresh_statistics(if_grown=True)  # 6 rows
    assert not sqlite_store.backend.refresh_statistics(if_grown=True)
    assert sqlite_store.backend.refresh_statistics()  # unconditional, as at start and after an import


def _many_deployments(store: SqlEventStore, services: int, per_stream: int) -> None:
    """``per_stream`` deployments (each tagged ``region:eu``) of each service in prod and in dev, written in bulk."""
    rows, tags = [], []
    for s in range(services):
        for env in ("prod", "dev"):
            for n in range(per_stream):
                deployment_id = f"svc-{s:02d}-{env}-{n:06d}"
                at = 1_700_000_000 * 10**9 + n * 60 * 10**9
                rows.append((deployment_id, f"svc-{s:02d}", env, at, at, '["region:eu"]', at, at))
                tags.append((deployment_id, "region", "eu"))
    with store.backend.write() as conn:
        raw = conn.connection.driver_connection
        raw.executemany(  # type: ignore[union-attr]
            "INSERT INTO deployments (id, service, env, started_at, finished_at, custom_tags, received_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        raw.executemany("INSERT INTO deployment_tags VALUES (?, ?, ?)", tags)  # type: ignore[union-attr]


def test_statistics_span_enough_of_each_index_to_know_a_service_from_an_env(sqlite_store: SqlEventStore) -> None:
    # Each service has a thousand deployments in each of its two envs, so the first thousand entries of the
    # (service, env, finished_at) index hold one service and one env: statistics read from them alone would say a
    # service has a thousand deployments in one env, as many as an env has, and the planner would read a whole env
    # to list one service's deployments in it.
    _many_deployments(sqlite_store, services=8, per_stream=1000)
    assert sqlite_store.backend.refresh_statistics()
    with sqlite_store.backend.reader.connect() as conn:
        sql = "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_deployments_service_env_finished'"
        rows, per_service, per_stream = (int(n) for n in conn.exec_driver_sql(sql).scalar_one().split()[:3])
    assert (rows, per_service, per_stream) == (16_000, 2_000, 1_000)
