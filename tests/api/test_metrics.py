"""``/api/v1/metrics``, its drill-down, attribution overrides and the GitLab-compatible API, on each backend."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from doralens.api import metrics as metrics_api
from doralens.store.sql import SqlEventStore
from tests.metrics.conftest import load
from tests.metrics.scenario import MARCH, scenario_deployments, scenario_failures
from tests.servers import APP_KEY

QUESTION = {"from": MARCH[0], "to": MARCH[1]}


@pytest.fixture
def shop(client: TestClient, store: SqlEventStore) -> TestClient:
    load(store, [*scenario_deployments(), *scenario_failures()])
    client.headers["DD-APPLICATION-KEY"] = APP_KEY
    return client


def _get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params={**QUESTION, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_every_metric_with_its_sample_and_links(shop: TestClient) -> None:
    body = _get(shop, "/api/v1/metrics", interval="week")
    assert list(body["metrics"]) == [
        "deployment_frequency",
        "change_lead_time",
        "change_failure_rate",
        "failed_deployment_recovery_time",
        "deployment_rework_rate",
        "time_to_restore",
    ]
    assert (body["from"], body["to"], body["interval"], body["fresh"]) == (*MARCH, "week", True)
    cfr = body["metrics"]["change_failure_rate"]
    assert (cfr["value"], cfr["n"], cfr["unit"]) == (3 / 9, 9, "ratio")
    assert cfr["tier"] == {
        "level": "low",
        "band": "> 20%",
        "report_year": 2024,
        "note": cfr["tier"]["note"],
    }
    assert "not monotone" in cfr["tier"]["note"]
    # the link behind the numerator lists exactly the change failures
    numerator = urlsplit(cfr["events"]["numerator"])
    listed = shop.get(numerator.path + "?" + numerator.query).json()["data"]
    assert sorted(d["id"] for d in listed) == ["a2-deployment-02", "w2-deployment-02", "w5-deployment-05"]
    # and each series point's link lists its own deployments
    for point in body["metrics"]["deployment_frequency"]["series"]:
        link = urlsplit(point["events"])
        assert len(shop.get(link.path + "?" + link.query).json()["data"]) == point["value"]


def test_one_metric(shop: TestClient) -> None:
    body = _get(shop, "/api/v1/metrics/time_to_restore")
    assert list(body["metrics"]) == ["time_to_restore"]
    assert body["metrics"]["time_to_restore"]["median"] == 7200.0


def test_an_answer_quick_the_last_time_runs_on_the_event_loop(
    shop: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    where: list[str] = []
    delay = {"seconds": 0.0}
    compute = metrics_api.compute_metrics

    def watched(**question: Any) -> Any:
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("worker")
        time.sleep(delay["seconds"])
        return compute(**question)

    monkeypatch.setattr(metrics_api, "compute_metrics", watched)
    monkeypatch.setattr(metrics_api, "INLINE_ANSWER_BELOW_SECONDS", 60.0)
    params = {"interval": "week", "query": f"-version:{uuid.uuid4().hex}"}  # a shape no other test asked
    answers = [_get(shop, "/api/v1/metrics", **params), _get(shop, "/api/v1/metrics", **params)]
    assert where == ["worker", "event loop"]  # the first of a shape is not known to be quick
    monkeypatch.setattr(metrics_api, "INLINE_ANSWER_BELOW_SECONDS", 0.05)
    delay["seconds"] = 0.1
    answers += [_get(shop, "/api/v1/metrics", **params), _get(shop, "/api/v1/metrics", **params)]
    assert where == ["worker", "event loop", "event loop", "worker"]  # measured slow, it goes back to a worker
    assert all(a["metrics"] == answers[0]["metrics"] for a in answers)
    assert answers[0]["metrics"]["deployment_frequency"]["value"] == 9


def test_grouped_by_service(shop: TestClient) -> None:
    groups = _get(shop, "/api/v1/metrics", group_by="service")["groups"]
    assert [(g["service"], g["metrics"]["deployment_frequency"]["value"]) for g in groups] == [("api", 2), ("web", 7)]


def test_tier_year_2023(shop: TestClient) -> None:
    tier = _get(shop, "/api/v1/metrics/change_failure_rate", tier_year=2023)["metrics"]["change_failure_rate"]["tier"]
    assert (tier["level"], tier["report_year"]) == ("low", 2023)


def test_events_of_failures_carry_their_attribution(shop: TestClient) -> None:
    body = _get(shop, "/api/v1/metrics/time_to_restore/events", subset="open")
    assert [f["id"] for f in body["data"]] == ["f-open-failure-04"]
    assert body["data"][0]["attributes"]["attribution_method"] == "unattributed"
    incidents = _get(shop, "/api/v1/metrics/change_failure_rate/events", subset="incidents", limit=2, offset=1)
    assert [f["id"] for f in incidents["data"]] == ["f-both-failure-03", "f-web-failure-002"]
    web = _get(shop, "/api/v1/metrics/change_failure_rate/events", subset="incidents", service="web")
    both = next(f for f in web["data"] if f["id"] == "f-both-failure-03")
    assert both["attributes"]["attributed_deployments"] == [
        {
            "deployment_id": "a2-deployment-02",
            "service": "api",
            "method": "heuristic",
            "confidence": "medium",
            "basis": "latest_before_failure",
        }
    ]


@pytest.mark.parametrize(
    ("params", "pointer", "detail"),
    [
        ({"from": "2024-04-01", "to": "2024-03-01"}, "/query/from", "before"),
        ({"from": "yesterday"}, "/query/from", "RFC 3339"),
        ({"interval": "hour"}, "/query/interval", "day, week, month, all"),
        ({"group_by": "colour"}, "/query/group_by", "service, team, env"),
        ({"tier_year": "2019"}, "/query/tier_year", "2023, 2024"),
        ({"tag": "no-colon"}, "/query/tag", "key:value"),
        ({"query": "service:(a OR"}, "/query/query", "invalid query at character"),
        ({"from": "2000-01-01", "to": "2020-01-01"}, "/query/from", "3660 days"),
    ],
)
def test_bad_questions_are_400(shop: TestClient, params: dict[str, str], pointer: str, detail: str) -> None:
    response = shop.get("/api/v1/metrics", params=params)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == pointer
    assert detail in error["detail"]


def test_unknown_metrics_and_subsets_are_400(shop: TestClient) -> None:
    assert shop.get("/api/v1/metrics/happiness").status_code == 400
    response = shop.get("/api/v1/metrics/change_lead_time/events", params={"subset": "numerator"})
    assert response.json()["errors"][0]["source"]["pointer"] == "/query/subset"
    response = shop.get("/api/v1/metrics/change_failure_rate/events", params={"subset": "open"})
    assert response.json()["errors"][0]["source"]["pointer"] == "/query/subset"


def test_reads_need_an_application_key(client: TestClient) -> None:
    assert client.get("/api/v1/metrics").status_code == 403
    assert client.get("/api/v1/metrics", headers={"DD-APPLICATION-KEY": "wrong"}).status_code == 403


def test_attribution_override_round_trip(shop: TestClient) -> None:
    path = "/api/v1/failures/f-open-failure-04/attribution"
    response = shop.put(path, json={"deployment_id": "w7-deployment-07"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["deployment_id"] == "w7-deployment-07"
    assert response.json()["data"]["set_by"].startswith("application key")
    shown = shop.get(path).json()
    assert shown["override"]["deployment_id"] == "w7-deployment-07"
    assert shown["data"]["attributes"]["attribution_method"] == "manual"
    cfr = _get(shop, "/api/v1/metrics/change_failure_rate")["metrics"]["change_failure_rate"]
    assert cfr["numerator"] == 4
    assert shop.put(path, json={"deployment_id": None}).status_code == 200
    assert _get(shop, "/api/v1/metrics/change_failure_rate")["metrics"]["change_failure_rate"]["numerator"] == 3
    assert shop.delete(path).status_code == 204
    assert shop.get(path).json()["override"] is None


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/failures/f-open-failure-04/attribution", {"deployment_id": "nope-nope-nope-nope"}, 400),
        ("/api/v1/failures/f-open-failure-04/attribution", {"deployment": "x"}, 400),
        ("/api/v1/failures/f-open-failure-04/attribution", [], 400),
        ("/api/v1/failures/nope-nope-nope-nope/attribution", {"deployment_id": None}, 404),
    ],
)
def test_bad_overrides(shop: TestClient, path: str, body: Any, status: int) -> None:
    assert shop.put(path, json=body).status_code == status


def test_gitlab_daily_all_and_tiers(shop: TestClient) -> None:
    token = {"PRIVATE-TOKEN": APP_KEY}
    shop.headers.pop("DD-APPLICATION-KEY")
    base = "/api/v4/projects/web/dora/metrics"
    daily = shop.get(
        base,
        params={"metric": "deployment_frequency", "start_date": "2024-03-04", "end_date": "2024-03-07"},
        headers=token,
    )
    assert daily.json() == [
        {"date": "2024-03-04", "value": 1},
        {"date": "2024-03-05", "value": 1},
        {"date": "2024-03-06", "value": 2},
        {"date": "2024-03-07", "value": 0},
    ]
    every = {"start_date": "2024-03-01", "end_date": "2024-03-31", "interval": "all"}
    cfr = shop.get(base, params={"metric": "change_failure_rate", **every}, headers=token)
    assert cfr.json() == [{"date": None, "value": 2 / 7}]
    staging = {"metric": "deployment_frequency", "environment_tiers[]": "staging", **every}
    assert shop.get(base, params=staging, headers=token).json() == [{"date": None, "value": 0}]
    team = shop.get(
        "/api/v4/groups/core/dora/metrics", params={"metric": "deployment_frequency", **every}, headers=token
    )
    assert team.json() == [{"date": None, "value": 2}]


def test_gitlab_errors_and_keys(shop: TestClient) -> None:
    token = {"PRIVATE-TOKEN": APP_KEY}
    base = "/api/v4/projects/web/dora/metrics"
    assert shop.get(base, params={"metric": "happiness"}, headers=token).status_code == 400
    assert (
        shop.get(base, params={"metric": "deployment_frequency", "interval": "weekly"}, headers=token).status_code
        == 400
    )
    assert (
        shop.get(base, params={"metric": "deployment_frequency"}, headers={"PRIVATE-TOKEN": "wrong"}).status_code == 403
    )
    # the Datadog keys work too
    assert shop.get(base, params={"metric": "deployment_frequency"}).status_code == 200


def test_the_openapi_schema_documents_the_metrics_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/metrics",
        "/api/v1/metrics/{metric}",
        "/api/v1/metrics/{metric}/events",
        "/api/v1/failures/{failure_id}/attribution",
        "/api/v4/projects/{service}/dora/metrics",
        "/api/v4/groups/{team}/dora/metrics",
    ):
        assert path in paths, path
    parameters = {p["name"] for p in paths["/api/v1/metrics"]["get"]["parameters"]}
    assert {"from", "to", "interval", "env", "service", "team", "repository", "severity", "tag"} <= parameters
    assert {"query", "group_by", "tier_year"} <= parameters
    assert "requestBody" in paths["/api/v1/failures/{failure_id}/attribution"]["put"]
