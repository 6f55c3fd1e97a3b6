"""Indexes set aside during a large import, on each backend: built again exactly as the schema defines them, and
never lost, not even when the import fails or is refused after they were dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from doralens.api.schemas import parse_deployment
from doralens.store import bulk_indexes
from doralens.store.bulk_indexes import IndexDeferral
from doralens.store.sql import SqlEventStore
from doralens.transfer import importer
from doralens.transfer.importer import ImportOptions, run_import
from tests.builders import deployment_body
from tests.indexes import index_definitions
from tests.transfer.events import sample_bodies, write_ndjson


def _present(conn: Connection, store: SqlEventStore, name: str) -> bool:
    sql = (
        "SELECT count(*) FROM sqlite_master WHERE name = :name"
        if store.backend.name == "sqlite"
        else "SELECT count(*) FROM pg_indexes WHERE indexname = :name"
    )
    return bool(conn.execute(text(sql), {"name": name}).scalar_one())


@pytest.fixture
def always_defer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set indexes aside from the first batch on, however small the import."""
    monkeypatch.setattr(bulk_indexes, "MIN_ROWS", 0)
    monkeypatch.setattr(bulk_indexes, "SHARE_OF_STORED", 0)


def _spy_on_rebuild(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the indexes each rebuild found set aside."""
    seen: list[str] = []
    real = IndexDeferral.rebuild

    def rebuild(self: IndexDeferral) -> None:
        seen.extend(self.dropped)
        real(self)

    monkeypatch.setattr(IndexDeferral, "rebuild", rebuild)
    return seen


@pytest.mark.usefixtures("always_defer")
def test_a_large_import_leaves_the_indexes_the_schema_defines(
    store: SqlEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = index_definitions(store)
    rebuilt = _spy_on_rebuild(monkeypatch)
    report = run_import(store.backend, write_ndjson(tmp_path / "e.ndjson", sample_bodies()), ImportOptions())
    assert report.written
    assert {"ix_deployments_finished", "ix_deployment_tags_key_value", "ix_failures_started"} <= set(rebuilt)
    assert "ix_deployments_remediation" not in rebuilt  # the import reads through it
    assert index_definitions(store) == before
    assert store.count_events() == (4, 3)


@pytest.mark.usefixtures("always_defer")
def test_a_failure_after_the_indexes_were_set_aside_leaves_nothing_and_the_indexes(
    store: SqlEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = index_definitions(store)
    real = importer.write_batch
    calls: list[bool] = []

    def failing(conn: Connection, backend: Any, items: Any, **options: Any) -> None:
        calls.append(_present(conn, store, "ix_deployments_finished"))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(conn, backend, items, **options)

    monkeypatch.setattr(importer, "write_batch", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(store.backend, write_ndjson(tmp_path / "e.ndjson", sample_bodies()), ImportOptions(batch_size=2))
    assert calls == [True, False, False]  # dropped after the first batch, gone when the import failed
    assert store.count_events() == (0, 0)
    assert index_definitions(store) == before


@pytest.mark.usefixtures("always_defer")
def test_a_rejected_line_after_the_indexes_were_set_aside_leaves_nothing_and_the_indexes(
    store: SqlEventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = index_definitions(store)
    bodies: list[Any] = sample_bodies()
    bodies[-1]["data"]["attributes"]["started_at"] = "later"
    rebuilt = _spy_on_rebuild(monkeypatch)
    report = run_import(store.backend, write_ndjson(tmp_path / "e.ndjson", bodies), ImportOptions(batch_size=1))
    assert (report.written, report.rejected) == (False, 1)
    assert rebuilt == []  # refused before the rebuild: the rollback restored them
    assert store.count_events() == (0, 0)
    assert index_definitions(store) == before


def test_indexes_are_set_aside_only_once_an_import_is_large_next_to_the_table(
    store: SqlEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(4):
        store.record_deployment(parse_deployment(deployment_body(id=f"deployment-{n:06d}"), service_teams={}))
    monkeypatch.setattr(bulk_indexes, "MIN_ROWS", 2)
    with store.backend.write() as conn:
        deferral = IndexDeferral(conn, store.backend)
        deferral.wrote("deployment", 1)
        assert deferral.dropped == []  # one next to four stored
        deferral.wrote("failure", 5)
        assert "ix_failures_started" in deferral.dropped  # none stored: any import past MIN_ROWS is large
        deferral.wrote("deployment", 1)
        assert "ix_deployments_finished" in deferral.dropped  # half of the four stored
        assert not _present(conn, store, "ix_deployments_finished")
        deferral.rebuild()
        assert _present(conn, store, "ix_deployments_finished")
        assert deferral.dropped == []


def test_a_backend_that_does_not_defer_keeps_every_index(store: SqlEventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store.backend, "defers_indexes", False)
    with store.backend.write() as conn:
        deferral = IndexDeferral(conn, store.backend)
        deferral.wrote("deployment", 10**7)
        assert deferral.dropped == []
