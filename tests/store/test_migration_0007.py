"""Revision 0007 on a database holding failures from before it: each impacted-service row gets its failure's start,
and one service's failures in a window are then read from the service index."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from doralens.store.factory import open_store
from doralens.store.schema import failure_services
from tests.builders import ts
from tests.store.revisions import start_at

_FAILURE = (
    "INSERT INTO failures (id, name, started_at, custom_tags, received_at, updated_at) "
    "VALUES (:id, 'outage', :at, :tags, :at, :at)"
)


def test_failure_services_stored_before_0007_carry_their_failures_start(database_url: str) -> None:
    store = open_store(database_url)
    starts = {"f1": ts("2024-03-01T10:00:00Z"), "f2": ts("2024-03-05T23:59:59Z")}
    with store.backend.write() as conn:
        start_at(conn, "0006")
        for failure_id, at in starts.items():
            conn.execute(text(_FAILURE), {"id": failure_id, "at": at, "tags": json.dumps([])})
        for failure_id, service in (("f1", "web"), ("f1", "api"), ("f2", "web")):
            conn.execute(
                text("INSERT INTO failure_services (failure_id, service) VALUES (:f, :s)"),
                {"f": failure_id, "s": service},
            )

    assert store.migrate() == ["0007", "0008", "0009", "0010"]

    c = failure_services.c
    with store.backend.reader.connect() as conn:
        rows = {tuple(row) for row in conn.execute(select(c.failure_id, c.service, c.started_at))}
    assert rows == {("f1", "web", starts["f1"]), ("f1", "api", starts["f1"]), ("f2", "web", starts["f2"])}
    store.close()
