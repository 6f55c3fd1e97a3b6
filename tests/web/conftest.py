"""The app in-process over a real store (each backend), with the March scenario loaded, for the dashboard tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.store.sql import SqlEventStore
from tests.metrics.conftest import load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures
from tests.servers import API_KEY, APP_KEY

MARCH_PARAMS = {"from": MARCH[0], "to": MARCH[1]}
API_HEADERS = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}


def make_client(store: SqlEventStore, **settings: Any) -> TestClient:
    """A client of the app over ``store`` with the test keys registered."""
    create_key(store, kind="api", name="test", secret=API_KEY)
    create_key(store, kind="app", name="test", secret=APP_KEY)
    app = create_app(Settings(database_url="sqlite:///unused.db", **settings), store)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def empty(store: SqlEventStore) -> Iterator[TestClient]:
    """A client of an app whose store holds no events."""
    with make_client(store) as client:
        yield client


@pytest.fixture
def shop(store: SqlEventStore) -> Iterator[TestClient]:
    """A client of an app whose store holds the March scenario (services web and api)."""
    load(store, [*scenario_deployments(), *scenario_failures()])
    with make_client(store) as client:
        yield client


def page_json(client: TestClient, path: str, **params: Any) -> Any:
    """A page's JSON twin, which must answer 200."""
    response = client.get(path, params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()


def api_json(client: TestClient, path: str, **params: Any) -> Any:
    """An API answer, which must be 200."""
    response = client.get(path, params=params, headers=API_HEADERS)
    assert response.status_code == 200, response.text
    return response.json()
