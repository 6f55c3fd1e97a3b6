"""Storing a refresh's results: one transaction that checks nothing it read changed, then writes verdicts,
replaces attributions, marks streams whose links moved dirty, and clears the dirty rows it handled.

Lock order, the same for every writer so that none waits for another in a cycle: the env's refresh lock
(PostgreSQL advisory lock; refreshes only), failure rows (KEY SHARE), deployment rows, attribution rows, dirty
rows last and in sorted order. Event writers take event rows, then dirty rows.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from doralens.domain.streams import env_key
from doralens.store.dialect import Backend, iter_chunks
from doralens.store.dirty import current_tokens, mark_dirty
from doralens.store.records import RefreshWrite
from doralens.store.rows import verdict_columns
from doralens.store.schema import deployments, dirty_streams, failure_attributions, failures

CHUNK = 500
# Deadlock and serialization failures: another transaction won; the refresh simply tries again.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


class _Conflict(Exception):
    """A stream read by the refresh changed before its results were stored."""


def write_refresh(backend: Backend, write: RefreshWrite) -> bool:
    """Store a refresh's results unless a stream it read changed meanwhile; False on such a conflict."""
    streams = {*write.tokens, *write.neighbor_tokens}
    try:
        with backend.write() as conn:
            for key in sorted({env_key(env) for env in write.envs}):
                backend.lock_refresh(conn, key)
            current = current_tokens(conn, streams)
            if any(current[s] is None for s in write.tokens) or any(
                current[s] != token for s, token in write.neighbor_tokens.items()
            ):
                raise _Conflict
            _store_results(conn, write)
            _settle_dirty(conn, backend, write)
    except _Conflict:
        return False
    except IntegrityError:
        return False  # a failure was deleted while we attributed it: its streams are dirty again
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return False
        raise
    return True


def _store_results(conn: Connection, write: RefreshWrite) -> None:
    failure_ids = sorted(write.failure_ids)
    for start in range(0, len(failure_ids), CHUNK):
        # KEY SHARE first (PostgreSQL): a concurrent delete of one of them then waits for us, or we see it gone.
        chunk = failure_ids[start : start + CHUNK]
        conn.execute(select(failures.c.id).where(failures.c.id.in_(chunk)).with_for_update(key_share=True)).all()
    if write.verdicts:
        values = [{"b_id": d_id, **verdict_columns(v)} for d_id, v in sorted(write.verdicts.items())]
        stmt = update(deployments).where(deployments.c.id == bindparam("b_id"))
        for chunk_rows in iter_chunks(values, 2000):
            conn.execute(stmt, chunk_rows)
    for start in range(0, len(failure_ids), CHUNK):
        chunk = failure_ids[start : start + CHUNK]
        conn.execute(delete(failure_attributions).where(failure_attributions.c.failure_id.in_(chunk)))
    rows = [
        {
            "failure_id": a.failure_id,
            "service": a.service,
            "deployment_id": a.deployment_id,
            "method": a.method,
            "confidence": a.confidence,
            "basis": a.basis,
        }
        for a in sorted(write.attributions, key=lambda a: (a.failure_id, a.service))
    ]
    for chunk_rows in iter_chunks(rows, 2000):
        conn.execute(failure_attributions.insert(), chunk_rows)


def _settle_dirty(conn: Connection, backend: Backend, write: RefreshWrite) -> None:
    # One sorted pass over every dirty row touched, so that lock order matches writers' (see dirty.py).
    others = {s: since for s, since in write.dirty.items() if s not in write.tokens}
    for stream in sorted({*others, *write.tokens}, key=lambda s: (s[0], env_key(s[1]))):
        if stream in others:
            mark_dirty(conn, backend, {stream: others[stream]})
            continue
        service, env = stream
        # Only if untouched since we read it: a write that raced us keeps the stream dirty.
        conn.execute(
            delete(dirty_streams).where(
                dirty_streams.c.service == service,
                dirty_streams.c.env_key == env_key(env),
                dirty_streams.c.token == write.tokens[stream],
            )
        )
