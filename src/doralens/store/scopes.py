"""The rows a metric scope selects: WHERE conditions per event kind, and the group column to aggregate by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, literal, select

from doralens.store.days import query_condition
from doralens.store.records import MetricScope
from doralens.store.schema import deployments, failure_services, failures


def as_int(condition: ColumnElement[Any]) -> ColumnElement[int]:
    """1 where the condition holds, else 0 (a boolean PostgreSQL cannot sum)."""
    return case((condition, 1), else_=0)


def deployment_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for deployments finished in the scope's window that match its query."""
    window = [deployments.c.finished_at >= scope.start, deployments.c.finished_at < scope.end]
    return [*window, *query_condition(scope.deployments, "deployment")]


def failure_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for failures started in the scope's window that match its query."""
    window = [failures.c.started_at >= scope.start, failures.c.started_at < scope.end]
    return [*window, *query_condition(scope.failures, "failure", window=(scope.start, scope.end))]


def deployment_group(scope: MetricScope) -> ColumnElement[Any]:
    """The deployment column the scope groups by, labelled ``grp`` (NULL when ungrouped)."""
    return (deployments.c[scope.group_by] if scope.group_by else literal(None)).label("grp")


def failure_select(scope: MetricScope, *columns: ColumnElement[Any]) -> Select[Any]:
    """Failures of the scope with their group column first; grouped by service, one row per impacted service."""
    if scope.group_by == "service":
        joined = failures.join(failure_services, failure_services.c.failure_id == failures.c.id)
        return select(failure_services.c.service.label("grp"), *columns).select_from(joined)
    group = failures.c[scope.group_by] if scope.group_by else literal(None)
    return select(group.label("grp"), *columns)
