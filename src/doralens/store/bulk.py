"""Writing a batch of deployments in the caller's transaction, with the effects of ``record_deployment`` (and of
``mark_deployment`` for a deployment that carries a mark) applied to each in turn, but in a few bulk statements.

What the one-by-one path reads between writes (the stored stream of an id, the deployments whose remediation names
it, the stream of a remediating deployment) is read once for the whole batch and then kept up to date in memory as
the batch is walked in order, so the rows written and the streams marked dirty are the same as event by event.
An import's reading process walks each batch in advance as if nothing were stored (``bulk_rows.row_batch``); when the
writer finds that so, it writes that walk's result instead of walking the batch again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from operator import itemgetter

from sqlalchemy import Connection

from doralens.domain.streams import StreamKey
from doralens.store.bulk_io import (
    delete_where_in,
    driver_connection,
    insert_rows,
    mark_lead_time_stale,
    mark_streams_dirty,
    select_in,
    upsert_rows,
)
from doralens.store.bulk_rows import EVENT_COLUMNS, Known, RowBatch, Walked, replay
from doralens.store.dialect import Backend
from doralens.store.rows import mark_columns

MARK_COLUMNS = tuple(mark_columns(None))
_first = itemgetter(0)
INSERT_COLUMNS = (*EVENT_COLUMNS, "received_at", *MARK_COLUMNS)


def _load(
    conn: Connection, backend: Backend, ids: Sequence[str]
) -> tuple[dict[str, Known], dict[str, dict[str, StreamKey]]]:
    """Stored deployments with these ids, and the stored deployments whose remediation names one of them."""
    columns = 'SELECT "id", "service", "env", "remediation_deployment_id" FROM deployments WHERE'
    stored = {
        id_: Known((service, env), fix)
        for id_, service, env, fix in select_in(conn, backend, f'{columns} "id" IN (…)', ids)
    }
    naming: dict[str, dict[str, StreamKey]] = {}
    if not _any_remediation(conn):  # most databases, and most imports: no remediation names any deployment
        return stored, naming
    named = f'{columns} "remediation_deployment_id" IS NOT NULL AND "remediation_deployment_id" IN (…)'  # its index
    for id_, service, env, fix in select_in(conn, backend, named, ids):
        naming.setdefault(fix, {})[id_] = (service, env)
    return stored, naming


def _any_remediation(conn: Connection) -> bool:
    """Whether any stored deployment's manual remediation names a deployment: one probe of its index."""
    sql = 'SELECT 1 FROM deployments WHERE "remediation_deployment_id" IS NOT NULL LIMIT 1'
    return conn.exec_driver_sql(sql).first() is not None


def _streams_of(conn: Connection, backend: Backend, ids: Collection[str]) -> dict[str, StreamKey]:
    sql = 'SELECT "id", "service", "env" FROM deployments WHERE "id" IN (…)'
    return {id_: (service, env) for id_, service, env in select_in(conn, backend, sql, sorted(ids))}


def _walk(conn: Connection, backend: Backend, batch: RowBatch) -> tuple[Walked, set[str]]:
    """Replay the batch in order against what is stored; return what to write and the ids stored before."""
    stored, naming = _load(conn, backend, batch.ids)  # in key order, as the rows are written
    if batch.walked is not None and not stored and not naming:
        return batch.walked, set()
    items = batch.rows
    fixes = {
        item.mark.remediation.deployment_id
        for item in items
        if item.mark and item.mark.remediation and item.mark.remediation.deployment_id
    }
    fixes.update(s.fix for s in stored.values() if s.fix)
    outside = _streams_of(conn, backend, fixes - set(batch.ids))
    return replay(items, stored, naming, outside), set(stored)


def holds_deployments(conn: Connection) -> bool:
    """Whether any deployment is stored (an import into an empty table may write with ``fresh``)."""
    return conn.exec_driver_sql("SELECT 1 FROM deployments LIMIT 1").first() is not None


def _insert_new(conn: Connection, backend: Backend, rows: Sequence[tuple[object, ...]]) -> bool:
    """Insert rows whose ids are new unless a batch before wrote them: True if none was there. Else False, and the
    rows inserted before the primary key refused one are deleted again, so that nothing of the batch is written."""
    driver = driver_connection(conn)
    before = driver.total_changes
    try:
        insert_rows(conn, backend, "deployments", (*EVENT_COLUMNS, "received_at"), rows)
    except sqlite3.IntegrityError:
        inserted = driver.total_changes - before
        delete_where_in(conn, backend, "deployments", "id", [str(row[0]) for row in rows[:inserted]])
        return False
    return True


def write_deployments(conn: Connection, backend: Backend, batch: RowBatch, now: int, *, fresh: bool = False) -> None:
    """Insert or replace each deployment, apply its mark if any, and mark what they touch dirty.

    ``fresh``: no deployment was stored when the transaction began, so only the batches written before in it can
    hold one of these ids. On SQLite a batch walked in advance then skips looking its ids up (about 1 s at a million
    deployments): its rows are inserted as new, and should the primary key refuse one, the batch goes the usual way.
    The writes are the same either way; ``fresh`` only says which way is likely to pay.
    """
    if not batch.rows:
        return
    # Rows go in key order: each insert lands next to the previous one in the primary key's index, and each tag's
    # check of its deployment reads the page the previous one read.
    in_order = batch.ids
    if fresh and batch.walked is not None and backend.name == "sqlite" and not _any_remediation(conn):
        final = batch.walked.final
        rows = sorted(((*row.values, now, now + n) for n, row in enumerate(final.values())), key=_first)
        if _insert_new(conn, backend, rows):
            _insert_tags(conn, backend, in_order, batch.walked)
            _note_streams(conn, backend, batch.walked)
            return
    walked, stored = _walk(conn, backend, batch)
    final, marks = walked.final, walked.marks
    received = {deployment_id: now + n for n, deployment_id in enumerate(final)}
    new_rows: list[tuple[object, ...]] = []
    marked_rows, updates, marked_updates = [], [], []
    if not stored and not marks:  # an import's usual batch: only new rows, none marked
        new_rows = [(*final[i].values, now, received[i]) for i in in_order]
    else:
        for deployment_id in in_order:
            values = (*final[deployment_id].values, now)
            mark = marks.get(deployment_id)
            if deployment_id not in stored:
                # Unmarked new rows leave the mark columns to their default (NULL): six values a row fewer to bind.
                if mark is None:
                    new_rows.append((*values, received[deployment_id]))
                else:
                    marked_rows.append((*values, received[deployment_id], *mark_columns(mark).values()))
            elif mark is None:
                updates.append((*values, now))
            else:
                marked_updates.append((*values, now, *mark_columns(mark).values()))
    insert_rows(conn, backend, "deployments", (*EVENT_COLUMNS, "received_at"), new_rows)
    insert_rows(conn, backend, "deployments", INSERT_COLUMNS, marked_rows)
    update = EVENT_COLUMNS[1:]
    upsert_rows(conn, backend, "deployments", (*EVENT_COLUMNS, "received_at"), ["id"], updates, update=update)
    upsert_rows(conn, backend, "deployments", INSERT_COLUMNS, ["id"], marked_updates, update=(*update, *MARK_COLUMNS))
    delete_where_in(conn, backend, "deployment_tags", "deployment_id", sorted(stored))
    _insert_tags(conn, backend, in_order, walked)
    _note_streams(conn, backend, walked)


def _insert_tags(conn: Connection, backend: Backend, in_order: Sequence[str], walked: Walked) -> None:
    final = walked.final
    tags = [(deployment_id, key, value) for deployment_id in in_order for key, value in final[deployment_id].tags]
    insert_rows(conn, backend, "deployment_tags", ("deployment_id", "key", "value"), tags)


def _note_streams(conn: Connection, backend: Backend, walked: Walked) -> None:
    """Record the streams the rows belong to, and mark those they touch dirty."""
    upsert_rows(
        conn,
        backend,
        "deployment_streams",
        ("service", "env_key", "team_key"),
        ("service", "env_key", "team_key"),
        sorted(walked.streams),
    )
    mark_lead_time_stale(conn, backend, walked.lead_time)
    mark_streams_dirty(conn, backend, walked.touched)
