"""The compiled SQL condition selects exactly the events the reference evaluator accepts, on both backends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from doralens.domain.events import Deployment, Failure, GitInfo
from doralens.domain.query import parse_query
from doralens.domain.query_ast import Node, Pattern, matches, split_tag
from doralens.store.query_sql import EventKind, compile_query, glob_pattern, like_pattern
from doralens.store.schema import (
    deployment_tags,
    deployments,
    failure_services,
    failure_tags,
    failures,
    metadata,
)
from tests.strategies import deployments as deployment_events
from tests.strategies import failures as failure_events
from tests.strategies import query_nodes, stored_values, with_ids

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Engines are only used for their dialects here: creating one does not connect.
POSTGRES_DIALECT = sa.create_engine(POSTGRES_URL).dialect
SQLITE_DIALECT = sa.create_engine("sqlite://").dialect


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('query') / 'events.db'}")
        metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    yield from _postgres_engine()


def _postgres_engine() -> Iterator[sa.Engine]:
    admin = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {POSTGRES_URL}")
    # A schema of its own keeps parallel runs and other test modules out of each other's tables.
    schema = f"query_test_{uuid.uuid4().hex}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def insert(conn: sa.Connection, events: Sequence[Deployment | Failure]) -> None:
    """Store events the way the event store does: columns, plus tags and services exploded into rows."""
    for event in events:
        row = {
            "id": event.id,
            "env": event.env,
            "team": event.team,
            "version": event.version,
            "started_at": event.started_at,
            "commit_sha": event.git.commit_sha if event.git else None,
            "repository_url": event.git.repository_url if event.git else None,
            "repository_id": event.git.repository_id if event.git else None,
            "custom_tags": json.dumps(list(event.custom_tags)),
            "received_at": 0,
            "updated_at": 0,
        }
        tag_rows = [{"key": k, "value": v} for k, v in sorted(set(map(split_tag, event.custom_tags)))]
        if isinstance(event, Deployment):
            conn.execute(deployments.insert(), {**row, "service": event.service, "finished_at": event.finished_at})
            rows = [{"deployment_id": event.id, **tag} for tag in tag_rows]
            if rows:
                conn.execute(deployment_tags.insert(), rows)
        else:
            extra = {"name": event.name, "severity": event.severity, "finished_at": event.finished_at}
            conn.execute(failures.insert(), {**row, **extra})
            services = [{"failure_id": event.id, "service": s, "started_at": event.started_at} for s in event.services]
            if services:
                conn.execute(failure_services.insert(), services)
            rows = [{"failure_id": event.id, **tag} for tag in tag_rows]
            if rows:
                conn.execute(failure_tags.insert(), rows)


def selected(conn: sa.Connection, node: Node, kind: EventKind) -> set[str]:
    table = deployments if kind == "deployment" else failures
    return set(conn.execute(sa.select(table.c.id).where(compile_query(node, kind))).scalars())


def expected(node: Node, events: Sequence[Deployment | Failure]) -> set[str]:
    return {event.id for event in events if matches(node, event)}


def assert_agrees(engine: sa.Engine, events: Sequence[Deployment | Failure], queries: Sequence[Node]) -> None:
    kind: EventKind = "deployment" if all(isinstance(e, Deployment) for e in events) else "failure"
    with engine.connect() as conn, conn.begin() as transaction:
        insert(conn, events)
        for node in queries:
            assert selected(conn, node, kind) == expected(node, events), node
        transaction.rollback()  # every check starts from empty tables


def git(repository_id: str) -> GitInfo:
    return GitInfo("a" * 40, f"https://{repository_id}", repository_id)


DEPLOYMENTS = with_ids(
    [
        Deployment("", "web", 1, 2, env="prod", team="core", version="1.0-rc1", git=git("github.com/o/web")),
        Deployment("", "Web", 1, 2, env="staging", version="1.0", custom_tags=("region:eu-west-1", "canary")),
        Deployment("", "WEB", 1, 2, env=None, team="Core", custom_tags=("region:EU-west-1", "url:http://x:80")),
        Deployment("", "wéb", 1, 2, env="", version="2.0", custom_tags=("region:us", "tier:gold")),
        Deployment("", "WÉB", 1, 2, env="prod", git=git("github.com/o/api")),
        Deployment("", "a%b", 1, 2, env="a_b", version="a\\b", custom_tags=("k:a%b",)),
        Deployment("", "axb", 1, 2, env="aXb", version="a[b]", custom_tags=("k:a*b",)),
        Deployment("", "a*b", 1, 2, env="a?b", version="a[b", custom_tags=("k:axb",)),
    ]
)

FAILURES = with_ids(
    [
        Failure("", 1, services=("web", "api"), severity="high", env="prod", team="core"),
        Failure("", 1, services=("Web",), severity="HIGH", env=None, custom_tags=("region:eu",)),
        Failure("", 1, services=(), team="core", severity=None, git=git("github.com/o/web")),
        Failure("", 1, services=("a%b", "a_b"), env="prod", version="1.0-rc1"),
    ]
)

EXAMPLE_QUERIES = [
    "",
    "service:web",
    "service:Web",
    "service:w*",
    "service:W*",
    "service:*é*",
    "service:*É*",
    "service:*eb",
    "service:*EB",
    "-service:web",
    "env:prod",
    "-env:prod",
    "env:*",
    "-env:*",
    'env:""',
    "team:core",
    "-team:Core",
    "version:*rc*",
    "version:a\\\\*",
    "version:a[*",
    "version:*]",
    "repository_id:github.com/o/*",
    "-git.repository_id:github.com/o/web",
    "service:a%*",
    "service:a_*",
    "service:a\\**",
    "env:a?*",
    "env:a_*",
    "env:a*b",
    "@region:eu-*",
    "@region:EU-*",
    "-@region:*",
    "@canary:*",
    '@canary:""',
    "@url:http://x:80",
    "@k:a%*",
    "@k:a\\**",
    "@k:a*b",
    "severity:high",
    "severity:*",
    "-severity:high",
    "severity:HIGH OR -service:*",
    "service:(web OR api) env:prod",
    "(service:web OR service:Web) -env:prod",
    "service:web OR env:staging team:core",
    "NOT (service:w* OR service:W*)",
    "service:(web AND api)",
    "services:(a* -a%b)",
]


def test_examples_agree_with_the_evaluator_for_deployments(engine: sa.Engine) -> None:
    assert_agrees(engine, DEPLOYMENTS, [parse_query(query) for query in EXAMPLE_QUERIES])


def test_examples_agree_with_the_evaluator_for_failures(engine: sa.Engine) -> None:
    assert_agrees(engine, FAILURES, [parse_query(query) for query in EXAMPLE_QUERIES])


def test_a_window_narrows_service_terms_to_the_failures_it_keeps(engine: sa.Engine) -> None:
    # Starts 1 to 4; the window [2, 4) keeps the second and third failure, whatever the query says of the others.
    spread = [replace(failure, started_at=n) for n, failure in enumerate(FAILURES, start=1)]
    inside = {failure.id for failure in spread if 2 <= failure.started_at < 4}
    window = [failures.c.started_at >= 2, failures.c.started_at < 4]
    with engine.connect() as conn, conn.begin() as transaction:
        insert(conn, spread)
        for query in EXAMPLE_QUERIES:
            node = parse_query(query)
            condition = compile_query(node, "failure", window=(2, 4))
            found = set(conn.execute(sa.select(failures.c.id).where(*window, condition)).scalars())
            assert found == expected(node, spread) & inside, query
        transaction.rollback()


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("service:w*", {0, 3}),
        ("service:*é*", {3}),
        ("-env:prod", {1, 2, 3, 5, 6, 7}),
        ("service:a%*", {5}),
        ("service:a\\**", {7}),
        ("version:a[*", {6, 7}),
        ("@region:eu-*", {1}),
    ],
)
def test_wildcards_are_case_sensitive_and_literal_parts_are_escaped(
    engine: sa.Engine, query: str, ids: set[int]
) -> None:
    with engine.connect() as conn, conn.begin() as transaction:
        insert(conn, DEPLOYMENTS)
        assert selected(conn, parse_query(query), "deployment") == {DEPLOYMENTS[i].id for i in ids}
        transaction.rollback()


# Database round trips vary too much for a per-example deadline; more examples than the default because
# a difference between SQL and evaluator needs two events that nearly match the same pattern.
database_settings = settings(max_examples=250, deadline=None)


@database_settings
@given(st.lists(deployment_events(), max_size=8), st.data())
def test_random_queries_agree_with_the_evaluator_on_deployments(
    engine: sa.Engine, events: list[Deployment], data: st.DataObject
) -> None:
    queries = data.draw(st.lists(query_nodes(pool=stored_values(events)), min_size=1, max_size=6))
    assert_agrees(engine, with_ids(events), queries)


@database_settings
@given(st.lists(failure_events(), max_size=8), st.data())
def test_random_queries_agree_with_the_evaluator_on_failures(
    engine: sa.Engine, events: list[Failure], data: st.DataObject
) -> None:
    queries = data.draw(st.lists(query_nodes(pool=stored_values(events)), min_size=1, max_size=6))
    assert_agrees(engine, with_ids(events), queries)


def test_largest_accepted_queries_run(engine: sa.Engine) -> None:
    queries = [
        " ".join(["@k:v*"] * 64),
        "env:(" + " ".join(["a*"] * 64) + ")",
        " ".join(["-(env:a OR @k:v)"] * 32),
        "(" * 32 + "env:a" + ")" * 32,
    ]
    assert_agrees(engine, DEPLOYMENTS, [parse_query(query) for query in queries])
    assert_agrees(engine, FAILURES, [parse_query(query) for query in queries])


def test_values_are_bound_parameters_never_sql_text() -> None:
    hostile = "x' OR '1'='1"
    escaped = hostile.replace(" ", "\\ ")
    condition = compile_query(parse_query(f'service:"{hostile}" @k:*{escaped}*'), "deployment")
    for dialect in (SQLITE_DIALECT, POSTGRES_DIALECT):
        compiled = sa.select(deployments.c.id).where(condition).compile(dialect=dialect)
        assert hostile not in str(compiled)
        assert hostile in compiled.params.values()
        assert any(hostile in str(value) for value in compiled.params.values() if value != hostile)


def test_exact_values_compile_to_equality_so_indexes_apply() -> None:
    sql = str(compile_query(parse_query("service:web env:prod"), "deployment").compile())
    assert "deployments.service = :service_1" in sql
    assert "deployments.env = :env_1" in sql
    assert "LIKE" not in sql


def test_wildcards_compile_to_like_on_postgresql_and_glob_on_sqlite() -> None:
    condition = compile_query(parse_query("service:web-*"), "deployment")
    postgres = condition.compile(dialect=POSTGRES_DIALECT)
    on_sqlite = condition.compile(dialect=SQLITE_DIALECT)
    assert "LIKE %(param_1)s" in str(postgres)
    assert "ESCAPE '\\'" in str(postgres)
    assert "GLOB ?" in str(on_sqlite)


@pytest.mark.parametrize(
    ("segments", "like", "glob"),
    [
        (("web-", ""), "web-%", "web-*"),
        (("a%b", "c_d"), "a\\%b%c\\_d", "a%b*c_d"),
        (("a\\", ""), "a\\\\%", "a\\*"),
        (("[x]", "*?"), "[x]%*?", "[[]x]*[*][?]"),
    ],
)
def test_patterns_escape_their_literal_parts(segments: tuple[str, ...], like: str, glob: str) -> None:
    assert like_pattern(Pattern(segments)) == like
    assert glob_pattern(Pattern(segments)) == glob


def test_statements_with_matches_are_cacheable() -> None:
    first = sa.select(deployments.c.id).where(compile_query(parse_query("service:a*"), "deployment"))
    second = sa.select(deployments.c.id).where(compile_query(parse_query("service:b*"), "deployment"))
    first_key, second_key = first._generate_cache_key(), second._generate_cache_key()
    assert first_key is not None
    assert first_key == second_key
