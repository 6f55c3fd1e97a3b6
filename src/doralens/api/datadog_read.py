"""List and get (``/api/v2/dora/deployments``, ``/failures``): API and application key required."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from doralens.api.auth import AppKey
from doralens.api.deps import JsonBody, StoreDep
from doralens.api.errors import api_json
from doralens.api.requests import ListRequest, parse_list
from doralens.api.schemas import body_schema
from doralens.api.serialize import deployment_object, failure_object
from doralens.errors import NotFound

router = APIRouter(prefix="/api/v2/dora", tags=["Datadog DORA API"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `source.pointer` names the field; a bad query says where it broke"},
    403: {"description": "Forbidden: missing or unknown API or application key"},
}


@router.post(
    "/deployments",
    summary="List deployment events",
    responses=_ERRORS,
    openapi_extra=body_schema(ListRequest),
)
def list_deployments(_: AppKey, body: JsonBody, store: StoreDep) -> JSONResponse:
    """Deployments finished between ``from`` and ``to`` that match ``query``, newest first by default."""
    spec = parse_list(body, "deployment")
    return api_json({"data": [deployment_object(d) for d in store.list_deployments(spec)]})


@router.post(
    "/failures",
    summary="List failure events",
    responses=_ERRORS,
    openapi_extra=body_schema(ListRequest),
)
def list_failures(_: AppKey, body: JsonBody, store: StoreDep) -> JSONResponse:
    """Failures started between ``from`` and ``to`` that match ``query``, newest first by default."""
    spec = parse_list(body, "failure")
    return api_json({"data": [failure_object(f) for f in store.list_failures(spec)]})


@router.get("/deployments/{deployment_id}", summary="Get a deployment event", responses=_ERRORS)
def get_deployment(deployment_id: str, _: AppKey, store: StoreDep) -> JSONResponse:
    """One deployment, or 404."""
    deployment = store.get_deployment(deployment_id)
    if deployment is None:
        raise NotFound()
    return api_json({"data": deployment_object(deployment)})


@router.get("/failures/{failure_id}", summary="Get a failure event", responses=_ERRORS)
def get_failure(failure_id: str, _: AppKey, store: StoreDep) -> JSONResponse:
    """One failure, or 404."""
    failure = store.get_failure(failure_id)
    if failure is None:
        raise NotFound()
    return api_json({"data": failure_object(failure)})
