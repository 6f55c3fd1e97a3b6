"""Read objects in Datadog's shapes (RFC 3339 times, absent values left out), plus doralens's extra attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from doralens.domain.events import Deployment, Failure
from doralens.domain.timestamps import NS_PER_SECOND, format_rfc3339
from doralens.metrics.events import DeploymentEvent, FailureEvent
from doralens.metrics.leadtime import record_json
from doralens.store.records import StoredAttribution, StoredVerdict


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def deployment_object(
    deployment: Deployment,
    verdict: StoredVerdict | None = None,
    attributions: Sequence[StoredAttribution] = (),
) -> dict[str, Any]:
    """A deployment as ``GET /api/v2/dora/deployments/{id}`` returns it, with its verdict when given."""
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
    if verdict is not None:
        attributes.update(verdict_attributes(verdict, attributions))
    return {"id": deployment.id, "type": "dora_deployment", "attributes": attributes}


def verdict_attributes(verdict: StoredVerdict, attributions: Sequence[StoredAttribution]) -> dict[str, Any]:
    """doralens's read attributes of a deployment: the computed change-failure verdict and its evidence.

    ``change_failure`` is the verdict (a manual mark decides it when present); ``remediation`` is what fixed it,
    found by detection or given with the mark.
    """
    found: dict[str, Any] = {
        "change_failure": verdict.is_change_failure,
        "change_failure_reasons": list(verdict.reasons),
        "rework": verdict.is_rework,
        "rework_reasons": list(verdict.rework_reasons),
        "attributed_failures": [
            {"failure_id": a.failure_id, "method": a.method, "confidence": a.confidence, "basis": a.basis}
            for a in sorted(attributions, key=lambda a: a.failure_id)
        ],
    }
    if verdict.overridden_reasons:
        found["change_failure_overridden_reasons"] = list(verdict.overridden_reasons)
    if verdict.remediated_by is not None:
        found["remediation"] = {"type": verdict.remediation_kind, "id": verdict.remediated_by}
    if verdict.rework_failure_ids:
        found["rework_failure_ids"] = list(verdict.rework_failure_ids)
    if verdict.recovery_status is not None:
        found["recovery_status"] = verdict.recovery_status
        if verdict.recovery_ns is not None:
            found["recovery_time"] = verdict.recovery_ns / NS_PER_SECOND
    return found


def failure_object(failure: Failure, attributions: Sequence[StoredAttribution] | None = None) -> dict[str, Any]:
    """A failure as ``GET /api/v2/dora/failures/{id}`` returns it, with its attribution when given."""
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
    if failure.finished_at is not None:
        attributes["time_to_restore"] = (failure.finished_at - failure.started_at) / NS_PER_SECOND
    if attributions is not None:
        linked = sorted((a for a in attributions if a.deployment_id), key=lambda a: (a.service, a.deployment_id or ""))
        methods = {a.method for a in attributions}
        attributes["attribution_method"] = methods.pop() if len(methods) == 1 else None
        attributes["attributed_deployments"] = [
            {
                "deployment_id": a.deployment_id,
                "service": a.service or None,
                "method": a.method,
                "confidence": a.confidence,
                "basis": a.basis,
            }
            for a in linked
        ]
    return {"id": failure.id, "type": "dora_failure", "attributes": attributes}


def event_object(item: DeploymentEvent | FailureEvent) -> dict[str, Any]:
    """An event behind a number as the API shows it; a deployment with its lead time when the metric has one."""
    if isinstance(item, FailureEvent):
        return failure_object(item.failure, item.attributions)
    found = deployment_object(item.deployment, item.verdict, item.attributions)
    if item.lead_time is not None:
        found["attributes"]["lead_time"] = record_json(item.lead_time)
    return found
