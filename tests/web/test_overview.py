"""The overview's pieces: links from API drill-downs to pages, the previous window, chart series."""

from __future__ import annotations

from doralens.domain.buckets import Interval
from doralens.metrics.request import build_request
from doralens.web.overview import chart, page_link, previous_question

DAY = 86_400 * 10**9


def test_api_links_become_page_links() -> None:
    assert page_link("/api/v1/metrics/time_to_restore/events?from=a&subset=open") == (
        "/events/time_to_restore?from=a&subset=open"
    )


def test_previous_window_has_the_same_length_and_filters() -> None:
    now = 100 * 365 * DAY
    question = build_request(now=now, default_tier_year=2024, start="30d", service=["web"])
    before = previous_question(question)
    assert (before.window.start, before.window.end) == (now - 60 * DAY, now - 30 * DAY)
    assert (before.interval, before.filters) == (Interval.ALL, question.filters)


def test_chart_leaves_gaps_where_data_is_insufficient() -> None:
    link = "/api/v1/metrics/time_to_restore/events?x="
    block = {
        "unit": "seconds",
        "series": [
            {
                "start": "2024-03-04T00:00:00Z",
                "value": 3600.0,
                "n": 3,
                "insufficient_data": False,
                "events": link + "1",
            },
            {"start": "2024-03-11T00:00:00Z", "value": None, "n": 1, "insufficient_data": True, "events": link + "2"},
        ],
    }
    drawn = chart("time_to_restore", block)
    assert (drawn["y"], drawn["text"], drawn["n"]) == ([3600.0, None], ["1.0 h", "—"], [3, 1])
    assert drawn["links"] == ["/events/time_to_restore?x=1", "/events/time_to_restore?x=2"]
