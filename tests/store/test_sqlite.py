"""SQLite's own upkeep: sampled planner statistics once there is data to plan for, the change counter, and the
journal a bulk load writes through."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

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


def _writer_settings(store: SqlEventStore) -> tuple[int, int, int]:
    with store.backend.write() as conn:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        threads = conn.exec_driver_sql("PRAGMA threads").scalar_one()
        foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    return cache, threads, foreign_keys


def test_a_bulk_load_tunes_the_writer_and_gives_its_settings_back(sqlite_store: SqlEventStore) -> None:
    assert _writer_settings(sqlite_store) == (-2000, 0, 1)
    with sqlite_store.backend.bulk_load():
        assert _writer_settings(sqlite_store) == (-sqlite.BULK_CACHE_KIB, 0, 0)
        with sqlite_store.backend.write() as conn:
            sqlite_store.backend.prepare_index_build(conn)
        assert _writer_settings(sqlite_store) == (-sqlite.BUILD_CACHE_KIB, sqlite.BUILD_THREADS, 0)
    assert _writer_settings(sqlite_store) == (-2000, 0, 1)


def test_another_threads_write_waits_for_the_end_of_a_bulk_load(sqlite_store: SqlEventStore) -> None:
    """It would otherwise run on the writer as the bulk load tuned it: without foreign key checks."""
    settings: list[tuple[int, int, int]] = []
    other = threading.Thread(target=lambda: settings.append(_writer_settings(sqlite_store)))
    with sqlite_store.backend.bulk_load():
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive()
        assert not settings
    other.join(timeout=30)
    assert settings == [(-2000, 0, 1)]


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


def _journal(store: SqlEventStore) -> str:
    with store.backend.write() as conn:
        return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())


def test_a_bulk_load_alone_writes_through_a_rollback_journal_and_leaves_the_file_in_wal_mode(
    sqlite_store: SqlEventStore,
) -> None:
    sqlite_store.record_deployment(deployment("web", "prod", "2024-03-01T10:00:00Z"))
    assert _journal(sqlite_store) == "wal"
    with sqlite_store.backend.bulk_load():
        assert _journal(sqlite_store) == "delete"
        with sqlite_store.backend.write() as conn:
            conn.exec_driver_sql("UPDATE deployments SET version = 'v2'")
    assert _journal(sqlite_store) == "wal"
    assert sqlite_store.count_events() == (1, 0)


def test_a_bulk_load_beside_another_connection_keeps_the_write_ahead_log(
    sqlite_store: SqlEventStore, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "events.db")  # as a running server holds the file: open, having read
    try:
        other.execute("SELECT count(*) FROM deployments").fetchone()
        with sqlite_store.backend.bulk_load():
            assert _journal(sqlite_store) == "wal"
            sqlite_store.record_deployment(deployment("web", "prod", "2024-03-01T10:00:00Z"))
            assert other.execute("SELECT count(*) FROM deployments").fetchone() == (1,)  # it still reads
    finally:
        other.close()
    assert _journal(sqlite_store) == "wal"


def _insert_one(conn: Connection) -> None:
    """One deployment, written straight on the connection (the store's own writes would open readers)."""
    conn.exec_driver_sql(
        "INSERT INTO deployments (id, service, env, started_at, finished_at, custom_tags, received_at, updated_at) "
        "VALUES ('d1', 'web', 'prod', 1, 2, '[]', 3, 3)"
    )


def test_a_connection_opened_while_a_bulk_load_writes_waits_for_it_then_finds_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    importing = open_store(url)
    importing.migrate()
    importing.backend.dispose()
    other = open_store(url)  # another process's store, opening its first connection during the import
    seen: list[object] = []

    def read() -> None:
        with other.backend.reader.connect() as conn:
            seen.append(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())
            seen.append(conn.exec_driver_sql("SELECT count(*) FROM deployments").scalar_one())

    try:
        with importing.backend.bulk_load(), importing.backend.write() as conn:
            _insert_one(conn)
            reader = threading.Thread(target=read)
            reader.start()
            time.sleep(10 * sqlite.WAL_RETRY_SECONDS)
            # It cannot read the file until the import commits.
            assert reader.is_alive()
            assert not seen
        reader.join(timeout=30)
        assert seen == ["wal", 1]
    finally:
        other.close()
        importing.close()


def test_a_bulk_load_that_cannot_put_the_file_back_in_wal_mode_leaves_that_to_the_next_connection(
    sqlite_store: SqlEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The import has committed: a reader of another process holding the file then must not turn it into an error."""
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 0)  # give up waiting for the file at once
    holder = sqlite3.connect(tmp_path / "events.db", isolation_level=None)
    try:
        with sqlite_store.backend.bulk_load():
            with sqlite_store.backend.write() as conn:
                _insert_one(conn)
            holder.execute("BEGIN")
            holder.execute("SELECT count(*) FROM deployments").fetchone()  # holds the file while the load ends
        assert "stays in rollback journal mode" in caplog.text
    finally:
        holder.close()
    sqlite_store.backend.dispose()
    assert _journal(sqlite_store) == "wal"
    assert sqlite_store.count_events() == (1, 0)
