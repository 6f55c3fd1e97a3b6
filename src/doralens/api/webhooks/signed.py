"""``POST /api/v1/webhooks/{github,gitlab,pagerduty}``: vendor webhooks, each checked against its own secret.

An endpoint whose secret is not configured does not exist (404): nothing is accepted until an operator chooses
to. The signature is checked over the raw body before the JSON is even parsed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

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
from doralens.errors import NotFound
from doralens.integrations.github import map_github
from doralens.integrations.gitlab import map_gitlab
from doralens.integrations.pagerduty import map_pagerduty
from doralens.integrations.signatures import verify_github, verify_gitlab, verify_pagerduty

router = APIRouter(prefix="/api/v1/webhooks", tags=["Webhooks and CDEvents"])

_OFF: dict[int | str, dict[str, Any]] = {404: {"description": "The integration is off: its secret is not configured"}}


def _configured(secret: str | None) -> str:
    if not secret:
        raise NotFound()
    return secret


def _github_secret(settings: SettingsDep) -> str:
    return _configured(settings.github_webhook_secret)


def _gitlab_token(settings: SettingsDep) -> str:
    return _configured(settings.gitlab_webhook_token)


def _pagerduty_secret(settings: SettingsDep) -> str:
    return _configured(settings.pagerduty_webhook_secret)


# Declared before the body, so an integration that is off answers 404 without reading anything.
GithubSecret = Annotated[str, Depends(_github_secret)]
GitlabToken = Annotated[str, Depends(_gitlab_token)]
PagerdutySecret = Annotated[str, Depends(_pagerduty_secret)]


@router.post(
    "/github",
    summary="Receive a GitHub webhook (deployment statuses, incident issues)",
    description=(
        "`deployment_status` events in state `success` store a deployment (service = repository name, env = "
        "`deployment.environment`, version = `deployment.ref`, commit = `deployment.sha`); `issues` events of an "
        "issue labelled `DORALENS_WEBHOOK_INCIDENT_LABEL` store a failure, resolved while the issue is closed; "
        "`ping` answers 200. Other events answer 202 with `ignored`. Redeliveries update the same events. "
        "Off (404) unless `DORALENS_GITHUB_WEBHOOK_SECRET` is set."
    ),
    response_model=DeliveryResponse,
    responses={**responses("Unauthorized: `X-Hub-Signature-256` is missing or does not match"), **_OFF},
    openapi_extra={
        "parameters": [
            header("X-Hub-Signature-256", "`sha256=` and the hex HMAC-SHA256 of the body with the secret"),
            header("X-GitHub-Event", "The event name: `deployment_status`, `issues`, `ping`, …"),
            header("X-GitHub-Delivery", "The delivery id (redeliveries repeat it; they update, not duplicate)"),
        ],
        "requestBody": json_body("The GitHub webhook payload (content type application/json)"),
    },
)
def receive_github(
    secret: GithubSecret,
    raw: RawBody,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    telemetry: ServerMetricsDep,
) -> JSONResponse:
    """Store the deployment or failure a GitHub event reports."""
    verify_github(secret, raw, request.headers.get("x-hub-signature-256"))
    mapped = map_github(request.headers.get("x-github-event"), parse_json(raw), rules_from(settings), now_ns())
    return record(store, mapped, "github", telemetry)


@router.post(
    "/gitlab",
    summary="Receive a GitLab webhook (deployments, incidents)",
    description=(
        "Deployment events with status `success` store a deployment (service = project path, env = "
        "`environment`, commit from `commit_url`, time = `status_changed_at`); issue and work item events of an "
        "incident (type `Incident` or the incident label) store a failure, resolved while closed. Other events "
        "answer 202 with `ignored`. Off (404) unless `DORALENS_GITLAB_WEBHOOK_TOKEN` is set."
    ),
    response_model=DeliveryResponse,
    responses={**responses("Unauthorized: `X-Gitlab-Token` is missing or wrong"), **_OFF},
    openapi_extra={
        "parameters": [
            header("X-Gitlab-Token", "The webhook's secret token"),
            header("X-Gitlab-Event", "The hook name (`Deployment Hook`, `Issue Hook`, …)"),
        ],
        "requestBody": json_body("The GitLab webhook payload"),
    },
)
def receive_gitlab(
    token: GitlabToken,
    raw: RawBody,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    telemetry: ServerMetricsDep,
) -> JSONResponse:
    """Store the deployment or failure a GitLab event reports."""
    verify_gitlab(token, request.headers.get("x-gitlab-token"))
    return record(store, map_gitlab(parse_json(raw), rules_from(settings), now_ns()), "gitlab", telemetry)


@router.post(
    "/pagerduty",
    summary="Receive a PagerDuty v3 webhook (incidents)",
    description=(
        "`incident.triggered` (and `acknowledged`, `unacknowledged`, `reopened`, `priority_updated`) store a "
        "failure of `event.data.service.summary` from `event.data.created_at`; `incident.resolved` resolves it at "
        "`event.occurred_at`; severity is the priority, else the urgency. `pagey.ping` answers 200; other events "
        "202 with `ignored`. Off (404) unless `DORALENS_PAGERDUTY_WEBHOOK_SECRET` is set."
    ),
    response_model=DeliveryResponse,
    responses={**responses("Unauthorized: no `X-PagerDuty-Signature` matches the body"), **_OFF},
    openapi_extra={
        "parameters": [
            header("X-PagerDuty-Signature", "`v1=<hex HMAC-SHA256>`, several separated by commas during rotation")
        ],
        "requestBody": json_body("The PagerDuty v3 webhook payload"),
    },
)
def receive_pagerduty(
    secret: PagerdutySecret,
    raw: RawBody,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    telemetry: ServerMetricsDep,
) -> JSONResponse:
    """Store the failure a PagerDuty incident event reports."""
    verify_pagerduty(secret, raw, request.headers.get("x-pagerduty-signature"))
    return record(store, map_pagerduty(parse_json(raw), rules_from(settings), now_ns()), "pagerduty", telemetry)
