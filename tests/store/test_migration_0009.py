"""Revision 0009 on SQLite: the link tables keep their rows, constraints and indexes, now without rowid; and back."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, text

from doralens.store import migrate
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore

TABLES = ("deployment_tags", "failure_tags", "failure_services", "failure_match_keys")
_ROWS = {
    "deployments": "INSERT INTO deployments (id, service, started_at, finished_at, custom_tags, received_at, "
    "updated_at) VALUES ('d1', 'web', 1, 2, '[\"a:b\"]', 3, 3)",
    "failures": "INSERT INTO failures (id, started_at, custom_tags, received_at, updated_at) "
    "VALUES ('f1', 1, '[\"c:d\"]', 3, 3)",
    "deployment_tags": "INSERT INTO deployment_tags VALUES ('d1', 'a', 'b')",
    "failure_tags": "INSERT INTO failure_tags VALUES ('f1', 'c', 'd')",
    "failure_services": "INSERT INTO failure_services (failure_id, service, started_at) VALUES ('f1', 'web', 1)",
    "failure_match_keys": "INSERT INTO failure_match_keys VALUES ('prod', 'service:web', 1, 'f1')",
}


Shape = tuple[list[tuple[object, ...]], bool, dict[str, list[str]]]
_DECLARED = "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL ORDER BY name"


def _shape(conn: Connection) -> dict[str, Shape]:
    """Each link table's rows, whether it is WITHOUT ROWID, and the columns of its primary key and indexes."""
    found: dict[str, Shape] = {}
    for table in TABLES:
        rows = sorted(tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
        ddl = conn.execute(text("SELECT sql FROM sqlite_schema WHERE name = :t"), {"t": table}).scalar_one()
        indexes = {
            name: [column for _, _, column in conn.execute(text(f"PRAGMA index_info('{name}')"))]
            for (name,) in conn.execute(text(_DECLARED), {"t": table})
        }
        columns = sorted((row.pk, row.name) for row in conn.execute(text(f"PRAGMA table_info('{table}')")))
        indexes["primary key"] = [name for pk, name in columns if pk]
        found[table] = (rows, "WITHOUT ROWID" in ddl, indexes)
    return found


def _at_0008(tmp_path: Path) -> SqlEventStore:
    store = open_store(f"sqlite:///{tmp_path / 'doralens.db'}")
    with store.backend.write() as conn:
        command.upgrade(migrate._config(conn), "0008")
        for statement in _ROWS.values():
            conn.execute(text(statement))
    return store


def test_0009_moves_the_link_tables_into_their_primary_keys_and_back(tmp_path: Path) -> None:
    store = _at_0008(tmp_path)
    with store.backend.reader.connect() as conn:
        before = _shape(conn)
    assert not any(without_rowid for _, without_rowid, _ in before.values())

    assert store.migrate() == ["0009", "0010"]

    with store.backend.reader.connect() as conn:
        after = _shape(conn)
        # What the schema check of the whole database says: every foreign key still holds.
        assert list(conn.execute(text("PRAGMA foreign_key_check"))) == []
    for table in TABLES:
        rows, without_rowid, indexes = after[table]
        assert without_rowid
        assert (rows, indexes) == (before[table][0], before[table][2])

    with store.backend.write() as conn:
        command.downgrade(migrate._config(conn), "0008")
    with store.backend.reader.connect() as conn:
        assert _shape(conn) == before
    store.close()


def test_0009_keeps_deleting_an_event_deleting_its_links(tmp_path: Path) -> None:
    store = _at_0008(tmp_path)
    store.migrate()
    assert store.delete_deployment("d1")
    with store.backend.reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deployment_tags")).scalar_one() == 0
        assert json.loads(conn.execute(text("SELECT custom_tags FROM failures")).scalar_one()) == ["c:d"]
    store.close()
