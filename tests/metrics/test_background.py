"""The refresher ``doralens serve`` runs: derived state catches up without any read asking for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.config import Settings
from doralens.metrics.background import BackgroundRefresher
from doralens.metrics.config import EngineConfig, GitHooks
from doralens.store import sqlite
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.builders import deployment
from tests.metrics.conftest import load


def _wait_until_clean(store: SqlEventStore, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not store.dirty_streams():
            return True
        time.sleep(0.05)
    return False


def test_the_app_refreshes_in_the_background_while_it_runs(store: SqlEventStore, database_url: str) -> None:
    settings = Settings(database_url=database_url, refresh_seconds=0.05)
    with TestClient(create_app(settings, store, background_refresh=True)):
        load(store, [deployment(id="deploy-000000001", version="v1"), deployment(id="deploy-000000002", version="v2")])
        assert _wait_until_clean(store)
    # Stopped with the app: a later write stays dirty until someone reads.
    load(store, [deployment(id="deploy-000000003", version="v3", finished="2024-03-02T10:00:00Z")])
    time.sleep(0.3)
    assert store.dirty_streams()


def test_no_background_refresh_unless_asked(store: SqlEventStore, database_url: str) -> None:
    settings = Settings(database_url=database_url, refresh_seconds=0.05)
    with TestClient(create_app(settings, store)):
        load(store, [deployment(id="deploy-000000001")])
        time.sleep(0.3)
        assert store.dirty_streams()


def test_the_background_refresh_gathers_sqlite_statistics_once_there_is_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "STATISTICS_FROM_ROWS", 3)
    url = f"sqlite:///{tmp_path}/grown.db"
    store = open_store(url)
    store.migrate()

    def analyzed() -> bool:
        with store.backend.reader.connect() as conn:
            sql = "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'"
            return conn.exec_driver_sql(sql).first() is not None

    with TestClient(create_app(Settings(database_url=url, refresh_seconds=0.05), store, background_refresh=True)):
        load(store, [deployment(id=f"deploy-00000000{n}", version=f"v{n}") for n in range(1, 3)])
        time.sleep(0.3)
        assert not analyzed()  # two deployments: too few to plan for
        load(store, [deployment(id="deploy-000000003", version="v3")])
        deadline = time.monotonic() + 10
        while not analyzed() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert analyzed()
    store.close()


def test_stopping_the_refresher_ends_the_refresh_in_progress_and_leaves_the_rest_dirty(store: SqlEventStore) -> None:
    """A server shutting down does not wait for a long refresh (the lead time of a large import) to finish."""
    load(store, [deployment(id="deploy-000000001", version="v1")])
    started = threading.Event()
    asked: list[bool] = []

    def lead_times(_envs: Collection[str | None] | None, stop: Callable[[], bool]) -> None:
        started.set()
        deadline = time.monotonic() + 10
        while not stop() and time.monotonic() < deadline:  # a long refresh, checking between streams
            time.sleep(0.01)
        asked.append(stop())

    refresher = BackgroundRefresher(
        store=store, config=EngineConfig(git=GitHooks(refresh_lead_times=lead_times)), interval=0.01
    )
    refresher.start()
    assert started.wait(10)
    refresher.stop()
    assert asked == [True]
    assert store.dirty_streams()  # the verdicts wait for the next start
