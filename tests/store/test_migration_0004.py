"""Revision 0004 on a database holding events from before it: every stream starts dirty and gets verdicts."""

from __future__ import annotations

import json

from sqlalchemy import text

from doralens.store.factory import open_store
from tests.builders import ts
from tests.metrics.conftest import ask
from tests.store.revisions import start_at

VERSIONS = ("v1", "v2", "v3", "v1")


def test_events_stored_before_0004_are_refreshed_after_it(database_url: str) -> None:
    store = open_store(database_url)
    with store.backend.write() as conn:
        start_at(conn, "0003")
        for i, version in enumerate(VERSIONS):
            finished = ts(f"2024-03-0{i + 1}T10:00:00Z")
            conn.execute(
                text(
                    "INSERT INTO deployments (id, service, env, version, started_at, finished_at, custom_tags, "
                    "received_at, updated_at) VALUES (:id, 'web', 'prod', :version, :at, :at, :tags, :at, :at)"
                ),
                {"id": f"old-deployment-{i:03d}", "version": version, "at": finished, "tags": json.dumps([])},
            )
    assert store.migrate() == ["0004", "0005", "0006", "0007", "0008", "0009", "0010"]
    assert set(store.dirty_streams()) == {("web", "prod")}
    body = ask(store)
    assert body["metrics"]["change_failure_rate"]["numerator"] == 1  # v2, rolled back
    assert store.dirty_streams() == {}
    store.close()
