"""The dashboard in headless Chromium: numbers equal the API's, filters change the URL and the numbers, drill-down
from a number to its events and from a deployment to its remediation, sorting, timeline, phone width, dark mode."""

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


def test_overview_shows_the_api_numbers_and_draws_every_chart(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}&interval=day", charts=True)
    assert laptop.page.evaluate("document.documentElement.dataset.chartCount") == "6"
    assert laptop.page.locator(".plot .main-svg").count() >= 6
    _assert_cards_match(_cards(laptop), api(live, "/api/v1/metrics", **WINDOW, interval="day")["metrics"])
    laptop.shot("overview")


def test_filters_go_into_the_url_and_change_the_numbers(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.get_by_label("Service").fill("api")
    laptop.page.get_by_label("Interval").select_option("month")
    laptop.page.get_by_role("button", name="Apply").click()
    laptop.page.wait_for_url("**service=api**")
    laptop.page.wait_for_function("document.documentElement.dataset.charts === 'drawn'")
    params = parse_qs(urlsplit(laptop.page.url).query)
    assert (params["service"], params["interval"]) == (["api"], ["month"])
    expected = api(live, "/api/v1/metrics", **WINDOW, service="api", interval="month")["metrics"]
    _assert_cards_match(_cards(laptop), expected)
    assert expected["deployment_frequency"]["value"] == 2
    # the URL alone gives the same view: a shared link
    shared = laptop.page.url
    laptop.page.goto("about:blank")
    laptop.page.goto(shared)
    _assert_cards_match(_cards(laptop), expected)
    laptop.shot("overview-filtered")


def test_drill_down_from_a_number_to_a_deployment_and_its_remediation(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.locator("section.card[data-metric=change_failure_rate] .number").click()
    laptop.page.wait_for_url("**/events/change_failure_rate**")
    rows = laptop.page.locator("table.events tbody tr[data-id]")
    listed = api(live, "/api/v1/metrics/change_failure_rate/events", **WINDOW, subset="numerator")["data"]
    assert [rows.nth(i).get_attribute("data-id") for i in range(rows.count())] == [d["id"] for d in listed]
    laptop.shot("events")
    laptop.page.locator("tr[data-id=w2-deployment-02] a").first.click()
    laptop.page.wait_for_url("**/deployments/w2-deployment-02")
    assert "This deployment is a change failure" in laptop.page.locator("main").inner_text()
    laptop.shot("deployment")
    laptop.page.get_by_role("link", name="w4-deployment-04").click()
    laptop.page.wait_for_url("**/deployments/w4-deployment-04")
    assert "Counted as rework: rollback" in laptop.page.locator("main").inner_text()


def test_failure_leads_to_the_deployment_it_is_blamed_on(laptop: Visit) -> None:
    laptop.open(f"/events/time_to_restore?{QUERY}")
    laptop.page.get_by_role("link", name="f-web-failure-002").click()
    laptop.page.wait_for_url("**/failures/f-web-failure-002")
    laptop.page.get_by_role("link", name="w5-deployment-05").click()
    laptop.page.wait_for_url("**/deployments/w5-deployment-05")


def test_comparison_table_sorts_by_a_column(laptop: Visit, live: LiveServer) -> None:
    laptop.open(f"/services?{QUERY}")
    laptop.page.get_by_role("link", name="Deployments").click()
    laptop.page.wait_for_url("**sort=deployment_frequency**")
    header = laptop.page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "ascending"
    laptop.page.get_by_role("link", name="Deployments").click()
    laptop.page.wait_for_url("**order=desc**")
    names = laptop.page.locator("tbody th[scope=row]").all_inner_texts()
    groups = api(live, "/api/v1/metrics", **WINDOW, group_by="service")["groups"]
    by_count = sorted(groups, key=lambda g: -g["metrics"]["deployment_frequency"]["value"])
    assert names == [g["service"] for g in by_count]
    laptop.shot("services")


def test_timeline_draws_failures_and_recoveries(laptop: Visit) -> None:
    laptop.open(f"/timeline?{QUERY}", charts=True)
    traces = laptop.page.evaluate("document.getElementById('chart-timeline').data.map(t => [t.name, t.x.length])")
    assert dict(traces)["change failure"] == 3  # w2, w5, a2
    assert dict(traces)["recovery"] == 9  # three segments of start, end and a gap
    laptop.shot("timeline")


def test_keyboard_reaches_the_content_first(laptop: Visit) -> None:
    laptop.open(f"/?{QUERY}", charts=True)
    laptop.page.keyboard.press("Tab")
    assert laptop.page.evaluate("document.activeElement.textContent") == "Skip to content"
    laptop.page.keyboard.press("Enter")
    assert laptop.page.evaluate("document.activeElement.id") == "main"
    labels = laptop.page.eval_on_selector_all(
        "form.filters input:not([type=hidden]), form.filters select",
        "fields => fields.filter(f => !document.querySelector(`label[for='${f.id}']`)).map(f => f.name)",
    )
    assert labels == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_width_in_light_and_dark(browser: Any, live: LiveServer, scheme: str) -> None:
    for phone in visit(browser, live, viewport={"width": 390, "height": 844}, color_scheme=scheme):
        phone.open(f"/services/web?{QUERY}", charts=True)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing sticks out sideways
        background = phone.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(15, 20, 25)" if scheme == "dark" else "rgb(255, 255, 255)")
        phone.shot(f"service-phone-{scheme}")


def test_the_guard_catches_a_request_leaving_the_machine(browser: Any, live: LiveServer) -> None:
    visits = visit(browser, live)
    outside = next(visits)
    outside.page.goto("about:blank")
    outside.page.evaluate("fetch('http://203.0.113.9/beacon').catch(() => null)")
    with pytest.raises(AssertionError, match=r"left 127\.0\.0\.1"):
        next(visits)


def test_readme_screenshot(browser: Any, live: LiveServer) -> None:
    """The README's picture of the overview: rewritten with ``DORALENS_TEST_UPDATE_SCREENSHOT=1``."""
    for shown in visit(browser, live, viewport={"width": 1280, "height": 1500}, color_scheme="light"):
        shown.open(f"/?{QUERY}", charts=True)
        path = shown.shot("readme-overview")
        if os.environ.get("DORALENS_TEST_UPDATE_SCREENSHOT") == "1":
            README_SCREENSHOT.parent.mkdir(exist_ok=True)
            shown.page.screenshot(path=str(README_SCREENSHOT), clip={"x": 0, "y": 0, "width": 1280, "height": 1500})
        assert path.stat().st_size > 10_000
