"""GitLab webhooks → DORA events: successful deployments and incident issues.

- Deployment events with status ``success`` → a deployment at ``status_changed_at`` (GitLab sends no start
  time; start = finish). The commit is the last segment of ``commit_url``; ``short_sha`` is the version.
- Issue (or work item) events of an incident — ``type`` ``Incident``, ``issue_type`` ``incident`` or the
  incident label — → a failure from ``created_at``, resolved at ``closed_at`` while the issue is closed.
- Every other event is accepted and ignored.

The service is the project's path (``group/sub/project`` → ``project``) unless ``DORALENS_WEBHOOK_SERVICE_MAP``
maps ``gitlab:<path_with_namespace>``. Ids derive from GitLab's ids and host, so redeliveries update in place.
"""

from __future__ import annotations

from typing import Any

from doralens.domain.events import COMMIT_SHA_PATTERN, Deployment, Failure
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

SOURCE = "gitlab"


def map_gitlab(body: Any, rules: Rules, now_ns: int) -> Mapped:
    """Map one GitLab delivery to DORA events, or say why none."""
    if not isinstance(body, dict):
        raise ValidationFailed.at("", "must be a JSON object")
    kind = required_text(body, "/object_kind")
    if kind == "deployment":
        return _deployment(body, rules, now_ns)
    if kind in ("issue", "work_item"):
        return _incident(body, rules, now_ns)
    return Mapped.ignore(f"GitLab {kind} events are not used; enable deployment and issue events")


def _project(body: Any, rules: Rules) -> tuple[str, str, str | None, str]:
    """(service, path with namespace, repository URL, host) of the event's project."""
    path = required_text(body, "/project/path_with_namespace")
    web_url = optional_text(body, "/project/web_url")
    url = optional_text(body, "/project/git_http_url") or web_url
    service = rules.service(SOURCE, path, default=path.rsplit("/", 1)[-1], pointer="/project/path_with_namespace")
    return service, path, url, host_of(web_url or url) or "gitlab"


def _deployment(body: Any, rules: Rules, now_ns: int) -> Mapped:
    status = required_text(body, "/status")
    if status != "success":
        return Mapped.ignore(f"deployment status {status!r} is not a finished deployment; only success is stored")
    service, path, url, host = _project(body, rules)
    deployment_id = required_ident(body, "/deployment_id")
    at = not_in_future(required_time(body, "/status_changed_at"), "/status_changed_at", now_ns)
    commit_url = optional_text(body, "/commit_url") or ""
    sha = commit_url.rstrip("/").rsplit("/", 1)[-1]
    return Mapped(
        deployments=(
            Deployment(
                id=derived_id("gitlab-deployment", host, deployment_id),
                service=service,
                started_at=at,
                finished_at=at,
                env=rules.env(SOURCE, required_text(body, "/environment"), pointer="/environment"),
                team=rules.team(service),
                version=optional_text(body, "/short_sha"),
                git=git_info(sha if COMMIT_SHA_PATTERN.match(sha) else None, url),
                custom_tags=tags(
                    ("source", SOURCE),
                    ("gitlab_project", path),
                    ("gitlab_deployment_id", deployment_id),
                ),
            ),
        )
    )


def _is_incident(attributes: Any, labels: Any, rules: Rules) -> bool:
    kind = lookup(attributes, "/type")
    if isinstance(kind, str) and kind.lower() == "incident":
        return True
    if lookup(attributes, "/issue_type") == "incident":
        return True
    return isinstance(labels, list) and any(
        isinstance(label, dict) and rules.is_incident_label(label.get("title")) for label in labels
    )


def _incident(body: Any, rules: Rules, now_ns: int) -> Mapped:
    attributes = lookup(body, "/object_attributes")
    labels = lookup(body, "/labels") or lookup(attributes, "/labels")
    if not _is_incident(attributes, labels, rules):
        return Mapped.ignore(f"the issue is not an incident and has no {rules.incident_label!r} label; nothing stored")
    service, path, _, host = _project(body, rules)
    issue_id = required_ident(body, "/object_attributes/id")
    started_at = required_time(body, "/object_attributes/created_at")
    updated_at = optional_time(body, "/object_attributes/updated_at")
    not_in_future(max(started_at, updated_at or 0), "/object_attributes/updated_at", now_ns)
    finished_at = None
    if optional_text(body, "/object_attributes/state") == "closed":
        finished_at = optional_time(body, "/object_attributes/closed_at") or updated_at or started_at
        ordered(started_at, finished_at, "/object_attributes/closed_at")
    severity = optional_text(body, "/object_attributes/severity")
    iid = lookup(attributes, "/iid")
    return Mapped(
        failures=(
            Failure(
                id=derived_id("gitlab-issue", host, issue_id),
                started_at=started_at,
                finished_at=finished_at,
                services=(service,),
                team=rules.team(service),
                name=short_text(optional_text(body, "/object_attributes/title")),
                severity=None if severity in (None, "unknown") else severity,
                env=rules.default_env(SOURCE),
                custom_tags=tags(
                    ("source", SOURCE),
                    ("gitlab_issue", f"{path}#{iid}" if isinstance(iid, int) else None),
                ),
            ),
        )
    )
