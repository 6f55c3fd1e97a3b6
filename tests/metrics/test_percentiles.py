"""PostgreSQL's percentile_cont and the pure statistics over the sorted column give the same digits."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from doralens.domain.events import Deployment, Failure
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.builders import HOUR, ts
from tests.conftest import _truncate_all
from tests.metrics.conftest import ask, load

pytestmark = pytest.mark.postgres


@pytest.fixture
def both(tmp_path: Path, postgres_database: str) -> Iterator[tuple[SqlEventStore, SqlEventStore]]:
    sqlite = open_store(f"sqlite:///{tmp_path}/percentiles.db")
    sqlite.migrate()
    postgres = open_store(postgres_database)
    postgres.migrate()
    _truncate_all(postgres)
    yield sqlite, postgres
    sqlite.close()
    postgres.close()


def _events(seed: int) -> list[Deployment | Failure]:
    """Failures of awkward lengths (odd nanoseconds, seconds to weeks, some open) and redeploys of few versions,
    so that rollbacks give change failures with varied recovery times."""
    rng = random.Random(seed)
    start = ts("2024-01-01T00:00:00Z")
    events: list[Deployment | Failure] = []
    for i in range(300):
        begins = start + rng.randrange(90 * 24 * HOUR)
        length = rng.choice((rng.randrange(10**9, 60 * 10**9), rng.randrange(HOUR, 14 * 24 * HOUR))) + i
        resolved = begins + length if rng.random() < 0.9 else None
        service = rng.choice(("web", "api", "db"))
        events.append(
            Failure(id=f"failure-{i:08d}", started_at=begins, finished_at=resolved, services=(service,), env="prod")
        )
    for i in range(200):
        finished = start + rng.randrange(90 * 24 * HOUR) + i
        service, version = rng.choice(("web", "api")), f"v{rng.randrange(6)}"
        events.append(
            Deployment(f"deploy-{i:09d}", service, finished - 60 * 10**9, finished, env="prod", version=version)
        )
    return events


@pytest.mark.parametrize("interval", ["day", "week", "month", "all"])
def test_durations_match_across_backends(both: tuple[SqlEventStore, SqlEventStore], interval: str) -> None:
    sqlite, postgres = both
    events = _events(seed=11)
    load(sqlite, events)
    load(postgres, events)
    window = {"start": "2024-01-01T00:00:00Z", "end": "2024-04-01T00:00:00Z", "interval": interval}
    for group_by in (None, "service"):
        metrics = ["time_to_restore", "failed_deployment_recovery_time"]
        on_sqlite = ask(sqlite, metrics=metrics, group_by=group_by, **window)
        on_postgres = ask(postgres, metrics=metrics, group_by=group_by, **window)
        assert on_sqlite == on_postgres
    restore = on_sqlite["groups"][0]["metrics"]["time_to_restore"]
    assert restore["n"] > 50  # the comparison covered real distributions, not withheld ones
    assert restore["median"] is not None
