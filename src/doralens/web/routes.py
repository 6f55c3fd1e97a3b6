"""The dashboard's routes: overview, per-service and per-team pages, comparison, drill-down, timeline.

Each route reads its question from the URL, asks the same functions as the query API, and hands the result to
``render.page``: HTML for a browser, the same data as JSON with ``?format=json``. A bad parameter is a 400 page
naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response

from doralens.api.deps import EngineDep, StoreDep
from doralens.api.errors import bad_request
from doralens.errors import NotFound, ValidationFailed
from doralens.metrics.config import EngineConfig
from doralens.metrics.request import MetricsRequest
from doralens.store.base import EventStore
from doralens.web import compare, drilldown
from doralens.web.auth import Viewer
from doralens.web.choices import filter_choices
from doralens.web.filters import INTERVALS, RANGES, PageQuery, page_query
from doralens.web.overview import overview
from doralens.web.render import page, wants_json
from doralens.web.stream import streamed_page
from doralens.web.timeline import timeline

router = APIRouter(include_in_schema=False)


def _context(store: EventStore, query: PageQuery, **extra: Any) -> dict[str, Any]:
    choices = filter_choices(store)
    return {
        "query": query,
        "facets": choices.facets,
        "severities": choices.severities,
        "ranges": RANGES,
        "intervals": INTERVALS,
        **extra,
    }


def _invalid(request: Request, exc: ValidationFailed, context: dict[str, Any]) -> Response:
    if wants_json(request):
        return bad_request(exc)
    problems = [{"pointer": p.pointer, "detail": p.detail} for p in exc.problems]
    return page(request, "error.html", {"errors": problems}, context, status=400)


def _answer(request: Request, template: str, build: Callable[[], dict[str, Any]], context: dict[str, Any]) -> Response:
    try:
        data = build()
    except ValidationFailed as exc:
        return _invalid(request, exc, context)
    except NotFound:
        if wants_json(request):
            raise
        return page(request, "missing.html", {}, context, status=404)
    return page(request, template, data, context)


def _charted(
    request: Request,
    template: str,
    ask: Callable[[], MetricsRequest],
    build: Callable[[MetricsRequest], dict[str, Any]],
    context: dict[str, Any],
) -> Response:
    """A page with charts: its question checked first (a bad one is a 400), then the page streamed so its head, and
    plotly.js with it, reach the browser while the data is computed; the JSON twin is answered whole."""
    try:
        question = ask()
    except ValidationFailed as exc:
        return _invalid(request, exc, context)
    if wants_json(request):
        return _answer(request, template, lambda: build(question), context)
    return streamed_page(request, template, lambda: build(question), context)


def _scoped(
    request: Request, store: EventStore, engine: EngineConfig, template: str, *, kind: str, **fixed: str
) -> Response:
    query = page_query(request.query_params)

    def build(question: MetricsRequest) -> dict[str, Any]:
        data = overview(store=store, engine=engine, request=question, filtered=query.filtered or bool(fixed))
        if fixed:
            data["timeline"] = timeline(store=store, engine=engine, request=question)
        return {"page": kind, **fixed, **data}

    ask = partial(query.question, engine, **fixed)
    return _charted(request, template, ask, build, _context(store, query, kind=kind, fixed=fixed))


@router.get("/")
def overview_page(_: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """The five DORA metrics (and time to restore) for the filters in the URL."""
    return _scoped(request, store, engine, "overview.html", kind="overview")


@router.get("/services/{service}")
def service_page(service: str, _: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """One service's metrics and timeline."""
    return _scoped(request, store, engine, "overview.html", kind="service", service=service)


@router.get("/teams/{team}")
def team_page(team: str, _: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """One team's metrics and timeline."""
    return _scoped(request, store, engine, "overview.html", kind="team", team=team)


def _comparison(request: Request, store: EventStore, engine: EngineConfig, group_by: str) -> Response:
    query = page_query(request.query_params)
    sort = request.query_params.get("sort", "name")
    order = request.query_params.get("order", "asc")

    def build() -> dict[str, Any]:
        question = query.question(engine, group_by=group_by)
        return {
            "page": group_by,
            **compare.comparison(store=store, engine=engine, request=question, sort=sort, order=order),
        }

    return _answer(request, "compare.html", build, _context(store, query, kind=f"{group_by}s"))


@router.get("/services")
def services_page(_: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """Every service's metrics side by side, sortable by any column."""
    return _comparison(request, store, engine, "service")


@router.get("/teams")
def teams_page(_: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """Every team's metrics side by side, sortable by any column."""
    return _comparison(request, store, engine, "team")


@router.get("/events/{metric}")
def events_page(metric: str, _: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """The deployments or failures behind a metric's number (``subset`` picks numerator, open failures...)."""
    query = page_query(request.query_params)
    subset = request.query_params.get("subset", "all")

    def build() -> dict[str, Any]:
        name = drilldown.metric_name(metric)
        try:
            number = int(request.query_params.get("page", "1"))
        except ValueError:
            raise ValidationFailed.at("/query/page", "must be a whole number") from None
        question = query.question(engine)
        return drilldown.events(store=store, engine=engine, request=question, metric=name, subset=subset, page=number)

    return _answer(request, "events.html", build, _context(store, query, kind="events"))


@router.get("/deployments/{deployment_id}")
def deployment_page(deployment_id: str, _: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """One deployment: verdict and reasons, remediation, failures blamed on it, commits and lead times."""
    context = _context(store, page_query(request.query_params), kind="event")
    return _answer(
        request,
        "deployment.html",
        lambda: drilldown.deployment(store=store, engine=engine, deployment_id=deployment_id),
        context,
    )


@router.get("/failures/{failure_id}")
def failure_page(failure_id: str, _: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """One failure and the deployments it is attributed to."""
    context = _context(store, page_query(request.query_params), kind="event")
    return _answer(
        request, "failure.html", lambda: drilldown.failure(store=store, engine=engine, failure_id=failure_id), context
    )


@router.get("/timeline")
def timeline_page(_: Viewer, request: Request, store: StoreDep, engine: EngineDep) -> Response:
    """Deployments and failures of the window on one axis, with failed deployments and their remediation."""
    query = page_query(request.query_params)

    def build(question: MetricsRequest) -> dict[str, Any]:
        return {"page": "timeline", **timeline(store=store, engine=engine, request=question)}

    context = _context(store, query, kind="timeline")
    return _charted(request, "timeline.html", partial(query.question, engine), build, context)
