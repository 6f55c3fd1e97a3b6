"""GitLab-compatible DORA metrics (``/api/v4/projects/{service}/dora/metrics``, ``/api/v4/groups/{team}/...``).

Keys: ``PRIVATE-TOKEN: <application key>`` as GitLab clients send, or the Datadog API and application keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from doralens.api.auth import ReaderKey
from doralens.api.deps import EngineDep, StoreDep
from doralens.metrics.gitlab import Subject, gitlab_metrics

router = APIRouter(prefix="/api/v4", tags=["GitLab-compatible DORA API"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad Request: `source.pointer` names the parameter"},
    403: {"description": "Forbidden: missing or unknown PRIVATE-TOKEN (an application key)"},
}
MetricParam = Annotated[
    str | None,
    Query(description="deployment_frequency, lead_time_for_changes, time_to_restore_service or change_failure_rate."),
]
DateParam = Annotated[str | None, Query(description="ISO 8601 date (UTC).")]
IntervalParam = Annotated[str | None, Query(description="daily (default), monthly or all.")]
TiersParam = Annotated[
    list[str] | None,
    Query(alias="environment_tiers[]", description="production (default), staging, testing, development, other."),
]
TiersPlain = Annotated[list[str] | None, Query(alias="environment_tiers", include_in_schema=False)]


def _answer(
    subject: Subject,
    name: str,
    store: StoreDep,
    engine: EngineDep,
    metric: str | None,
    start_date: str | None,
    end_date: str | None,
    interval: str | None,
    tiers: list[str],
) -> JSONResponse:
    points = gitlab_metrics(
        store=store,
        config=engine,
        subject=subject,
        name=name,
        metric=metric,
        start_date=start_date,
        end_date=end_date,
        interval=interval,
        environment_tiers=tiers,
        today=datetime.now(UTC).date(),
    )
    return JSONResponse(points)


@router.get(
    "/projects/{service}/dora/metrics", summary="DORA metrics of a service, as GitLab returns them", responses=_ERRORS
)
def project_metrics(
    service: str,
    _: ReaderKey,
    store: StoreDep,
    engine: EngineDep,
    metric: MetricParam = None,
    start_date: DateParam = None,
    end_date: DateParam = None,
    interval: IntervalParam = None,
    environment_tiers: TiersParam = None,
    environment_tiers_plain: TiersPlain = None,
) -> JSONResponse:
    """``[{"date", "value"}]``: a project is a doralens service."""
    tiers = [*(environment_tiers or []), *(environment_tiers_plain or [])]
    return _answer("project", service, store, engine, metric, start_date, end_date, interval, tiers)


@router.get("/groups/{team}/dora/metrics", summary="DORA metrics of a team, as GitLab returns them", responses=_ERRORS)
def group_metrics(
    team: str,
    _: ReaderKey,
    store: StoreDep,
    engine: EngineDep,
    metric: MetricParam = None,
    start_date: DateParam = None,
    end_date: DateParam = None,
    interval: IntervalParam = None,
    environment_tiers: TiersParam = None,
    environment_tiers_plain: TiersPlain = None,
) -> JSONResponse:
    """``[{"date", "value"}]``: a group is a doralens team."""
    tiers = [*(environment_tiers or []), *(environment_tiers_plain or [])]
    return _answer("group", team, store, engine, metric, start_date, end_date, interval, tiers)
