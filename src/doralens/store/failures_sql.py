"""Failures over SQL: insert, merge events without an id into the failure they update, read, list and delete.

Failures sent without an id are merged under a per-(env, start) lock so that racing copies of one event leave
one row. Every write marks the streams the failure impacts (before and after it) dirty in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, delete, select, update

from doralens.domain.events import Failure
from doralens.domain.streams import StreamKey, touch
from doralens.store.dialect import Backend
from doralens.store.dirty import failure_streams, mark_dirty
from doralens.store.listing import ListSpec, list_statement
from doralens.store.rows import failure_from, failure_row, insert_tags
from doralens.store.schema import failure_match_keys, failure_services, failure_tags, failures


class SqlFailureStore:
    """The failure half of ``EventStore``."""

    backend: Backend

    def record_failure(self, failure: Failure) -> str:
        """Insert, or merge into the failure it updates: the same id, else the same env, subject and start."""
        with self.backend.write() as conn:
            return record_failure_in(conn, self.backend, failure)

    def get_failure(self, failure_id: str) -> Failure | None:
        """Return one failure, or None."""
        with self.backend.reader.connect() as conn:
            return load_failures(conn, [failure_id]).get(failure_id)

    def list_failures(self, spec: ListSpec) -> list[Failure]:
        """Failures in the time range (by ``started_at``) that match the query, sorted and limited."""
        with self.backend.reader.connect() as conn:
            rows = conn.execute(list_statement("failure", spec)).all()
            services = services_of(conn, [row.id for row in rows])
        return [failure_from(row, services.get(row.id, ())) for row in rows]

    def delete_failure(self, failure_id: str) -> bool:
        """Delete a failure with its services, tags and match keys; False when there was none."""
        with self.backend.write() as conn:
            existing = load_failures(conn, [failure_id]).get(failure_id)
            touched: dict[StreamKey, int] = {}
            if existing is not None:
                touch(touched, failure_streams(conn, existing), existing.started_at)
            for table in (failure_services, failure_tags, failure_match_keys):
                conn.execute(delete(table).where(table.c.failure_id == failure_id))
            # Its attributions and override go with it (ON DELETE CASCADE).
            deleted = conn.execute(delete(failures).where(failures.c.id == failure_id)).rowcount
            mark_dirty(conn, self.backend, touched)
        return bool(deleted)


def record_failure_in(conn: Connection, backend: Backend, failure: Failure) -> str:
    """``record_failure`` inside the caller's write transaction; return the id of the failure written."""
    env_key = failure.env or ""
    backend.lock_failure_key(conn, env_key, failure.started_at)
    target = failure.id
    if not failure.id_given:
        matched = conn.execute(
            select(failure_match_keys.c.failure_id)
            .join(failures, failures.c.id == failure_match_keys.c.failure_id)
            .where(
                failure_match_keys.c.env_key == env_key,
                failure_match_keys.c.started_at == failure.started_at,
                failure_match_keys.c.subject.in_(failure.match_subjects()),
            )
            .order_by(failures.c.received_at, failures.c.id)
            .limit(1)
        ).scalar_one_or_none()
        target = matched or failure.id
    existing = load_failures(conn, [target]).get(target)
    merged = merge_failure(existing, failure, target) if existing else failure
    _write_failure(conn, backend, merged, is_new=existing is None)
    touched: dict[StreamKey, int] = {}
    for version in (existing, merged):
        if version is not None:
            touch(touched, failure_streams(conn, version), version.started_at)
    mark_dirty(conn, backend, touched)
    return target


def _write_failure(conn: Connection, backend: Backend, failure: Failure, *, is_new: bool) -> None:
    now = time.time_ns()
    row = failure_row(failure, now)
    if is_new:
        conn.execute(failures.insert().values(id=failure.id, received_at=now, **row))
    else:
        conn.execute(update(failures).where(failures.c.id == failure.id).values(**row))
        for table in (failure_services, failure_tags, failure_match_keys):
            conn.execute(delete(table).where(table.c.failure_id == failure.id))
    if failure.services:
        at = failure.started_at
        services = [{"failure_id": failure.id, "service": s, "started_at": at} for s in failure.services]
        conn.execute(failure_services.insert(), services)
    insert_tags(conn, failure_tags, "failure_id", failure.id, failure.custom_tags)
    keys = [
        {"env_key": failure.env or "", "subject": s, "started_at": failure.started_at, "failure_id": failure.id}
        for s in failure.match_subjects()
    ]
    if keys:
        # A key already held by another failure (two ids, same env/subject/start) stays with the first one.
        conn.execute(backend.upsert(failure_match_keys).values(keys).on_conflict_do_nothing())


def load_failures(conn: Connection, ids: Iterable[str]) -> dict[str, Failure]:
    """The stored failures with these ids, by id (in queries of at most 500 ids)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Failure] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(select(failures).where(failures.c.id.in_(chunk))).all()
        services = services_of(conn, chunk)
        found.update((row.id, failure_from(row, services.get(row.id, ()))) for row in rows)
    return found


def services_of(conn: Connection, failure_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """The impacted services of each failure, in one query per 500 ids."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(failure_ids), 500):
        for failure_id, service in conn.execute(
            select(failure_services.c.failure_id, failure_services.c.service)
            .where(failure_services.c.failure_id.in_(failure_ids[start : start + 500]))
            .order_by(failure_services.c.failure_id, failure_services.c.service)
        ):
            found.setdefault(failure_id, []).append(service)
    return {failure_id: tuple(services) for failure_id, services in found.items()}


def merge_failure(old: Failure, new: Failure, target: str) -> Failure:
    """A later event updates a failure: its values win where given, services and tags accumulate."""
    return Failure(
        id=target,
        started_at=new.started_at,
        services=tuple(dict.fromkeys(old.services + new.services)),
        team=new.team or old.team,
        finished_at=new.finished_at if new.finished_at is not None else old.finished_at,
        name=new.name or old.name,
        severity=new.severity or old.severity,
        env=new.env if new.env is not None else old.env,
        version=new.version or old.version,
        git=new.git or old.git,
        custom_tags=tuple(dict.fromkeys(old.custom_tags + new.custom_tags)),
    )
