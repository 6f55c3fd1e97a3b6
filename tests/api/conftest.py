"""An in-process client over the real app and a real store (each backend)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.store.sql import SqlEventStore
from tests.servers import API_KEY, APP_KEY


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings of the app under test."""
    return Settings(database_url=database_url, service_teams={"checkout": "payments"})


@pytest.fixture
def client(settings: Settings, store: SqlEventStore) -> Iterator[TestClient]:
    """A client whose requests carry a valid API key."""
    create_key(store, kind="api", name="test", secret=API_KEY)
    create_key(store, kind="app", name="test", secret=APP_KEY)
    app = create_app(settings, store)
    with TestClient(app, headers={"DD-API-KEY": API_KEY}, raise_server_exceptions=False) as test_client:
        yield test_client
