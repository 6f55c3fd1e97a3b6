"""PagerDuty v3 incident events → one failure per incident, opened and resolved."""

from __future__ import annotations

from typing import Any

import pytest

from doralens.errors import ValidationFailed
from doralens.integrations.common import Mapped, Rules
from doralens.integrations.pagerduty import map_pagerduty
from tests.builders import ts
from tests.integrations.fixtures import NOW, load

RULES = Rules(service_map=(("pagerduty:Checkout API", "checkout"),), service_teams={"checkout": "payments"})


def pagerduty(body: Any, rules: Rules = RULES) -> Mapped:
    return map_pagerduty(body, rules, NOW)


def test_triggered_incident_is_an_open_failure() -> None:
    [failure] = pagerduty(load("pagerduty/incident_triggered.json")).failures
    assert (failure.services, failure.team, failure.env) == (("checkout",), "payments", "production")
    assert (failure.started_at, failure.finished_at) == (ts("2024-05-14T10:21:07Z"), None)
    assert (failure.name, failure.severity) == ("Checkout error rate above 5%", "P1")
    assert failure.id.startswith("pagerduty-incident-")
    assert "pagerduty_incident:Q2X7LRN5ZK8F3B" in failure.custom_tags


def test_acknowledged_and_resolved_update_the_same_failure() -> None:
    [triggered] = pagerduty(load("pagerduty/incident_triggered.json")).failures
    acknowledged = pagerduty(load("pagerduty/incident_acknowledged.json"))
    [resolved] = pagerduty(load("pagerduty/incident_resolved.json")).failures
    assert acknowledged.failures == (triggered,)
    assert acknowledged.note
    assert resolved.id == triggered.id
    assert (resolved.started_at, resolved.finished_at) == (triggered.started_at, ts("2024-05-14T11:31:30.804Z"))


def test_unmapped_service_keeps_its_pagerduty_name_and_urgency_stands_in_for_priority() -> None:
    body = load("pagerduty/incident_triggered.json")
    body["event"]["data"]["priority"] = None
    [failure] = pagerduty(body, Rules()).failures
    assert (failure.services, failure.severity) == (("Checkout API",), "high")


def test_without_created_at_the_event_time_is_the_start() -> None:
    body = load("pagerduty/incident_resolved.json")
    del body["event"]["data"]["created_at"]
    [failure] = pagerduty(body).failures
    assert failure.started_at == failure.finished_at == ts("2024-05-14T11:31:30.804Z")


def test_ping_is_acknowledged_and_other_events_ignored() -> None:
    ping = pagerduty(load("pagerduty/ping.json"))
    assert (ping.ignored, ping.failures, ping.note is not None) == (None, (), True)
    body = load("pagerduty/incident_triggered.json")
    body["event"]["event_type"] = "incident.annotated"
    body["event"]["data"] = {"type": "incident_note", "id": "P2LA89X", "content": "looking"}
    assert "incident.annotated" in (pagerduty(body).ignored or "")


@pytest.mark.parametrize(
    ("pointer", "change"),
    [
        ("/event/data/service/summary", lambda e: e["data"].pop("service")),
        ("/event/occurred_at", lambda e: e.update(occurred_at="2024-06-02T00:00:00Z")),
        ("/event/event_type", lambda e: e.pop("event_type")),
    ],
)
def test_bad_events_name_the_field(pointer: str, change: Any) -> None:
    body = load("pagerduty/incident_triggered.json")
    change(body["event"])
    with pytest.raises(ValidationFailed) as caught:
        pagerduty(body)
    assert caught.value.problems[0].pointer == pointer
