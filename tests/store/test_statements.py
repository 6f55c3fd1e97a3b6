"""Kept statements: the same answer for any window as a statement built for it, and a bounded cache."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, literal, select

from doralens.domain.buckets import NS_PER_DAY, Interval, Window, buckets
from doralens.domain.query import parse_query
from doralens.domain.query_ast import MatchAll, Node
from doralens.store.records import GroupBy, MetricScope
from doralens.store.schema import deployments as deployment_table
from doralens.store.sql import SqlEventStore
from doralens.store.statements import STATEMENTS, StatementCache, fetch, window_bound, window_params
from tests.builders import deployment, failure, ts

# (deployments, failures) filters: none, env (SQLite reads it day by day), service (GROUP BY), a negation.
FILTERS: list[tuple[str, str]] = [("", ""), ("env:prod", "env:prod"), ("service:web", "service:web"), ("-env:dev", "")]
WINDOWS = [
    ("2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z"),
    ("2024-03-02T06:00:00Z", "2024-03-03T18:00:00Z"),
    ("2024-02-01T00:00:00Z", "2024-02-02T00:00:00Z"),
    ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"),
    ("2024-02-01T00:00:00Z", "2024-05-01T00:00:00Z"),  # three months of unequal length
    ("2024-01-01T00:00:00Z", "2024-03-02T12:00:00Z"),  # three others
]


def _node(text: str) -> Node:
    return parse_query(text) if text else MatchAll()


def _answers(store: SqlEventStore, scope: MetricScope) -> tuple[object, ...]:
    found: tuple[object, ...] = (
        store.deployment_days(scope, recoveries=True, lead_time=True),
        store.deployment_days(scope),
        store.failure_samples(scope),
        store.failure_days(scope),
    )
    if store.computes_percentiles:
        # Bucket layouts: one bucket, equal widths (their origin and width are parameters too), months.
        for interval in (Interval.ALL, Interval.DAY, Interval.MONTH):
            starts = [b.start for b in buckets(Window(scope.start, scope.end), interval)]
            found += (
                store.restore_aggregates(scope, bucket_starts=starts),
                store.recovery_aggregates(scope, bucket_starts=starts),
            )
    return found


@pytest.mark.parametrize("group_by", [None, "service"])
def test_a_kept_statement_answers_every_window_like_a_new_one(store: SqlEventStore, group_by: GroupBy | None) -> None:
    for day in range(1, 4):
        for hour, env, service in [(3, "prod", "web"), (9, "dev", "web"), (12, "prod", "api"), (23, "staging", "web")]:
            finished = f"2024-03-{day:02d}T{hour:02d}:00:00Z"
            store.record_deployment(deployment(service, env, finished))
        start = f"2024-03-{day:02d}T10:00:00Z"
        store.record_failure(failure(("web", "api"), "prod", start, f"2024-03-{day:02d}T11:30:00Z"))
        store.record_failure(failure(("web",), "dev", f"2024-03-{day:02d}T20:00:00Z"))
    for deployments, failures in FILTERS:
        scopes = [MetricScope(ts(a), ts(b), _node(deployments), _node(failures), group_by) for a, b in WINDOWS]
        STATEMENTS.clear()
        kept = [_answers(store, scope) for scope in scopes]
        # One per statement shape, whatever the window: the four reads above, and on PostgreSQL two per bucket
        # layout: one bucket, equal widths, and each of the two sets of unequal month starts.
        assert len(STATEMENTS) == (4 + 2 * 4 if store.computes_percentiles else 4)
        fresh = []
        for scope in scopes:
            STATEMENTS.clear()
            fresh.append(_answers(store, scope))
        assert kept == fresh, (deployments, failures)
        assert any(answer[0] for answer in kept)  # the windows hold events: the comparison is not of empties


def test_window_params_name_the_bounds_and_the_days_they_touch() -> None:
    start, end = 10 * NS_PER_DAY + 5, 12 * NS_PER_DAY
    assert window_params(start, end) == {
        "window_start": start,
        "window_end": end,
        "window_first_day": 10,
        "window_stop_day": 12,
    }
    assert window_params(start, end + 1)["window_stop_day"] == 13


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = StatementCache(size=2)
    built: list[str] = []

    def build(name: str) -> str:
        built.append(name)
        return name

    assert cache.get("a", lambda: build("a")) == "a"
    assert cache.get("b", lambda: build("b")) == "b"
    assert cache.get("a", lambda: build("a")) == "a"  # a is now the most recent
    assert cache.get("c", lambda: build("c")) == "c"  # b goes
    assert cache.get("a", lambda: build("a")) == "a"
    assert cache.get("b", lambda: build("b")) == "b"
    assert built == ["a", "b", "c", "b"]
    assert len(cache) == 2


def test_fetch_returns_what_sqlalchemy_returns_for_every_kind_of_parameter(store: SqlEventStore) -> None:
    for hour, env, service in [(3, "prod", "web"), (9, "dev", "web"), (12, "prod", "api"), (23, None, "web")]:
        store.record_deployment(deployment(service, env, f"2024-03-01T{hour:02d}:00:00Z"))
    d = deployment_table.c
    stmt = (
        select(d.service, d.env, func.count(), func.sum(d.finished_at // literal(NS_PER_DAY, literal_execute=True)))
        .where(
            d.finished_at >= window_bound("window_start", 0),
            d.finished_at < window_bound("window_end", 0),
            d.service.in_(bindparam("services", expanding=True)),
            d.env.is_not(None) | (d.service == literal("web")),
        )
        .group_by(d.service, d.env)
        .order_by(d.service, d.env)
    )
    params = {**window_params(ts("2024-03-01T05:00:00Z"), ts("2024-03-02T00:00:00Z")), "services": ["web", "api"]}
    with store.backend.reader.connect() as conn:
        expected = [tuple(row) for row in conn.execute(stmt, params)]
        found = [(s, e, n, int(days)) for s, e, n, days in fetch(conn, stmt, params)]
        again = fetch(conn, stmt, {**params, "services": ["api"]})  # the kept compiled form, other values
    day = ts("2024-03-01T00:00:00Z") // NS_PER_DAY
    # PostgreSQL sums as numeric, which SQLAlchemy leaves as the driver returns it too.
    assert [(s, e, n, int(total)) for s, e, n, total in expected] == found
    assert set(found) == {("api", "prod", 1, day), ("web", "dev", 1, day), ("web", None, 1, day)}
    assert [(s, e, n) for s, e, n, _ in again] == [("api", "prod", 1)]
