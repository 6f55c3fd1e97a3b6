"""PagerDuty v3 webhooks → DORA failures.

- ``incident.triggered`` (and ``acknowledged``, ``unacknowledged``, ``reopened``, ``priority_updated``, which
  describe the same open incident) → a failure of the incident's service from ``event.data.created_at``; an
  acknowledgement changes nothing but records the incident if its trigger was missed.
- ``incident.resolved`` → its resolution at ``event.occurred_at``.
- ``pagey.ping`` → acknowledged. Every other event is accepted and ignored.

The service is ``event.data.service.summary`` unless ``DORALENS_WEBHOOK_SERVICE_MAP`` maps
``pagerduty:<summary>``; the severity is the priority (``P1``) or else the urgency (``high``). The failure id
derives from the incident id and the account's host, so every event of one incident updates one failure.
"""

from __future__ import annotations

from typing import Any

from doralens.domain.events import Failure
from doralens.errors import ValidationFailed
from doralens.integrations.common import (
    Mapped,
    Rules,
    derived_id,
    host_of,
    not_in_future,
    optional_text,
    optional_time,
    ordered,
    required_text,
    required_time,
    short_text,
    tags,
)

SOURCE = "pagerduty"
_OPEN = ("incident.triggered", "incident.acknowledged", "incident.unacknowledged", "incident.reopened")
_UPDATES = ("incident.priority_updated",)


def map_pagerduty(body: Any, rules: Rules, now_ns: int) -> Mapped:
    """Map one PagerDuty v3 delivery to a failure, or say why none."""
    if not isinstance(body, dict):
        raise ValidationFailed.at("", "must be a JSON object with an event")
    event_type = required_text(body, "/event/event_type")
    if event_type == "pagey.ping":
        return Mapped(note="pong: PagerDuty reaches doralens and the signature matches")
    resolved = event_type == "incident.resolved"
    if not resolved and event_type not in _OPEN + _UPDATES:
        return Mapped.ignore(f"PagerDuty {event_type} events are not used; nothing stored")
    if optional_text(body, "/event/data/type") not in (None, "incident"):
        return Mapped.ignore(f"{event_type} without incident data; nothing stored")
    incident_id = required_text(body, "/event/data/id")
    occurred_at = not_in_future(required_time(body, "/event/occurred_at"), "/event/occurred_at", now_ns)
    # Without created_at (older payloads) the event's own time stands in; the store keeps the earliest start.
    started_at = optional_time(body, "/event/data/created_at") or occurred_at
    finished_at = occurred_at if resolved else None
    ordered(started_at, finished_at, "/event/occurred_at")
    summary = required_text(body, "/event/data/service/summary")
    service = rules.service(SOURCE, summary, pointer="/event/data/service/summary")
    severity = optional_text(body, "/event/data/priority/summary") or optional_text(body, "/event/data/urgency")
    host = host_of(optional_text(body, "/event/data/html_url")) or "pagerduty"
    failure = Failure(
        id=derived_id("pagerduty-incident", host, incident_id),
        started_at=started_at,
        finished_at=finished_at,
        services=(service,),
        team=rules.team(service),
        name=short_text(optional_text(body, "/event/data/title")),
        severity=severity,
        env=rules.default_env(SOURCE),
        custom_tags=tags(
            ("source", SOURCE),
            ("pagerduty_incident", incident_id),
            ("pagerduty_service", summary),
        ),
    )
    note = "acknowledged: the failure stays open until resolved" if event_type == "incident.acknowledged" else None
    return Mapped(failures=(failure,), note=note)
