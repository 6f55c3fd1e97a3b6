"""GitHub, GitLab and PagerDuty webhooks replayed through the real app and store on each backend."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from doralens.api.app import create_app
from doralens.config import Settings
from doralens.integrations.signatures import hmac_sha256_hex
from doralens.store.factory import open_store
from doralens.store.sql import SqlEventStore
from tests.builders import ts
from tests.integrations.fixtures import raw
from tests.servers import start_server

GITHUB_SECRET = "gh-webhook-secret-for-tests"
GITLAB_TOKEN = "gl-webhook-token-for-tests"
PAGERDUTY_SECRET = "pd-webhook-secret-for-tests"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings with every webhook turned on (overrides tests/api/conftest.py)."""
    return Settings(
        database_url=database_url,
        service_teams={"shop": "web-team"},
        github_webhook_secret=GITHUB_SECRET,
        gitlab_webhook_token=GITLAB_TOKEN,
        pagerduty_webhook_secret=PAGERDUTY_SECRET,
        webhook_service_map=(("pagerduty:Checkout API", "checkout"),),
        webhook_env_map=(("production", "prod"),),
    )


def github(client: httpx.Client, event: str, body: bytes, signature: str | None = None, **headers: str) -> Any:
    sig = {"X-Hub-Signature-256": signature or "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body)}
    hook = {"X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    return client.post("/api/v1/webhooks/github", content=body, headers={**JSON, **hook, **sig, **headers})


def gitlab(client: httpx.Client, body: bytes, token: str = GITLAB_TOKEN) -> Any:
    return client.post("/api/v1/webhooks/gitlab", content=body, headers={**JSON, "X-Gitlab-Token": token})


def pagerduty(client: httpx.Client, body: bytes, signature: str | None = None) -> Any:
    sig = signature or "v1=" + hmac_sha256_hex(PAGERDUTY_SECRET, body)
    return client.post("/api/v1/webhooks/pagerduty", content=body, headers={**JSON, "X-PagerDuty-Signature": sig})


def stored_id(response: Any) -> str:
    assert response.status_code == 200, response.text
    [item] = response.json()["data"]
    event_id: str = item["id"]
    return event_id


def test_github_deployment_status_is_stored(client: TestClient, store: SqlEventStore) -> None:
    response = github(client, "deployment_status", raw("github/deployment_status_success.json"))
    assert response.headers["content-type"] == "application/json"
    deployment = store.get_deployment(stored_id(response))
    assert deployment is not None
    assert (deployment.service, deployment.env, deployment.version, deployment.team) == (
        "shop",
        "prod",
        "v1.4.2",
        "web-team",
    )
    assert deployment.git is not None
    assert deployment.git.repository_id == "github.com/acme/shop"
    assert response.json()["data"][0]["type"] == "dora_deployment"


def test_github_redelivery_updates_instead_of_duplicating(client: TestClient, store: SqlEventStore) -> None:
    body = raw("github/deployment_status_success.json")
    first = stored_id(github(client, "deployment_status", body))
    assert stored_id(github(client, "deployment_status", body)) == first
    issue = stored_id(github(client, "issues", raw("github/issues_opened.json")))
    assert stored_id(github(client, "issues", raw("github/issues_opened.json"))) == issue
    assert store.count_events() == (1, 1)


def test_github_incident_issue_opens_then_closes_one_failure(client: TestClient, store: SqlEventStore) -> None:
    opened = stored_id(github(client, "issues", raw("github/issues_opened.json")))
    closed = stored_id(github(client, "issues", raw("github/issues_closed.json")))
    assert opened == closed
    failure = store.get_failure(opened)
    assert failure is not None
    assert (failure.services, failure.env, failure.team) == (("shop",), "prod", "web-team")
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T10:20:00Z"), ts("2024-05-14T11:31:30Z"))


def test_github_ping_answers_200_and_other_events_202(client: TestClient, store: SqlEventStore) -> None:
    ping = github(client, "ping", raw("github/ping.json"))
    assert ping.status_code == 200
    assert ping.json()["data"] == []
    assert "pong" in ping.json()["note"]
    push = github(client, "push", b'{"ref": "refs/heads/main"}')
    assert push.status_code == 202
    assert "push" in push.json()["ignored"]
    assert store.count_events() == (0, 0)


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "0" * 64, "sha256=" + hmac_sha256_hex("another-secret", b"{}"), "sha1=abc", ""],
    ids=["zeros", "other-secret", "sha1", "empty"],
)
def test_github_forged_or_missing_signature_is_401(client: TestClient, store: SqlEventStore, signature: str) -> None:
    body = raw("github/deployment_status_success.json")
    headers = {**JSON, "X-GitHub-Event": "deployment_status"}
    if signature:
        headers["X-Hub-Signature-256"] = signature
    response = client.post("/api/v1/webhooks/github", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0].startswith("Unauthorized")
    assert store.count_events() == (0, 0)


def test_github_signature_of_a_tampered_body_is_401(client: TestClient, store: SqlEventStore) -> None:
    body = raw("github/deployment_status_success.json")
    signature = "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body)
    tampered = body.replace(b'"production"', b'"staging"')
    assert github(client, "deployment_status", tampered, signature).status_code == 401
    assert store.count_events() == (0, 0)


def test_github_gzip_body_is_signed_as_decompressed(client: TestClient, store: SqlEventStore) -> None:
    body = raw("github/deployment_status_success.json")
    signature = "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body)
    response = github(client, "deployment_status", gzip.compress(body), signature, **{"Content-Encoding": "gzip"})
    assert store.get_deployment(stored_id(response)) is not None


def test_github_event_in_the_future_is_400(client: TestClient, store: SqlEventStore) -> None:
    body = raw("github/deployment_status_success.json").replace(b"2024-05-14T10:02:11Z", b"2999-01-01T00:00:00Z")
    response = github(client, "deployment_status", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/deployment_status/updated_at"
    assert store.count_events() == (0, 0)


def test_gitlab_deployment_and_incident_are_stored(client: TestClient, store: SqlEventStore) -> None:
    deployment = store.get_deployment(stored_id(gitlab(client, raw("gitlab/deployment_success.json"))))
    assert deployment is not None
    assert (deployment.service, deployment.env, deployment.finished_at) == (
        "billing",
        "prod",
        ts("2024-05-14T10:02:11Z"),
    )
    opened = stored_id(gitlab(client, raw("gitlab/issue_incident_opened.json")))
    assert stored_id(gitlab(client, raw("gitlab/issue_incident_closed.json"))) == opened
    assert stored_id(gitlab(client, raw("gitlab/deployment_success.json"))) == deployment.id
    failure = store.get_failure(opened)
    assert failure is not None
    assert (failure.severity, failure.finished_at) == ("critical", ts("2024-05-14T11:40:12Z"))
    assert store.count_events() == (1, 1)


@pytest.mark.parametrize("token", ["", "wrong-token", GITLAB_TOKEN + "x"])
def test_gitlab_wrong_or_missing_token_is_401(client: TestClient, store: SqlEventStore, token: str) -> None:
    assert gitlab(client, raw("gitlab/deployment_success.json"), token).status_code == 401
    assert store.count_events() == (0, 0)


def test_pagerduty_incident_lifecycle_is_one_failure(client: TestClient, store: SqlEventStore) -> None:
    triggered = stored_id(pagerduty(client, raw("pagerduty/incident_triggered.json")))
    acknowledged = pagerduty(client, raw("pagerduty/incident_acknowledged.json"))
    assert stored_id(acknowledged) == triggered
    assert "acknowledged" in acknowledged.json()["note"]
    still_open = store.get_failure(triggered)
    assert still_open is not None
    assert still_open.finished_at is None
    assert stored_id(pagerduty(client, raw("pagerduty/incident_resolved.json"))) == triggered
    failure = store.get_failure(triggered)
    assert failure is not None
    assert (failure.services, failure.severity, failure.env) == (("checkout",), "P1", "prod")
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T10:21:07Z"), ts("2024-05-14T11:31:30.804Z"))
    assert store.count_events() == (0, 1)


def test_pagerduty_resolution_without_a_start_keeps_the_known_start(client: TestClient, store: SqlEventStore) -> None:
    triggered = stored_id(pagerduty(client, raw("pagerduty/incident_triggered.json")))
    body = raw("pagerduty/incident_resolved.json").replace(b'"created_at": "2024-05-14T10:21:07Z",', b"")
    assert b"created_at" not in body
    assert stored_id(pagerduty(client, body)) == triggered
    failure = store.get_failure(triggered)
    assert failure is not None
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T10:21:07Z"), ts("2024-05-14T11:31:30.804Z"))


def test_pagerduty_any_of_several_signatures_is_enough(client: TestClient) -> None:
    body = raw("pagerduty/ping.json")
    rotated = f"v1={hmac_sha256_hex('old-secret', body)},v1={hmac_sha256_hex(PAGERDUTY_SECRET, body)}"
    response = pagerduty(client, body, rotated)
    assert (response.status_code, response.json()["data"]) == (200, [])


@pytest.mark.parametrize("signature", ["v1=" + "0" * 64, "v1=", "garbage"])
def test_pagerduty_forged_signature_is_401(client: TestClient, store: SqlEventStore, signature: str) -> None:
    assert pagerduty(client, raw("pagerduty/incident_triggered.json"), signature).status_code == 401
    response = client.post("/api/v1/webhooks/pagerduty", content=raw("pagerduty/incident_triggered.json"), headers=JSON)
    assert response.status_code == 401
    assert store.count_events() == (0, 0)


@pytest.fixture
def unconfigured(store: SqlEventStore, database_url: str) -> Iterator[TestClient]:
    """A client of an app with no webhook secret set."""
    with TestClient(create_app(Settings(database_url=database_url), store), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("source", ["github", "gitlab", "pagerduty"])
def test_webhooks_are_off_until_a_secret_is_set(unconfigured: TestClient, source: str) -> None:
    response = unconfigured.post(f"/api/v1/webhooks/{source}", content=b"{}", headers=JSON)
    assert (response.status_code, response.json()) == (404, {"errors": ["Not found"]})


def test_webhook_endpoints_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/webhooks/github", "/api/v1/webhooks/gitlab", "/api/v1/webhooks/pagerduty"):
        operation = paths[path]["post"]
        assert operation["summary"]
        assert {"200", "202", "401", "404"} <= set(operation["responses"])


@pytest.mark.slow
def test_live_server_takes_its_secret_from_the_environment(database_url: str) -> None:
    body = raw("github/deployment_status_success.json")
    signature = "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body)
    with start_server(database_url, DORALENS_GITHUB_WEBHOOK_SECRET=GITHUB_SECRET, DORALENS_LOG_LEVEL="info") as live:
        headers = {**JSON, "X-GitHub-Event": "deployment_status", "X-Hub-Signature-256": signature}
        response = httpx.post(f"{live.url}/api/v1/webhooks/github", content=body, headers=headers, timeout=10)
        forged = httpx.post(
            f"{live.url}/api/v1/webhooks/github", content=body, headers={**headers, "X-Hub-Signature-256": "sha256=0"}
        )
        assert forged.status_code == 401
        log = live.log()
    opened = open_store(database_url)
    try:
        assert opened.get_deployment(stored_id(response)) is not None
    finally:
        opened.close()
    assert GITHUB_SECRET not in log
