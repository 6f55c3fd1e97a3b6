"""Writing a batch of failures that carry their ids in the caller's transaction, with the effects of
``record_failure`` applied to each in turn (merge into the stored failure of the same id, services and tags
accumulating; match keys kept by the failure that held them first; impacted streams marked dirty), in a few bulk
statements. Failures without an id are matched by env, subject and start one at a time (``record_failure_in``).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from sqlalchemy import Connection

from doralens.domain.events import Failure
from doralens.domain.streams import StreamKey, touch
from doralens.store.bulk_io import delete_where_in, insert_rows, mark_streams_dirty, select_in, upsert_rows
from doralens.store.bulk_rows import SHARED_COLUMNS, shared_values, tag_rows
from doralens.store.dialect import Backend
from doralens.store.dirty import team_streams
from doralens.store.failures_sql import load_failures, merge_failure

EVENT_COLUMNS = ("id", "name", "severity", *SHARED_COLUMNS)
KEY_COLUMNS = ("env_key", "subject", "started_at", "failure_id")
MatchKey = tuple[str, str, int]


def _values(failure: Failure, now: int) -> tuple[object, ...]:
    return (failure.id, failure.name, failure.severity, *shared_values(failure), now)


def _match_keys(failure: Failure) -> list[MatchKey]:
    return [(failure.env or "", subject, failure.started_at) for subject in failure.match_subjects()]


def _override_streams(conn: Connection, backend: Backend, ids: Sequence[str]) -> dict[str, StreamKey]:
    """The stream of the deployment each failure's attribution override names (failures with one)."""
    sql = (
        'SELECT o."failure_id", d."service", d."env" FROM attribution_overrides o '
        'JOIN deployments d ON d."id" = o."deployment_id" WHERE o."failure_id" IN (…)'
    )
    return {failure_id: (service, env) for failure_id, service, env in select_in(conn, backend, sql, ids)}


def _held_keys(conn: Connection, backend: Backend, ids: Sequence[str]) -> dict[MatchKey, str]:
    """The match keys these failures hold."""
    sql = f"SELECT {', '.join(KEY_COLUMNS)} FROM failure_match_keys WHERE failure_id IN (…)"
    return {(env, subject, started): owner for env, subject, started, owner in select_in(conn, backend, sql, ids)}


def write_failures(conn: Connection, backend: Backend, items: Sequence[Failure], now: int) -> None:
    """Insert each failure or merge it into the stored one with its id; mark the streams they impact dirty."""
    if not items:
        return
    ids = list(dict.fromkeys(f.id for f in items))
    existing = [row[0] for row in select_in(conn, backend, 'SELECT "id" FROM failures WHERE "id" IN (…)', sorted(ids))]
    stored = load_failures(conn, existing) if existing else {}
    stored_ids = sorted(stored)
    overrides = _override_streams(conn, backend, stored_ids)
    # Keys held by failures outside the batch never change hands here: inserting with DO NOTHING keeps them there.
    holders = _held_keys(conn, backend, stored_ids)
    held_by: dict[str, set[MatchKey]] = {}
    for key, owner in holders.items():
        held_by.setdefault(owner, set()).add(key)
    teams: dict[tuple[str | None, str], set[StreamKey]] = {}

    def streams(failure: Failure) -> set[StreamKey]:
        if failure.services:
            found = {(service, failure.env) for service in failure.services}
        elif failure.team:
            key = (failure.env, failure.team)
            if key not in teams:
                teams[key] = team_streams(conn, failure.env, [failure.team])
            found = set(teams[key])
        else:
            found = set()
        if failure.id in overrides:
            found.add(overrides[failure.id])
        return found

    current: dict[str, Failure] = dict(stored)
    touched: dict[StreamKey, int] = {}
    for failure in items:
        old = current.get(failure.id)
        merged = merge_failure(old, failure, failure.id) if old else failure
        for version in (old, merged):
            if version is not None:
                touch(touched, streams(version), version.started_at)
        if old is not None:  # an update replaces the keys it held
            for key in held_by.pop(failure.id, set()):
                del holders[key]
        for key in _match_keys(merged):
            if key not in holders:
                holders[key] = failure.id
                held_by.setdefault(failure.id, set()).add(key)
        current[failure.id] = merged
    final = {failure_id: current[failure_id] for failure_id in ids}
    # In key order, as deployments (see bulk.write_deployments).
    new_rows = sorted(
        ((*_values(f, now), now + i) for i, f in enumerate(final.values()) if f.id not in stored), key=itemgetter(0)
    )
    insert_rows(conn, backend, "failures", (*EVENT_COLUMNS, "received_at"), new_rows)
    updates = [(*_values(f, now), now) for f in final.values() if f.id in stored]
    upsert_rows(conn, backend, "failures", (*EVENT_COLUMNS, "received_at"), ["id"], updates, update=EVENT_COLUMNS[1:])
    for table in ("failure_services", "failure_tags", "failure_match_keys"):
        delete_where_in(conn, backend, table, "failure_id", stored_ids)
    services = sorted((f.id, service, f.started_at) for f in final.values() for service in f.services)
    insert_rows(conn, backend, "failure_services", ("failure_id", "service", "started_at"), services)
    tags = sorted((f.id, key, value) for f in final.values() for key, value in tag_rows(f.custom_tags))
    insert_rows(conn, backend, "failure_tags", ("failure_id", "key", "value"), tags)
    keys = sorted((*key, owner) for key, owner in holders.items() if owner in final)
    upsert_rows(conn, backend, "failure_match_keys", KEY_COLUMNS, KEY_COLUMNS[:3], keys)
    mark_streams_dirty(conn, backend, touched)
