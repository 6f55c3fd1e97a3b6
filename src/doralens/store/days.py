"""Per-day aggregates as SQL: a ``GROUP BY`` of the UTC day, or, on SQLite, one index range scan per day.

SQLite has no hash aggregation: grouping the 100,000 deployments of a quarter by day sorts them all, which costs
more than reading them. When the filter leaves an index that starts with it and continues with the time column
(none, env, team, repository), a recursive CTE of the window's days runs a correlated aggregate per day instead:
each reads its own index range, in order, and returns its counts (and its durations) as one short text
``n,cf,rw`` or ``rows|a,b,c``, which Python splits. Grouped questions, and filters without such an index (a
service across envs), use ``GROUP BY``; for one service across envs, ``service_env_seek`` lets that read seek each of
the service's envs instead of reading its whole history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, String, cast, func, literal, select

from doralens.domain.buckets import NS_PER_DAY
from doralens.domain.query_ast import And, MatchAll, Node, Term
from doralens.store.query_sql import EventKind, Window, compile_query
from doralens.store.records import MetricScope
from doralens.store.schema import deployment_streams, deployments
from doralens.store.statements import FIRST_DAY, STOP_DAY, WINDOW_END, WINDOW_START, window_bound

# Filters with an index (filter column, time column, ...): see schema.DEPLOYMENT_METRIC_INDEXES / FAILURE_...
_RANGED_FIELDS: dict[EventKind, frozenset[str]] = {
    "deployment": frozenset({"env", "team", "repository_id"}),
    "failure": frozenset({"env", "team"}),
}


def day_of(column: ColumnElement[int]) -> ColumnElement[int]:
    """The UTC day number (days since 1970-01-01) of a nanosecond timestamp column (always positive)."""
    # A literal, not a parameter: the plan (and PostgreSQL's estimate of how many days there are) sees the number.
    return column // literal(NS_PER_DAY, literal_execute=True)


def ranged(node: Node, kind: EventKind) -> bool:
    """True when the filter is one the day-by-day plan serves from an index (see the module docstring)."""
    if isinstance(node, MatchAll):
        return True
    if isinstance(node, Term):
        return node.pattern.is_exact and node.field in _RANGED_FIELDS[kind]
    if isinstance(node, And) and kind == "deployment":
        fields = {t.field for t in node.operands if isinstance(t, Term) and t.pattern.is_exact}
        return len(node.operands) == 2 and fields == {"service", "env"}
    return False


def service_env_seek(node: Node) -> list[ColumnElement[bool]]:
    """For deployments of one service in any env: ``env IN (the service's envs) OR env IS NULL``, else nothing.

    The condition removes no row (``deployment_streams`` holds every service and env a deployment was stored
    with, written in the same transaction), but it lets SQLite seek the window's range of each env in the
    (service, env, finished_at) index instead of reading all of the service's history and keeping the window's:
    for one service's quarter out of two years, 538 index entries read instead of about 5,000, 0.99 ms -> 0.64 ms.
    """
    if not (isinstance(node, Term) and node.field == "service" and node.pattern.is_exact):
        return []
    service = node.pattern.segments[0]
    envs = select(deployment_streams.c.env_key).where(deployment_streams.c.service == service)
    return [deployments.c.env.in_(envs) | deployments.c.env.is_(None)]


def days_cte(scope: MetricScope) -> CTE:
    """The UTC days the scope's window touches, as a recursive CTE with column ``d`` (window parameters)."""
    first, stop = scope.start // NS_PER_DAY, (scope.end - 1) // NS_PER_DAY + 1
    days = select(window_bound(FIRST_DAY, first).label("d")).cte("days", recursive=True)
    return days.union_all(select((days.c.d + 1).label("d")).where(days.c.d + 1 < window_bound(STOP_DAY, stop)))


def day_bounds(days: CTE, scope: MetricScope) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """The part of each day inside the window: ``[max(day start, start), min(day end, end))``."""
    low = func.max(days.c.d * literal(NS_PER_DAY), window_bound(WINDOW_START, scope.start))
    high = func.min((days.c.d + 1) * literal(NS_PER_DAY), window_bound(WINDOW_END, scope.end))
    return low, high


def day_summary(counts: Sequence[ColumnElement[Any]], values: ColumnElement[Any] | None = None) -> ColumnElement[str]:
    """A day's counts joined by commas, then ``|`` and its comma-joined values when asked for: ``n,m|a,b``."""
    text: ColumnElement[str] = cast(func.coalesce(counts[0], 0), String)
    for count in counts[1:]:
        text = text + literal(",") + cast(func.coalesce(count, 0), String)
    if values is not None:
        text = text + literal("|") + func.coalesce(values, literal(""))
    return text


def read_day_summary(text: str) -> tuple[list[int], list[int]]:
    """The counts and the values of a ``day_summary``."""
    head, _, tail = text.partition("|")
    return list(map(int, head.split(","))), list(map(int, tail.split(","))) if tail else []


def per_day(days: CTE, *summaries: ColumnElement[str]) -> Select[Any]:
    """One row per day: its number and the text summaries computed by correlated scalar subqueries."""
    return select(days.c.d, *summaries)


def query_condition(node: Node, kind: EventKind, *, window: Window | None = None) -> list[ColumnElement[bool]]:
    """The scope's filter as a WHERE condition, none for the empty filter (``window``: see ``compile_query``)."""
    return [] if isinstance(node, MatchAll) else [compile_query(node, kind, window=window)]
