"""The rows a metric scope selects: WHERE conditions per event kind, and the group column to aggregate by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, literal, select

from doralens.domain.query_ast import Node
from doralens.store.days import query_condition
from doralens.store.records import GroupBy, MetricScope
from doralens.store.schema import deployments, failure_services, failures
from doralens.store.statements import WINDOW_END, WINDOW_START, window_bound

Shape = tuple[Node, Node, GroupBy | None]


def as_int(condition: ColumnElement[Any]) -> ColumnElement[int]:
    """1 where the condition holds, else 0 (a boolean PostgreSQL cannot sum)."""
    return case((condition, 1), else_=0)


def shape(scope: MetricScope) -> Shape:
    """What a statement built from the scope depends on besides its window (a key of ``STATEMENTS``)."""
    return scope.deployments, scope.failures, scope.group_by


def deployment_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for deployments finished in the scope's window that match its query.

    The window's bounds are the named parameters of ``statements.py``, so the statement can be executed again
    for another window with ``window_params``.
    """
    start, end = window_bound(WINDOW_START, scope.start), window_bound(WINDOW_END, scope.end)
    window = [deployments.c.finished_at >= start, deployments.c.finished_at < end]
    return [*window, *query_condition(scope.deployments, "deployment")]


def failure_conditions(scope: MetricScope) -> list[ColumnElement[bool]]:
    """WHERE conditions for failures started in the scope's window that match its query (window: as above)."""
    start, end = window_bound(WINDOW_START, scope.start), window_bound(WINDOW_END, scope.end)
    window = [failures.c.started_at >= start, failures.c.started_at < end]
    return [*window, *query_condition(scope.failures, "failure", window=(start, end))]


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
