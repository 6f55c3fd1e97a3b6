"""The DORA gauges of a scrape: windows ending at the scrape, groupings, the env filter, the cache, failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from doralens.metrics.config import EngineConfig
from doralens.prometheus.collector import DoraCollector, DoraExport
from doralens.store.sql import SqlEventStore
from tests.builders import deployment
from tests.metrics.conftest import load
from tests.metrics.scenario import scenario_deployments, scenario_failures
from tests.prometheus.conftest import APRIL, Clock, key, series

SECOND = 1_000_000_000
MARCH_ONLY = DoraExport(windows=("31d",), group_by=("service", "team"), cache_seconds=30)


@pytest.fixture
def march(store: SqlEventStore) -> SqlEventStore:
    load(store, [*scenario_deployments(), *scenario_failures()])
    return store


def _collector(store: SqlEventStore, export: DoraExport, clock: Clock) -> DoraCollector:
    return DoraCollector(store=store, config=EngineConfig(), export=export, clock=clock)


def test_every_grouping_of_every_window(march: SqlEventStore) -> None:
    export = DoraExport(windows=("31d", "7d"), group_by=("service", "team"))
    found = series(_collector(march, export, Clock()).collect())
    assert found[key("doralens_dora_up")] == 1
    assert found[key("doralens_dora_window_end_timestamp_seconds")] == APRIL / SECOND
    assert found[key("doralens_dora_window_seconds", window="31d")] == 31 * 86400
    assert found[key("doralens_deployments", window="31d")] == 9
    assert found[key("doralens_deployments", window="31d", service="web")] == 7
    assert found[key("doralens_deployments", window="31d", team="core")] == 2
    # the last week of March: only f_open (api, 25 Mar), no deployment
    assert found[key("doralens_deployments", window="7d")] == 0
    assert found[key("doralens_failures", window="7d", service="api")] == 1
    assert not [k for k in found if ("env", "prod") in k[1]]


def test_windows_end_on_the_second_before_the_scrape(march: SqlEventStore) -> None:
    found = series(_collector(march, MARCH_ONLY, Clock(APRIL + SECOND - 1)).collect())
    assert found[key("doralens_dora_window_end_timestamp_seconds")] == APRIL / SECOND


def test_only_the_envs_asked_for(march: SqlEventStore) -> None:
    march.record_deployment(deployment("web", env="staging", finished="2024-03-15T10:00:00Z"))
    every = series(_collector(march, MARCH_ONLY, Clock()).collect())
    prod = series(_collector(march, DoraExport(windows=("31d",), envs=("prod",)), Clock()).collect())
    assert every[key("doralens_deployments", window="31d")] == 10
    assert prod[key("doralens_deployments", window="31d")] == 9
    assert prod[key("doralens_deployments", window="31d", env="prod")] == 9
    assert key("doralens_deployments", window="31d", env="staging") not in prod


def test_scrapes_within_the_cache_lifetime_reuse_the_figures(march: SqlEventStore) -> None:
    clock = Clock()
    collector = _collector(march, MARCH_ONLY, clock)
    assert series(collector.collect())[key("doralens_deployments", window="31d")] == 9
    march.record_deployment(deployment("web", finished="2024-03-30T10:00:00Z"))
    clock.now += 29 * SECOND
    cached = series(collector.collect())
    assert cached[key("doralens_deployments", window="31d")] == 9
    assert cached[key("doralens_dora_window_end_timestamp_seconds")] == APRIL / SECOND
    clock.now += 1 * SECOND
    fresh = series(collector.collect())
    assert fresh[key("doralens_deployments", window="31d")] == 10
    assert fresh[key("doralens_dora_window_end_timestamp_seconds")] == APRIL / SECOND + 30


def test_no_cache_computes_every_scrape(march: SqlEventStore) -> None:
    collector = _collector(march, DoraExport(windows=("31d",), cache_seconds=0), Clock())
    assert series(collector.collect())[key("doralens_deployments", window="31d")] == 9
    march.record_deployment(deployment("web", finished="2024-03-30T10:00:00Z"))
    assert series(collector.collect())[key("doralens_deployments", window="31d")] == 10


@pytest.fixture
def broken(march: SqlEventStore) -> Iterator[SqlEventStore]:
    """The store with its deployments table out of the way (put back afterwards)."""
    with march.backend.write() as conn:
        conn.execute(text("ALTER TABLE deployments RENAME TO deployments_away"))
    try:
        yield march
    finally:
        with march.backend.write() as conn:
            conn.execute(text("ALTER TABLE deployments_away RENAME TO deployments"))


def test_a_database_error_says_so_and_is_not_cached(broken: SqlEventStore, caplog: pytest.LogCaptureFixture) -> None:
    collector = _collector(broken, MARCH_ONLY, Clock())
    assert series(collector.collect()) == {key("doralens_dora_up"): 0}
    assert "computing the DORA metrics for /metrics failed" in caplog.text
    with broken.backend.write() as conn:
        conn.execute(text("ALTER TABLE deployments_away RENAME TO deployments"))
    try:
        assert series(collector.collect())[key("doralens_deployments", window="31d")] == 9
    finally:
        with broken.backend.write() as conn:
            conn.execute(text("ALTER TABLE deployments RENAME TO deployments_away"))


def test_registering_reads_nothing(march: SqlEventStore) -> None:
    clock = Clock()
    collector = _collector(march, MARCH_ONLY, clock)
    assert collector.describe() == []
    march.record_deployment(deployment("web", finished="2024-03-30T10:00:00Z"))
    assert series(collector.collect())[key("doralens_deployments", window="31d")] == 10
