"""``SqlEventStore``: the ``EventStore`` over SQLAlchemy Core, shared by the SQLite and PostgreSQL backends.

Every write is one transaction; a method returns only after it commits, so an acknowledged event survives a crash.
Idempotency comes from primary keys and upserts; failures sent without an id are merged under a per-(env, start)
lock so that racing copies of one event leave one row.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.errors import SchemaOutOfDate, StoreError
from doralens.store import migrate as migrations
from doralens.store.base import KeyKind, KeyRecord
from doralens.store.dialect import Backend, iter_chunks
from doralens.store.schema import (
    api_keys,
    deployment_tags,
    deployments,
    failure_match_keys,
    failure_services,
    failure_tags,
    failures,
)


def _now_ns() -> int:
    return time.time_ns()


def _split_tag(tag: str) -> tuple[str, str]:
    key, _, value = tag.partition(":")
    return key, value


def _git_columns(git: GitInfo | None) -> dict[str, Any]:
    if git is None:
        return {"commit_sha": None, "repository_url": None, "repository_id": None}
    return {
        "commit_sha": git.commit_sha,
        "repository_url": git.repository_url,
        "repository_id": git.repository_id,
    }


def _git_from(row: Row[Any]) -> GitInfo | None:
    if row.commit_sha is None:
        return None
    return GitInfo(row.commit_sha, row.repository_url or "", row.repository_id or "")


class SqlEventStore:
    """Events and keys in a SQL database."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    # -- schema -----------------------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply pending migrations in one write transaction."""
        with self.backend.write() as conn:
            if self.backend.name == "postgresql":
                # Several servers may start at once: one migrates, the others wait and find nothing to do.
                conn.execute(select(func.pg_advisory_xact_lock(0x646F72616C656E73)))
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
        """Insert the deployment, or replace the one with the same id."""
        now = _now_ns()
        row = {
            "id": deployment.id,
            "service": deployment.service,
            "env": deployment.env,
            "team": deployment.team,
            "version": deployment.version,
            "started_at": deployment.started_at,
            "finished_at": deployment.finished_at,
            "custom_tags": json.dumps(list(deployment.custom_tags)),
            "updated_at": now,
            **_git_columns(deployment.git),
        }
        stmt = self.backend.upsert(deployments).values(received_at=now, **row)
        stmt = stmt.on_conflict_do_update(index_elements=[deployments.c.id], set_=row)
        with self._writing() as conn:
            conn.execute(stmt)
            conn.execute(delete(deployment_tags).where(deployment_tags.c.deployment_id == deployment.id))
            self._insert_tags(conn, deployment_tags, "deployment_id", deployment.id, deployment.custom_tags)
        return deployment.id

    def get_deployment(self, deployment_id: str) -> Deployment | None:
        """Return one deployment, or None."""
        with self.backend.reader.connect() as conn:
            row = conn.execute(select(deployments).where(deployments.c.id == deployment_id)).first()
        if row is None:
            return None
        return Deployment(
            id=row.id,
            service=row.service,
            started_at=row.started_at,
            finished_at=row.finished_at,
            env=row.env,
            team=row.team,
            version=row.version,
            git=_git_from(row),
            custom_tags=tuple(json.loads(row.custom_tags)),
        )

    # -- failures ---------------------------------------------------------------------------------------------

    def record_failure(self, failure: Failure) -> str:
        """Insert, or merge into the failure it updates: the same id, else the same env, subject and start."""
        env_key = failure.env or ""
        subjects = failure.match_subjects()
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
                        failure_match_keys.c.subject.in_(subjects),
                    )
                    .order_by(failures.c.received_at, failures.c.id)
                    .limit(1)
                ).scalar_one_or_none()
                target = matched or failure.id
            existing = self._load_failure(conn, target)
            merged = _merge_failure(existing, failure, target) if existing else failure
            self._write_failure(conn, merged, is_new=existing is None)
        return target

    def _write_failure(self, conn: Connection, failure: Failure, *, is_new: bool) -> None:
        now = _now_ns()
        row = {
            "name": failure.name,
            "severity": failure.severity,
            "env": failure.env,
            "team": failure.team,
            "version": failure.version,
            "started_at": failure.started_at,
            "finished_at": failure.finished_at,
            "custom_tags": json.dumps(list(failure.custom_tags)),
            "updated_at": now,
            **_git_columns(failure.git),
        }
        if is_new:
            conn.execute(failures.insert().values(id=failure.id, received_at=now, **row))
        else:
            conn.execute(update(failures).where(failures.c.id == failure.id).values(**row))
            for table in (failure_services, failure_tags, failure_match_keys):
                conn.execute(delete(table).where(table.c.failure_id == failure.id))
        if failure.services:
            conn.execute(
                failure_services.insert(),
                [{"failure_id": failure.id, "service": s} for s in failure.services],
            )
        self._insert_tags(conn, failure_tags, "failure_id", failure.id, failure.custom_tags)
        keys = [
            {
                "env_key": failure.env or "",
                "subject": s,
                "started_at": failure.started_at,
                "failure_id": failure.id,
            }
            for s in failure.match_subjects()
        ]
        if keys:
            # A key already held by another failure (two ids, same env/subject/start) stays with the first one.
            conn.execute(self.backend.upsert(failure_match_keys).values(keys).on_conflict_do_nothing())

    def _load_failure(self, conn: Connection, failure_id: str) -> Failure | None:
        row = conn.execute(select(failures).where(failures.c.id == failure_id)).first()
        if row is None:
            return None
        services = conn.execute(
            select(failure_services.c.service)
            .where(failure_services.c.failure_id == failure_id)
            .order_by(failure_services.c.service)
        ).scalars()
        return Failure(
            id=row.id,
            started_at=row.started_at,
            services=tuple(services),
            team=row.team,
            finished_at=row.finished_at,
            name=row.name,
            severity=row.severity,
            env=row.env,
            version=row.version,
            git=_git_from(row),
            custom_tags=tuple(json.loads(row.custom_tags)),
        )

    def get_failure(self, failure_id: str) -> Failure | None:
        """Return one failure, or None."""
        with self.backend.reader.connect() as conn:
            return self._load_failure(conn, failure_id)

    def count_events(self) -> tuple[int, int]:
        """Return the number of stored deployments and failures."""
        with self.backend.reader.connect() as conn:
            n_deployments = conn.execute(select(func.count()).select_from(deployments)).scalar_one()
            n_failures = conn.execute(select(func.count()).select_from(failures)).scalar_one()
        return n_deployments, n_failures

    # -- keys -------------------------------------------------------------------------------------------------

    def add_key(self, *, kind: KeyKind, name: str, key_hash: str, last4: str) -> KeyRecord:
        """Store a key's hash (idempotent on the hash)."""
        row = {
            "id": uuid.uuid4().hex[:12],
            "kind": kind,
            "name": name,
            "key_hash": key_hash,
            "last4": last4,
            "created_at": _now_ns(),
        }
        with self._writing() as conn:
            conn.execute(self.backend.upsert(api_keys).values(**row).on_conflict_do_nothing())
            stored = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).one()
        return _key_record(stored)

    def find_key(self, key_hash: str) -> KeyRecord | None:
        """Return the key with this hash, or None."""
        with self.backend.reader.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash)).first()
        return _key_record(row) if row else None

    def list_keys(self) -> list[KeyRecord]:
        """Return every key, oldest first."""
        with self.backend.reader.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)).all()
        return [_key_record(r) for r in rows]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key by id (revoking twice keeps the first time)."""
        with self._writing() as conn:
            found = conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).first()
            conn.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)))
                .values(revoked_at=_now_ns())
            )
        return found is not None

    def close(self) -> None:
        """Release connections."""
        self.backend.dispose()

    # -- helpers ----------------------------------------------------------------------------------------------

    def _writing(self) -> Any:
        try:
            return self.backend.write()
        except OperationalError as exc:  # pragma: no cover - depends on the database being down
            raise StoreError(str(exc.orig)) from exc

    @staticmethod
    def _insert_tags(conn: Connection, table: Any, owner: str, owner_id: str, tags: tuple[str, ...]) -> None:
        rows: list[dict[str, object]] = []
        for key, value in dict.fromkeys(_split_tag(t) for t in tags):
            rows.append({owner: owner_id, "key": key, "value": value})
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


def _key_record(row: Row[Any]) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        kind=row.kind,
        name=row.name,
        last4=row.last4,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
