"""The events behind a number (drill-down lists with their verdicts and attributions), and attribution overrides."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from doralens.domain.events import Deployment, Failure
from doralens.domain.streams import StreamKey, touch
from doralens.store.dialect import Backend
from doralens.store.dirty import failure_streams, mark_dirty, stream_of
from doralens.store.failures_sql import services_of
from doralens.store.protocols import DeploymentSubset, FailureSubset
from doralens.store.records import MetricScope, StoredAttribution, StoredOverride, StoredVerdict
from doralens.store.rows import attribution_from, deployment_from, failure_from, verdict_from
from doralens.store.schema import attribution_overrides, deployments, failure_attributions, failures
from doralens.store.scopes import deployment_conditions, failure_conditions

CHUNK = 500


class SqlDrilldownStore:
    """The drill-down and override half of ``EventStore``."""

    backend: Backend

    def metric_deployments(
        self, scope: MetricScope, *, subset: DeploymentSubset = "all", limit: int = 100, offset: int = 0
    ) -> list[tuple[Deployment, StoredVerdict]]:
        """Deployments of the scope (newest first), each with its verdict; ``subset`` narrows to a numerator."""
        conditions = deployment_conditions(scope)
        extra: dict[str, ColumnElement[bool]] = {
            "change_failures": deployments.c.is_change_failure,
            "rework": deployments.c.is_rework,
            "recovered": deployments.c.recovery_ns.is_not(None),
        }
        if subset in extra:
            conditions.append(extra[subset])
        stmt = (
            select(deployments)
            .where(*conditions)
            .order_by(deployments.c.finished_at.desc(), deployments.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.backend.reader.connect() as conn:
            return [(deployment_from(row), verdict_from(row)) for row in conn.execute(stmt)]

    def metric_failures(
        self, scope: MetricScope, *, subset: FailureSubset = "all", limit: int = 100, offset: int = 0
    ) -> list[Failure]:
        """Failures of the scope (newest first); ``subset`` keeps resolved or open ones."""
        conditions = failure_conditions(scope)
        if subset == "resolved":
            conditions.append(failures.c.finished_at.is_not(None))
        elif subset == "open":
            conditions.append(failures.c.finished_at.is_(None))
        stmt = (
            select(failures)
            .where(*conditions)
            .order_by(failures.c.started_at.desc(), failures.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.backend.reader.connect() as conn:
            rows = conn.execute(stmt).all()
            services = services_of(conn, [row.id for row in rows])
        return [failure_from(row, services.get(row.id, ())) for row in rows]

    def verdicts_of(self, deployment_ids: Collection[str]) -> dict[str, StoredVerdict]:
        """The stored verdict of each of these deployments."""
        rows = self._chunked(deployments, deployments.c.id, deployment_ids)
        return {row.id: verdict_from(row) for row in rows}

    def attributions_to(self, deployment_ids: Collection[str]) -> list[StoredAttribution]:
        """Attribution rows linking failures to these deployments."""
        rows = self._chunked(failure_attributions, failure_attributions.c.deployment_id, deployment_ids)
        return [attribution_from(row) for row in rows]

    def attributions_from(self, failure_ids: Collection[str]) -> list[StoredAttribution]:
        """Attribution rows of these failures."""
        rows = self._chunked(failure_attributions, failure_attributions.c.failure_id, failure_ids)
        return [attribution_from(row) for row in rows]

    def _chunked(self, table: Any, column: Any, values: Collection[str]) -> list[Any]:
        wanted = sorted(set(values))
        with self.backend.reader.connect() as conn:
            return [
                row
                for start in range(0, len(wanted), CHUNK)
                for row in conn.execute(select(table).where(column.in_(wanted[start : start + CHUNK])))
            ]

    def attribution_override(self, failure_id: str) -> StoredOverride | None:
        """The user's attribution of a failure, if any."""
        with self.backend.reader.connect() as conn:
            row = conn.execute(
                select(attribution_overrides).where(attribution_overrides.c.failure_id == failure_id)
            ).first()
        return StoredOverride(row.failure_id, row.deployment_id, row.set_by, row.set_at) if row else None

    def set_attribution_override(self, override: StoredOverride) -> bool:
        """Attribute a failure to a deployment (or to none) by hand; False when there is no such failure."""
        with self.backend.write() as conn:
            failure = self._failure_in(conn, override.failure_id)
            if failure is None:
                return False
            touched = self._override_streams(conn, failure)  # before: the old override's stream included
            values = {"deployment_id": override.deployment_id, "set_by": override.set_by, "set_at": override.set_at}
            stmt = self.backend.upsert(attribution_overrides).values(failure_id=override.failure_id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=[attribution_overrides.c.failure_id], set_=values))
            new_target = stream_of(conn, override.deployment_id)
            touch(touched, [new_target] if new_target else [], failure.started_at)
            mark_dirty(conn, self.backend, touched)
        return True

    def clear_attribution_override(self, failure_id: str) -> bool:
        """Give a failure back to the attribution rules; False when it had no override."""
        with self.backend.write() as conn:
            failure = self._failure_in(conn, failure_id)
            if failure is None:
                return False
            touched = self._override_streams(conn, failure)
            removed = conn.execute(
                delete(attribution_overrides).where(attribution_overrides.c.failure_id == failure_id)
            ).rowcount
            mark_dirty(conn, self.backend, touched)
        return bool(removed)

    def _failure_in(self, conn: Any, failure_id: str) -> Failure | None:
        row = conn.execute(select(failures).where(failures.c.id == failure_id)).first()
        if row is None:
            return None
        return failure_from(row, services_of(conn, [failure_id]).get(failure_id, ()))

    def _override_streams(self, conn: Any, failure: Failure) -> dict[StreamKey, int]:
        touched: dict[StreamKey, int] = {}
        touch(touched, failure_streams(conn, failure), failure.started_at)
        return touched
