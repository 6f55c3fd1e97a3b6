"""List and get (``/api/v2/dora/deployments``, ``/failures``): API and application key required.

Objects carry doralens's derived attributes besides Datadog's: a deployment's computed ``change_failure`` and its
reasons, remediation and rework; a failure's ``attributed_deployments``. Pending recomputation runs first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from doralens.api.auth import AppKey
from doralens.api.deps import EngineDep, JsonBody, StoreDep
from doralens.api.errors import api_json
from doralens.api.requests import ListRequest, parse_list
from doralens.api.schemas import body_schema
from doralens.api.serialize import deployment_object, failure_object
from doralens.domain.events import Deployment, Failure
from doralens.errors import NotFound
from doralens.metrics.config import EngineConfig
from doralens.metrics.refresh import refresh
from doralens.store.base import EventStore
from doralens.store.records import StoredAttribution

E = TypeVar("E", Deployment, Failure)

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
def list_deployments(_: AppKey, body: JsonBody, store: StoreDep, engine: EngineDep) -> JSONResponse:
    """Deployments finished between ``from`` and ``to`` that match ``query``, newest first by default."""
    spec = parse_list(body, "deployment")
    refresh(store=store, config=engine)
    return api_json({"data": _deployments(store, store.list_deployments(spec))})


@router.post(
    "/failures",
    summary="List failure events",
    responses=_ERRORS,
    openapi_extra=body_schema(ListRequest),
)
def list_failures(_: AppKey, body: JsonBody, store: StoreDep, engine: EngineDep) -> JSONResponse:
    """Failures started between ``from`` and ``to`` that match ``query``, newest first by default."""
    spec = parse_list(body, "failure")
    refresh(store=store, config=engine)
    return api_json({"data": _failures(store, store.list_failures(spec))})


@router.get("/deployments/{deployment_id}", summary="Get a deployment event", responses=_ERRORS)
def get_deployment(deployment_id: str, _: AppKey, store: StoreDep, engine: EngineDep) -> JSONResponse:
    """One deployment, or 404."""
    deployment = _fresh(store, engine, store.get_deployment(deployment_id))
    return api_json({"data": _deployments(store, [deployment])[0]})


@router.get("/failures/{failure_id}", summary="Get a failure event", responses=_ERRORS)
def get_failure(failure_id: str, _: AppKey, store: StoreDep, engine: EngineDep) -> JSONResponse:
    """One failure, or 404."""
    failure = _fresh(store, engine, store.get_failure(failure_id))
    return api_json({"data": _failures(store, [failure])[0]})


def _fresh(store: EventStore, engine: EngineConfig, event: E | None) -> E:
    if event is None:
        raise NotFound()
    refresh(store=store, config=engine, envs=[event.env])
    return event


def _deployments(store: EventStore, items: list[Deployment]) -> list[dict[str, Any]]:
    ids = [d.id for d in items]
    verdicts = store.verdicts_of(ids)
    links: dict[str, list[StoredAttribution]] = {}
    for attribution in store.attributions_to(ids):
        links.setdefault(attribution.deployment_id or "", []).append(attribution)
    return [deployment_object(d, verdicts.get(d.id), links.get(d.id, [])) for d in items]


def _failures(store: EventStore, items: list[Failure]) -> list[dict[str, Any]]:
    links: dict[str, list[StoredAttribution]] = {f.id: [] for f in items}
    for attribution in store.attributions_from(list(links)):
        links[attribution.failure_id].append(attribution)
    return [failure_object(f, links[f.id]) for f in items]
