"""Shared fixtures: real SQLite files, a real PostgreSQL database per test run, live server processes."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from doralens.store.factory import open_store
from doralens.store.postgres import sqlalchemy_url
from doralens.store.schema import metadata
from doralens.store.sql import SqlEventStore
from tests.servers import LiveServer, start_server

ADMIN_URL = os.environ.get("DORALENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("DORALENS_TEST_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _doralens_logger_as_it_was() -> Iterator[None]:
    """Commands run in-process set the ``doralens`` logger's level and handler; no test sees another's."""
    logger = logging.getLogger("doralens")
    level, handlers = logger.level, logger.handlers[:]
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(sqlalchemy_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {ADMIN_URL} is unreachable: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (dropped at the end); skips or fails when unreachable."""
    problem = _postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(problem)
        pytest.skip(problem)
    name = f"doralens_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sqlalchemy_url(ADMIN_URL)).set(database=name, drivername="postgresql")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(store: SqlEventStore) -> None:
    with store.backend.write() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/events.db"
        return
    url: str = request.getfixturevalue("postgres_database")
    store = open_store(url)
    store.migrate()
    _truncate_all(store)
    store.close()
    yield url


@pytest.fixture
def store(database_url: str) -> Iterator[SqlEventStore]:
    """An open, migrated ``EventStore`` on each backend."""
    opened = open_store(database_url)
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def server(database_url: str) -> Iterator[LiveServer]:
    """A live ``doralens serve`` process on each backend, with known keys."""
    with start_server(database_url) as live:
        yield live
