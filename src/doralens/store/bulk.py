"""Writing a batch of deployments in the caller's transaction, with the effects of ``record_deployment`` (and of
``mark_deployment`` for a deployment that carries a mark) applied to each in turn, but in a few bulk statements.

What the one-by-one path reads between writes (the stored stream of an id, the deployments whose remediation names
it, the stream of a remediating deployment) is read once for the whole batch and then kept up to date in memory as
the batch is walked in order, so the rows written and the streams marked dirty are the same as event by event.
An import's reading process walks each batch in advance as if nothing were stored (``row_batch``); when the writer
finds that so, it writes that walk's result instead of walking the batch again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection

from doralens.domain.events import ChangeFailureMark, Deployment
from doralens.domain.streams import StreamKey
from doralens.store.bulk_io import (
    delete_where_in,
    insert_rows,
    mark_lead_time_stale,
    mark_streams_dirty,
    select_in,
    upsert_rows,
)
from doralens.store.dialect import Backend
from doralens.store.dirty import env_key, touch
from doralens.store.rows import mark_columns, split_tag

EVENT_COLUMNS = (
    "id",
    "service",
    "env",
    "team",
    "version",
    "started_at",
    "finished_at",
    "commit_sha",
    "repository_url",
    "repository_id",
    "custom_tags",
    "updated_at",
)
MARK_COLUMNS = tuple(mark_columns(None))
INSERT_COLUMNS = (*EVENT_COLUMNS, "received_at", *MARK_COLUMNS)


# Positions in ``DeploymentRow.values`` of what walking a batch reads.
_ID, _SERVICE, _ENV, _TEAM, _FINISHED_AT, _COMMIT_SHA = (
    EVENT_COLUMNS.index(c) for c in ("id", "service", "env", "team", "finished_at", "commit_sha")
)


class DeploymentRow(NamedTuple):
    """A deployment as the bulk writer takes it, ready to write: what an import's reading process builds, so that
    the writing process gets plain tuples (a fraction of the cost of rebuilding events from a pipe)."""

    values: tuple[Any, ...]  # ``EVENT_COLUMNS`` but the last, ``updated_at``
    tags: tuple[tuple[str, str], ...]  # its ``deployment_tags`` rows, as ``tag_rows`` gives them
    mark: ChangeFailureMark | None  # the manual mark it carries, if any


@dataclass(slots=True)
class _Stored:
    """A deployment as the batch has it so far: its stream and the deployment its manual remediation names."""

    stream: StreamKey
    fix: str | None


@dataclass
class Walked:
    """What walking a batch found: the final version of each id, marks, and the streams to mark."""

    final: dict[str, DeploymentRow] = field(default_factory=dict)
    marks: dict[str, ChangeFailureMark] = field(default_factory=dict)
    touched: dict[StreamKey, int] = field(default_factory=dict)
    lead_time: set[StreamKey] = field(default_factory=set)
    streams: set[tuple[str, str, str]] = field(default_factory=set)


@lru_cache(maxsize=4096)
def custom_tags_text(tags: tuple[str, ...]) -> str:
    """The stored JSON of custom tags, byte for byte as the one-by-one path writes it (events repeat tag sets)."""
    return json.dumps(list(tags)) if tags else "[]"


@lru_cache(maxsize=4096)
def tag_rows(tags: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (key, value) rows of a tag set, duplicates once, as the one-by-one path inserts them."""
    return tuple(dict.fromkeys(split_tag(t) for t in tags))


def deployment_row(deployment: Deployment, mark: ChangeFailureMark | None) -> DeploymentRow:
    """A deployment and the mark it carries, ready for ``write_deployments``."""
    git = deployment.git
    values = (
        deployment.id,
        deployment.service,
        deployment.env,
        deployment.team,
        deployment.version,
        deployment.started_at,
        deployment.finished_at,
        git.commit_sha if git else None,
        git.repository_url if git else None,
        git.repository_id if git else None,
        custom_tags_text(deployment.custom_tags),
    )
    return DeploymentRow(values, tag_rows(deployment.custom_tags), mark)


def _load(
    conn: Connection, backend: Backend, ids: Sequence[str]
) -> tuple[dict[str, _Stored], dict[str, dict[str, StreamKey]]]:
    """Stored deployments with these ids, and the stored deployments whose remediation names one of them."""
    columns = 'SELECT "id", "service", "env", "remediation_deployment_id" FROM deployments WHERE'
    stored = {
        id_: _Stored((service, env), fix)
        for id_, service, env, fix in select_in(conn, backend, f'{columns} "id" IN (…)', ids)
    }
    naming: dict[str, dict[str, StreamKey]] = {}
    if not _any_remediation(conn):  # most databases, and most imports: no remediation names any deployment
        return stored, naming
    for id_, service, env, fix in select_in(conn, backend, f'{columns} "remediation_deployment_id" IN (…)', ids):
        naming.setdefault(fix, {})[id_] = (service, env)
    return stored, naming


def _any_remediation(conn: Connection) -> bool:
    """Whether any stored deployment's manual remediation names a deployment: one probe of its index."""
    sql = 'SELECT 1 FROM deployments WHERE "remediation_deployment_id" IS NOT NULL LIMIT 1'
    return conn.exec_driver_sql(sql).first() is not None


def _streams_of(conn: Connection, backend: Backend, ids: Collection[str]) -> dict[str, StreamKey]:
    sql = 'SELECT "id", "service", "env" FROM deployments WHERE "id" IN (…)'
    return {id_: (service, env) for id_, service, env in select_in(conn, backend, sql, sorted(ids))}


def _replay(
    items: Sequence[DeploymentRow],
    stored: dict[str, _Stored],
    naming: dict[str, dict[str, StreamKey]],
    outside: dict[str, StreamKey],
) -> Walked:
    """Replay the rows in order against what is stored: the stored rows with their ids, the stored rows whose
    remediation names one of them (``naming``, updated as the walk goes), and the streams of the deployments outside
    the batch that marks name (``outside``)."""
    in_batch: set[str] = {item.values[_ID] for item in items}
    known = dict(stored)
    walked = Walked()

    def stream_of(deployment_id: str | None) -> StreamKey | None:
        if deployment_id is None:
            return None
        if deployment_id in in_batch:
            current = known.get(deployment_id)
            return current.stream if current else None
        return outside.get(deployment_id)

    def name_fix(deployment_id: str, previous: str | None, fix: str | None, stream: StreamKey) -> None:
        if previous in naming:
            naming[previous].pop(deployment_id, None)
        if fix in in_batch:
            naming.setdefault(fix, {})[deployment_id] = stream

    touched, lead_time, streams, final = walked.touched, walked.lead_time, walked.streams, walked.final
    for item in items:
        values, mark = item.values, item.mark
        deployment_id: str = values[_ID]
        service: str = values[_SERVICE]
        env: str | None = values[_ENV]
        stream = (service, env)
        before = known.get(deployment_id)
        fix = before.fix if before else None
        known[deployment_id] = _Stored(stream, fix)
        if fix is not None:
            name_fix(deployment_id, fix, fix, stream)
        # Its stream, the one it left (if stored before), and those of the deployments it remediates.
        since: int = values[_FINISHED_AT]
        if touched.get(stream, since) >= since:
            touched[stream] = since
        if before is not None:
            touch(touched, [before.stream], since)
            lead_time.add(before.stream)
            lead_time.add(stream)
        elif values[_COMMIT_SHA] is not None:
            lead_time.add(stream)
        if deployment_id in naming:
            touch(touched, naming[deployment_id].values(), since)
        streams.add((service, env_key(env), values[_TEAM] or ""))
        final[deployment_id] = item
        if mark is not None:
            new_fix = mark.remediation.deployment_id if mark.remediation else None
            found = [stream_of(d) for d in (deployment_id, fix, new_fix)]
            touch(touched, [s for s in found if s is not None], 0)
            known[deployment_id] = _Stored(stream, new_fix)
            name_fix(deployment_id, fix, new_fix, stream)
            walked.marks[deployment_id] = mark
    return walked


@dataclass
class RowBatch:
    """Deployment rows written together, and what walking them finds when none of their ids is stored yet and no
    stored deployment names one (``walked``): worked out where the rows are built, in an import's reading process,
    so that the writing process only has to check that. None when a row carries a mark: a mark may name a stored
    deployment, which only the writer can read."""

    rows: list[DeploymentRow]
    ids: list[str]  # each id once, in key order
    walked: Walked | None


def row_batch(rows: list[DeploymentRow]) -> RowBatch:
    """Rows to write together, walked in advance as if nothing were stored (see ``RowBatch``)."""
    ids = sorted({row.values[_ID] for row in rows})
    walked = None if any(row.mark is not None for row in rows) else _replay(rows, {}, {}, {})
    return RowBatch(rows, ids, walked)


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
    return _replay(items, stored, naming, outside), set(stored)


def write_deployments(conn: Connection, backend: Backend, batch: RowBatch, now: int) -> None:
    """Insert or replace each deployment, apply its mark if any, and mark what they touch dirty."""
    if not batch.rows:
        return
    walked, stored = _walk(conn, backend, batch)
    final, marks = walked.final, walked.marks
    received = {deployment_id: now + n for n, deployment_id in enumerate(final)}
    # Rows go in key order: each insert lands next to the previous one in the primary key's index, and each tag's
    # check of its deployment reads the page the previous one read.
    in_order = batch.ids
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
    tags = [(deployment_id, key, value) for deployment_id in in_order for key, value in final[deployment_id].tags]
    insert_rows(conn, backend, "deployment_tags", ("deployment_id", "key", "value"), tags)
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
