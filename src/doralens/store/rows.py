"""Conversions between domain events and table rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Table

from doralens.domain.events import ChangeFailureMark, Deployment, Failure, GitInfo, Remediation
from doralens.domain.query_ast import split_tag
from doralens.store.bulk_rows import EVENT_COLUMNS
from doralens.store.dialect import iter_chunks
from doralens.store.records import StoredAttribution, StoredVerdict
from doralens.store.schema import deployments


def git_columns(git: GitInfo | None) -> dict[str, Any]:
    """The git columns of an event row."""
    if git is None:
        return {"commit_sha": None, "repository_url": None, "repository_id": None}
    return {"commit_sha": git.commit_sha, "repository_url": git.repository_url, "repository_id": git.repository_id}


def git_from(row: Row[Any]) -> GitInfo | None:
    """The git info of an event row, if any."""
    if row.commit_sha is None:
        return None
    return GitInfo(row.commit_sha, row.repository_url or "", row.repository_id or "")


def deployment_row(deployment: Deployment, now: int) -> dict[str, Any]:
    """The columns an upsert of this deployment sets (marks are left alone)."""
    return {
        "id": deployment.id,
        "service": deployment.service,
        "env": deployment.env,
        "team": deployment.team,
        "version": deployment.version,
        "started_at": deployment.started_at,
        "finished_at": deployment.finished_at,
        "custom_tags": json.dumps(list(deployment.custom_tags)),
        "updated_at": now,
        **git_columns(deployment.git),
    }


def mark_columns(mark: ChangeFailureMark | None) -> dict[str, Any]:
    """The columns holding a manual change-failure mark."""
    remediation = mark.remediation if mark else None
    return {
        "marked_change_failure": mark.change_failure if mark else None,
        "remediation_type": remediation.type if remediation else None,
        "remediation_deployment_id": remediation.deployment_id if remediation else None,
        "remediation_version": remediation.version if remediation else None,
        "marked_by": mark.set_by if mark else None,
        "marked_at": mark.set_at if mark else None,
    }


# The columns a deployment is read from, in the order ``deployment_from`` unpacks them: those a bulk write sets (but
# ``updated_at``), then the mark's.
DEPLOYMENT_COLUMNS = tuple(deployments.c[name] for name in (*EVENT_COLUMNS[:-1], *mark_columns(None)))


def tags_from(raw: str) -> tuple[str, ...]:
    """The custom tags column, with a fast path for the common empty list."""
    return () if raw == "[]" else tuple(json.loads(raw))


def deployment_from(row: Sequence[Any]) -> Deployment:
    """A deployment from a row selected with ``DEPLOYMENT_COLUMNS`` (unpacked by position: lists read many)."""
    if len(row) != len(DEPLOYMENT_COLUMNS) and isinstance(row, Row):
        # A whole-table row (derived-state reads also want the verdict columns): pick the columns by name.
        mapping = row._mapping
        row = tuple(mapping[column.name] for column in DEPLOYMENT_COLUMNS)
    (
        id_,
        service,
        env,
        team,
        version,
        started_at,
        finished_at,
        commit_sha,
        repository_url,
        repository_id,
        custom_tags,
        marked,
        remediation_type,
        remediation_id,
        remediation_version,
        marked_by,
        marked_at,
    ) = row
    mark = None
    if marked is not None:
        remediation = None
        if remediation_type is not None:
            remediation = Remediation(remediation_type, remediation_id, remediation_version)
        mark = ChangeFailureMark(bool(marked), remediation, marked_by or "", marked_at or 0)
    git = GitInfo(commit_sha, repository_url or "", repository_id or "") if commit_sha is not None else None
    return Deployment(
        id=id_,
        service=service,
        started_at=started_at,
        finished_at=finished_at,
        env=env,
        team=team,
        version=version,
        git=git,
        custom_tags=tags_from(custom_tags),
        mark=mark,
    )


def failure_row(failure: Failure, now: int) -> dict[str, Any]:
    """The columns of a failure row, but its id and arrival time."""
    return {
        "name": failure.name,
        "severity": failure.severity,
        "env": failure.env,
        "team": failure.team,
        "version": failure.version,
        "started_at": failure.started_at,
        "finished_at": failure.finished_at,
        "custom_tags": json.dumps(list(failure.custom_tags)),
        "updated_at": now,
        **git_columns(failure.git),
    }


def failure_from(row: Row[Any], services: tuple[str, ...]) -> Failure:
    """A failure from its row and its services."""
    return Failure(
        id=row.id,
        started_at=row.started_at,
        services=services,
        team=row.team,
        finished_at=row.finished_at,
        name=row.name,
        severity=row.severity,
        env=row.env,
        version=row.version,
        git=git_from(row),
        custom_tags=tags_from(row.custom_tags),
    )


def insert_tags(conn: Connection, table: Table, owner: str, owner_id: str, tags: tuple[str, ...]) -> None:
    """Insert the ``key:value`` rows of an event's custom tags (duplicates once)."""
    rows: list[dict[str, Any]] = [
        {owner: owner_id, "key": key, "value": value} for key, value in dict.fromkeys(split_tag(t) for t in tags)
    ]
    for chunk in iter_chunks(rows):
        conn.execute(table.insert(), chunk)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def _join(values: tuple[str, ...]) -> str | None:
    return ",".join(values) if values else None


# The derived verdict columns, in the order of ``StoredVerdict``'s fields (``verdict_of`` unpacks them so).
VERDICT_READ = tuple(
    deployments.c[name]
    for name in (
        "is_change_failure",
        "change_failure_reasons",
        "overridden_reasons",
        "remediated_by",
        "remediation_kind",
        "is_rework",
        "rework_reasons",
        "rework_failure_ids",
        "recovery_ns",
        "recovery_status",
        "has_git",
    )
)


def verdict_of(values: Sequence[Any]) -> StoredVerdict:
    """A stored verdict from the values of ``VERDICT_READ``, in order."""
    (
        is_change_failure,
        reasons,
        overridden,
        remediated_by,
        remediation_kind,
        is_rework,
        rework_reasons,
        rework_failure_ids,
        recovery_ns,
        recovery_status,
        has_git,
    ) = values
    return StoredVerdict(
        is_change_failure=bool(is_change_failure),
        reasons=_split(reasons),
        overridden_reasons=_split(overridden),
        remediated_by=remediated_by,
        remediation_kind=remediation_kind,
        is_rework=bool(is_rework),
        rework_reasons=_split(rework_reasons),
        rework_failure_ids=_split(rework_failure_ids),
        recovery_ns=recovery_ns,
        recovery_status=recovery_status,
        has_git=bool(has_git),
    )


def verdict_from(row: Row[Any]) -> StoredVerdict:
    """The derived verdict columns of a deployment row."""
    mapping = row._mapping
    return verdict_of(tuple(mapping[column.name] for column in VERDICT_READ))


def verdict_columns(verdict: StoredVerdict) -> dict[str, Any]:
    """The derived verdict columns to write for a deployment."""
    return {
        "is_change_failure": verdict.is_change_failure,
        "change_failure_reasons": _join(verdict.reasons),
        "overridden_reasons": _join(verdict.overridden_reasons),
        "remediated_by": verdict.remediated_by,
        "remediation_kind": verdict.remediation_kind,
        "is_rework": verdict.is_rework,
        "rework_reasons": _join(verdict.rework_reasons),
        "rework_failure_ids": _join(verdict.rework_failure_ids),
        "recovery_ns": verdict.recovery_ns,
        "recovery_status": verdict.recovery_status,
        "has_git": verdict.has_git,
    }


def attribution_from(row: Row[Any]) -> StoredAttribution:
    """An attribution from its row."""
    return StoredAttribution(
        failure_id=row.failure_id,
        deployment_id=row.deployment_id,
        service=row.service,
        method=row.method,
        confidence=row.confidence,
        basis=row.basis,
    )
