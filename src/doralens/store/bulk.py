"""Writing a batch of deployments in the caller's transaction, with the effects of ``record_deployment`` (and of
``mark_deployment`` for a deployment that carries a mark) applied to each in turn, but in a few bulk statements.

What the one-by-one path reads between writes (the stored stream of an id, the deployments whose remediation names
it, the stream of a remediating deployment) is read once for the whole batch and then kept up to date in memory as
the batch is walked in order, so the rows written and the streams marked dirty are the same as event by event.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import Connection

from doralens.domain.events import ChangeFailureMark, Deployment
from doralens.domain.streams import StreamKey, stream_key
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
_NO_MARK = tuple(mark_columns(None).values())
INSERT_COLUMNS = (*EVENT_COLUMNS, "received_at", *MARK_COLUMNS)


@dataclass(slots=True)
class _Stored:
    """A deployment as the batch has it so far: its stream and the deployment its manual remediation names."""

    stream: StreamKey
    fix: str | None


@dataclass
class _Batch:
    """What walking the batch found: the final version of each id, marks, and the streams to mark."""

    final: dict[str, Deployment] = field(default_factory=dict)
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


def event_values(deployment: Deployment, now: int) -> tuple[object, ...]:
    """The ``EVENT_COLUMNS`` of a deployment row."""
    git = deployment.git
    return (
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
        now,
    )


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
    for id_, service, env, fix in select_in(conn, backend, f'{columns} "remediation_deployment_id" IN (…)', ids):
        naming.setdefault(fix, {})[id_] = (service, env)
    return stored, naming


def _streams_of(conn: Connection, backend: Backend, ids: Collection[str]) -> dict[str, StreamKey]:
    sql = 'SELECT "id", "service", "env" FROM deployments WHERE "id" IN (…)'
    return {id_: (service, env) for id_, service, env in select_in(conn, backend, sql, sorted(ids))}


def _walk(
    conn: Connection, backend: Backend, items: Sequence[tuple[Deployment, ChangeFailureMark | None]]
) -> tuple[_Batch, set[str]]:
    """Replay the batch in order against what is stored; return what to write and the ids stored before."""
    ids = list(dict.fromkeys(d.id for d, _ in items))
    stored, naming = _load(conn, backend, sorted(ids))  # in key order, as the rows are written
    in_batch = set(ids)
    fixes = {m.remediation.deployment_id for _, m in items if m and m.remediation and m.remediation.deployment_id}
    fixes.update(s.fix for s in stored.values() if s.fix)
    outside = _streams_of(conn, backend, fixes - in_batch)
    known = dict(stored)
    batch = _Batch()

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

    touched, lead_time, streams, final = batch.touched, batch.lead_time, batch.streams, batch.final
    for deployment, mark in items:
        deployment_id = deployment.id
        stream = stream_key(deployment)
        before = known.get(deployment_id)
        fix = before.fix if before else None
        known[deployment_id] = _Stored(stream, fix)
        if fix is not None:
            name_fix(deployment_id, fix, fix, stream)
        # Its stream, the one it left (if stored before), and those of the deployments it remediates.
        since = deployment.finished_at
        if touched.get(stream, since) >= since:
            touched[stream] = since
        if before is not None:
            touch(touched, [before.stream], since)
            lead_time.add(before.stream)
            lead_time.add(stream)
        elif deployment.git is not None:
            lead_time.add(stream)
        if deployment_id in naming:
            touch(touched, naming[deployment_id].values(), since)
        streams.add((deployment.service, env_key(deployment.env), deployment.team or ""))
        final[deployment_id] = deployment
        if mark is not None:
            new_fix = mark.remediation.deployment_id if mark.remediation else None
            found = [stream_of(d) for d in (deployment_id, fix, new_fix)]
            touch(touched, [s for s in found if s is not None], 0)
            known[deployment_id] = _Stored(stream, new_fix)
            name_fix(deployment_id, fix, new_fix, stream)
            batch.marks[deployment_id] = mark
    return batch, set(stored)


def write_deployments(
    conn: Connection, backend: Backend, items: Sequence[tuple[Deployment, ChangeFailureMark | None]], now: int
) -> None:
    """Insert or replace each deployment, apply its mark if any, and mark what they touch dirty."""
    if not items:
        return
    batch, stored = _walk(conn, backend, items)
    new_rows, updates, marked_updates = [], [], []
    for position, (deployment_id, deployment) in enumerate(batch.final.items()):
        values = event_values(deployment, now)
        mark = batch.marks.get(deployment_id)
        mark_values = tuple(mark_columns(mark).values()) if mark else _NO_MARK
        if deployment_id not in stored:
            new_rows.append((*values, now + position, *mark_values))
        elif mark is None:
            updates.append((*values, now))
        else:
            marked_updates.append((*values, now, *mark_values))
    # New rows go in key order (ids are unique in a batch): each insert lands next to the previous one in the
    # primary key's index, and each tag's check of its deployment reads the page the previous one read.
    new_rows.sort(key=itemgetter(0))
    insert_rows(conn, backend, "deployments", INSERT_COLUMNS, new_rows)
    update = EVENT_COLUMNS[1:]
    upsert_rows(conn, backend, "deployments", (*EVENT_COLUMNS, "received_at"), ["id"], updates, update=update)
    upsert_rows(conn, backend, "deployments", INSERT_COLUMNS, ["id"], marked_updates, update=(*update, *MARK_COLUMNS))
    delete_where_in(conn, backend, "deployment_tags", "deployment_id", sorted(stored))
    tags = sorted(
        (deployment_id, key, value)
        for deployment_id, deployment in batch.final.items()
        for key, value in tag_rows(deployment.custom_tags)
    )
    insert_rows(conn, backend, "deployment_tags", ("deployment_id", "key", "value"), tags)
    upsert_rows(
        conn,
        backend,
        "deployment_streams",
        ("service", "env_key", "team_key"),
        ("service", "env_key", "team_key"),
        sorted(batch.streams),
    )
    mark_lead_time_stale(conn, backend, batch.lead_time)
    mark_streams_dirty(conn, backend, batch.touched)
