"""Revision 0006 on a database holding deployments and lead-time records from before it: each row gets its copy."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from doralens.store.factory import open_store
from doralens.store.schema import deployments
from tests.builders import sha, ts
from tests.store.revisions import start_at

_DEPLOYMENT = (
    "INSERT INTO deployments (id, service, env, version, started_at, finished_at, commit_sha, custom_tags, "
    "received_at, updated_at) VALUES (:id, 'web', 'prod', :id, :at, :at, :sha, :tags, :at, :at)"
)
_RECORD = (
    "INSERT INTO deployment_lead_times (deployment_id, status, explanation, commit_count, truncated, computed_at) "
    "VALUES (:id, :status, 'from before', :commits, :truncated, 0)"
)


def test_deployments_stored_before_0006_carry_their_lead_time(database_url: str) -> None:
    store = open_store(database_url)
    with store.backend.write() as conn:
        start_at(conn, "0005")
        at = ts("2024-03-01T10:00:00Z")
        for n, commit in enumerate((sha("a"), sha("b"), None, sha("c"))):
            conn.execute(text(_DEPLOYMENT), {"id": f"d{n}", "at": at + n, "sha": commit, "tags": json.dumps([])})
        conn.execute(text(_RECORD), {"id": "d0", "status": "no_baseline", "commits": 0, "truncated": False})
        conn.execute(text(_RECORD), {"id": "d1", "status": "ok", "commits": 3, "truncated": True})

    assert store.migrate() == ["0006", "0007", "0008", "0009", "0010"]

    names = ("id", "has_git", "lead_time_status", "lead_time_shipped", "lead_time_truncated")
    with store.backend.reader.connect() as conn:
        rows = {r[0]: tuple(r[1:]) for r in conn.execute(select(*(deployments.c[n] for n in names)))}
    assert rows == {
        "d0": (True, "no_baseline", None, None),
        "d1": (True, "ok", True, True),
        "d2": (False, None, None, None),
        "d3": (True, None, None, None),  # pending: a sha, no record yet
    }
    store.close()
