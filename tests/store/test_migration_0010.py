"""Revision 0010: the remediation and commit indexes keep only deployments with a value, the lookups still find
theirs through them, on both backends; and back."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import Connection, text

from doralens.store import bulk, migrate
from doralens.store.dirty import streams_remediated_by
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.indexes import index_definitions
from tests.store.revisions import start_at

_DEPLOYMENT = (
    "INSERT INTO deployments (id, service, env, started_at, finished_at, commit_sha, remediation_deployment_id, "
    "custom_tags, received_at, updated_at) VALUES (:id, :service, 'prod', 1, 2, :sha, :fix, '[]', 3, 3)"
)
ROWS = [
    {"id": "d1", "service": "web", "sha": "a" * 40, "fix": None},
    {"id": "d2", "service": "api", "sha": None, "fix": "d1"},  # rolled back to d1
    {"id": "d3", "service": "web", "sha": None, "fix": None},
]
INDEXES = ("ix_deployments_commit_sha", "ix_deployments_remediation")
# The lookups each index serves, as the store words them.
LOOKUPS = {
    "ix_deployments_remediation": [
        'SELECT 1 FROM deployments WHERE "remediation_deployment_id" IS NOT NULL LIMIT 1',
        'SELECT "id" FROM deployments WHERE "remediation_deployment_id" IS NOT NULL AND '
        '"remediation_deployment_id" IN (:a, :b)',
    ],
    "ix_deployments_commit_sha": [
        'SELECT "id" FROM deployments WHERE "service" = :a AND "env" = :b AND "commit_sha" IS NOT NULL '
        'AND "commit_sha" = :b',
    ],
}


def _definitions(store: SqlEventStore) -> dict[str, str]:
    return {name: definition for name, definition in index_definitions(store) if name in INDEXES}


def _plan(conn: Connection, store: SqlEventStore, sql: str) -> str:
    values: dict[str, Any] = {"a": "d1", "b": "prod"}
    if store.backend.name == "sqlite":
        return " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), values))
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # whether the index can serve, not whether it pays here
    return " ".join(str(row[0]) for row in conn.execute(text(f"EXPLAIN {sql}"), values))


def test_0010_keeps_the_sparse_indexes_to_rows_with_a_value(database_url: str) -> None:
    store = open_store(database_url)
    with store.backend.write() as conn:
        start_at(conn, "0009")
        for row in ROWS:
            conn.execute(text(_DEPLOYMENT), row)
    assert not any("NOT NULL" in definition for definition in _definitions(store).values())

    assert store.migrate() == ["0010"]

    definitions = _definitions(store)
    assert sorted(definitions) == list(INDEXES)
    assert all("IS NOT NULL" in definition for definition in definitions.values())
    with store.backend.reader.begin() as conn:
        for index, statements in LOOKUPS.items():
            for sql in statements:
                assert index in _plan(conn, store, sql), sql
        assert streams_remediated_by(conn, "d1") == {("api", "prod")}
        assert bulk._any_remediation(conn)
        assert bulk._load(conn, store.backend, ["d1", "d3"])[1] == {"d1": {"d2": ("api", "prod")}}

    with store.backend.write() as conn:
        command.downgrade(migrate._config(conn), "0009")
    assert not any("NOT NULL" in definition for definition in _definitions(store).values())
    store.close()
