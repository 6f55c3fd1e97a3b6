"""From loaded events to stored derived state: verdicts with recovery, attribution rows, and the neighbouring
streams whose links moved. Pure: the refresh loads the inputs and stores the outputs."""

from __future__ import annotations

from collections.abc import Mapping

from doralens.domain.attribution import Attribution
from doralens.domain.changefailure import DeploymentVerdict, ManualMark, ManualRemediation, RemediationType
from doralens.domain.changefailure import detect_change_failures as detect
from doralens.domain.events import Deployment, Failure
from doralens.domain.recovery import recoveries
from doralens.domain.streams import StreamKey, order_key, stream_key
from doralens.metrics.config import EngineConfig
from doralens.store.records import StoredAttribution, StoredVerdict


def manual_marks(deployments: list[Deployment]) -> dict[str, ManualMark]:
    """Stored marks as detection wants them, a remediation named by version resolved within the stream."""
    by_stream: dict[StreamKey, list[Deployment]] = {}
    for d in sorted(deployments, key=order_key):
        by_stream.setdefault(stream_key(d), []).append(d)
    result: dict[str, ManualMark] = {}
    for d in deployments:
        if d.mark is None:
            continue
        fix = d.mark.remediation
        fixer = fix.deployment_id if fix else None
        if fix is not None and fixer is None and fix.version is not None:
            same = [o for o in by_stream[stream_key(d)] if o.version == fix.version and o.id != d.id]
            later = [o for o in same if order_key(o) > order_key(d)]
            # The first redeploy of that version after the failed one; else its latest deployment.
            fixer = later[0].id if later else (same[-1].id if same else None)
        remediation = ManualRemediation(RemediationType(fix.type), fixer) if fix and fixer else None
        result[d.id] = ManualMark(change_failure=d.mark.change_failure, remediation=remediation)
    return result


def detect_verdicts(
    history: list[Deployment],
    extras: list[Deployment],
    failures: list[Failure],
    attributions: list[Attribution],
    config: EngineConfig,
) -> dict[str, DeploymentVerdict]:
    """Change-failure verdicts of the batch (and of the extra deployments its marks involve)."""
    messages = None
    if config.git.commit_messages is not None:
        messages = config.git.commit_messages([d.git.commit_sha.lower() for d in history if d.git])
    return detect(
        [*history, *extras],
        failures=failures,
        attributions=attributions,
        marks=manual_marks([*history, *extras]),
        commit_messages=messages,
        rules=config.rules,
    )


def stored_verdicts(
    history: list[Deployment],
    extras: list[Deployment],
    failures: list[Failure],
    verdicts: Mapping[str, DeploymentVerdict],
) -> dict[str, StoredVerdict]:
    """The batch's verdicts as stored, with each change failure's recovery."""
    recovered = {r.deployment_id: r for r in recoveries([*history, *extras], verdicts=verdicts, failures=failures)}
    result = {}
    for d in history:
        v = verdicts[d.id]
        recovery = recovered.get(d.id)
        result[d.id] = StoredVerdict(
            is_change_failure=v.is_change_failure,
            reasons=tuple(r.value for r in v.reasons),
            overridden_reasons=tuple(r.value for r in v.overridden_reasons),
            remediated_by=v.remediated_by,
            remediation_kind=v.remediation_type.value if v.remediation_type else None,
            is_rework=v.is_rework,
            rework_reasons=tuple(r.value for r in v.rework_reasons),
            rework_failure_ids=v.rework_failure_ids,
            recovery_ns=recovery.duration if recovery else None,
            recovery_status=recovery.status.value if recovery else None,
            has_git=d.git is not None,
        )
    return result


def attribution_rows(attributions: list[Attribution], services: Mapping[str, str]) -> list[StoredAttribution]:
    """Attributions as stored: one row per failure and linked service (or the failure's one row without)."""
    rows: dict[tuple[str, str], StoredAttribution] = {}
    for a in attributions:
        service = services.get(a.deployment_id, "") if a.deployment_id else ""
        row = StoredAttribution(
            failure_id=a.failure_id,
            deployment_id=a.deployment_id,
            service=service,
            method=a.method.value,
            confidence=a.confidence.value if a.confidence else None,
            basis=a.basis.value if a.basis else None,
        )
        rows.setdefault((a.failure_id, service), row)
    return list(rows.values())


def changed_links(
    old: list[StoredAttribution], new: list[StoredAttribution], failures: list[Failure], streams: set[StreamKey]
) -> dict[StreamKey, int]:
    """Streams outside the batch whose deployments gained or lost a link: their verdicts need recomputing."""
    env_of = {f.id: f.env for f in failures}
    started = {f.id: f.started_at for f in failures}

    def links(rows: list[StoredAttribution]) -> set[tuple[str, str, str]]:
        # Manual links are dirtied when the override is written; only the rules' links move on their own.
        return {(a.failure_id, a.deployment_id, a.service) for a in rows if a.deployment_id and a.method != "manual"}

    dirty: dict[StreamKey, int] = {}
    for failure_id, _, service in links(old) ^ links(new):
        if failure_id in env_of:
            stream = (service, env_of[failure_id])
            if stream not in streams:
                dirty[stream] = min(started[failure_id], dirty.get(stream, started[failure_id]))
    return dirty
