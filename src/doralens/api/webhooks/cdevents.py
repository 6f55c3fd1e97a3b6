"""``POST /api/v1/events/cdevents``: CDEvents in CloudEvents structured or binary mode, or as bare JSON."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from doralens.api.auth import EventKey
from doralens.api.body import parse_json
from doralens.api.deps import ServerMetricsDep, SettingsDep, StoreDep
from doralens.api.webhooks.delivery import (
    DeliveryResponse,
    RawBody,
    header,
    json_body,
    now_ns,
    record,
    responses,
    rules_from,
)
from doralens.integrations.cdevents import map_cdevent, unwrap

router = APIRouter(tags=["Webhooks and CDEvents"])

_DESCRIPTION = """
Accepts one CDEvent (spec 0.4 or 0.5) per request, in any of three forms:

- CloudEvents **structured** mode: `Content-Type: application/cloudevents+json`, the CloudEvent with the CDEvent
  (`context` and `subject`) as `data`;
- CloudEvents **binary** mode: `ce-specversion`, `ce-id`, `ce-type`, `ce-source`, `ce-time` headers and the
  CDEvent as the body (`Content-Type: application/cdevents+json` or `application/json`);
- the bare CDEvent JSON.

`dev.cdevents.service.deployed|upgraded|rolledback` store a deployment (a rollback carries the tags
`cdevents_type:service.rolledback` and `deployment_type:rollback`, and makes the deployment it replaced a change
failure); `dev.cdevents.incident.detected|reported`
start a failure and `dev.cdevents.incident.resolved` resolves it (the failure is named after `subject.id`).
Other types, `change.merged` included, answer 202 with `ignored` and store nothing. Ids derive from
`context.source` and `context.id`, so sending an event again updates it. Needs an API key.
"""


@router.post(
    "/api/v1/events/cdevents",
    summary="Receive a CDEvent (deployments, rollbacks, incidents)",
    description=_DESCRIPTION,
    response_model=DeliveryResponse,
    responses=responses("Unauthorized: no API key in `DD-API-KEY` or `Authorization: Bearer`, or an unknown one"),
    openapi_extra={
        "parameters": [
            header("DD-API-KEY", "A doralens API key (or send it as `Authorization: Bearer <key>`)"),
            header("ce-specversion", "Binary mode: `1.0`"),
            header("ce-id", "Binary mode: the CDEvent's `context.id`"),
            header("ce-type", "Binary mode: the CDEvent's `context.type`"),
            header("ce-source", "Binary mode: the CDEvent's `context.source`"),
        ],
        "requestBody": json_body(
            "A CloudEvent carrying a CDEvent, or the CDEvent itself",
            "application/cloudevents+json",
            "application/cdevents+json",
            "application/json",
        ),
    },
)
def receive_cdevent(
    _: EventKey,
    raw: RawBody,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    telemetry: ServerMetricsDep,
) -> JSONResponse:
    """Store the deployment or failure a CDEvent reports."""
    root, prefix = unwrap(parse_json(raw), request.headers)
    return record(store, map_cdevent(root, prefix, rules_from(settings), now_ns()), "cdevents", telemetry)
