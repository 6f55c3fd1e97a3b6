"""Read objects in Datadog's shapes (RFC 3339 times, absent values left out), plus doralens's extra attributes."""

from __future__ import annotations

from typing import Any

from doralens.domain.events import Deployment, Failure
from doralens.domain.timestamps import format_rfc3339


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def deployment_object(deployment: Deployment) -> dict[str, Any]:
    """A deployment as ``GET /api/v2/dora/deployments/{id}`` returns it."""
    attributes = _without_none(
        {
            "service": deployment.service,
            "started_at": format_rfc3339(deployment.started_at),
            "finished_at": format_rfc3339(deployment.finished_at),
            "env": deployment.env,
            "team": deployment.team,
            "version": deployment.version,
            "custom_tags": list(deployment.custom_tags),
        }
    )
    if deployment.git:
        attributes["git"] = {"commit_sha": deployment.git.commit_sha, "repository_id": deployment.git.repository_id}
    if deployment.mark:
        mark = deployment.mark
        attributes["change_failure"] = mark.change_failure
        attributes["change_failure_marked_by"] = mark.set_by
        attributes["change_failure_marked_at"] = format_rfc3339(mark.set_at)
        if mark.remediation:
            attributes["remediation"] = _without_none(
                {
                    "type": mark.remediation.type,
                    "id": mark.remediation.deployment_id,
                    "version": mark.remediation.version,
                }
            )
    return {"id": deployment.id, "type": "dora_deployment", "attributes": attributes}


def failure_object(failure: Failure) -> dict[str, Any]:
    """A failure as ``GET /api/v2/dora/failures/{id}`` returns it."""
    attributes = _without_none(
        {
            "started_at": format_rfc3339(failure.started_at),
            "finished_at": format_rfc3339(failure.finished_at) if failure.finished_at is not None else None,
            "name": failure.name,
            "services": list(failure.services) or None,
            "severity": failure.severity,
            "env": failure.env,
            "team": failure.team,
            "version": failure.version,
            "custom_tags": list(failure.custom_tags),
        }
    )
    if failure.git:
        attributes["git"] = {"commit_sha": failure.git.commit_sha, "repository_url": failure.git.repository_url}
    return {"id": failure.id, "type": "dora_failure", "attributes": attributes}
