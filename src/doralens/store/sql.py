"""``SqlEventStore``: the ``EventStore`` over SQLAlchemy Core, shared by the SQLite and PostgreSQL backends.

Every write is one transaction; a method returns only after it commits, so an acknowledged event survives a crash.
Idempotency comes from primary keys and upserts; failures live in ``failures_sql.py``, keys in ``keys.py``, and
derived metric state in ``derived.py`` and ``aggregates.py``. Each write also marks the deployment streams it can
change dirty, in its own transaction (``dirty.py``).
"""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from doralens.domain.events import ChangeFailureMark, Deployment
from doralens.domain.streams import StreamKey, stream_key, touch
from doralens.errors import SchemaOutOfDate, StoreError
from doralens.store import migrate as migrations
from doralens.store.aggregates import SqlAggregateStore
from doralens.store.derived import SqlDerivedStore
from doralens.store.dialect import Backend
from doralens.store.dirty import mark_dirty, register_stream, stream_of, streams_remediated_by
from doralens.store.drilldown import SqlDrilldownStore
from doralens.store.failures_sql import SqlFailureStore
from doralens.store.keys import SqlKeyStore
from doralens.store.leadtime import mark_lead_time_dirty
from doralens.store.listing import ListSpec, list_statement
from doralens.store.rows import DEPLOYMENT_COLUMNS, deployment_from, deployment_row, insert_tags, mark_columns
from doralens.store.schema import (
    deployment_tags,
    deployments,
    failures,
)

_MIGRATION_LOCK = 0x646F72616C656E73  # "doralens"


class SqlEventStore(SqlFailureStore, SqlDerivedStore, SqlAggregateStore, SqlDrilldownStore, SqlKeyStore):
    """Events, derived metric state and keys in a SQL database."""

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
            before = stream_of(conn, deployment.id)
            conn.execute(stmt)
            conn.execute(delete(deployment_tags).where(deployment_tags.c.deployment_id == deployment.id))
            insert_tags(conn, deployment_tags, "deployment_id", deployment.id, deployment.custom_tags)
            register_stream(conn, self.backend, deployment.service, deployment.env, deployment.team)
            # Its stream, the one it left if its service or env changed, and those whose remediation it is.
            moved = [before] if before is not None else []
            touched: dict[StreamKey, int] = {}
            touch(
                touched,
                [stream_key(deployment), *moved, *streams_remediated_by(conn, deployment.id)],
                deployment.finished_at,
            )
            if deployment.git is not None or before is not None:
                # Lead time reads the previous deployment with git data: only these writes can change it.
                mark_lead_time_dirty(conn, self.backend, [stream_key(deployment), *moved])
            mark_dirty(conn, self.backend, touched)
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
            stream = stream_of(conn, deployment_id)
            conn.execute(delete(deployment_tags).where(deployment_tags.c.deployment_id == deployment_id))
            deleted = conn.execute(delete(deployments).where(deployments.c.id == deployment_id)).rowcount
            touched: dict[StreamKey, int] = {}
            touch(touched, [*([stream] if stream else []), *streams_remediated_by(conn, deployment_id)], 0)
            mark_lead_time_dirty(conn, self.backend, [stream] if stream else [])
            mark_dirty(conn, self.backend, touched)
        return bool(deleted)

    def mark_deployment(self, deployment_id: str, mark: ChangeFailureMark) -> bool:
        """Set (replace) the manual change-failure mark of a deployment; False when there is no such deployment."""
        with self._writing() as conn:
            previous_fix = conn.execute(
                select(deployments.c.remediation_deployment_id).where(deployments.c.id == deployment_id)
            ).scalar_one_or_none()
            updated = conn.execute(
                update(deployments).where(deployments.c.id == deployment_id).values(**mark_columns(mark))
            ).rowcount
            # The marked stream, and the streams of the old and new remediating deployments (their rework).
            new_fix = mark.remediation.deployment_id if mark.remediation else None
            found = [stream_of(conn, d) for d in (deployment_id, previous_fix, new_fix)]
            touched: dict[StreamKey, int] = {}
            touch(touched, [s for s in found if s is not None], 0)
            mark_dirty(conn, self.backend, touched)
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

    def count_events(self) -> tuple[int, int]:
        """Return the number of stored deployments and failures."""
        with self.backend.reader.connect() as conn:
            n_deployments = conn.execute(select(func.count()).select_from(deployments)).scalar_one()
            n_failures = conn.execute(select(func.count()).select_from(failures)).scalar_one()
        return n_deployments, n_failures

    def close(self) -> None:
        """Release connections."""
        self.backend.dispose()
