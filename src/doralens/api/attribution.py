"""Override which deployment caused a failure (``/api/v1/failures/{id}/attribution``): application key required."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from doralens.api.auth import AppKey, who
from doralens.api.deps import EngineDep, JsonBody, StoreDep
from doralens.api.errors import api_json
from doralens.api.schemas import EventId, body_schema, problems_from
from doralens.api.serialize import failure_object
from doralens.domain.timestamps import format_rfc3339
from doralens.errors import NotFound
from doralens.metrics.overrides import clear_attribution, set_attribution
from doralens.metrics.refresh import refresh
from doralens.store.records import StoredOverride

router = APIRouter(prefix="/api/v1/failures", tags=["Metrics"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `deployment_id` is not a stored deployment"},
    403: {"description": "Forbidden: missing or unknown API or application key"},
    404: {"description": "No failure with that id"},
}


class AttributionRequest(BaseModel):
    """``deployment_id``: the deployment that caused the failure, or null for "no deployment caused it"."""

    model_config = {"extra": "forbid"}

    deployment_id: Annotated[EventId | None, Field(description="A deployment id, or null.")]


def _override_json(override: StoredOverride | None) -> dict[str, Any] | None:
    if override is None:
        return None
    return {
        "deployment_id": override.deployment_id,
        "set_by": override.set_by,
        "set_at": format_rfc3339(override.set_at),
    }


@router.get("/{failure_id}/attribution", summary="Which deployment caused a failure", responses=_ERRORS)
def get_attribution(failure_id: str, _: AppKey, store: StoreDep, engine: EngineDep) -> JSONResponse:
    """The failure with its attribution (after any pending recomputation) and the user's override, if any."""
    failure = store.get_failure(failure_id)
    if failure is None:
        raise NotFound()
    refresh(store=store, config=engine, envs=[failure.env])
    body = failure_object(failure, store.attributions_from([failure_id]))
    return api_json({"data": body, "override": _override_json(store.attribution_override(failure_id))})


@router.put(
    "/{failure_id}/attribution",
    summary="Attribute a failure to a deployment (or to none) by hand",
    responses=_ERRORS,
    openapi_extra=body_schema(AttributionRequest),
)
def put_attribution(failure_id: str, key: AppKey, body: JsonBody, store: StoreDep) -> JSONResponse:
    """Replace the attribution rules' answer for this failure with the given deployment, or with none."""
    try:
        wanted = AttributionRequest.model_validate(body)
    except ValidationError as exc:
        raise problems_from(exc) from None
    override = set_attribution(store=store, failure_id=failure_id, deployment_id=wanted.deployment_id, set_by=who(key))
    return api_json({"data": {"failure_id": failure_id, **(_override_json(override) or {})}})


@router.delete("/{failure_id}/attribution", status_code=204, summary="Give a failure back to the attribution rules")
def delete_attribution(failure_id: str, _: AppKey, store: StoreDep) -> Response:
    """Remove the override; removing one that is not there is harmless."""
    clear_attribution(store=store, failure_id=failure_id)
    return Response(status_code=204)
