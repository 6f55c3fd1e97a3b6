"""Every integration's vendor payloads replayed through one live ``doralens serve`` on each backend: signatures
checked on every source, the events stored, and the metrics they make, worked out by hand from the payloads.

The payloads (``tests/payloads/``) tell one morning, 2024-05-14 (UTC):

- shop (GitHub, ``acme/shop``): deployed 09:58:03 → 10:02:11; an incident issue opened 10:20:00, closed 11:31:30.
- billing (GitLab, ``platform/billing``): deployed at 10:02:11 (12:02:11 +0200); an incident issue opened 10:25:00,
  closed 11:40:12.
- checkout (CDEvents and PagerDuty): deployed 10:00:00.123456, upgraded to v1.5.0 at 11:00, rolled back to v1.4.1 at
  11:30; PagerDuty's incident on "Checkout API" triggered 10:21:07, resolved 11:31:30.804; a CDEvents incident naming
  v1.4.1 detected 11:05:00, resolved 11:31:30.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from doralens.store.factory import open_store
from tests.api.test_cdevents import send
from tests.api.test_webhooks import (
    GITHUB_SECRET,
    GITLAB_TOKEN,
    PAGERDUTY_SECRET,
    github,
    gitlab,
    pagerduty,
    stored_id,
)
from tests.integrations.fixtures import raw
from tests.servers import API_KEY, APP_KEY, start_server

pytestmark = pytest.mark.slow

SETTINGS = {
    "DORALENS_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    "DORALENS_GITLAB_WEBHOOK_TOKEN": GITLAB_TOKEN,
    "DORALENS_PAGERDUTY_WEBHOOK_SECRET": PAGERDUTY_SECRET,
    "DORALENS_WEBHOOK_SERVICE_MAP": "pagerduty:Checkout API=checkout",
    "DORALENS_WEBHOOK_ENV_MAP": "production=prod",
    # one failure per service: show the durations rather than withhold them
    "DORALENS_MIN_SAMPLES_DURATIONS": "1",
    "DORALENS_REFRESH_SECONDS": "0",
}
DAY = {"from": "2024-05-14T00:00:00Z", "to": "2024-05-15T00:00:00Z"}


def _cdevent(client: httpx.Client, name: str, key: str | None = API_KEY) -> httpx.Response:
    response: httpx.Response = send(client, f"cdevents/{name}.json", **({"DD-API-KEY": key} if key else {}))
    return response


def _refused_everywhere(client: httpx.Client) -> None:
    """A wrong and a missing signature, token or key on every source: 401, and nothing stored."""
    json = {"Content-Type": "application/json"}
    deployment, issue = raw("github/deployment_status_success.json"), raw("github/issues_opened.json")
    for body, event in ((deployment, "deployment_status"), (issue, "issues")):
        assert github(client, event, body, signature="sha256=" + "0" * 64).status_code == 401
        unsigned = client.post("/api/v1/webhooks/github", content=body, headers={**json, "X-GitHub-Event": event})
        assert unsigned.status_code == 401
    for name in ("deployment_success", "issue_incident_opened"):
        assert gitlab(client, raw(f"gitlab/{name}.json"), token="not-the-token").status_code == 401
        assert (
            client.post("/api/v1/webhooks/gitlab", content=raw(f"gitlab/{name}.json"), headers=json).status_code == 401
        )
    triggered = raw("pagerduty/incident_triggered.json")
    assert pagerduty(client, triggered, signature="v1=" + "0" * 64).status_code == 401
    assert client.post("/api/v1/webhooks/pagerduty", content=triggered, headers=json).status_code == 401
    assert _cdevent(client, "v0.4_service_deployed", key="0" * 32).status_code == 401
    assert _cdevent(client, "v0.4_service_deployed", key=None).status_code == 401


def _headlines(client: httpx.Client) -> dict[str, dict[str, Any]]:
    headers = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
    response = client.get("/api/v1/metrics", params={**DAY, "group_by": "service"}, headers=headers)
    assert response.status_code == 200, response.text
    return {group["service"]: group["metrics"] for group in response.json()["groups"]}


def test_every_source_through_a_live_server_makes_the_metrics_worked_out_by_hand(database_url: str) -> None:
    with start_server(database_url, **SETTINGS) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        _refused_everywhere(client)
        store = open_store(database_url)
        try:
            assert store.count_events() == (0, 0)
        finally:
            store.close()

        ids = [
            stored_id(github(client, "deployment_status", raw("github/deployment_status_success.json"))),
            stored_id(github(client, "issues", raw("github/issues_opened.json"))),
            stored_id(github(client, "issues", raw("github/issues_closed.json"))),
            stored_id(gitlab(client, raw("gitlab/deployment_success.json"))),
            stored_id(gitlab(client, raw("gitlab/issue_incident_opened.json"))),
            stored_id(gitlab(client, raw("gitlab/issue_incident_closed.json"))),
            stored_id(pagerduty(client, raw("pagerduty/incident_triggered.json"))),
            stored_id(pagerduty(client, raw("pagerduty/incident_resolved.json"))),
            *(
                stored_id(_cdevent(client, name))
                for name in (
                    "v0.4_service_deployed",
                    "v0.5_service_upgraded",
                    "v0.4_service_rolledback",
                    "v0.5_incident_detected",
                    "v0.5_incident_resolved",
                )
            ),
        ]
        # a redelivery of each is the same event again
        assert stored_id(github(client, "deployment_status", raw("github/deployment_status_success.json"))) == ids[0]
        assert stored_id(pagerduty(client, raw("pagerduty/incident_resolved.json"))) == ids[7]
        metrics = _headlines(client)

    store = open_store(database_url)
    try:
        assert store.count_events() == (5, 4)  # 5 deployments; 4 failures, each opened then resolved
    finally:
        store.close()

    assert set(metrics) == {"shop", "billing", "checkout"}
    shop, billing, checkout = metrics["shop"], metrics["billing"], metrics["checkout"]
    # shop: its incident started 18 min after its only deployment, which it is blamed on
    assert shop["deployment_frequency"]["value"] == 1
    assert (shop["change_failure_rate"]["numerator"], shop["change_failure_rate"]["denominator"]) == (1, 1)
    assert shop["time_to_restore"]["median"] == 4290.0  # 10:20:00 → 11:31:30
    assert shop["failed_deployment_recovery_time"]["median"] == 5359.0  # 10:02:11 → 11:31:30
    # billing: the same shape, through GitLab
    assert (billing["change_failure_rate"]["numerator"], billing["change_failure_rate"]["denominator"]) == (1, 1)
    assert billing["time_to_restore"]["median"] == 4512.0  # 10:25:00 → 11:40:12
    assert billing["failed_deployment_recovery_time"]["median"] == 5881.0  # 10:02:11 → 11:40:12
    # checkout: PagerDuty's incident is blamed on the 10:00 deployment (the latest before it); the upgrade to v1.5.0
    # was rolled back (to v1.4.1, never deployed here before: the rollback is known from CDEvents' rolledback); the
    # CDEvents incident names v1.4.1, which only the rollback deployed: an exact link to it
    assert checkout["deployment_frequency"]["value"] == 3
    assert (checkout["change_failure_rate"]["numerator"], checkout["change_failure_rate"]["denominator"]) == (3, 3)
    assert checkout["time_to_restore"]["n"] == 2
    assert checkout["time_to_restore"]["median"] == pytest.approx((4223.804 + 1590.0) / 2)
    # recovery: 10:00:00.123456 → 11:31:30.804 (5,490.68 s), 11:00 → its rollback at 11:30 (1,800 s), and the
    # rollback at 11:30:00 → 11:31:30 (90 s)
    recovery = checkout["failed_deployment_recovery_time"]
    assert (recovery["n"], recovery["median"]) == (3, 1800.0)
    # rework: the upgrade (first deployment during PagerDuty's incident) and the rollback
    rework = checkout["deployment_rework_rate"]
    assert (rework["numerator"], rework["denominator"]) == (2, 3)
