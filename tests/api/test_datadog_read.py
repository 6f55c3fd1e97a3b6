"""List and get through the real app and store, on each backend."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import SHA, T0, deployment_body, failure_body
from tests.servers import APP_KEY

HOUR = 3600 * 10**9


def post(client: TestClient, path: str, body: Any) -> Any:
    return client.post(f"/api/v2/dora/{path}", content=json.dumps(body), headers={"Content-Type": "application/json"})


def list_body(kind: str = "deployments", **attributes: Any) -> dict[str, Any]:
    return {"data": {"type": f"dora_{kind}_list_request", "attributes": attributes}}


@pytest.fixture
def reader(client: TestClient) -> TestClient:
    client.headers["DD-APPLICATION-KEY"] = APP_KEY
    return client


@pytest.fixture
def seeded(reader: TestClient) -> TestClient:
    """Six deployments and three failures with varied facets."""
    specs = [
        ("web", "prod", "v1", "frontend", ["region:eu", "tier:1"]),
        ("web", "staging", "v2", "frontend", ["region:us"]),
        ("web-api", "prod", "v1", "backend", ["region:eu"]),
        ("billing", "prod", "2.0.0-rc1", "payments", []),
        ("billing", "prod", "2.0.0", "payments", ["region:us", "tier:1"]),
        ("search", "dev", "v9", "discovery", ["owner:Jane Doe"]),
    ]
    for i, (service, env, version, team, tags) in enumerate(specs):
        body = deployment_body(
            id=f"deployment-{i:010d}",
            service=service,
            env=env,
            version=version,
            team=team,
            custom_tags=tags,
            started_at=T0 + i * HOUR - 60 * 10**9,
            finished_at=T0 + i * HOUR,
            git={"commit_sha": SHA, "repository_url": f"https://github.com/acme/{service}.git"},
        )
        assert post(reader, "deployment", body).status_code == 200
    post(reader, "failure", failure_body(id="failure-0000000001", services=["web", "web-api"], severity="SEV-1"))
    post(
        reader,
        "failure",
        failure_body(
            id="failure-0000000002",
            services=["billing"],
            severity="SEV-2",
            started_at=T0 + 2 * HOUR,
            finished_at=T0 + 3 * HOUR,
        ),
    )
    post(
        reader,
        "failure",
        failure_body(id="failure-0000000003", services=None, team="discovery", env="dev", started_at=T0 + 4 * HOUR),
    )
    return reader


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1, 0]),
        ("service:web", [1, 0]),
        ("service:web env:prod", [0]),
        ("service:web AND env:prod", [0]),
        ("service:(web OR billing)", [4, 3, 1, 0]),
        ("service:web*", [2, 1, 0]),
        ("version:*rc*", [3]),
        ("-env:prod", [5, 1]),
        ("NOT env:prod", [5, 1]),
        ("@region:eu", [2, 0]),
        ("@tier:1 -service:billing", [0]),
        ('@owner:"Jane Doe"', [5]),
        ("team:payments OR env:dev", [5, 4, 3]),
        ("repository_id:github.com/acme/billing", [4, 3]),
        ("severity:SEV-1", []),
    ],
)
def test_list_deployments_with_query(seeded: TestClient, query: str, expected: list[int]) -> None:
    response = post(seeded, "deployments", list_body(query=query, limit=100))
    assert ids(response) == [f"deployment-{i:010d}" for i in expected]


def test_list_defaults_to_ten_newest(seeded: TestClient) -> None:
    for i in range(10):
        post(
            seeded,
            "deployment",
            deployment_body(service="bulk", started_at=T0 + (10 + i) * HOUR, finished_at=T0 + (10 + i) * HOUR),
        )
    listed = seeded.post("/api/v2/dora/deployments", json=list_body()).json()["data"]
    assert len(listed) == 10
    assert all(d["attributes"]["service"] == "bulk" for d in listed)


def test_list_time_range_sort_and_limit(seeded: TestClient) -> None:
    body = list_body(
        **{"from": "2023-08-31T15:26:14Z", "to": "2023-08-31T18:26:14+00:00", "sort": "finished_at", "limit": 2}
    )
    assert ids(post(seeded, "deployments", body)) == ["deployment-0000000001", "deployment-0000000002"]
    by_service = ids(post(seeded, "deployments", list_body(sort="-service", limit=3)))
    assert by_service == ["deployment-0000000002", "deployment-0000000001", "deployment-0000000000"]


def test_list_failures_by_service_and_severity(seeded: TestClient) -> None:
    assert ids(post(seeded, "failures", list_body("failures", query="service:web-api"))) == ["failure-0000000001"]
    assert ids(post(seeded, "failures", list_body("failures", query="severity:SEV-2"))) == ["failure-0000000002"]
    assert ids(post(seeded, "failures", list_body("failures", query="team:discovery"))) == ["failure-0000000003"]
    assert ids(post(seeded, "failures", list_body("failures", query="-service:billing", sort="started_at"))) == [
        "failure-0000000001",
        "failure-0000000003",
    ]


@pytest.mark.parametrize(
    ("body", "pointer", "detail"),
    [
        ({"data": {"attributes": {}}}, "/data/type", 'got type "" expected one of "dora_deployments_list_request"'),
        (list_body("failures"), "/data/type", 'got type "dora_failures_list_request" expected one of'),
        (list_body(limit=1001), "/data/attributes/limit", "1000"),
        (list_body(limit=0), "/data/attributes/limit", "1"),
        (list_body(sort="-colour"), "/data/attributes/sort", "cannot sort on 'colour'"),
        (list_body(query="service:(a OR"), "/data/attributes/query", "invalid query at character"),
        (list_body(query="colour:red"), "/data/attributes/query", "unknown facet"),
        (list_body(**{"from": "yesterday"}), "/data/attributes/from", "RFC 3339"),
        (list_body(**{"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}), "/data/attributes/from", ""),
    ],
)
def test_bad_list_requests_are_400(reader: TestClient, body: dict[str, Any], pointer: str, detail: str) -> None:
    response = post(reader, "deployments", body)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == pointer
    assert detail in error["detail"]


def test_get_deployment_and_failure(seeded: TestClient) -> None:
    deployment = seeded.get("/api/v2/dora/deployments/deployment-0000000000").json()["data"]
    assert deployment == {
        "id": "deployment-0000000000",
        "type": "dora_deployment",
        "attributes": {
            "service": "web",
            "env": "prod",
            "team": "frontend",
            "version": "v1",
            "started_at": "2023-08-31T14:25:14Z",
            "finished_at": "2023-08-31T14:26:14Z",
            "custom_tags": ["region:eu", "tier:1"],
            "git": {"commit_sha": SHA, "repository_id": "github.com/acme/web"},
            # doralens's derived attributes: the failure at the same instant did not follow this deployment
            "change_failure": False,
            "change_failure_reasons": [],
            "rework": False,
            "rework_reasons": [],
            "attributed_failures": [],
        },
    }
    failure = seeded.get("/api/v2/dora/failures/failure-0000000002").json()["data"]
    assert failure["type"] == "dora_failure"
    assert failure["attributes"]["services"] == ["billing"]
    assert failure["attributes"]["finished_at"] == "2023-08-31T17:26:14Z"
    assert failure["attributes"]["time_to_restore"] == 3600.0
    # billing deployed at T0 + 3 h and 4 h, after the failure started at T0 + 2 h: nothing to blame
    assert failure["attributes"]["attributed_deployments"] == []
    assert failure["attributes"]["attribution_method"] == "unattributed"


def test_unknown_ids_are_404(reader: TestClient) -> None:
    for path in ("deployments/nope-nope-nope-nope", "failures/nope-nope-nope-nope"):
        response = reader.get(f"/api/v2/dora/{path}")
        assert response.status_code == 404
        assert response.json() == {"errors": ["Not found"]}


@pytest.mark.parametrize(
    "headers",
    [{"DD-APPLICATION-KEY": ""}, {"DD-APPLICATION-KEY": "wrong"}],
    ids=["empty", "wrong"],
)
def test_reads_need_an_application_key(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v2/dora/deployments", json=list_body(), headers=headers)
    assert response.status_code == 403


def test_bearer_application_key_is_accepted(client: TestClient) -> None:
    response = client.post("/api/v2/dora/deployments", json=list_body(), headers={"Authorization": f"Bearer {APP_KEY}"})
    assert response.status_code == 200
