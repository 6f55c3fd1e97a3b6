"""``fill`` through the real store and the metrics API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.demo import DemoSummary, fill
from doralens.demo.fill import default_git_path
from doralens.store.factory import open_store
from doralens.store.listing import ListSpec
from doralens.store.sql import SqlEventStore
from tests.servers import API_KEY, APP_KEY

NOW_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z
TIERED = ("deployment_frequency", "change_lead_time", "change_failure_rate", "failed_deployment_recovery_time")


def _metrics(store: SqlEventStore, database_url: str, **params: str) -> dict[str, Any]:
    create_key(store, kind="api", name="test", secret=API_KEY)
    create_key(store, kind="app", name="test", secret=APP_KEY)
    app = create_app(Settings(database_url=database_url), store)
    with TestClient(app, headers={"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}) as client:
        response = client.get("/api/v1/metrics", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_metric_has_a_value_and_teams_differ(store: SqlEventStore, database_url: str, tmp_path: Path) -> None:
    summary = fill(store, Settings(database_url=database_url), git_path=tmp_path / "git")
    assert summary.now_ns <= time.time_ns()
    assert (summary.services, summary.teams) == (7, 4)
    assert store.count_events() == (summary.deployments, summary.failures)
    body = _metrics(store, database_url)  # the default window: the last 90 days
    assert body["fresh"] is True
    metrics = body["metrics"]
    assert metrics["change_lead_time"]["available"] is True
    for name, metric in metrics.items():
        assert metric["value"] is not None, name
        assert metric.get("insufficient_data") is not True, name
        if name in TIERED or name == "time_to_restore":
            assert metric["tier"]["level"] in ("elite", "high", "medium", "low"), name
    by_team = _metrics(store, database_url, group_by="team", env="prod")
    tiers: dict[str, set[str]] = {}
    for group in by_team["groups"]:
        for name in TIERED:
            tier = group["metrics"][name]["tier"]
            if tier is not None:
                tiers.setdefault(name, set()).add(tier["level"])
    assert len(tiers["deployment_frequency"]) >= 2
    assert len(tiers["change_lead_time"]) >= 3
    assert len(tiers["change_failure_rate"]) >= 2


def _snapshot(store: SqlEventStore) -> list[tuple[str, str | None, str | None, int]]:
    spec = ListSpec(since=0, until=NOW_NS, limit=5000)
    return sorted(
        (d.id, d.version, d.git.commit_sha if d.git else None, d.finished_at) for d in store.list_deployments(spec)
    )


def test_same_seed_same_data_and_no_duplicates(tmp_path: Path) -> None:
    summaries: list[DemoSummary] = []
    snapshots = []
    for name in ("a", "b", "a"):
        url = f"sqlite:///{tmp_path / name}.db"
        store = open_store(url)
        store.migrate()
        summaries.append(fill(store, Settings(database_url=url), days=30, now_ns=NOW_NS, git_path=tmp_path / name))
        snapshots.append(_snapshot(store))
        assert store.count_events() == (summaries[-1].deployments, summaries[-1].failures)
        store.close()
    assert summaries[0] == summaries[2]
    assert summaries[0].deployments == summaries[1].deployments
    assert summaries[0].commits == summaries[1].commits
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert len(snapshots[0]) == summaries[0].deployments


def test_repositories_go_beside_a_sqlite_file_else_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_git_path(Settings(database_url="sqlite:///data/x.db")) == tmp_path / "data" / "doralens-demo-git"
    assert default_git_path(Settings(database_url="postgresql://u@db/x")) == tmp_path / "doralens-demo-git"
