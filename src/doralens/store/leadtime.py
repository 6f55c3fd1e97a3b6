"""Lead-time refresh state: streams whose lead time is stale, a stream's deployments with git data and their
records, and the transactions that store streams' new records.

Deployment writes mark their stream stale with a fresh token in their own transaction (``mark_lead_time_dirty``);
a refresh stores its records only if the token it read is still there, then removes it. A write that raced the
refresh leaves a new token behind, so the stream is computed again. Records whose commits changed mark the
engine's stream dirty too: failure attribution by commit range reads them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, delete, literal, select, true
from sqlalchemy.exc import DBAPIError, IntegrityError

from doralens.domain.events import Deployment
from doralens.domain.streams import StreamKey, env_from_key, env_key
from doralens.gitdata.leadtime import RETRY_STATUSES, DeploymentLeadTime
from doralens.gitdata.records import delete_records, load_records, save_records
from doralens.gitdata.refresh import StreamRecords
from doralens.store.dialect import Backend
from doralens.store.dirty import dirty_query, mark_dirty, new_token
from doralens.store.rows import DEPLOYMENT_COLUMNS, deployment_from
from doralens.store.schema import (
    deployment_lead_times,
    deployment_streams,
    deployments,
    derived_settings,
    lead_time_dirty,
)
from doralens.store.statements import STATEMENTS, fetch

FINGERPRINT = "lead_time_fingerprint"
# Deadlock and serialization failures: another transaction won; the stream stays stale and is tried again.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def mark_lead_time_dirty(conn: Connection, backend: Backend, streams: Iterable[StreamKey]) -> None:
    """Upsert a stale row per stream with one fresh token, in sorted order (the lock order of every writer)."""
    token = new_token()
    rows = [
        {"service": service, "env_key": key, "token": token}
        for service, key in sorted({(service, env_key(env)) for service, env in streams})
    ]
    if not rows:
        return
    stmt = backend.upsert(lead_time_dirty).values(rows)
    keys = [lead_time_dirty.c.service, lead_time_dirty.c.env_key]
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"token": stmt.excluded.token}))


class _Conflict(Exception):
    """The stream was written to after the refresh read it."""


def _in_stream(stream: StreamKey) -> list[ColumnElement[bool]]:
    service, env = stream
    same_env = deployments.c.env.is_(None) if env is None else deployments.c.env == env
    return [deployments.c.service == service, same_env]


def _store(conn: Connection, backend: Backend, write: StreamRecords) -> None:
    """Store one stream's records in ``conn``'s transaction; ``_Conflict`` if the stream was written to since its
    token was read (the records may be stale)."""
    # Deployment rows first, the stale row after, dirty streams last: the order deployment writers use.
    save = _of_stream(conn, write)
    delete_records(conn, write.remove)
    save_records(conn, save)
    if not _token_held(conn, write):
        raise _Conflict
    if write.shipped_changed:
        mark_dirty(conn, backend, {write.stream: 0})


def _take_stream(conn: Connection, backend: Backend, write: StreamRecords) -> list[DeploymentLeadTime] | None:
    """Where writers take turns: clear the stream's stale row if its token still holds, and mark the engine's
    stream dirty if its commits changed; the records to save, or None when the stream was written to since its
    token was read."""
    if not _token_held(conn, write):
        return None
    if write.shipped_changed:
        mark_dirty(conn, backend, {write.stream: 0})
    return _of_stream(conn, write)


def _token_held(conn: Connection, write: StreamRecords) -> bool:
    """Delete the stream's stale row if it still holds the token the refresh read; whether it did."""
    service, env = write.stream
    where = (lead_time_dirty.c.service == service, lead_time_dirty.c.env_key == env_key(env))
    return bool(conn.execute(delete(lead_time_dirty).where(*where, lead_time_dirty.c.token == write.token)).rowcount)


def _of_stream(conn: Connection, write: StreamRecords) -> list[DeploymentLeadTime]:
    """The records to save of deployments still in the stream."""
    alive = set(conn.execute(select(deployments.c.id).where(*_in_stream(write.stream))).scalars())
    return [r for r in write.save if r.deployment_id in alive]


def _history(*, env_is_null: bool) -> Select[Any]:
    """The deployments with git data of the stream ``:service`` / ``:env``, in canonical order."""
    env = deployments.c.env.is_(None) if env_is_null else deployments.c.env == bindparam("env")
    return (
        select(*DEPLOYMENT_COLUMNS)
        .where(deployments.c.service == bindparam("service"), env, deployments.c.commit_sha.is_not(None))
        .order_by(deployments.c.finished_at, deployments.c.started_at, deployments.c.id)
    )


# Built once, run on the driver's cursor (``fetch``): a refresh after a large import reads every stream's history.
_HISTORY = {null: _history(env_is_null=null) for null in (True, False)}


class SqlLeadTimeState:
    """What the lead-time refresh reads and writes."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def dirty(self, *, envs: Collection[str | None] | None = None, limit: int = 10_000) -> dict[StreamKey, str]:
        """Streams whose lead time is stale (in ``envs`` when given), with their tokens."""
        keys = None if envs is None else tuple(sorted({env_key(e) for e in envs}))
        stmt = STATEMENTS.get(("lead_time_dirty", keys, limit), lambda: dirty_query(lead_time_dirty, keys, limit))
        with self.backend.reader.connect() as conn:
            return {(service, env_from_key(key)): token for service, key, token in fetch(conn, stmt)}

    def history(self, stream: StreamKey) -> list[Deployment]:
        """The stream's deployments with git data, in canonical order (finished, started, id)."""
        service, env = stream
        with self.backend.reader.connect() as conn:
            rows = fetch(conn, _HISTORY[env is None], {"service": service, "env": env})
        return [deployment_from(row) for row in rows]

    def latest_with_git(self, service: str, env: str | None) -> Deployment | None:
        """The stream's most recent deployment with git data: the baseline of its next deployment."""
        stmt = (
            select(*DEPLOYMENT_COLUMNS)
            .where(*_in_stream((service, env)), deployments.c.commit_sha.is_not(None))
            .order_by(deployments.c.finished_at.desc(), deployments.c.started_at.desc(), deployments.c.id.desc())
            .limit(1)
        )
        with self.backend.reader.connect() as conn:
            row = conn.execute(stmt).first()
        return deployment_from(row) if row else None

    def records(self, stream: StreamKey) -> dict[str, DeploymentLeadTime]:
        """The stored records of the stream's deployments."""
        with self.backend.reader.connect() as conn:
            return load_records(conn, and_(*_in_stream(stream)))

    def write_many(self, writes: Sequence[StreamRecords]) -> set[StreamKey]:
        """Store each stream's new records unless it was written to since its token was read; the streams stored.

        Where writers take turns (SQLite), the streams go in one transaction: a commit per stream wrote the index
        pages the streams share once per stream. Nobody else writes meanwhile, so each stream's token is checked
        first, and the records of the streams whose token held are written together, in order of finish: the copy
        on the deployment row updates five metric indexes, each then walked once in order rather than once per
        stream. Elsewhere (PostgreSQL) each stream has its own transaction, which takes row locks in the order
        deployment writers take them."""
        stored: set[StreamKey] = set()
        if self.backend.serial_writers:
            save: list[DeploymentLeadTime] = []
            remove: list[str] = []
            with self.backend.write() as conn:
                for write in writes:
                    kept = _take_stream(conn, self.backend, write)
                    if kept is not None:
                        save.extend(kept)
                        remove.extend(write.remove)
                        stored.add(write.stream)
                delete_records(conn, remove)
                save_records(conn, sorted(save, key=lambda r: (r.finished_at, r.deployment_id)))
            return stored
        for write in writes:
            try:
                with self.backend.write() as conn:
                    _store(conn, self.backend, write)
            except (_Conflict, IntegrityError):
                continue
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
                    continue
                raise
            stored.add(write.stream)
        return stored

    def fingerprint(self) -> str | None:
        """The fingerprint of the settings and sources stored lead time was computed with."""
        with self.backend.reader.connect() as conn:
            found: str | None = conn.execute(
                select(derived_settings.c.value).where(derived_settings.c.name == FINGERPRINT)
            ).scalar_one_or_none()
        return found

    def invalidate(self, fingerprint: str) -> None:
        """Mark every stream stale and record the fingerprint the next refreshes compute with."""
        with self.backend.write() as conn:
            every = (
                select(deployment_streams.c.service, deployment_streams.c.env_key, literal(new_token()))
                .where(true())  # keeps SQLite from reading ON CONFLICT as part of the SELECT
                .distinct()
            )
            stmt = self.backend.upsert(lead_time_dirty).from_select(["service", "env_key", "token"], every)
            keys = [lead_time_dirty.c.service, lead_time_dirty.c.env_key]
            conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"token": stmt.excluded.token}))
            row = {"name": FINGERPRINT, "value": fingerprint}
            upsert = self.backend.upsert(derived_settings).values(**row)
            conn.execute(upsert.on_conflict_do_update(index_elements=[derived_settings.c.name], set_=row))

    def retry_repository(self, repository_id: str) -> int:
        """Mark stale the streams of ``repository_id`` holding records a new upload may complete; how many."""
        statuses = sorted(s.value for s in RETRY_STATUSES)
        stmt = (
            select(deployments.c.service, deployments.c.env)
            .join(deployment_lead_times, deployment_lead_times.c.deployment_id == deployments.c.id)
            .where(deployments.c.repository_id == repository_id, deployment_lead_times.c.status.in_(statuses))
            .distinct()
        )
        with self.backend.write() as conn:
            streams = [(service, env) for service, env in conn.execute(stmt)]
            mark_lead_time_dirty(conn, self.backend, streams)
        return len(streams)
