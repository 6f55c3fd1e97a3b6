"""The timeline: deployments, failures, when a deployment failed and when it was remediated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import MARCH_PARAMS, page_json


def test_timeline_shows_failures_and_remediation(shop: TestClient) -> None:
    page = page_json(shop, "/timeline", **MARCH_PARAMS)
    w2 = next(d for d in page["deployments"] if d["id"] == "w2-deployment-02")
    assert (w2["change_failure"], w2["recovered_at"], w2["remediated_by"]) == (
        True,
        "2024-03-06T12:00:00Z",
        "w4-deployment-04",
    )
    still_open = next(f for f in page["failures"] if f["id"] == "f-open-failure-04")
    assert still_open["finished"] is None
    assert page["entries"][0]["id"] == "f-open-failure-04"  # newest first
    html = shop.get("/timeline", params=MARCH_PARAMS).text
    assert 'id="timeline-data"' in html
    assert "<strong>open</strong>" in html
