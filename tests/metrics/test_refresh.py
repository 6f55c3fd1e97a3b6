"""Incremental recomputation: arrival order, batching, races between refreshes and writes, neighbour links."""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

import pytest

from doralens import progress
from doralens.domain.events import Deployment, Failure
from doralens.metrics import refresh as refresh_module
from doralens.metrics.config import EngineConfig, GitHooks
from doralens.metrics.refresh import refresh, refresh_streams
from doralens.store.dirty import mark_dirty
from doralens.store.factory import open_store
from doralens.store.records import MetricScope
from doralens.store.sql import SqlEventStore
from tests.builders import deployment, failure
from tests.metrics.conftest import ask, load
from tests.metrics.scenario import scenario_deployments, scenario_failures

EVERYTHING = MetricScope(0, 2**62)


def _state(store: SqlEventStore) -> tuple[Any, ...]:
    """Every stored verdict and attribution, comparable across runs."""
    verdicts = sorted((d.id, v) for d, v in store.metric_deployments(EVERYTHING, limit=10_000))
    failures = [f.id for f in store.metric_failures(EVERYTHING, limit=10_000)]
    links = sorted(store.attributions_from(failures), key=lambda a: (a.failure_id, a.service))
    return tuple(verdicts), tuple(links)


def _events_with_split_failures() -> list[Deployment | Failure]:
    """The scenario, with f_web also sent open first (it may arrive before or after its resolution)."""
    web_open = failure(("web",), id="f-web-failure-002", started="2024-03-11T10:00:00Z")
    return [*scenario_deployments(), *scenario_failures(), web_open]


def _clear(store: SqlEventStore, events: list[Deployment | Failure]) -> None:
    for event in events:
        if isinstance(event, Deployment):
            store.delete_deployment(event.id)
        else:
            store.delete_failure(event.id)


def test_any_arrival_order_gives_the_same_numbers(store: SqlEventStore) -> None:
    events = _events_with_split_failures()
    # The reference: in order, the open f_web before its resolution.
    load(store, [*events[:-2], events[-1], events[-2]])
    expected = ask(store, interval="week")
    rng = random.Random(20240301)
    for _ in range(4):
        _clear(store, events)
        assert ask(store)["metrics"]["deployment_frequency"]["value"] == 0
        shuffled = events[:]
        rng.shuffle(shuffled)
        for event in shuffled:
            load(store, [event])
            if rng.random() < 0.3:
                ask(store)  # a read in the middle refreshes part of the way
        assert ask(store, interval="week") == expected


def test_batches_of_one_stream_agree_with_one_batch(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    events = [
        *scenario_deployments(),
        *scenario_failures(),
        # F names web and api; its version is api's a7, so the exact link on api clears web's suspect
        deployment("web", id="web-deploy-00009", version="v9", finished="2024-03-27T09:30:00Z"),
        deployment("api", id="api-deploy-00007", version="a7", finished="2024-03-26T08:00:00Z"),
        failure(("web", "api"), id="exact-failure-001", version="a7", started="2024-03-27T10:00:00Z"),
    ]
    load(store, events)
    refresh(store=store, config=EngineConfig())
    together = _state(store)
    _clear(store, events)
    monkeypatch.setattr(refresh_module, "BATCH_STREAMS", 0)  # always count, and
    monkeypatch.setattr(refresh_module, "BATCH_DEPLOYMENTS", 1)  # put each stream in a batch of its own
    load(store, events)
    assert refresh(store=store, config=EngineConfig()).complete
    assert _state(store) == together
    links = {(a.deployment_id, a.method) for a in store.attributions_from(["exact-failure-001"])}
    assert links == {("api-deploy-00007", "exact")}


def test_one_refresh_in_batches_leaves_nothing_dirty(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refresh_module, "BATCH_STREAMS", 0)
    monkeypatch.setattr(refresh_module, "BATCH_DEPLOYMENTS", 1)  # api, then web, each in a batch of its own
    load(
        store,
        [
            deployment("web", id="web-deploy-00001", version="w1", finished="2024-03-05T09:30:00Z"),
            deployment("api", id="api-deploy-00001", version="a1", finished="2024-03-05T09:40:00Z"),
            failure(("web", "api"), id="failure-00000001", started="2024-03-05T10:00:00Z"),
        ],
    )
    report = refresh(store=store, config=EngineConfig())
    # api's batch links the failure to web's deployment too, and marks web dirty again; web's batch, computed after
    # that, already reflects it: nothing is left for the next refresh (which used to redo web).
    assert (report.refreshed, report.complete) == (2, True)
    assert store.dirty_streams() == {}
    assert {d.id for d, _ in store.metric_deployments(EVERYTHING, subset="change_failures")} == {
        "web-deploy-00001",
        "api-deploy-00001",
    }


def test_a_write_to_one_stream_moves_a_link_out_of_its_neighbour(store: SqlEventStore) -> None:
    load(
        store,
        [
            deployment("web", id="web-deploy-00001", version="w1", finished="2024-03-05T09:30:00Z"),
            deployment("api", id="api-deploy-00001", version="a1", finished="2024-03-05T09:40:00Z"),
            failure(("web", "api"), id="failure-00000001", version="w0", started="2024-03-05T10:00:00Z"),
        ],
    )
    ask(store)
    assert {d.id for d, _ in store.metric_deployments(EVERYTHING, subset="change_failures")} == {
        "web-deploy-00001",
        "api-deploy-00001",
    }
    # Only web is written to; the exact link it creates clears api's heuristic one in the same refresh.
    store.record_deployment(deployment("web", id="web-deploy-00000", version="w0", finished="2024-03-04T09:00:00Z"))
    assert set(store.dirty_streams()) == {("web", "prod")}
    ask(store)
    assert {d.id for d, _ in store.metric_deployments(EVERYTHING, subset="change_failures")} == {"web-deploy-00000"}
    assert store.dirty_streams() == {}


def test_a_write_racing_a_refresh_keeps_its_stream_dirty(store: SqlEventStore) -> None:
    load(store, [deployment(id="deploy-000000001", finished="2024-03-05T10:00:00Z")])
    tokens = store.dirty_streams()
    store.record_deployment(deployment(id="deploy-000000002", finished="2024-03-06T10:00:00Z"))
    # Results computed from data read after the old token are stored, but the newer write keeps the mark.
    assert refresh_streams(store=store, config=EngineConfig(), tokens=tokens)
    assert set(store.dirty_streams()) == {("web", "prod")}
    assert refresh(store=store, config=EngineConfig()).complete
    assert store.dirty_streams() == {}
    # A refresh that finds its stream already refreshed by someone else stores nothing.
    assert not refresh_streams(store=store, config=EngineConfig(), tokens=tokens)


def test_two_workers_refreshing_the_same_streams(store: SqlEventStore, database_url: str) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    refresh(store=store, config=EngineConfig())
    expected = _state(store)
    _mark_everything_dirty(store)
    errors: list[BaseException] = []
    other = open_store(database_url)  # a second worker: its own store, refreshing beside this one

    def run(worker: SqlEventStore) -> None:
        try:
            refresh(store=worker, config=EngineConfig())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in (store, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    assert store.dirty_streams() == {}
    assert _state(store) == expected


def test_a_refresh_waits_for_the_one_running_in_its_process(store: SqlEventStore) -> None:
    load(store, [*scenario_deployments(), *scenario_failures()])
    running, release = threading.Event(), threading.Event()
    entered: list[str] = []

    def background_lead_times(_envs: object, _stop: object) -> None:
        entered.append("background")
        running.set()
        release.wait(30)

    def read_lead_times(_envs: object, _stop: object) -> None:
        entered.append("read")

    def start(hook: Any) -> threading.Thread:
        config = EngineConfig(git=GitHooks(refresh_lead_times=hook))
        thread = threading.Thread(target=refresh, kwargs={"store": store, "config": config})
        thread.start()
        return thread

    background = start(background_lead_times)
    try:
        assert running.wait(30)
        read = start(read_lead_times)
        read.join(0.5)
        assert read.is_alive()
        assert entered == ["background"]  # the read waits instead of computing the same streams beside it
    finally:
        release.set()
        background.join(30)
    read.join(30)
    assert entered == ["background", "read"]
    assert store.dirty_streams() == {}


def test_refreshes_racing_writes_end_consistent(store: SqlEventStore) -> None:
    rng = random.Random(7)
    stop = threading.Event()
    errors: list[BaseException] = []

    def refresher() -> None:
        try:
            while not stop.is_set():
                refresh(store=store, config=EngineConfig())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=refresher)
    thread.start()
    try:
        for i in range(60):
            service = rng.choice(("web", "api"))
            day = 1 + i // 3
            store.record_deployment(
                deployment(
                    service,
                    id=f"race-deploy-{i:05d}",
                    version=f"v{rng.randrange(4)}",
                    finished=f"2024-03-{day:02d}T{i % 3 + 8:02d}:00:00Z",
                )
            )
            if i % 7 == 0:
                store.record_failure(
                    failure((service,), id=f"race-failure-{i:04d}", started=f"2024-03-{day:02d}T11:00:00Z")
                )
    finally:
        stop.set()
        thread.join()
    assert errors == []
    refresh(store=store, config=EngineConfig())
    settled = _state(store)
    _mark_everything_dirty(store)
    refresh(store=store, config=EngineConfig())
    assert _state(store) == settled


def _mark_everything_dirty(store: SqlEventStore) -> None:
    streams = {(d.service, d.env): d.finished_at for d, _ in store.metric_deployments(EVERYTHING, limit=10_000)}
    with store.backend.write() as conn:
        mark_dirty(conn, store.backend, streams)


def test_a_refresh_with_nothing_new_since_a_clean_one_reads_nothing(
    store: SqlEventStore, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(store, [deployment(id="deploy-000000001", finished="2024-03-05T10:00:00Z")])
    config = EngineConfig()
    assert refresh(store=store, config=config).refreshed == 1
    looked: list[object] = []
    dirty_streams = store.dirty_streams
    monkeypatch.setattr(store, "dirty_streams", lambda **kw: looked.append(kw) or dirty_streams(**kw))
    for _ in range(3):
        assert refresh(store=store, config=config).complete
    counted = store.backend.change_counter() is not None  # SQLite: the first finds nothing, the others stop early
    assert len(looked) == (1 if counted else 3)
    assert refresh(store=store, config=config, envs=["prod"]).complete  # other envs: a check of their own
    assert len(looked) == (2 if counted else 4)
    # A commit by another connection (as by another process) moves the counter: the next refresh sees it.
    other = open_store(database_url)
    try:
        other.record_deployment(deployment(id="deploy-000000002", finished="2024-03-06T10:00:00Z", version="v1"))
    finally:
        other.close()
    assert refresh(store=store, config=config).refreshed == 1
    assert ask(store, config=config)["metrics"]["deployment_frequency"]["value"] == 2


def test_a_long_refresh_logs_each_batch_and_its_end(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)  # every refresh is "long"
    monkeypatch.setattr(refresh_module, "BATCH_STREAMS", 0)
    monkeypatch.setattr(refresh_module, "BATCH_DEPLOYMENTS", 1)  # api, then web
    load(store, [*scenario_deployments(), *scenario_failures()])
    with caplog.at_level(logging.INFO, logger="doralens.refresh"):
        assert refresh(store=store, config=EngineConfig()).complete
    lines = [r.getMessage() for r in caplog.records if r.name == "doralens.refresh"]
    assert [line.split(",")[0] for line in lines[:2]] == [
        "verdicts and attributions: 1 of 2 streams",
        "verdicts and attributions: 2 of 2 streams",
    ]
    assert lines[2].startswith("verdicts and attributions: 2 of 2 streams in "), lines
