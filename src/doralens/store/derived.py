"""Reads and writes of derived metric state for the refresh: dirty streams, stream histories, the failures that
touch them, candidate deployments of neighbouring streams, and the one transaction that stores the results.

The refresh reads dirty tokens first and data after; ``write_refresh`` stores results only if no stream it read
was refreshed by someone else, nor any neighbouring stream changed, in between (see ``doralens.metrics.refresh``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)

from doralens.domain.events import Deployment, Failure
from doralens.domain.streams import StreamKey, env_from_key, env_key
from doralens.store.derived_write import write_refresh
from doralens.store.dialect import Backend
from doralens.store.dirty import by_env, current_tokens, dirty_query, new_token, team_streams
from doralens.store.failures_sql import services_of
from doralens.store.records import CandidateRequest, RefreshWrite, StoredAttribution, StoredVerdict
from doralens.store.rows import (
    DEPLOYMENT_COLUMNS,
    VERDICT_READ,
    attribution_from,
    deployment_from,
    failure_from,
    verdict_of,
)
from doralens.store.schema import (
    attribution_overrides,
    deployment_streams,
    deployments,
    derived_settings,
    dirty_streams,
    failure_attributions,
    failure_services,
    failures,
)
from doralens.store.statements import STATEMENTS, fetch

CHUNK = 500
FINGERPRINT = "fingerprint"


def _env_is(env: str | None) -> ColumnElement[bool]:
    return deployments.c.env.is_(None) if env is None else deployments.c.env == env


def _histories(*, env_is_null: bool) -> Select[Any]:
    """The deployments of some services (``:services``) in one env (``:env``), with their stored verdicts."""
    env = deployments.c.env.is_(None) if env_is_null else deployments.c.env == bindparam("env")
    services = deployments.c.service.in_(bindparam("services", expanding=True))
    return select(*DEPLOYMENT_COLUMNS, *VERDICT_READ).where(env, services)


# Built once, run on the driver's cursor (``fetch``): a refresh reads whole histories, and SQLAlchemy's per-row
# result handling cost more than SQLite's reading of them.
_HISTORIES = {null: _histories(env_is_null=null) for null in (True, False)}


class SqlDerivedStore:
    """The refresh half of ``EventStore``."""

    backend: Backend

    def dirty_streams(self, *, envs: Collection[str | None] | None = None, limit: int = 10_000) -> dict[StreamKey, str]:
        """Dirty streams (in ``envs`` when given) and their tokens, at most ``limit``."""
        keys = None if envs is None else tuple(sorted({env_key(e) for e in envs}))
        # Every question asks this first: the statement is kept (statements.py).
        stmt = STATEMENTS.get(("dirty_streams", keys, limit), lambda: dirty_query(dirty_streams, keys, limit))
        with self.backend.reader.connect() as conn:
            return {(service, env_from_key(key)): token for service, key, token in fetch(conn, stmt)}

    def stream_tokens(self, streams: Collection[StreamKey]) -> dict[StreamKey, str | None]:
        """The current dirty token of each stream, None for a clean one."""
        with self.backend.reader.connect() as conn:
            return current_tokens(conn, streams)

    def write_refresh(self, write: RefreshWrite) -> bool:
        """Store a refresh's results unless a stream it read changed meanwhile; False on such a conflict."""
        return write_refresh(self.backend, write)

    def derived_fingerprint(self) -> str | None:
        """The fingerprint of the settings the stored derived state was computed with, if any."""
        with self.backend.reader.connect() as conn:
            found: str | None = conn.execute(
                select(derived_settings.c.value).where(derived_settings.c.name == FINGERPRINT)
            ).scalar_one_or_none()
        return found

    def invalidate_derived(self, fingerprint: str) -> None:
        """Mark every stream dirty and record the settings the next refreshes compute with, in one transaction."""
        with self.backend.write() as conn:
            token = new_token()
            # The WHERE keeps SQLite from reading ON CONFLICT as part of the SELECT's join syntax.
            every = (
                select(deployment_streams.c.service, deployment_streams.c.env_key, literal(0), literal(token))
                .where(true())
                .distinct()
            )
            stmt = self.backend.upsert(dirty_streams).from_select(["service", "env_key", "since", "token"], every)
            keys = [dirty_streams.c.service, dirty_streams.c.env_key]
            conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"token": stmt.excluded.token}))
            row = {"name": FINGERPRINT, "value": fingerprint}
            upsert = self.backend.upsert(derived_settings).values(**row)
            conn.execute(upsert.on_conflict_do_update(index_elements=[derived_settings.c.name], set_=row))

    def stream_histories(self, streams: Collection[StreamKey]) -> tuple[list[Deployment], dict[str, StoredVerdict]]:
        """Every deployment of the streams, with its stored verdict."""
        found: list[Deployment] = []
        verdicts: dict[str, StoredVerdict] = {}
        width = len(DEPLOYMENT_COLUMNS)
        with self.backend.reader.connect() as conn:
            for env, services in by_env(streams).items():
                names = sorted(services)
                for start in range(0, len(names), CHUNK):
                    parameters = {"env": env, "services": names[start : start + CHUNK]}
                    for row in fetch(conn, _HISTORIES[env is None], parameters):
                        found.append(deployment_from(row[:width]))
                        verdicts[row[0]] = verdict_of(row[width:])
        return found, verdicts

    def deployments_by_id(self, ids: Collection[str]) -> list[Deployment]:
        """The stored deployments among ``ids``."""
        return self._deployments_where(lambda chunk: deployments.c.id.in_(chunk), ids)

    def deployments_remediated_by(self, streams: Collection[StreamKey]) -> list[Deployment]:
        """Deployments whose manual remediation names a deployment of these streams (few: marks are rare)."""
        found: list[Deployment] = []
        with self.backend.reader.connect() as conn:
            for env, services in by_env(streams).items():
                own = select(deployments.c.id).where(_env_is(env), deployments.c.service.in_(sorted(services)))
                marked = deployments.c.remediation_deployment_id
                stmt = select(deployments).where(marked.is_not(None), marked.in_(own))
                found.extend(deployment_from(row) for row in conn.execute(stmt))
        return found

    def _deployments_where(self, condition: Any, ids: Collection[str]) -> list[Deployment]:
        wanted = sorted(set(ids))
        with self.backend.reader.connect() as conn:
            return [
                deployment_from(row)
                for start in range(0, len(wanted), CHUNK)
                for row in conn.execute(select(deployments).where(condition(wanted[start : start + CHUNK])))
            ]

    def team_streams(self, env: str | None, teams: Collection[str]) -> set[StreamKey]:
        """Streams in ``env`` that have had deployments of any of ``teams``."""
        with self.backend.reader.connect() as conn:
            return team_streams(conn, env, teams)

    def failures_touching(self, streams: Collection[StreamKey], teams: dict[StreamKey, set[str]]) -> list[Failure]:
        """Failures impacting the streams (by service, or by a team their deployments carry), or overridden to
        one of their deployments."""
        conditions: list[ColumnElement[bool]] = []
        for env, names in by_env(streams).items():
            env_match = failures.c.env.is_(None) if env is None else failures.c.env == env
            named = select(failure_services.c.failure_id).where(failure_services.c.service.in_(sorted(names)))
            conditions.append(and_(env_match, failures.c.id.in_(named)))
            env_teams = sorted({t for s in names for t in teams.get((s, env), ())})
            if env_teams:
                no_service = ~exists().where(failure_services.c.failure_id == failures.c.id)
                conditions.append(and_(env_match, failures.c.team.in_(env_teams), no_service))
            targets = select(deployments.c.id).where(_env_is(env), deployments.c.service.in_(sorted(names)))
            overridden = select(attribution_overrides.c.failure_id).where(
                attribution_overrides.c.deployment_id.in_(targets)
            )
            conditions.append(failures.c.id.in_(overridden))
        if not conditions:
            return []
        with self.backend.reader.connect() as conn:
            rows = conn.execute(select(failures).where(or_(*conditions))).all()
            services = services_of(conn, [row.id for row in rows])
        return [failure_from(row, services.get(row.id, ())) for row in rows]

    def overrides_of(self, failure_ids: Collection[str]) -> dict[str, str | None]:
        """The user's attribution of each failure that has one."""
        return {row.failure_id: row.deployment_id for row in self._rows_by_failure(attribution_overrides, failure_ids)}

    def attributions_of(self, failure_ids: Collection[str]) -> list[StoredAttribution]:
        """The stored attribution rows of these failures."""
        return [attribution_from(row) for row in self._rows_by_failure(failure_attributions, failure_ids)]

    def _rows_by_failure(self, table: Any, failure_ids: Collection[str]) -> list[Any]:
        wanted = sorted(set(failure_ids))
        with self.backend.reader.connect() as conn:
            return [
                row
                for start in range(0, len(wanted), CHUNK)
                for row in conn.execute(select(table).where(table.c.failure_id.in_(wanted[start : start + CHUNK])))
            ]

    def candidate_deployments(self, requests: Collection[CandidateRequest]) -> list[Deployment]:
        """The deployments each request asks for (see ``CandidateRequest``), each once."""
        found: dict[str, Deployment] = {}
        with self.backend.reader.connect() as conn:
            # One small indexed statement per question, compiled once and cached: cheaper than compiling a union.
            for request in requests:
                for stmt, params in _candidate_selects(request):
                    for row in conn.execute(stmt, params):
                        found.setdefault(row.id, deployment_from(row))
        return list(found.values())

    def stream_sizes(self, streams: Collection[StreamKey]) -> dict[StreamKey, int]:
        """How many deployments each stream holds (an index-only count), to size refresh batches."""
        sizes: dict[StreamKey, int] = dict.fromkeys(streams, 0)
        with self.backend.reader.connect() as conn:
            for env, services in by_env(streams).items():
                names = sorted(services)
                for start in range(0, len(names), CHUNK):
                    stmt = (
                        select(deployments.c.service, func.count())
                        .where(_env_is(env), deployments.c.service.in_(names[start : start + CHUNK]))
                        .group_by(deployments.c.service)
                    )
                    for service, count in conn.execute(stmt):
                        sizes[(service, env)] = int(count)
        return sizes


@lru_cache(maxsize=16)
def _candidate_statements(env_is_null: bool, team: bool) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """Latest before, same sha, same version: in one stream, with or without env, of a team or any."""
    conditions = [deployments.c.service == bindparam("service")]
    conditions.append(deployments.c.env.is_(None) if env_is_null else deployments.c.env == bindparam("env"))
    if team:
        conditions.append(deployments.c.team == bindparam("team"))
    window = (deployments.c.finished_at < bindparam("before"), deployments.c.finished_at >= bindparam("not_before"))
    order = (deployments.c.finished_at.desc(), deployments.c.started_at.desc(), deployments.c.id.desc())
    latest = select(deployments).where(*conditions, *window).order_by(*order).limit(1)
    sha = deployments.c.commit_sha
    by_sha = select(deployments).where(*conditions, sha.is_not(None), sha == bindparam("sha"))  # partial index
    by_version = select(deployments).where(*conditions, deployments.c.version == bindparam("version"))
    return latest, by_sha, by_version


def _candidate_selects(request: CandidateRequest) -> list[tuple[Select[Any], dict[str, Any]]]:
    service, env = request.stream
    latest, by_sha, by_version = _candidate_statements(env is None, request.team is not None)
    params: dict[str, Any] = {"service": service, "before": request.before, "not_before": request.not_before}
    if env is not None:
        params["env"] = env
    if request.team is not None:
        params["team"] = request.team
    result = [(latest, params)]
    if request.commit_sha is not None:
        result.append((by_sha, {**params, "sha": request.commit_sha}))
    if request.version is not None:
        result.append((by_version, {**params, "version": request.version}))
    return result
