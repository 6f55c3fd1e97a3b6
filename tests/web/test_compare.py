"""The comparison table: one row per service or team, the grouped API's numbers, sorted with missing values last."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import MARCH_PARAMS, api_json, page_json


def test_comparison_sorts_and_matches_the_grouped_api(shop: TestClient) -> None:
    page = page_json(shop, "/services", **MARCH_PARAMS, sort="deployment_frequency", order="desc")
    api = api_json(shop, "/api/v1/metrics", **MARCH_PARAMS, group_by="service")["groups"]
    assert [r["name"] for r in page["rows"]] == ["web", "api"]
    for row in page["rows"]:
        group = next(g for g in api if g["service"] == row["name"])
        for metric, cell in row["cells"].items():
            block = group["metrics"][metric]
            assert cell["value"] == (None if block["insufficient_data"] else block["value"])
    ascending = page_json(shop, "/services", **MARCH_PARAMS, sort="deployment_frequency", order="asc")
    assert [r["name"] for r in ascending["rows"]] == ["api", "web"]
    # a column without values keeps its rows in name order, last
    lead = page_json(shop, "/services", **MARCH_PARAMS, sort="change_lead_time", order="desc")
    assert [r["name"] for r in lead["rows"]] == ["api", "web"]
    html = shop.get("/teams", params={**MARCH_PARAMS, "sort": "name", "order": "desc"}).text
    assert 'aria-sort="descending"' in html
    assert re.findall(r'<th scope="row"><a href="/teams/(\w+)', html) == ["shop", "core"]
    assert "(no team)" in html  # the failures name no team: their group links nowhere
