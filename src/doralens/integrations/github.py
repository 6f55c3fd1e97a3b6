"""GitHub webhooks → DORA events: successful deployment statuses and issues labelled as incidents.

- ``deployment_status`` with state ``success`` → a deployment named after the GitHub deployment (one deployment
  however many success statuses it gets): started at ``deployment.created_at``, finished at the status's
  ``updated_at``; ``ref`` is the version and ``sha`` the commit. Other states store nothing.
- ``issues`` (opened, labeled, closed, reopened) of an issue carrying the incident label → a failure of the
  repository's service from ``created_at``, resolved at ``closed_at`` while the issue is closed.
- ``ping`` → acknowledged. Every other event is accepted and ignored.

The service is the repository name unless ``DORALENS_WEBHOOK_SERVICE_MAP`` maps ``github:<owner>/<repo>``.
Ids derive from GitHub's own ids and host, so a redelivery (same ``X-GitHub-Delivery``) updates in place.
"""

from __future__ import annotations

from typing import Any

from doralens.domain.events import Deployment, Failure
from doralens.errors import ValidationFailed
from doralens.integrations.common import (
    Mapped,
    Rules,
    derived_id,
    git_info,
    host_of,
    lookup,
    not_in_future,
    optional_text,
    optional_time,
    ordered,
    required_ident,
    required_text,
    required_time,
    short_text,
    tags,
)

SOURCE = "github"
_ISSUE_ACTIONS = ("opened", "labeled", "closed", "reopened")


def map_github(event: str | None, body: Any, rules: Rules, now_ns: int) -> Mapped:
    """Map one GitHub delivery (``event`` is the ``X-GitHub-Event`` header) to DORA events, or say why none."""
    if not event:
        raise ValidationFailed.at("", "the X-GitHub-Event header is missing")
    if event == "ping":
        return Mapped(note="pong: GitHub reaches doralens and the signature matches")
    if not isinstance(body, dict):
        raise ValidationFailed.at("", "must be a JSON object (set the webhook's content type to application/json)")
    if event == "deployment_status":
        return _deployment_status(body, rules, now_ns)
    if event == "issues":
        return _issue(body, rules, now_ns)
    return Mapped.ignore(f"GitHub {event} events are not used; subscribe to deployment statuses and issues")


def _repository(body: Any, rules: Rules) -> tuple[str, str, str | None, str]:
    """(service, full name, repository URL, host) of the event's repository."""
    full_name = required_text(body, "/repository/full_name")
    name = optional_text(body, "/repository/name") or full_name.rsplit("/", 1)[-1]
    html_url = optional_text(body, "/repository/html_url")
    url = optional_text(body, "/repository/clone_url") or html_url
    service = rules.service(SOURCE, full_name, default=name, pointer="/repository/full_name")
    return service, full_name, url, host_of(html_url or url) or "github.com"


def _deployment_status(body: Any, rules: Rules, now_ns: int) -> Mapped:
    state = required_text(body, "/deployment_status/state")
    if state != "success":
        return Mapped.ignore(f"deployment status {state!r} is not a finished deployment; only success is stored")
    service, full_name, url, host = _repository(body, rules)
    deployment_id = required_ident(body, "/deployment/id")
    env_pointer = "/deployment/environment"
    env_name = optional_text(body, env_pointer) or required_text(body, "/deployment_status/environment")
    finished_pointer = "/deployment_status/updated_at"
    if optional_text(body, finished_pointer) is None:
        finished_pointer = "/deployment_status/created_at"
    finished_at = not_in_future(required_time(body, finished_pointer), finished_pointer, now_ns)
    started_at = required_time(body, "/deployment/created_at")
    ordered(started_at, finished_at, finished_pointer)
    return Mapped(
        deployments=(
            Deployment(
                id=derived_id("github-deployment", host, deployment_id),
                service=service,
                started_at=started_at,
                finished_at=finished_at,
                env=rules.env(SOURCE, env_name, pointer=env_pointer),
                team=rules.team(service),
                version=optional_text(body, "/deployment/ref"),
                git=git_info(optional_text(body, "/deployment/sha"), url),
                custom_tags=tags(
                    ("source", SOURCE),
                    ("github_repository", full_name),
                    ("github_deployment_id", deployment_id),
                ),
            ),
        )
    )


def _issue(body: Any, rules: Rules, now_ns: int) -> Mapped:
    action = required_text(body, "/action")
    labels = lookup(body, "/issue/labels")
    names = [label.get("name") for label in labels if isinstance(label, dict)] if isinstance(labels, list) else []
    if action == "unlabeled" and rules.is_incident_label(lookup(body, "/label/name")):
        # Un-labelling is no evidence the incident did not happen; deleting on it would lose real failures.
        return Mapped.ignore(f"removing the {rules.incident_label!r} label keeps the failure already stored")
    if not any(rules.is_incident_label(name) for name in names):
        return Mapped.ignore(f"the issue has no {rules.incident_label!r} label; nothing stored")
    if action not in _ISSUE_ACTIONS:
        return Mapped.ignore(f"issue action {action!r} does not change a failure")
    service, full_name, _, host = _repository(body, rules)
    issue_id = required_ident(body, "/issue/id")
    number = required_ident(body, "/issue/number")
    started_at = required_time(body, "/issue/created_at")
    updated_at = optional_time(body, "/issue/updated_at")
    not_in_future(max(started_at, updated_at or 0), "/issue/updated_at", now_ns)
    finished_at = None
    if optional_text(body, "/issue/state") == "closed":
        finished_at = optional_time(body, "/issue/closed_at") or updated_at or started_at
        ordered(started_at, finished_at, "/issue/closed_at")
    return Mapped(
        failures=(
            Failure(
                id=derived_id("github-issue", host, issue_id),
                started_at=started_at,
                finished_at=finished_at,
                services=(service,),
                team=rules.team(service),
                name=short_text(optional_text(body, "/issue/title")),
                env=rules.default_env(SOURCE),
                custom_tags=tags(("source", SOURCE), ("github_issue", f"{full_name}#{number}")),
            ),
        )
    )
