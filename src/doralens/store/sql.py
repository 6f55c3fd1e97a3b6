"""``SqlEventStore``: the ``EventStore`` over SQLAlchemy Core, shared by the SQLite and PostgreSQL backends.

Every write is one transaction; a method returns only after it commits, so an acknowledged event survives a crash.
Idempotency comes from primary keys and upserts; failures sent without an id are merged under a per-(env, start)
lock so that racing copies of one event leave one row.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from doralens.domain.events import ChangeFailureMark, Deployment, Failure
from doralens.errors import SchemaOutOfDate, StoreError
from doralens.store import migrate as migrations
from doralens.store.dialect import Backend, iter_chunks
from doralens.store.keys import SqlKeyStore
from doralens.store.listing import ListSpec, list_statement
from doralens.store.rows import (
    DEPLOYMENT_COLUMNS,
    deployment_from,
    deployment_row,
    failure_from,
    failure_row,
    mark_columns,
    split_tag,
)
from doralens.store.schema import (
    deployment_tags,
    deployments,
    failure_match_keys,
    failure_services,
    failure_tags,
    failures,
)

_MIGRATION_LOCK = 0x646F72616C656E73  # "doralens"


class SqlEventStore(SqlKeyStore):
    """Events and keys in a SQL database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    # -- schema -----------------------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply pending migrations in one write transaction."""
        with self.backend.write() as conn:
            if self.backend.name == "postgresql":
                # Several servers may start at once: one migrates, the others wait and find nothing to do.
                conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            return migrations.upgrade(conn)

    def check_ready(self) -> None:
        """Raise unless the database answers and is at the newest revision."""
        try:
            with self.backend.reader.connect() as conn:
                current = migrations.current_revision(conn)
        except SQLAlchemyError as exc:
            raise StoreError(f"database unreachable: {type(exc).__name__}") from exc
        head = migrations.head_revision()
        if current != head:
            raise SchemaOutOfDate(f"schema at {current or 'nothing'}, code expects {head}: run `doralens migrate`")

    # -- deployments ------------------------------------------------------------------------------------------

    def record_deployment(self, deployment: Deployment) -> str:
        """Insert the deployment, or replace the one with the same id (keeping a manual mark)."""
        now = time.time_ns()
        row = deployment_row(deployment, now)
        stmt = self.backend.upsert(deployments).values(received_at=now, **row)
        stmt = stmt.on_conflict_do_update(index_elements=[deployments.c.id], set_=row)
        with self._writing() as conn:
            conn.execute(stmt)
            conn.execute(delete(deployment_tags).where(deployment_tags.c.deployment_id == deployment.id))
            _insert_tags(conn, deployment_tags, "deployment_id", deployment.id, deployment.custom_tags)
        return deployment.id

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        """Return one deployment, or None."""
        with self.backend.reader.connect() as conn:
            row = conn.execute(select(*DEPLOYMENT_COLUMNS).where(deployments.c.id == deployment_id)).first()
        return deployment_from(row) if row else None

    def list_deployments(self, spec: ListSpec) -> list[Deployment]:
        """Deployments in the time range (by ``finished_at``) that match the query, sorted and limited."""
        with self.backend.reader.connect() as conn:
            rows = conn.execute(list_statement("deployment", spec)).all()
        return [deployment_from(row) for row in rows]

    def delete_deployment(self, deployment_id: str) -> bool:
        """Delete a deployment and its tags; False when there was none."""
        with self._writing() as conn:
            conn.execute(delete(deployment_tags).where(deployment_tags.c.deployment_id == deployment_id))
            deleted = conn.execute(delete(deployments).where(deployments.c.id == deployment_id)).rowcount
        return bool(deleted)

    def mark_deployment(self, deployment_id: str, mark: ChangeFailureMark) -> bool:
        """Set (replace) the manual change-failure mark of a deployment; False when there is no such deployment."""
        with self._writing() as conn:
            updated = conn.execute(
                update(deployments).where(deployments.c.id == deployment_id).values(**mark_columns(mark))
            ).rowcount
        return bool(updated)

    def latest_deployment_id(self, *, service: str, env: str, version: str) -> str | None:
        """The most recently finished deployment of this service, env and version."""
        with self.backend.reader.connect() as conn:
            found: str | None = conn.execute(
                select(deployments.c.id)
                .where(deployments.c.service == service, deployments.c.env == env, deployments.c.version == version)
                .order_by(deployments.c.finished_at.desc(), deployments.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return found

    # -- failures ---------------------------------------------------------------------------------------------

    def record_failure(self, failure: Failure) -> str:
        """Insert, or merge into the failure it updates: the same id, else the same env, subject and start."""
        env_key = failure.env or ""
        with self._writing() as conn:
            self.backend.lock_failure_key(conn, env_key, failure.started_at)
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
            existing = self._load_failures(conn, [target]).get(target)
            merged = _merge_failure(existing, failure, target) if existing else failure
            self._write_failure(conn, merged, is_new=existing is None)
        return target

    def _write_failure(self, conn: Connection, failure: Failure, *, is_new: bool) -> None:
        now = time.time_ns()
        row = failure_row(failure, now)
        if is_new:
            conn.execute(failures.insert().values(id=failure.id, received_at=now, **row))
        else:
            conn.execute(update(failures).where(failures.c.id == failure.id).values(**row))
            for table in (failure_services, failure_tags, failure_match_keys):
                conn.execute(delete(table).where(table.c.failure_id == failure.id))
        if failure.services:
            conn.execute(
                failure_services.insert(), [{"failure_id": failure.id, "service": s} for s in failure.services]
            )
        _insert_tags(conn, failure_tags, "failure_id", failure.id, failure.custom_tags)
        keys = [
            {"env_key": failure.env or "", "subject": s, "started_at": failure.started_at, "failure_id": failure.id}
            for s in failure.match_subjects()
        ]
        if keys:
            # A key already held by another failure (two ids, same env/subject/start) stays with the first one.
            conn.execute(self.backend.upsert(failure_match_keys).values(keys).on_conflict_do_nothing())

    def _load_failures(self, conn: Connection, ids: Iterable[str]) -> dict[str, Failure]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        rows = conn.execute(select(failures).where(failures.c.id.in_(wanted))).all()
        services = _services_of(conn, wanted)
        return {row.id: failure_from(row, services.get(row.id, ())) for row in rows}

    def get_failure(self, failure_id: str) -> Failure | None:
        """Return one failure, or None."""
        with self.backend.reader.connect() as conn:
            return self._load_failures(conn, [failure_id]).get(failure_id)

    def list_failures(self, spec: ListSpec) -> list[Failure]:
        """Failures in the time range (by ``started_at``) that match the query, sorted and limited."""
        with self.backend.reader.connect() as conn:
            rows = conn.execute(list_statement("failure", spec)).all()
            services = _services_of(conn, [row.id for row in rows])
        return [failure_from(row, services.get(row.id, ())) for row in rows]

    def delete_failure(self, failure_id: str) -> bool:
        """Delete a failure with its services, tags and match keys; False when there was none."""
        with self._writing() as conn:
            for table in (failure_services, failure_tags, failure_match_keys):
                conn.execute(delete(table).where(table.c.failure_id == failure_id))
            deleted = conn.execute(delete(failures).where(failures.c.id == failure_id)).rowcount
        return bool(deleted)

    def count_events(self) -> tuple[int, int]:
        """Return the number of stored deployments and failures."""
        with self.backend.reader.connect() as conn:
            n_deployments = conn.execute(select(func.count()).select_from(deployments)).scalar_one()
            n_failures = conn.execute(select(func.count()).select_from(failures)).scalar_one()
        return n_deployments, n_failures

    def close(self) -> None:
        """Release connections."""
        self.backend.dispose()


def _services_of(conn: Connection, failure_ids: list[str]) -> dict[str, tuple[str, ...]]:
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


def _insert_tags(conn: Connection, table: Table, owner: str, owner_id: str, tags: tuple[str, ...]) -> None:
    rows: list[dict[str, Any]] = [
        {owner: owner_id, "key": key, "value": value} for key, value in dict.fromkeys(split_tag(t) for t in tags)
    ]
    for chunk in iter_chunks(rows):
        conn.execute(table.insert(), chunk)


def _merge_failure(old: Failure, new: Failure, target: str) -> Failure:
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
