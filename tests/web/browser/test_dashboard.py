"""The dashboard in headless Chromium over the demo data: numbers equal the API's, filters change the URL and the
numbers, drill-down from a number to its events, from a deployment to its remediation and commits, from a failure
to its cause; sorting, timeline, keyboard, phone width, dark mode."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from doralens.web.present import number
from tests.servers import LiveServer
from tests.web.browser.conftest import WINDOW, Visit, api, visit

pytestmark = pytest.mark.slow
QUERY = urlencode(WINDOW)
README_SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "dashboard.png"


def _cards(visit: Visit) -> dict[str, dict[str, Any]]:
    found: list[dict[str, Any]] = visit.page.eval_on_selector_all(
        "section.card",
        """cards => cards.map(c => ({metric: c.dataset.metric, value: c.querySelector('.number').dataset.value,
            text: c.querySelector('.number').textContent.trim(), tier: c.querySelector('.tier').dataset.tier || null,
            n: c.querySelector('.sample').dataset.n}))""",
    )
    return {c["metric"]: c for c in found}


def _assert_cards_match(cards: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> None:
    assert list(cards) == list(metrics)
    for metric, block in metrics.items():
        value = None if block["insufficient_data"] else block["value"]
        shown = cards[metric]
        assert json.loads(shown["value"]) == value, metric
        assert shown["text"] == ("insufficient data" if value is None else number(value, block["unit"])), metric
        assert shown["tier"] == (block["tier"]["level"] if block.get("tier") else None), metric
        assert int(shown["n"]) == block["n"], metric


def _row_ids(visit: Visit) -> list[str | None]:
    rows = visit.page.locator("table.events tbody tr[data-id]")
    return [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]


def test_overview_shows_the_api_numbers_and_draws_every_chart(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}&interval=day", charts=True)
    assert laptop.page.evaluate("document.documentElement.dataset.chartCount") == "6"
    assert laptop.page.locator(".plot .main-svg").count() >= 6
    metrics = api(live, "/api/v1/metrics", **WINDOW, interval="day")["metrics"]
    assert metrics["deployment_frequency"]["value"] > 100  # the demo is there
    assert metrics["change_lead_time"]["value"] is not None
    _assert_cards_match(_cards(laptop), metrics)
    # each chart's data table shows the API's series
    cells = laptop.page.eval_on_selector_all(
        "#chart-deployment_frequency ~ details tbody a", "links => links.map(a => JSON.parse(a.dataset.value))"
    )
    assert cells == [p["value"] for p in metrics["deployment_frequency"]["series"]]
    laptop.shot("overview")


def test_filters_go_into_the_url_and_change_the_numbers(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.get_by_label("Service").fill("checkout")
    laptop.page.get_by_label("Env").fill("prod")
    laptop.page.get_by_label("Interval").select_option("month")
    laptop.page.get_by_role("button", name="Apply").click()
    laptop.page.wait_for_url("**service=checkout**")
    laptop.page.wait_for_function("document.documentElement.dataset.charts === 'drawn'")
    params = parse_qs(urlsplit(laptop.page.url).query)
    assert (params["service"], params["env"], params["interval"]) == (["checkout"], ["prod"], ["month"])
    expected = api(live, "/api/v1/metrics", **WINDOW, service="checkout", env="prod", interval="month")["metrics"]
    everything = api(live, "/api/v1/metrics", **WINDOW)["metrics"]
    assert 0 < expected["deployment_frequency"]["value"] < everything["deployment_frequency"]["value"]
    _assert_cards_match(_cards(laptop), expected)
    # the URL alone gives the same view: a shared link
    shared = laptop.page.url
    laptop.page.goto("about:blank")
    laptop.page.goto(shared)
    _assert_cards_match(_cards(laptop), expected)
    laptop.shot("overview-filtered")


def test_severity_filter_changes_the_failure_numbers_to_the_api_ones(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    offered = laptop.page.eval_on_selector_all("#f-severity option", "options => options.map(o => o.value)")
    assert offered[0] == ""  # any
    assert "SEV-3" in offered  # one the demo's failures carry
    laptop.page.get_by_label("Severity").select_option("SEV-3")
    laptop.page.get_by_role("button", name="Apply").click()
    laptop.page.wait_for_url("**severity=SEV-3**")
    laptop.page.wait_for_function("document.documentElement.dataset.charts === 'drawn'")
    assert parse_qs(urlsplit(laptop.page.url).query)["severity"] == ["SEV-3"]
    assert laptop.page.get_by_label("Severity").input_value() == "SEV-3"
    expected = api(live, "/api/v1/metrics", **WINDOW, severity="SEV-3")["metrics"]
    everything = api(live, "/api/v1/metrics", **WINDOW)["metrics"]
    assert 0 < expected["time_to_restore"]["n"] < everything["time_to_restore"]["n"]
    _assert_cards_match(_cards(laptop), expected)
    laptop.shot("overview-severity")


def test_drill_down_from_a_number_to_a_deployment_and_its_remediation(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.locator("section.card[data-metric=change_failure_rate] .number").click()
    laptop.page.wait_for_url("**/events/change_failure_rate**")
    listed = api(live, "/api/v1/metrics/change_failure_rate/events", **WINDOW, subset="numerator", limit=50)["data"]
    assert _row_ids(laptop) == [d["id"] for d in listed]
    laptop.shot("events")
    fixed = next(d for d in listed if d["attributes"].get("remediation", {}).get("id"))
    remedy = fixed["attributes"]["remediation"]["id"]
    laptop.page.locator(f"tr[data-id='{fixed['id']}'] td:nth-child(2) a").click()
    laptop.page.wait_for_url(f"**/deployments/{fixed['id']}")
    text = laptop.page.locator("main").inner_text()
    assert "This deployment is a change failure" in text
    for reason in fixed["attributes"]["change_failure_reasons"]:
        assert reason.replace("_", " ") in text
    laptop.shot("deployment")
    laptop.page.locator(f"main a[href='/deployments/{remedy}']").first.click()
    laptop.page.wait_for_url(f"**/deployments/{remedy}")


def test_drill_down_from_lead_time_to_commits(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.locator("section.card[data-metric=change_lead_time] .number").click()
    laptop.page.wait_for_url("**/events/change_lead_time**")
    listed = api(live, "/api/v1/metrics/change_lead_time/events", **WINDOW, limit=50)["data"]
    assert _row_ids(laptop) == [d["id"] for d in listed]
    shipped = next(d for d in listed if d["attributes"].get("lead_time", {}).get("commits"))
    laptop.page.locator(f"tr[data-id='{shipped['id']}'] td:nth-child(2) a").click()
    laptop.page.wait_for_url(f"**/deployments/{shipped['id']}")
    commits = shipped["attributes"]["lead_time"]["commits"]
    shown = laptop.page.eval_on_selector_all(
        "section[aria-labelledby=commits] tbody tr", "rows => rows.map(r => Number(r.lastElementChild.dataset.value))"
    )
    assert shown == [c["lead_time"] for c in commits]
    laptop.shot("deployment-commits")


def test_failure_leads_to_the_deployment_it_is_blamed_on(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/events/time_to_restore?{QUERY}")
    listed = api(live, "/api/v1/metrics/time_to_restore/events", **WINDOW, limit=50)["data"]
    assert _row_ids(laptop) == [f["id"] for f in listed]
    blamed = next(f for f in listed if f["attributes"]["attributed_deployments"])
    cause = blamed["attributes"]["attributed_deployments"][0]["deployment_id"]
    laptop.page.locator(f"tr[data-id='{blamed['id']}'] td:nth-child(2) a").click()
    laptop.page.wait_for_url(f"**/failures/{blamed['id']}")
    laptop.page.locator(f"main a[href='/deployments/{cause}']").click()
    laptop.page.wait_for_url(f"**/deployments/{cause}")


def test_comparison_table_sorts_and_opens_a_service(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/services?{QUERY}")
    laptop.page.get_by_role("link", name="Deployments").click()
    laptop.page.wait_for_url("**sort=deployment_frequency**")
    assert laptop.page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    laptop.page.get_by_role("link", name="Deployments").click()
    laptop.page.wait_for_url("**order=desc**")
    names = laptop.page.locator("tbody th[scope=row]").all_inner_texts()
    groups = api(live, "/api/v1/metrics", **WINDOW, group_by="service")["groups"]
    by_count = sorted(groups, key=lambda g: (g["metrics"]["deployment_frequency"]["value"], g["service"]), reverse=True)
    assert names == [g["service"] for g in by_count]
    assert len(names) == 7
    laptop.shot("services")
    laptop.page.get_by_role("link", name=names[-1], exact=True).click()
    laptop.page.wait_for_url(f"**/services/{names[-1]}?**")
    laptop.page.wait_for_function("document.documentElement.dataset.charts === 'drawn'")
    _assert_cards_match(_cards(laptop), api(live, "/api/v1/metrics", **WINDOW, service=names[-1])["metrics"])


def test_timeline_draws_failures_and_recoveries(laptop: Visit) -> None:
    laptop.open(f"/timeline?{QUERY}", charts=True)
    data = laptop.page.evaluate("JSON.parse(document.getElementById('timeline-data').textContent)")
    traces = dict(laptop.page.evaluate("document.getElementById('chart-timeline').data.map(t => [t.name, t.x.length])"))
    failed = [d for d in data["deployments"] if d["change_failure"]]
    assert traces["change failure"] == len(failed) > 0
    assert traces["recovery"] == 3 * len([d for d in failed if d["recovered_at"]])  # start, end, gap
    assert traces["failure"] == 3 * sum(len(f["services"]) for f in data["failures"])
    laptop.shot("timeline")


def test_keyboard_reaches_the_content_first(laptop: Visit) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.keyboard.press("Tab")
    assert laptop.page.evaluate("document.activeElement.textContent") == "Skip to content"
    laptop.page.keyboard.press("Enter")
    assert laptop.page.evaluate("document.activeElement.id") == "main"
    unlabelled = laptop.page.eval_on_selector_all(
        "form.filters input:not([type=hidden]), form.filters select",
        "fields => fields.filter(f => !document.querySelector(`label[for='${f.id}']`)).map(f => f.name)",
    )
    assert unlabelled == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_in_light_and_dark(browser: Any, live: LiveServer, scheme: str) -> None:
    for phone in visit(browser, live, viewport={"width": 390, "height": 844}, color_scheme=scheme):
        phone.open(f"/teams/storefront?{QUERY}", charts=True)
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
        background = phone.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(15, 20, 25)" if scheme == "dark" else "rgb(255, 255, 255)")
        phone.shot(f"team-phone-{scheme}")


def test_the_guard_catches_a_request_leaving_the_machine(browser: Any, live: LiveServer) -> None:
    visits = visit(browser, live)
    outside = next(visits)
    outside.page.goto("about:blank")
    outside.page.evaluate("fetch('http://203.0.113.9/beacon').catch(() => null)")
    with pytest.raises(AssertionError, match=r"left 127\.0\.0\.1"):
        next(visits)


def test_readme_screenshot(browser: Any, live: LiveServer) -> None:
    """The README's picture of the overview: rewritten with ``DORALENS_TEST_UPDATE_SCREENSHOT=1``."""
    for shown in visit(browser, live, viewport={"width": 1280, "height": 1400}, color_scheme="light"):
        shown.open("/", charts=True)  # the default view: the last 90 days
        path = shown.shot("readme-overview")
        if os.environ.get("DORALENS_TEST_UPDATE_SCREENSHOT") == "1":
            README_SCREENSHOT.parent.mkdir(exist_ok=True)
            shown.page.screenshot(path=str(README_SCREENSHOT))
        assert path.stat().st_size > 10_000
