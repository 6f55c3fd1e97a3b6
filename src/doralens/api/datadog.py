"""The Datadog-compatible DORA endpoints (``/api/v2/dora/...``): thin adapters over the domain and the store."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from doralens.api.auth import ApiKey
from doralens.api.deps import JsonBody, ServerMetricsDep, SettingsDep, StoreDep
from doralens.api.errors import api_json
from doralens.api.schemas import DeploymentRequest, FailureRequest, body_schema, parse_deployment, parse_failure

router = APIRouter(prefix="/api/v2/dora", tags=["Datadog DORA API"])


class _CreatedData(BaseModel):
    id: str
    type: Literal["dora_deployment", "dora_failure"]


class CreatedResponse(BaseModel):
    """What a create call answers: the id of the stored (or updated) event."""

    data: _CreatedData


def _created(event_id: str, kind: str) -> JSONResponse:
    return api_json({"data": {"id": event_id, "type": kind}})


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: the body breaks the contract; `source.pointer` names the field"},
    403: {"description": "Forbidden: missing or unknown API key"},
    413: {"description": "The body is over the size limit"},
    415: {"description": "The body is not JSON"},
}


@router.post(
    "/deployment",
    summary="Send a deployment event",
    response_model=CreatedResponse,
    responses=_ERRORS,
    openapi_extra=body_schema(DeploymentRequest),
)
def create_deployment(
    _: ApiKey, body: JsonBody, store: StoreDep, settings: SettingsDep, telemetry: ServerMetricsDep
) -> JSONResponse:
    """Store a deployment; the same ``id`` again updates it."""
    deployment = parse_deployment(body, service_teams=settings.service_teams)
    stored = store.record_deployment(deployment)
    telemetry.event_stored("deployment", "datadog")
    return _created(stored, "dora_deployment")


@router.post(
    "/failure",
    summary="Send a failure event",
    response_model=CreatedResponse,
    responses=_ERRORS,
    openapi_extra=body_schema(FailureRequest),
)
def create_failure(
    _: ApiKey, body: JsonBody, store: StoreDep, settings: SettingsDep, telemetry: ServerMetricsDep
) -> JSONResponse:
    """Store a failure, or update the one it matches (same id, or same env, service and start)."""
    failure = parse_failure(body, service_teams=settings.service_teams)
    stored = store.record_failure(failure)
    telemetry.event_stored("failure", "datadog")
    return _created(stored, "dora_failure")


@router.post(
    "/incident",
    summary="Send an incident event (deprecated alias of /failure)",
    response_model=CreatedResponse,
    responses=_ERRORS,
    deprecated=True,
    openapi_extra=body_schema(FailureRequest),
)
def create_incident(
    _: ApiKey, body: JsonBody, store: StoreDep, settings: SettingsDep, telemetry: ServerMetricsDep
) -> JSONResponse:
    """The seed's endpoint: identical to ``/failure``."""
    return create_failure(_, body, store, settings, telemetry)
