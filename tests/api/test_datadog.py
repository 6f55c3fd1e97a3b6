"""The create endpoints of the Datadog-compatible API, through the real app and store on each backend."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from doralens.domain.events import MAX_REPOSITORY_ID
from doralens.store.sql import SqlEventStore
from tests.builders import SEED_INCIDENT, SHA, T0, deployment_body, failure_body

JSON = {"Content-Type": "application/json"}
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"


def post(client: TestClient, path: str, body: Any, **headers: str) -> Any:
    return client.post(f"/api/v2/dora/{path}", content=json.dumps(body), headers={**JSON, **headers})


def pointers(response: Any) -> list[str]:
    return [e["source"]["pointer"] for e in response.json()["errors"]]


def test_seed_incident_example_is_accepted_byte_for_byte(client: TestClient, store: SqlEventStore) -> None:
    response = client.post(
        "/api/v2/dora/incident", content=SEED_INCIDENT, headers={**JSON, "Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.api+json"
    data = response.json()["data"]
    assert data["type"] == "dora_failure"
    stored = store.get_failure(data["id"])
    assert stored is not None
    assert stored.services == ("shopist",)
    assert stored.team == "shopist-devs"
    assert stored.finished_at == 1693491984000000000
    assert stored.severity == "High"
    assert stored.git is not None
    assert stored.git.repository_id == "github.com/organization/example-repository"


def test_datadog_ci_body_is_accepted_byte_for_byte(client: TestClient, store: SqlEventStore) -> None:
    # recorded from `datadog-ci dora deployment` 5.25.0; tests/compat/test_datadog_ci.py has the arguments
    body = (PAYLOADS / "datadog_ci_5.25.0_deployment.json").read_bytes()
    response = client.post("/api/v2/dora/deployment", content=body, headers=JSON)
    assert response.status_code == 200
    stored = store.get_deployment(response.json()["data"]["id"])
    assert stored is not None
    assert (stored.service, stored.env, stored.version, stored.team) == ("shop-api", "prod", "1.4.2", "shop-devs")
    assert (stored.started_at, stored.finished_at) == (1_699_960_648_000_000_000, 1_699_961_048_000_000_000)
    assert stored.custom_tags == ("department:engineering", "region:eu-west-1")
    assert stored.git is not None
    assert stored.git.repository_url == "https://github.com/acme/shop.git"
    assert stored.git.repository_id == "github.com/acme/shop"


def test_deployment_gets_a_16_hex_id_and_is_stored(client: TestClient, store: SqlEventStore) -> None:
    response = post(client, "deployment", deployment_body(version="v1", custom_tags=["department:engineering"]))
    assert response.status_code == 200
    event_id = response.json()["data"]["id"]
    assert len(event_id) == 16
    assert int(event_id, 16) >= 0
    stored = store.get_deployment(event_id)
    assert stored is not None
    assert (stored.service, stored.env, stored.version) == ("checkout", "prod", "v1")
    assert stored.custom_tags == ("department:engineering",)


def test_team_is_filled_from_the_service_map(client: TestClient, store: SqlEventStore) -> None:
    event_id = post(client, "deployment", deployment_body()).json()["data"]["id"]
    stored = store.get_deployment(event_id)
    assert stored is not None
    assert stored.team == "payments"


def test_same_deployment_id_updates_in_place(client: TestClient, store: SqlEventStore) -> None:
    body = deployment_body(id="deploy-0000000001", version="v1", custom_tags=["a:1"])
    assert post(client, "deployment", body).json()["data"]["id"] == "deploy-0000000001"
    body2 = deployment_body(id="deploy-0000000001", version="v2", custom_tags=["b:2"])
    assert post(client, "deployment", body2).json()["data"]["id"] == "deploy-0000000001"
    stored = store.get_deployment("deploy-0000000001")
    assert stored is not None
    assert stored.version == "v2"
    assert stored.custom_tags == ("b:2",)
    assert store.count_events() == (1, 0)


@pytest.mark.parametrize(
    ("value", "expected_ns"),
    [
        (1_693_491_974, 1_693_491_974_000_000_000),
        (1_693_491_974_123, 1_693_491_974_123_000_000),
        (1_693_491_974_123_456_789, 1_693_491_974_123_456_789),
    ],
    ids=["seconds", "milliseconds", "nanoseconds"],
)
def test_timestamp_unit_is_inferred(client: TestClient, store: SqlEventStore, value: int, expected_ns: int) -> None:
    event_id = post(client, "deployment", deployment_body(started_at=value, finished_at=value)).json()["data"]["id"]
    stored = store.get_deployment(event_id)
    assert stored is not None
    assert stored.started_at == expected_ns


def test_longest_repository_path_is_stored_whole(client: TestClient, store: SqlEventStore) -> None:
    path = "acme/" + "r" * (MAX_REPOSITORY_ID - len("github.com/acme/"))
    response = post(
        client,
        "deployment",
        deployment_body(git={"commit_sha": SHA, "repository_url": f"https://github.com/{path}.git"}),
    )
    assert response.status_code == 200, response.text
    stored = store.get_deployment(response.json()["data"]["id"])
    assert stored is not None
    assert stored.git is not None
    assert stored.git.repository_id == f"github.com/{path}"
    assert len(stored.git.repository_id) == MAX_REPOSITORY_ID


def test_credentials_in_repository_url_are_never_stored(client: TestClient, store: SqlEventStore) -> None:
    secret_url = "https://ci-bot:ghp_SuperSecretToken123@github.com/acme/shop.git"
    event_id = post(client, "deployment", deployment_body(git={"commit_sha": SHA, "repository_url": secret_url}))
    stored = store.get_deployment(event_id.json()["data"]["id"])
    assert stored is not None
    assert stored.git is not None
    assert stored.git.repository_url == "https://github.com/acme/shop.git"
    assert stored.git.repository_id == "github.com/acme/shop"
    with store.backend.reader.connect() as conn:
        dump = str(conn.exec_driver_sql("select * from deployments").all())
    assert "SuperSecret" not in dump
    assert "ci-bot" not in dump


BAD_DEPLOYMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("no service", deployment_body(service=None), "/data/attributes/service"),
    ("service is a number", deployment_body(service=42), "/data/attributes/service"),
    ("no started_at", deployment_body(started_at=None), "/data/attributes/started_at"),
    ("no finished_at", deployment_body(finished_at=None), "/data/attributes/finished_at"),
    ("started after finished", deployment_body(started_at=T0 + 10**12), "/data/attributes/started_at"),
    ("exponent float", deployment_body(started_at=1.699960648e21), "/data/attributes/started_at"),
    ("fractional", deployment_body(started_at=1693491974.5), "/data/attributes/started_at"),
    ("timestamp as string", deployment_body(started_at="1693491974"), "/data/attributes/started_at"),
    ("timestamp is true", deployment_body(started_at=True), "/data/attributes/started_at"),
    ("negative", deployment_body(started_at=-5), "/data/attributes/started_at"),
    ("beyond int64", deployment_body(started_at=2**64), "/data/attributes/started_at"),
    ("short id", deployment_body(id="abc"), "/data/attributes/id"),
    ("id with slash", deployment_body(id="a/bcdefghijklmnopq"), "/data/attributes/id"),
    (
        "bad sha",
        deployment_body(git={"commit_sha": "xyz", "repository_url": "r"}),
        "/data/attributes/git/commit_sha",
    ),
    ("git without url", deployment_body(git={"commit_sha": SHA}), "/data/attributes/git/repository_url"),
    (
        "repository path too long",
        deployment_body(git={"commit_sha": SHA, "repository_url": "https://github.com/" + "a" * 1900}),
        "/data/attributes/git/repository_url",
    ),
    ("tag without colon", deployment_body(custom_tags=["novalue"]), "/data/attributes/custom_tags/0"),
    ("tag not string", deployment_body(custom_tags=[1]), "/data/attributes/custom_tags/0"),
    ("101 tags", deployment_body(custom_tags=[f"k:{i}" for i in range(101)]), "/data/attributes/custom_tags"),
    ("attributes missing", {"data": {}}, "/data/attributes"),
    ("data missing", {}, "/data"),
    ("data is a list", {"data": []}, "/data"),
]


@pytest.mark.parametrize(("case", "body", "pointer"), BAD_DEPLOYMENTS, ids=[c[0] for c in BAD_DEPLOYMENTS])
def test_bad_deployment_is_a_400_naming_the_field(
    client: TestClient, store: SqlEventStore, case: str, body: dict[str, Any], pointer: str
) -> None:
    response = post(client, "deployment", body)
    assert response.status_code == 400, case
    error = response.json()["errors"][0]
    assert error["status"] == "400"
    assert error["title"] == "Bad Request"
    assert error["detail"]
    assert pointer in pointers(response)
    assert store.count_events() == (0, 0)


BAD_FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("neither services nor team", failure_body(services=None), "/data/attributes/services"),
    ("empty services, no team", failure_body(services=[]), "/data/attributes/services"),
    ("no started_at", failure_body(started_at=None), "/data/attributes/started_at"),
    ("finished before started", failure_body(finished_at=T0 - 10**9), "/data/attributes/finished_at"),
    ("services not a list", failure_body(services="checkout"), "/data/attributes/services"),
    ("severity a number", failure_body(severity=1), "/data/attributes/severity"),
]


@pytest.mark.parametrize(("case", "body", "pointer"), BAD_FAILURES, ids=[c[0] for c in BAD_FAILURES])
def test_bad_failure_is_a_400_naming_the_field(
    client: TestClient, store: SqlEventStore, case: str, body: dict[str, Any], pointer: str
) -> None:
    response = post(client, "failure", body)
    assert response.status_code == 400, case
    assert pointer in pointers(response)
    assert store.count_events() == (0, 0)


RAW_JUNK: list[tuple[str, bytes]] = [
    ("malformed", b'{"data": {"attributes": '),
    ("invalid utf-8", b'{"data": {"attributes": {"service": "\xff\xfe"}}}'),
    ("huge integer", b'{"data": {"attributes": {"service": "x", "started_at": ' + b"9" * 5000 + b"}}}"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("NaN", b'{"data": {"attributes": {"service": "x", "started_at": NaN, "finished_at": NaN}}}'),
    ("not an object", b'"hello"'),
    ("empty", b""),
    ("null", b"null"),
]


@pytest.mark.parametrize(("case", "raw"), RAW_JUNK, ids=[c[0] for c in RAW_JUNK])
def test_junk_bodies_get_4xx_and_store_nothing(client: TestClient, store: SqlEventStore, case: str, raw: bytes) -> None:
    for path in ("deployment", "failure", "incident"):
        response = client.post(f"/api/v2/dora/{path}", content=raw, headers=JSON)
        assert 400 <= response.status_code < 500, (case, path, response.text)
        assert response.json()["errors"]
    assert store.count_events() == (0, 0)


def test_gzip_body_is_accepted(client: TestClient) -> None:
    raw = gzip.compress(json.dumps(deployment_body()).encode())
    response = client.post("/api/v2/dora/deployment", content=raw, headers={**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 200


def test_gzip_bomb_is_413(client: TestClient, store: SqlEventStore) -> None:
    raw = gzip.compress(b'{"data": {"attributes": {"name": "' + b"a" * 5_000_000 + b'"}}}')
    assert len(raw) < 1024 * 1024
    response = client.post("/api/v2/dora/failure", content=raw, headers={**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert store.count_events() == (0, 0)


def test_body_over_the_limit_is_413(client: TestClient, store: SqlEventStore) -> None:
    body = deployment_body(custom_tags=None)
    body["data"]["attributes"]["padding"] = "x" * (1024 * 1024)
    response = post(client, "deployment", body)
    assert response.status_code == 413
    assert store.count_events() == (0, 0)


def test_non_json_content_type_is_415(client: TestClient) -> None:
    response = client.post(
        "/api/v2/dora/deployment",
        content=json.dumps(deployment_body()),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.json()["errors"]


def test_unknown_path_and_wrong_method_answer_json(client: TestClient) -> None:
    missing = client.get("/api/v2/dora/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"errors": ["Not found"]}
    wrong = client.get("/api/v2/dora/deployment")
    assert wrong.status_code == 405
    assert wrong.json() == {"errors": ["Method not allowed"]}


@pytest.mark.parametrize("headers", [{}, {"DD-API-KEY": "not-a-key"}], ids=["missing", "wrong"])
def test_writes_need_a_valid_api_key(client: TestClient, store: SqlEventStore, headers: dict[str, str]) -> None:
    client.headers.pop("DD-API-KEY")
    response = post(client, "deployment", deployment_body(), **headers)
    assert response.status_code == 403
    assert response.json() == {"errors": ["Forbidden"]}
    assert store.count_events() == (0, 0)


def test_application_key_cannot_write(client: TestClient) -> None:
    from tests.servers import APP_KEY

    response = post(client, "deployment", deployment_body(), **{"DD-API-KEY": APP_KEY})
    assert response.status_code == 403


def test_failure_resolution_without_id_updates_the_start(client: TestClient, store: SqlEventStore) -> None:
    first = post(client, "failure", failure_body(name="checkout down", severity="SEV-1")).json()["data"]["id"]
    second = post(client, "failure", failure_body(finished_at=T0 + 600 * 10**9)).json()["data"]["id"]
    assert first == second
    stored = store.get_failure(first)
    assert stored is not None
    assert stored.finished_at == T0 + 600 * 10**9
    assert stored.name == "checkout down"
    assert stored.severity == "SEV-1"
    assert store.count_events() == (0, 1)


def test_failure_matching_needs_same_env_and_start(client: TestClient, store: SqlEventStore) -> None:
    a = post(client, "failure", failure_body()).json()["data"]["id"]
    b = post(client, "failure", failure_body(env="staging")).json()["data"]["id"]
    c = post(client, "failure", failure_body(started_at=T0 + 10**9)).json()["data"]["id"]
    d = post(client, "failure", failure_body(services=["search"])).json()["data"]["id"]
    assert len({a, b, c, d}) == 4
    assert store.count_events() == (0, 4)


def test_failure_matches_on_an_overlapping_service(client: TestClient, store: SqlEventStore) -> None:
    a = post(client, "failure", failure_body(services=["checkout", "cart"])).json()["data"]["id"]
    b = post(client, "failure", failure_body(services=["cart"], finished_at=T0 + 10**12)).json()["data"]["id"]
    assert a == b
    stored = store.get_failure(a)
    assert stored is not None
    assert set(stored.services) == {"checkout", "cart"}
    assert stored.finished_at == T0 + 10**12


def test_team_only_failures_match_on_team(client: TestClient, store: SqlEventStore) -> None:
    a = post(client, "failure", failure_body(services=None, team="payments")).json()["data"]["id"]
    b = post(client, "failure", failure_body(services=None, team="payments", finished_at=T0 + 1)).json()
    assert b["data"]["id"] == a
    assert store.count_events() == (0, 1)


def test_failure_with_id_is_updated_by_id(client: TestClient, store: SqlEventStore) -> None:
    fid = "incident-2024-0001"
    assert post(client, "failure", failure_body(id=fid)).json()["data"]["id"] == fid
    assert post(client, "failure", failure_body(id=fid, finished_at=T0 + 5 * 10**9)).json()["data"]["id"] == fid
    stored = store.get_failure(fid)
    assert stored is not None
    assert stored.finished_at == T0 + 5 * 10**9
    assert store.count_events() == (0, 1)


def test_incident_alias_behaves_like_failure(client: TestClient, store: SqlEventStore) -> None:
    a = post(client, "incident", failure_body()).json()["data"]["id"]
    b = post(client, "failure", failure_body(finished_at=T0 + 10**9)).json()["data"]["id"]
    assert a == b


def test_health_and_readiness_need_no_keys(client: TestClient) -> None:
    client.headers.pop("DD-API-KEY")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


def test_openapi_documents_the_create_bodies(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/api/v2/dora/deployment"]["post"]["requestBody"]
    assert "service" in json.dumps(body)
