"""What the inbound endpoints share: the raw body, the mapping rules, storing a mapped delivery and the answer."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from doralens.api.body import read_body
from doralens.api.deps import app_settings
from doralens.config import Settings
from doralens.domain.events import Failure
from doralens.integrations.common import Mapped, Rules
from doralens.prometheus.telemetry import ServerMetrics
from doralens.store.base import EventStore

log = logging.getLogger("doralens.webhooks")


async def get_raw_body(request: Request) -> bytes:
    """The body as sent (after Content-Encoding), within the size limit: signatures are computed over it."""
    return await read_body(request, limit=app_settings(request).max_body_bytes)


RawBody = Annotated[bytes, Depends(get_raw_body)]


def rules_from(settings: Settings) -> Rules:
    """The naming rules of the integrations, from the settings."""
    return Rules(
        service_map=settings.webhook_service_map,
        env_map=settings.webhook_env_map,
        service_teams=settings.service_teams,
        incident_label=settings.webhook_incident_label,
        incident_env=settings.webhook_incident_env,
    )


def now_ns() -> int:
    """The current time, against which event timestamps are checked."""
    return time.time_ns()


class StoredEvent(BaseModel):
    """An event a delivery stored or updated."""

    id: str
    type: Literal["dora_deployment", "dora_failure"]


class DeliveryResponse(BaseModel):
    """The answer to a delivery: 200 with what was stored, or 202 with why nothing was."""

    data: list[StoredEvent]
    ignored: str | None = None
    note: str | None = None


def _with_earliest_start(store: EventStore, failure: Failure) -> Failure:
    # Events about one failure may come from several tools, out of order, and a resolution may not know when
    # the failure began: the earliest start any of them reported is the failure's start. (Two deliveries of
    # one failure racing may both read before either writes; the later write wins, as for any update.)
    existing = store.get_failure(failure.id)
    if existing is not None and existing.started_at < failure.started_at:
        return dataclasses.replace(failure, started_at=existing.started_at)
    return failure


def record(store: EventStore, mapped: Mapped, source: str, telemetry: ServerMetrics) -> JSONResponse:
    """Store what a delivery maps to (counted by ``source``) and answer 200 with the ids, or 202 when ignored."""
    data: list[dict[str, str]] = []
    for deployment in mapped.deployments:
        data.append({"id": store.record_deployment(deployment), "type": "dora_deployment"})
        telemetry.event_stored("deployment", source)
    for failure in mapped.failures:
        data.append({"id": store.record_failure(_with_earliest_start(store, failure)), "type": "dora_failure"})
        telemetry.event_stored("failure", source)
    content: dict[str, Any] = {"data": data}
    if mapped.ignored:
        content["ignored"] = mapped.ignored
    if mapped.note:
        content["note"] = mapped.note
    log.info("%s delivery: %s", source, ", ".join(d["id"] for d in data) or mapped.ignored or mapped.note)
    return JSONResponse(content, status_code=202 if mapped.ignored else 200)


def responses(auth: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of an inbound endpoint; ``auth`` says what a 401 means there."""
    return {
        202: {"model": DeliveryResponse, "description": "Understood but not used: `ignored` says why; nothing stored"},
        400: {"description": "The payload breaks the format or is stamped in the future; `source.pointer` names it"},
        401: {"description": auth},
        413: {"description": "The body is over the size limit"},
        415: {"description": "The body is not JSON"},
    }


def header(name: str, description: str) -> dict[str, Any]:
    """An OpenAPI header parameter (documented only: the endpoint checks it itself, to answer 401 not 400)."""
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": description}


def json_body(description: str, *media_types: str) -> dict[str, Any]:
    """An OpenAPI request body of JSON media types."""
    content = {media: {"schema": {"type": "object"}} for media in media_types or ("application/json",)}
    return {"required": True, "description": description, "content": content}
