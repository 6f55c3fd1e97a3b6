"""Listing events: time range, search query, sort and limit as one parameterised SELECT."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, select

from doralens.domain.query import parse_query
from doralens.domain.query_ast import MatchAll, Node
from doralens.errors import ValidationFailed
from doralens.store.query_sql import EventKind, compile_query
from doralens.store.rows import DEPLOYMENT_COLUMNS
from doralens.store.schema import deployments, failures

MAX_LIMIT = 1000

# Fields a list may sort on, per kind; the time a kind is filtered and sorted on by default.
SORTABLE: dict[EventKind, tuple[str, ...]] = {
    "deployment": ("id", "service", "env", "team", "version", "started_at", "finished_at", "repository_id"),
    "failure": ("id", "name", "severity", "env", "team", "version", "started_at", "finished_at", "repository_id"),
}
TIME_FIELD: dict[EventKind, str] = {"deployment": "finished_at", "failure": "started_at"}
_TABLES: dict[EventKind, Table] = {"deployment": deployments, "failure": failures}


@dataclass(frozen=True)
class ListSpec:
    """What a list call asks for: events whose time is in [since, until], matching ``query``."""

    query: Node = field(default_factory=MatchAll)
    since: int | None = None
    until: int | None = None
    limit: int = 10
    sort_field: str | None = None
    descending: bool = True


def make_list_spec(
    kind: EventKind,
    *,
    query: str | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int = 10,
    sort: str | None = None,
) -> ListSpec:
    """Check a list request's parts (query syntax, sort field, range, limit) and build its ``ListSpec``."""
    if since is not None and until is not None and since > until:
        raise ValidationFailed.at("/data/attributes/from", "must not be after to")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.at("/data/attributes/limit", f"must be between 1 and {MAX_LIMIT}")
    sort_field, descending = None, True
    if sort:
        descending = sort.startswith("-")
        sort_field = sort.lstrip("-+")
        if sort_field not in SORTABLE[kind]:
            allowed = ", ".join(SORTABLE[kind])
            raise ValidationFailed.at("/data/attributes/sort", f"cannot sort on {sort_field!r}; use one of {allowed}")
    return ListSpec(
        query=parse_query(query or ""),
        since=since,
        until=until,
        limit=limit,
        sort_field=sort_field,
        descending=descending,
    )


def list_statement(kind: EventKind, spec: ListSpec) -> Select[Any]:
    """The SELECT of rows of ``kind`` that ``spec`` asks for."""
    table = _TABLES[kind]
    time_column = table.c[TIME_FIELD[kind]]
    conditions: list[ColumnElement[bool]] = []
    if spec.since is not None:
        conditions.append(time_column >= spec.since)
    if spec.until is not None:
        conditions.append(time_column <= spec.until)
    if not isinstance(spec.query, MatchAll):
        conditions.append(compile_query(spec.query, kind))
    sort_column = table.c[spec.sort_field or TIME_FIELD[kind]]
    order = [sort_column.desc(), table.c.id.desc()] if spec.descending else [sort_column.asc(), table.c.id.asc()]
    columns = DEPLOYMENT_COLUMNS if kind == "deployment" else tuple(table.c)
    return select(*columns).where(*conditions).order_by(*order).limit(min(spec.limit, MAX_LIMIT))
