"""The dashboard's pages and their JSON twins, against the query API on the same store (each backend)."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.web.conftest import MARCH_PARAMS, api_json, page_json


def test_overview_twin_is_the_query_api_answer(shop: TestClient) -> None:
    for interval in ("day", "week", "month"):
        page = page_json(shop, "/", **MARCH_PARAMS, interval=interval)
        api = api_json(shop, "/api/v1/metrics", **MARCH_PARAMS, interval=interval)
        assert page["report"] == api
        assert [c["metric"] for c in page["cards"]] == list(api["metrics"])


def test_overview_cards_show_the_api_values(shop: TestClient) -> None:
    api = api_json(shop, "/api/v1/metrics", **MARCH_PARAMS)["metrics"]
    html = shop.get("/", params=MARCH_PARAMS).text
    shown = dict(re.findall(r'<section class="card"[^>]*data-metric="(\w+)".*?data-value="([^"]*)"', html, re.S))
    assert shown["deployment_frequency"] == "9"
    assert float(shown["change_failure_rate"]) == api["change_failure_rate"]["value"] == 3 / 9
    assert float(shown["time_to_restore"]) == api["time_to_restore"]["value"] == 7200.0
    assert shown["change_lead_time"] == "null"  # no git data: insufficient
    assert ">33.3%<" in html
    assert ">2.0 h<" in html
    assert 'data-tier="low"' in html
    assert "2024 report" in html


def test_card_explains_an_empty_metric_and_what_to_send(shop: TestClient) -> None:
    cards = {c["metric"]: c for c in page_json(shop, "/", **MARCH_PARAMS)["cards"]}
    lead = cards["change_lead_time"]
    assert lead["value"] is None
    assert lead["display"] == "insufficient data"
    assert lead["tier"] is None
    assert any("9 deployments no git" in hint for hint in lead["why_empty"])
    assert any("--git-commit-sha" in hint for hint in lead["why_empty"])
    assert cards["change_failure_rate"]["why_empty"] == []


def test_empty_store_says_what_to_send(empty: TestClient) -> None:
    response = empty.get("/")
    assert response.status_code == 200
    html = unescape(response.text)
    assert "Why is this empty?" in html
    assert "<code>doralens deployment --service NAME --env ENV --started-at T</code>" in html
    cards = {c["metric"]: c for c in page_json(empty, "/")["cards"]}
    assert any("doralens failure start" in h for h in cards["time_to_restore"]["why_empty"])
    assert any("nothing to recover from" in h for h in cards["failed_deployment_recovery_time"]["why_empty"])


def test_trend_compares_with_the_window_before(shop: TestClient) -> None:
    # 11-20 March (4 deployments, 0.4 a day) against 1-10 March (5, 0.5 a day): down, and worse
    page = page_json(shop, "/", **{"from": "2024-03-11T00:00:00Z", "to": "2024-03-21T00:00:00Z"})
    assert page["previous"]["from"] == "2024-03-01T00:00:00Z"
    assert page["previous"]["metrics"]["deployment_frequency"]["value"] == 5
    trend = page["cards"][0]["trend"]
    assert (trend["direction"], trend["better"]) == ("down", False)
    assert trend["change"] == (0.4 - 0.5) / 0.5


def test_filters_live_in_the_url_and_reach_the_metrics(shop: TestClient) -> None:
    page = page_json(shop, "/", **MARCH_PARAMS, service="web, api", env="prod")
    assert page["report"]["filters"] == {"env": ["prod"], "service": ["web", "api"]}
    only_api = page_json(shop, "/", **MARCH_PARAMS, service="api")
    assert only_api["report"]["metrics"]["deployment_frequency"]["value"] == 2
    html = shop.get("/", params={**MARCH_PARAMS, "service": "api"}).text
    assert 'id="f-service" name="service" value="api"' in html
    # the nav keeps the question when moving between pages
    assert 'href="/services?from=2024-03-01T00%3A00%3A00Z&amp;to=2024-04-01T00%3A00%3A00Z' in html


def test_bad_parameter_is_a_400_naming_it(shop: TestClient) -> None:
    html = shop.get("/", params={"from": "yesterday-ish"})
    assert html.status_code == 400
    assert "<code>from</code>" in html.text
    twin = shop.get("/", params={"interval": "hour", "format": "json"})
    assert twin.status_code == 400
    assert twin.json()["errors"][0]["source"]["pointer"] == "/query/interval"
    assert shop.get("/services", params={"sort": "colour"}).status_code == 400
    # streamed pages check their question before the first byte, so they still answer 400
    for path in ("/services/web", "/teams/shop", "/timeline"):
        assert shop.get(path, params={"interval": "hour"}).status_code == 400, path
    assert shop.get("/", params={"tier_year": "1999", "format": "json"}).json()["errors"][0]["source"] == {
        "pointer": "/query/tier_year"
    }


def test_service_page_fixes_its_service_and_shows_its_timeline(shop: TestClient) -> None:
    page = page_json(shop, "/services/web", **MARCH_PARAMS)
    assert page["service"] == "web"
    assert page["report"]["filters"] == {"service": ["web"]}
    assert page["report"] == api_json(shop, "/api/v1/metrics", **MARCH_PARAMS, service="web")
    assert [d["id"][:2] for d in page["timeline"]["deployments"]] == ["w1", "w2", "w3", "w4", "w5", "w6", "w7"]
    team = page_json(shop, "/teams/core", **MARCH_PARAMS)
    assert team["report"]["metrics"]["deployment_frequency"]["value"] == 2


def test_events_page_lists_what_the_api_lists(shop: TestClient) -> None:
    for metric, subset in (
        ("change_failure_rate", "numerator"),
        ("time_to_restore", "open"),
        ("deployment_frequency", "all"),
    ):
        page = page_json(shop, f"/events/{metric}", **MARCH_PARAMS, subset=subset)
        api = api_json(shop, f"/api/v1/metrics/{metric}/events", **MARCH_PARAMS, subset=subset)
        assert page["data"] == api["data"]
        assert page["kind"] == api["meta"]["kind"]
    html = shop.get("/events/change_failure_rate", params={**MARCH_PARAMS, "subset": "numerator"}).text
    assert re.findall(r'<tr data-id="([\w-]+)"', html) == ["a2-deployment-02", "w5-deployment-05", "w2-deployment-02"]
    assert shop.get("/events/happiness").status_code == 404
    assert shop.get("/events/time_to_restore", params={"subset": "numerator", "format": "json"}).status_code == 400


def test_card_links_lead_to_the_events_behind_the_number(shop: TestClient) -> None:
    cards = page_json(shop, "/", **MARCH_PARAMS)["cards"]
    cfr = next(c for c in cards if c["metric"] == "change_failure_rate")
    listed = shop.get(cfr["events"] + "&format=json").json()["data"]
    assert len(listed) == 3
    charts = page_json(shop, "/", **MARCH_PARAMS, interval="week")["charts"]
    frequency = charts[0]
    for value, link in zip(frequency["y"], frequency["links"], strict=True):
        assert len(shop.get(link + "&format=json").json()["data"]) == value


def test_deployment_page_shows_verdict_remediation_and_failures(shop: TestClient) -> None:
    rolled_back = page_json(shop, "/deployments/w2-deployment-02")["data"]["attributes"]
    assert rolled_back["change_failure"] is True
    assert rolled_back["remediation"] == {"type": "rollback", "id": "w4-deployment-04"}
    assert rolled_back["recovery_time"] == 26 * 3600
    html = shop.get("/deployments/w5-deployment-05").text
    assert "This deployment is a change failure" in html
    assert 'href="/failures/f-web-failure-002"' in html
    missing = shop.get("/deployments/nope")
    assert missing.status_code == 404
    assert "No such deployment" in missing.text
    assert shop.get("/failures/nope", params={"format": "json"}).json() == {"errors": ["Not found"]}
    failure = page_json(shop, "/failures/f-web-failure-002")["data"]["attributes"]
    assert [d["deployment_id"] for d in failure["attributed_deployments"]] == ["w5-deployment-05"]
    assert 'href="/deployments/w5-deployment-05"' in shop.get("/failures/f-web-failure-002").text


def test_severity_narrows_the_failure_numbers_as_the_api_does(shop: TestClient) -> None:
    # Only the open failure of 25 March is SEV-1: time to restore has nothing resolved left, deployments are untouched.
    for path, fixed in (("/", {}), ("/services/api", {"service": "api"}), ("/teams/core", {"team": "core"})):
        for interval in ("day", "week"):
            page = page_json(shop, path, **MARCH_PARAMS, interval=interval, severity="SEV-1")
            api = api_json(shop, "/api/v1/metrics", **MARCH_PARAMS, **fixed, interval=interval, severity="SEV-1")
            assert page["report"] == api, path
    page = page_json(shop, "/", **MARCH_PARAMS, severity="SEV-1")
    everything = page_json(shop, "/", **MARCH_PARAMS)
    restore = page["report"]["metrics"]["time_to_restore"]
    assert (restore["resolved"], restore["open"], restore["value"]) == (0, 1, None)
    assert everything["report"]["metrics"]["time_to_restore"]["value"] == 7200.0
    incidents = page["report"]["metrics"]["change_failure_rate"]["incident_ratio"]
    assert incidents["numerator"] == 1
    frequency = page["report"]["metrics"]["deployment_frequency"]
    assert (frequency["value"], frequency["n"]) == (9, 9)
    # the trend's window before is asked with the same severity
    before = api_json(shop, "/api/v1/metrics", **page["previous"], severity="SEV-1", interval="all")["metrics"]
    assert page["previous"]["metrics"]["time_to_restore"]["n"] == before["time_to_restore"]["n"]


def test_severity_is_a_select_of_the_severities_seen_kept_in_links(shop: TestClient) -> None:
    html = shop.get("/", params={**MARCH_PARAMS, "severity": "SEV-1"}).text
    choices = re.search(r'<select id="f-severity" name="severity"[^>]*>(.*?)</select>', html, re.S)
    assert choices is not None
    options = re.findall(r'<option value="([^"]*)" ?(selected)?>', choices.group(1))
    assert options == [("", ""), ("SEV-1", "selected")]
    assert '<label for="f-severity">Severity</label>' in html
    assert "severity=SEV-1" in unescape(re.search(r'href="(/services\?[^"]*)"', html).group(1))  # type: ignore[union-attr]
    # a value nobody sent is still shown as chosen, so the form sends it back
    odd = shop.get("/", params={**MARCH_PARAMS, "severity": "P1"}).text
    assert '<option value="P1" selected>P1</option>' in odd
    cards = page_json(shop, "/", **MARCH_PARAMS, severity="SEV-1")["cards"]
    restore = next(c for c in cards if c["metric"] == "time_to_restore")
    assert "severity=SEV-1" in restore["events"]


def test_severity_reaches_the_comparison_and_the_drill_down(shop: TestClient) -> None:
    page = page_json(shop, "/services", **MARCH_PARAMS, severity="SEV-1")
    api = api_json(shop, "/api/v1/metrics", **MARCH_PARAMS, group_by="service", severity="SEV-1")["groups"]
    for row in page["rows"]:
        group = next(g for g in api if g["service"] == row["name"])
        restore = group["metrics"]["time_to_restore"]
        assert row["cells"]["time_to_restore"]["value"] == (None if restore["insufficient_data"] else restore["value"])
    listed = page_json(shop, "/events/time_to_restore", **MARCH_PARAMS, severity="SEV-1")["data"]
    api_listed = api_json(shop, "/api/v1/metrics/time_to_restore/events", **MARCH_PARAMS, severity="SEV-1")["data"]
    assert [f["id"] for f in listed] == [f["id"] for f in api_listed] == ["f-open-failure-04"]
    timeline = page_json(shop, "/timeline", **MARCH_PARAMS, severity="SEV-1")
    assert [f["id"] for f in timeline["failures"]] == ["f-open-failure-04"]
