"""Revision 0008 on PostgreSQL: the planner knows how many UTC days a window's events fall on, so grouping by day
is estimated as a few groups rather than one per row (the statistics must be on the very expression the metrics
queries group by)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from doralens.store.days import day_of
from doralens.store.factory import open_store
from doralens.store.schema import deployments, failures
from doralens.store.sql import SqlEventStore

pytestmark = pytest.mark.postgres
DAYS, PER_DAY = 4, 250
_NS_PER_DAY = 86_400 * 10**9


@pytest.fixture
def postgres_store(postgres_database: str) -> Iterator[SqlEventStore]:
    store = open_store(postgres_database)
    store.migrate()
    _empty(store)  # the session's database may hold other tests' events
    yield store
    _empty(store)
    store.close()


def _empty(store: SqlEventStore) -> None:
    with store.backend.write() as conn:
        conn.execute(text("TRUNCATE deployments, failures CASCADE"))


def _estimated_groups(store: SqlEventStore, column: object) -> int:
    table = column.table  # type: ignore[attr-defined]
    grouped = select(day_of(column).label("day"), func.count()).select_from(table).group_by(text("day"))
    with store.backend.reader.connect() as conn:
        sql = str(grouped.compile(conn, compile_kwargs={"render_postcompile": True}))
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def test_grouping_by_day_is_estimated_as_the_days_there_are(postgres_store: SqlEventStore) -> None:
    rows = [(f"d{n}", f"f{n}", (n % DAYS) * _NS_PER_DAY + n) for n in range(DAYS * PER_DAY)]
    with postgres_store.backend.write() as conn:
        for deployment_id, failure_id, at in rows:
            values = {"at": at, "tags": json.dumps([])}
            conn.execute(
                text(
                    "INSERT INTO deployments (id, service, started_at, finished_at, custom_tags, received_at, "
                    "updated_at) VALUES (:id, 'web', :at, :at, :tags, :at, :at)"
                ),
                {"id": deployment_id, **values},
            )
            conn.execute(
                text(
                    "INSERT INTO failures (id, started_at, custom_tags, received_at, updated_at) "
                    "VALUES (:id, :at, :tags, :at, :at)"
                ),
                {"id": failure_id, **values},
            )
        conn.execute(text("ANALYZE deployments"))
        conn.execute(text("ANALYZE failures"))

    assert _estimated_groups(postgres_store, deployments.c.finished_at) <= 2 * DAYS
    assert _estimated_groups(postgres_store, failures.c.started_at) <= 2 * DAYS
