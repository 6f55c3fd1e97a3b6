"""``GET /metrics`` through the real app and store on each backend, and scraped from live servers.

The DORA gauges are checked against ``GET /api/v1/metrics`` over the same windows (the scrape says where they
end), for the totals and every grouping, series by series: what is exported and what is left out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families

from doralens.api.app import create_app
from doralens.bootstrap import create_key
from doralens.config import Settings
from doralens.integrations.signatures import hmac_sha256_hex
from doralens.store.sql import SqlEventStore
from tests.integrations.fixtures import raw
from tests.prometheus.expect import agreement, scraped_series, scraped_value
from tests.prometheus.recent import recent_requests
from tests.servers import API_KEY, APP_KEY, LiveServer, start_server

WINDOWS = ("7d", "30d")
GITHUB_SECRET = "gh-webhook-secret-for-tests"
TOKEN = "metrics-token-0123456789"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Two windows, no cache, and the GitHub webhook on (overrides tests/api/conftest.py)."""
    return Settings(
        database_url=database_url,
        prometheus_windows=WINDOWS,
        prometheus_cache_seconds=0,
        github_webhook_secret=GITHUB_SECRET,
    )


@pytest.fixture
def recent(client: TestClient) -> TestClient:
    """The client, after sending the events of the last weeks."""
    for path, body in recent_requests(int(time.time())):
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
    client.headers["DD-APPLICATION-KEY"] = APP_KEY
    return client


def _ask(client: TestClient) -> Any:
    def ask(params: dict[str, str]) -> dict[str, Any]:
        response = client.get("/api/v1/metrics", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return ask


def test_gauges_equal_the_metrics_api_for_every_window_and_grouping(recent: TestClient) -> None:
    scrape = recent.get("/metrics")
    assert scrape.status_code == 200, scrape.text
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    scraped, expected = agreement(scrape.text, WINDOWS, _ask(recent))
    assert scraped == expected
    # the scenario reaches every kind of series, so the equality above covers them
    names = {name for name, _ in scraped}
    assert names == {
        "doralens_deployments",
        "doralens_change_lead_time_seconds",
        "doralens_change_lead_time_samples",
        "doralens_change_failure_rate",
        "doralens_change_failure_rate_samples",
        "doralens_change_failure_deployments",
        "doralens_failures",
        "doralens_failed_deployment_recovery_time_seconds",
        "doralens_failed_deployment_recovery_time_samples",
        "doralens_deployment_rework_rate",
        "doralens_deployment_rework_rate_samples",
        "doralens_time_to_restore_seconds",
        "doralens_time_to_restore_samples",
        "doralens_performance_tier",
    }


def test_the_scenario_as_counted_by_hand(recent: TestClient) -> None:
    text = recent.get("/metrics").text
    assert scraped_value(text, "doralens_deployments", window="30d") == 8
    assert scraped_value(text, "doralens_deployments", window="30d", service="web") == 6
    assert scraped_value(text, "doralens_deployments", window="30d", env="prod") == 7
    assert scraped_value(text, "doralens_deployments", window="30d", team="payments") == 6
    assert scraped_value(text, "doralens_deployments", window="7d") == 1
    # lead time over the six commits web's v2 and v3 shipped first
    assert scraped_value(text, "doralens_change_lead_time_samples", window="30d", service="web") == 6
    # web restored three failures in 1 h, 2 h and 3 h; one is still open
    assert scraped_value(text, "doralens_time_to_restore_seconds", window="30d", service="web", quantile="0.5") == 7200
    assert scraped_value(text, "doralens_time_to_restore_samples", window="30d", service="web") == 3
    assert scraped_value(text, "doralens_dora_up") == 1


def test_withheld_values_are_left_out_not_zero(recent: TestClient) -> None:
    series = scraped_series(recent.get("/metrics").text)
    labels = frozenset({("window", "30d"), ("service", "api")})
    # api restored one failure: too few for a median, but the sample says there was one
    assert series[("doralens_time_to_restore_samples", labels)] == 1
    assert not [key for key in series if key[0] == "doralens_time_to_restore_seconds" and labels <= key[1]]
    # web deployed nothing in the last 7 days (but had failures): a measured 0, no rate, no tier
    week = frozenset({("window", "7d"), ("service", "web")})
    assert series[("doralens_deployments", week)] == 0
    assert series[("doralens_change_failure_rate_samples", week)] == 0
    assert ("doralens_change_failure_rate", week) not in series
    assert not [key for key in series if key[0] == "doralens_performance_tier" and week <= key[1]]
    # api has no team: the team breakdown leaves it out, the totals count it
    teams = {dict(key[1]).get("team") for key in series if ("window", "30d") in key[1]}
    assert teams == {None, "payments"}


def test_openmetrics_when_asked(recent: TestClient) -> None:
    response = recent.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    families = {f.name: f for f in openmetrics_families(response.text)}
    assert families["doralens_events_ingested"].type == "counter"
    [total] = [s for s in families["doralens_deployments"].samples if s.labels == {"window": "30d"}]
    assert total.value == 8


def test_gzip_when_accepted(client: TestClient) -> None:
    plain = client.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    response = client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "doralens_dora_up 1.0" in response.text  # decompressed by the client
    assert int(response.headers["content-length"]) < len(plain.content) / 3


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    assert client.get("/api/v2/dora/deployments/some-id").status_code == 403
    assert client.get("/api/v2/dora/deployments/other-id").status_code == 403
    assert client.get("/no/such/path").status_code == 404
    text = client.get("/metrics").text
    route = "/api/v2/dora/deployments/{deployment_id}"
    assert scraped_value(text, "doralens_http_requests_total", method="GET", route=route, status="403") == 2
    assert scraped_value(text, "doralens_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert scraped_value(text, "doralens_http_request_duration_seconds_count", method="GET", route=route) == 2
    assert "some-id" not in text


def test_ingested_events_are_counted_by_kind_and_source(client: TestClient) -> None:
    for path, body in recent_requests(int(time.time()))[1:]:
        assert client.post(path, json=body).status_code == 200
    assert client.post("/api/v2/dora/incident", json=recent_requests(int(time.time()))[-1][1]).status_code == 200
    cdevent = client.post("/api/v1/events/cdevents", content=raw("cdevents/v0.5_incident_detected.json"))
    assert cdevent.status_code == 200, cdevent.text
    body = raw("github/deployment_status_success.json")
    signature = "sha256=" + hmac_sha256_hex(GITHUB_SECRET, body)
    headers = {"X-GitHub-Event": "deployment_status", "X-Hub-Signature-256": signature}
    assert client.post("/api/v1/webhooks/github", content=body, headers=headers).status_code == 200
    rejected = client.post("/api/v2/dora/deployment", json={"data": {"attributes": {"service": "web"}}})
    assert rejected.status_code == 400
    text = client.get("/metrics").text
    counted = {
        (kind, source): scraped_value(text, "doralens_events_ingested_total", kind=kind, source=source)
        for kind, source in [
            ("deployment", "datadog"),
            ("failure", "datadog"),
            ("failure", "cdevents"),
            ("deployment", "github"),
            ("failure", "pagerduty"),
        ]
    }
    assert counted == {
        ("deployment", "datadog"): 9,
        ("failure", "datadog"): 6,
        ("failure", "cdevents"): 1,
        ("deployment", "github"): 1,
        ("failure", "pagerduty"): 0,
    }


def test_open_without_a_token(client: TestClient) -> None:
    response = client.get("/metrics", headers={"DD-API-KEY": ""})
    assert response.status_code == 200


@pytest.fixture
def guarded(database_url: str, store: SqlEventStore) -> Iterator[TestClient]:
    create_key(store, kind="api", name="test", secret=API_KEY)
    app = create_app(Settings(database_url=database_url, metrics_token=TOKEN), store)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x", API_KEY]
)
def test_the_token_is_required_when_set(guarded: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = guarded.get("/metrics", headers={**headers, "DD-API-KEY": API_KEY})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "doralens_" not in response.text


def test_the_token_opens_it(guarded: TestClient) -> None:
    response = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert scraped_value(response.text, "doralens_dora_up") == 1


def test_the_openapi_schema_documents_it(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert "text/plain" in operation["responses"]["200"]["content"]
    assert "DORALENS_METRICS_TOKEN" in operation["responses"]["401"]["description"]


def _send_recent(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, headers=live.headers, timeout=30) as http:
        for path, body in recent_requests(int(time.time())):
            response = http.post(path, json=body)
            assert response.status_code == 200, response.text


def _live_ask(live: LiveServer) -> Any:
    headers = {"DD-API-KEY": live.api_key, "DD-APPLICATION-KEY": live.app_key}

    def ask(params: dict[str, str]) -> dict[str, Any]:
        response = httpx.get(f"{live.url}/api/v1/metrics", params=params, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return ask


@pytest.mark.slow
def test_a_live_server_exports_what_its_metrics_api_answers(database_url: str) -> None:
    with start_server(database_url, DORALENS_PROMETHEUS_WINDOWS=",".join(WINDOWS)) as live:
        _send_recent(live)
        scrape = httpx.get(f"{live.url}/metrics", timeout=60)
        assert scrape.status_code == 200, scrape.text
        scraped, expected = agreement(scrape.text, WINDOWS, _live_ask(live))
    assert scraped == expected
    assert scraped[("doralens_deployments", frozenset({("window", "30d")}))] == 8


@pytest.mark.slow
def test_several_workers_report_the_whole_servers_counters(database_url: str, tmp_path: Any) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    (shared / "counter_1.db").write_bytes(b"left over from an earlier run")
    with start_server(database_url, "--workers", "2", PROMETHEUS_MULTIPROC_DIR=str(shared)) as live:
        assert not (shared / "counter_1.db").exists()
        _send_recent(live)
        scrapes = [httpx.get(f"{live.url}/metrics", timeout=60).text for _ in range(6)]
        writers = {path.name.split("_")[1] for path in shared.glob("*.db")}
    sent = len(recent_requests(0)) - 1
    for number, text in enumerate(scrapes):
        assert scraped_value(text, "doralens_events_ingested_total", kind="deployment", source="datadog") == 9
        posts = [
            scraped_value(text, "doralens_http_requests_total", method="POST", route=route, status="200") or 0
            for route in ("/api/v2/dora/deployment", "/api/v2/dora/failure")
        ]
        assert sum(posts) == sent
        # every scrape before this one is counted, whichever worker answered it
        scraped = scraped_value(text, "doralens_http_requests_total", method="GET", route="/metrics", status="200")
        assert (scraped or 0) == number
        assert scraped_value(text, "process_cpu_seconds_total") is None
    assert len(writers) == 2, writers
