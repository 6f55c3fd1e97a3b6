"""Delete events and mark change failures: API and application key required; answers 202 with an empty body."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from doralens.api.auth import AppKey, who
from doralens.api.deps import JsonBody, StoreDep
from doralens.api.requests import PatchByVersionRequest, PatchRequest, parse_patch, parse_patch_by_version
from doralens.api.schemas import body_schema
from doralens.errors import NotFound, ValidationFailed
from doralens.store.base import KeyRecord

router = APIRouter(prefix="/api/v2/dora", tags=["Datadog DORA API"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `source.pointer` names the field"},
    403: {"description": "Forbidden: missing or unknown API or application key"},
    404: {"description": "No deployment with that id (or service, env and version)"},
}


def _accepted() -> Response:
    return Response(status_code=202)


@router.delete("/deployment/{deployment_id}", status_code=202, summary="Delete a deployment event")
def delete_deployment(deployment_id: str, _: AppKey, store: StoreDep) -> Response:
    """Delete a deployment; deleting one that is gone is harmless."""
    store.delete_deployment(deployment_id)
    return _accepted()


@router.delete("/failure/{failure_id}", status_code=202, summary="Delete a failure event")
def delete_failure(failure_id: str, _: AppKey, store: StoreDep) -> Response:
    """Delete a failure; deleting one that is gone is harmless."""
    store.delete_failure(failure_id)
    return _accepted()


def _patch(deployment_id: str, key: KeyRecord, body: Any, store: StoreDep) -> Response:
    body_id, mark = parse_patch(body, set_by=who(key))
    if body_id is not None and body_id != deployment_id:
        raise ValidationFailed.at("/data/id", f"does not match the deployment id in the path ({deployment_id})")
    if not store.mark_deployment(deployment_id, mark):
        raise NotFound()
    return _accepted()


@router.patch(
    "/deployments/{deployment_id}",
    status_code=202,
    summary="Mark a deployment as a change failure (or not), with its remediation",
    responses=_ERRORS,
    openapi_extra=body_schema(PatchRequest),
)
def patch_deployment(deployment_id: str, key: AppKey, body: JsonBody, store: StoreDep) -> Response:
    """Set the change-failure mark of one deployment."""
    return _patch(deployment_id, key, body, store)


@router.patch(
    "/deployment/{deployment_id}",
    status_code=202,
    summary="Same as PATCH /deployments/{deployment_id}",
    responses=_ERRORS,
    include_in_schema=False,
)
def patch_deployment_singular(deployment_id: str, key: AppKey, body: JsonBody, store: StoreDep) -> Response:
    """The singular path some callers use."""
    return _patch(deployment_id, key, body, store)


@router.patch(
    "/deployments",
    status_code=202,
    summary="Mark the latest deployment of a service, env and version",
    responses=_ERRORS,
    openapi_extra=body_schema(PatchByVersionRequest),
)
def patch_deployment_by_version(key: AppKey, body: JsonBody, store: StoreDep) -> Response:
    """Mark the most recently finished deployment with this service, env and version."""
    attrs, mark = parse_patch_by_version(body, set_by=who(key))
    deployment_id = store.latest_deployment_id(service=attrs.service, env=attrs.env, version=attrs.version)
    if deployment_id is None or not store.mark_deployment(deployment_id, mark):
        raise NotFound()
    return _accepted()
