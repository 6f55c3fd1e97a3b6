"""CDEvents through the real app and store on each backend: the three content modes, keys, idempotency."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from doralens.store.sql import SqlEventStore
from tests.builders import ts
from tests.integrations.fixtures import load, raw
from tests.servers import API_KEY

PATH = "/api/v1/events/cdevents"


def send(client: httpx.Client, name: str, content_type: str = "application/json", **headers: str) -> Any:
    return client.post(PATH, content=raw(name), headers={"Content-Type": content_type, **headers})


def stored_id(response: Any) -> str:
    assert response.status_code == 200, response.text
    [item] = response.json()["data"]
    event_id: str = item["id"]
    return event_id


def binary_headers(name: str) -> dict[str, str]:
    context = load(name)["context"]
    return {
        "ce-specversion": "1.0",
        "ce-id": context["id"],
        "ce-source": context["source"],
        "ce-type": context["type"],
        "ce-time": context["timestamp"],
    }


def test_native_cdevent_deployment_is_stored(client: TestClient, store: SqlEventStore) -> None:
    response = send(client, "cdevents/v0.4_service_deployed.json")
    assert response.json()["data"][0]["type"] == "dora_deployment"
    deployment = store.get_deployment(stored_id(response))
    assert deployment is not None
    assert (deployment.service, deployment.env, deployment.team) == ("checkout", "prod", "payments")
    assert deployment.finished_at == ts("2024-05-14T10:00:00.123456Z")


def test_rolledback_is_stored_as_a_tagged_rollback_deployment(client: TestClient, store: SqlEventStore) -> None:
    deployment = store.get_deployment(stored_id(send(client, "cdevents/v0.4_service_rolledback.json")))
    assert deployment is not None
    assert deployment.version == "v1.4.1"
    assert {"cdevents_type:service.rolledback", "deployment_type:rollback"} <= set(deployment.custom_tags)


def test_structured_mode_is_stored(client: TestClient, store: SqlEventStore) -> None:
    response = send(client, "cdevents/structured_service_deployed.json", "application/cloudevents+json")
    deployment = store.get_deployment(stored_id(response))
    assert deployment is not None
    assert (deployment.service, deployment.env) == ("search", "staging")


def test_binary_mode_is_the_same_event_as_native(client: TestClient, store: SqlEventStore) -> None:
    name = "cdevents/v0.5_service_upgraded.json"
    native = stored_id(send(client, name))
    binary = send(client, name, "application/cdevents+json; charset=utf-8", **binary_headers(name))
    assert stored_id(binary) == native
    assert store.count_events() == (1, 0)


def test_redelivery_updates_instead_of_duplicating(client: TestClient, store: SqlEventStore) -> None:
    first = stored_id(send(client, "cdevents/v0.4_service_deployed.json"))
    assert stored_id(send(client, "cdevents/v0.4_service_deployed.json")) == first
    assert store.count_events() == (1, 0)


@pytest.mark.parametrize(
    "order",
    [("detected", "reported", "resolved"), ("resolved", "reported", "detected")],
    ids=["in-order", "reversed"],
)
def test_incident_events_make_one_failure_in_any_order(
    client: TestClient, store: SqlEventStore, order: tuple[str, ...]
) -> None:
    ids = {stored_id(send(client, f"cdevents/v0.5_incident_{kind}.json")) for kind in order}
    [failure_id] = ids
    failure = store.get_failure(failure_id)
    assert failure is not None
    # The earliest start any event reported, and the resolution, whatever order they came in.
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T11:05:00Z"), ts("2024-05-14T11:31:30Z"))
    assert failure.services == ("checkout",)
    assert store.count_events() == (0, 1)


def test_change_merged_is_accepted_with_202_and_a_note(client: TestClient, store: SqlEventStore) -> None:
    response = send(client, "cdevents/v0.5_change_merged.json")
    assert response.status_code == 202
    assert response.json()["data"] == []
    assert "change.merged" in response.json()["ignored"]
    assert store.count_events() == (0, 0)


def test_api_key_may_be_a_bearer_token(client: TestClient, store: SqlEventStore) -> None:
    assert client.app is not None
    with TestClient(client.app, raise_server_exceptions=False) as bare:
        response = bare.post(
            PATH,
            content=raw("cdevents/v0.4_service_deployed.json"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"},
        )
        assert store.get_deployment(stored_id(response)) is not None


@pytest.mark.parametrize(
    "headers",
    [{}, {"DD-API-KEY": "not-a-key-at-all-0000"}, {"Authorization": "Bearer not-a-key-at-all-0000"}],
    ids=["missing", "unknown", "unknown-bearer"],
)
def test_missing_or_unknown_key_is_401(client: TestClient, store: SqlEventStore, headers: dict[str, str]) -> None:
    assert client.app is not None
    with TestClient(client.app, raise_server_exceptions=False) as bare:
        response = bare.post(
            PATH,
            content=raw("cdevents/v0.4_service_deployed.json"),
            headers={"Content-Type": "application/json", **headers},
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="doralens"'
    assert store.count_events() == (0, 0)


def test_bad_event_is_400_naming_the_field(client: TestClient, store: SqlEventStore) -> None:
    body = load("cdevents/structured_service_deployed.json")
    del body["data"]["subject"]["id"]
    response = client.post(PATH, content=json.dumps(body), headers={"Content-Type": "application/cloudevents+json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/subject/id"
    assert store.count_events() == (0, 0)


def test_event_in_the_future_is_400(client: TestClient, store: SqlEventStore) -> None:
    body = load("cdevents/v0.4_service_deployed.json")
    body["context"]["timestamp"] = "2999-01-01T00:00:00Z"
    response = client.post(PATH, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/context/timestamp"
    assert store.count_events() == (0, 0)


def test_cdevents_endpoint_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][PATH]["post"]
    assert "rolledback" in operation["description"]
    assert "application/cloudevents+json" in operation["requestBody"]["content"]
