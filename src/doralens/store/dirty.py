"""Marking deployment streams dirty inside the writer's own transaction, and finding which streams a change touches.

A stream is one (service, env). Every write that can change a verdict or an attribution upserts a row per touched
stream with a fresh token, in the transaction of the write itself: a refresh can then never miss a committed
change, and can tell (token changed) that one arrived while it was computing. Rows are upserted in sorted order,
after the event rows, so that concurrent writers and refreshes always take row locks in the same order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Select, Table, case, select

from doralens.domain.events import Failure
from doralens.domain.streams import StreamKey, env_key
from doralens.store.dialect import Backend
from doralens.store.schema import attribution_overrides, deployment_streams, deployments, dirty_streams


def new_token() -> str:
    """A token no other write will ever use: a dirty mark re-created after a refresh never looks unchanged."""
    return uuid.uuid4().hex


def mark_dirty(conn: Connection, backend: Backend, streams: Mapping[StreamKey, int]) -> None:
    """Upsert a dirty row per stream (``since`` is the earliest event time touched), all with one fresh token."""
    if not streams:
        return
    token = new_token()
    rows = [
        {"service": service, "env_key": env_key(env), "since": since, "token": token}
        for (service, env), since in sorted(streams.items(), key=lambda item: (item[0][0], env_key(item[0][1])))
    ]
    stmt = backend.upsert(dirty_streams).values(rows)
    earlier = case((stmt.excluded.since < dirty_streams.c.since, stmt.excluded.since), else_=dirty_streams.c.since)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[dirty_streams.c.service, dirty_streams.c.env_key],
            set_={"token": stmt.excluded.token, "since": earlier},
        )
    )


def register_stream(conn: Connection, backend: Backend, service: str, env: str | None, team: str | None) -> None:
    """Remember that this (service, env, team) exists."""
    row = {"service": service, "env_key": env_key(env), "team_key": team or ""}
    conn.execute(backend.upsert(deployment_streams).values(**row).on_conflict_do_nothing())


def team_streams(conn: Connection, env: str | None, teams: Iterable[str]) -> set[StreamKey]:
    """The streams in ``env`` that have had deployments of any of ``teams``."""
    wanted = sorted(set(teams))
    if not wanted:
        return set()
    rows = conn.execute(
        select(deployment_streams.c.service).where(
            deployment_streams.c.env_key == env_key(env), deployment_streams.c.team_key.in_(wanted)
        )
    )
    return {(service, env) for (service,) in rows}


def stream_of(conn: Connection, deployment_id: str | None) -> StreamKey | None:
    """The stream of a stored deployment, or None."""
    if deployment_id is None:
        return None
    row = conn.execute(
        select(deployments.c.service, deployments.c.env).where(deployments.c.id == deployment_id)
    ).first()
    return (row.service, row.env) if row else None


def streams_remediated_by(conn: Connection, deployment_id: str) -> set[StreamKey]:
    """Streams of deployments whose manual remediation names this deployment (their recovery time uses it)."""
    named = deployments.c.remediation_deployment_id
    rows = conn.execute(  # NOT NULL, as the partial index says: PostgreSQL may not infer it from a parameter
        select(deployments.c.service, deployments.c.env).where(named.is_not(None), named == deployment_id)
    )
    return {(row.service, row.env) for row in rows}


def failure_streams(conn: Connection, failure: Failure) -> set[StreamKey]:
    """The streams a failure impacts (its services in its env, or its team's streams), plus an override's."""
    if failure.services:
        found = {(service, failure.env) for service in failure.services}
    else:
        found = team_streams(conn, failure.env, [failure.team] if failure.team else [])
    override = conn.execute(
        select(attribution_overrides.c.deployment_id).where(attribution_overrides.c.failure_id == failure.id)
    ).scalar_one_or_none()
    target = stream_of(conn, override)
    if target is not None:
        found.add(target)
    return found


def by_env(streams: Iterable[StreamKey]) -> dict[str | None, list[str]]:
    """Services of the streams, grouped by env."""
    grouped: dict[str | None, list[str]] = {}
    for service, env in streams:
        grouped.setdefault(env, []).append(service)
    return grouped


def current_tokens(conn: Connection, streams: Collection[StreamKey]) -> dict[StreamKey, str | None]:
    """The dirty token of each stream, None for a clean one."""
    found: dict[StreamKey, str | None] = dict.fromkeys(streams)
    for env, services in by_env(streams).items():
        names = sorted(services)
        for start in range(0, len(names), 500):
            rows = conn.execute(
                select(dirty_streams.c.service, dirty_streams.c.token).where(
                    dirty_streams.c.env_key == env_key(env), dirty_streams.c.service.in_(names[start : start + 500])
                )
            )
            for service, token in rows:
                found[(service, env)] = token
    return found


def dirty_query(table: Table, env_keys: tuple[str, ...] | None, limit: int) -> Select[Any]:
    """Service, env key and token of the dirty streams listed in ``table`` (of ``env_keys`` when given)."""
    stmt = select(table.c.service, table.c.env_key, table.c.token)
    if env_keys is not None:
        stmt = stmt.where(table.c.env_key.in_(env_keys))
    return stmt.order_by(table.c.env_key, table.c.service).limit(limit)
