"""``SqlLeadTimeStore``: lead time kept per deployment (summary and commits), for drill-down and attribution.

Records are derived data: saving one replaces what was stored for its deployment, and deleting a deployment
deletes its records (foreign keys). A record depends on the previous deployment of its stream, so whoever
stores records recomputes those after a deployment that arrives out of order (``gitdata.refresh``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, select, update

from doralens.gitdata.leadtime import CommitLeadTime, DeploymentLeadTime, LeadTimeStatus
from doralens.store.dialect import Backend, iter_chunks
from doralens.store.schema import deployment_commits, deployment_lead_times, deployments

_CHUNK = 500
# The copy of a record kept on its deployment's row, for metric counts read from an index (see schema.py).
_COPY = update(deployments).where(deployments.c.id == bindparam("b_id"))
_NO_RECORD = {"lead_time_status": None, "lead_time_shipped": None, "lead_time_truncated": None}


def delete_records(conn: Connection, deployment_ids: Iterable[str]) -> None:
    """Remove the stored lead time of these deployments, inside the caller's transaction."""
    _delete(conn, deployment_ids, clear_copy=True)


def _delete(conn: Connection, deployment_ids: Iterable[str], *, clear_copy: bool) -> None:
    ids = sorted(set(deployment_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        conn.execute(delete(deployment_commits).where(deployment_commits.c.deployment_id.in_(chunk)))
        conn.execute(delete(deployment_lead_times).where(deployment_lead_times.c.deployment_id.in_(chunk)))
        if clear_copy:
            conn.execute(update(deployments).where(deployments.c.id.in_(chunk)).values(**_NO_RECORD))


def save_records(conn: Connection, records: Iterable[DeploymentLeadTime]) -> None:
    """Replace the stored lead time of each record's deployment, inside the caller's transaction."""
    now = time.time_ns()
    given = {r.deployment_id: r for r in records}
    summaries: list[dict[str, Any]] = [
        {
            "deployment_id": r.deployment_id,
            "status": r.status.value,
            "explanation": r.explanation,
            "commit_count": r.commit_count,
            "first_commit_lead_time": r.first_commit_lead_time,
            "truncated": r.truncated,
            "computed_at": now,
            "inputs": r.inputs,
            "previous_deployment_id": r.previous_id,
        }
        for r in given.values()
    ]
    commits: list[dict[str, Any]] = [
        {
            "deployment_id": r.deployment_id,
            "sha": c.sha,
            "lead_time": c.lead_time,
            "commit_time": c.commit_time,
            "rebased": c.rebased,
        }
        for r in given.values()
        for c in r.commits
    ]
    _delete(conn, given, clear_copy=False)  # each copy is overwritten below
    for table, rows in ((deployment_lead_times, summaries), (deployment_commits, commits)):
        for rows_chunk in iter_chunks(rows):
            conn.execute(table.insert(), rows_chunk)
    # The flags are TRUE or NULL, and only for the measured records that lead time counts (see schema.py). A record
    # is only ever computed for a deployment with git data: its has_git is set here too, so that after a bulk import
    # (which leaves has_git to the refresh) the verdicts stored next need not rewrite the row and its indexes again.
    copies: list[dict[str, Any]] = [
        {
            "b_id": r.deployment_id,
            "has_git": True,
            "lead_time_status": r.status.value,
            "lead_time_shipped": True if r.measured and r.commit_count else None,
            "lead_time_truncated": True if r.measured and r.truncated else None,
        }
        for r in given.values()
    ]
    for rows_chunk in iter_chunks(copies, 2000):
        conn.execute(_COPY, rows_chunk)


def load_records(conn: Connection, condition: ColumnElement[bool]) -> dict[str, DeploymentLeadTime]:
    """The stored records of the deployments matching ``condition``; commits with the shortest lead time first."""
    joined = deployment_commits.join(deployments, deployments.c.id == deployment_commits.c.deployment_id)
    shipped: dict[str, list[CommitLeadTime]] = {}
    for row in conn.execute(
        select(deployment_commits)
        .select_from(joined)
        .where(condition)
        .order_by(deployment_commits.c.lead_time, deployment_commits.c.sha)
    ):
        shipped.setdefault(row.deployment_id, []).append(
            CommitLeadTime(row.sha, row.lead_time, row.commit_time, row.rebased)
        )
    found: dict[str, DeploymentLeadTime] = {}
    for row in conn.execute(
        select(deployment_lead_times, deployments.c.service, deployments.c.env, deployments.c.finished_at)
        .join(deployments, deployments.c.id == deployment_lead_times.c.deployment_id)
        .where(condition)
    ):
        found[row.deployment_id] = DeploymentLeadTime(
            deployment_id=row.deployment_id,
            service=row.service,
            env=row.env,
            finished_at=row.finished_at,
            status=LeadTimeStatus(row.status),
            explanation=row.explanation,
            commits=tuple(shipped.get(row.deployment_id, ())),
            truncated=row.truncated,
            previous_id=row.previous_deployment_id,
            inputs=row.inputs,
        )
    return found


class SqlLeadTimeStore:
    """Lead-time records in the SQL database next to the deployments they describe."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def save(self, records: Iterable[DeploymentLeadTime]) -> None:
        """Replace the stored lead time of each record's deployment, in one transaction."""
        with self.backend.write() as conn:
            save_records(conn, records)

    def load(self, deployment_ids: Iterable[str]) -> dict[str, DeploymentLeadTime]:
        """The stored records of these deployments, by id; commits with the shortest lead time first."""
        wanted = list(dict.fromkeys(deployment_ids))
        found: dict[str, DeploymentLeadTime] = {}
        with self.backend.reader.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                found.update(load_records(conn, deployments.c.id.in_(wanted[start : start + _CHUNK])))
        return found

    def shipped_by(self, commit_sha: str, service: str, env: str | None, /) -> str | None:
        """``ShippedBy``: the earliest stored deployment of ``service`` in ``env`` that shipped the commit."""
        same_env = deployments.c.env.is_(None) if env is None else deployments.c.env == env
        with self.backend.reader.connect() as conn:
            found: str | None = conn.execute(
                select(deployments.c.id)
                .join(deployment_commits, deployment_commits.c.deployment_id == deployments.c.id)
                .where(deployment_commits.c.sha == commit_sha.lower(), deployments.c.service == service, same_env)
                .order_by(deployments.c.finished_at, deployments.c.started_at, deployments.c.id)
                .limit(1)
            ).scalar_one_or_none()
        return found
