"""Key checks: verdicts cached by hash for a few seconds, revocation within that time, and the HTTP answers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from doralens.api import auth
from doralens.api.auth import KeyChecker
from doralens.bootstrap import create_key
from doralens.store.base import KeyRecord
from doralens.store.sql import SqlEventStore
from tests.servers import API_KEY, APP_KEY

METRICS = "/api/v1/metrics?from=30d"


class CountingStore(SqlEventStore):
    """The real store, counting the key lookups that reach it."""

    lookups = 0

    def find_key(self, key_hash: str) -> KeyRecord | None:
        type(self).lookups += 1
        return super().find_key(key_hash)


@pytest.fixture
def checker(store: SqlEventStore) -> KeyChecker:
    CountingStore.lookups = 0
    return KeyChecker(CountingStore(store.backend))


def test_a_verdict_is_cached_by_hash_and_expires(checker: KeyChecker, monkeypatch: pytest.MonkeyPatch) -> None:
    store = checker._store
    key = create_key(store, kind="api", name="ci")
    assert checker.cached(key.secret) == (False, None)
    first = checker.lookup(key.secret)
    assert first is not None
    assert first.kind == "api"
    assert checker.lookup(key.secret) == first
    assert checker.cached(key.secret) == (True, first)
    assert CountingStore.lookups == 1
    assert key.secret not in repr(checker._cache)  # kept by hash only
    # An unknown key's verdict is cached too, so guessing does not query the store every time.
    assert checker.lookup("not-a-key") is None
    assert checker.lookup("not-a-key") is None
    assert CountingStore.lookups == 2
    # Revoked: still accepted from the cache, refused once the verdict expires.
    assert store.revoke_key(key.id)
    assert checker.lookup(key.secret) == first
    monkeypatch.setattr(auth, "CACHE_SECONDS", 0.0)
    checker._cache.clear()
    assert checker.lookup(key.secret) is None
    assert CountingStore.lookups == 3


@pytest.mark.parametrize(
    "headers", [{}, {"DD-API-KEY": API_KEY}, {"DD-API-KEY": "x" * 32, "DD-APPLICATION-KEY": APP_KEY}]
)
def test_reads_without_both_valid_keys_are_forbidden(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get(METRICS, headers={"DD-API-KEY": "", **headers})
    assert answer.status_code == 403, answer.text


def test_an_application_key_is_not_an_api_key(client: TestClient) -> None:
    answer = client.get(METRICS, headers={"DD-API-KEY": APP_KEY, "DD-APPLICATION-KEY": APP_KEY})
    assert answer.status_code == 403


def test_reads_take_the_application_key_as_a_bearer_token(client: TestClient) -> None:
    assert client.get(METRICS, headers={"DD-APPLICATION-KEY": APP_KEY}).status_code == 200
    assert client.get(METRICS, headers={"Authorization": f"Bearer {APP_KEY}"}).status_code == 200


def test_event_sources_get_401_with_a_challenge(client: TestClient) -> None:
    path = "/api/v1/events/cdevents"
    missing = client.post(path, json={}, headers={"DD-API-KEY": ""})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = client.post(path, json={}, headers={"DD-API-KEY": "", "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert (
        client.post(path, json={}, headers={"DD-API-KEY": "", "Authorization": f"Bearer {APP_KEY}"}).status_code == 401
    )


def test_the_gitlab_api_reads_with_a_private_token(client: TestClient) -> None:
    path = "/api/v4/projects/checkout/dora/metrics?metric=deployment_frequency"
    assert client.get(path, headers={"DD-API-KEY": "", "PRIVATE-TOKEN": APP_KEY}).status_code == 200
    assert client.get(path, headers={"DD-API-KEY": "", "PRIVATE-TOKEN": API_KEY}).status_code == 403
