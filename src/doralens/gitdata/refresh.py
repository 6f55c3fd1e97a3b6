"""Lead time computed off the request path: every stale stream's deployments measured against their predecessors.

A deployment write marks its stream stale (``store.leadtime``); a refresh reads the stream's deployments with git
data in order, and recomputes a deployment only when what its range depends on changed: its sha, repository and
finish, its predecessor's, and the settings (the ``inputs`` digest kept with each record). A late deployment
inserted between two others thus recomputes itself and the next one, not the whole history; records a later try
may complete (an unknown sha, a failed git call) are recomputed on every refresh of their stream.

A commit counts once per stream, for the first deployment that shipped it (redeploys after a rollback ship none).
A record kept from before only ever loses commits to that rule; should an earlier deployment stop shipping a
commit a kept record had left out, the record gets it back when its own inputs next change.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from doralens.domain.events import Deployment
from doralens.domain.streams import StreamKey
from doralens.gitdata.commits import CommitSource
from doralens.gitdata.leadtime import RETRY_STATUSES, DeploymentLeadTime, LeadTimeSettings, deployment_lead_time

MAX_ROUNDS = 5


class LeadTimeState(Protocol):
    """What the refresh reads and writes (``doralens.store.leadtime.SqlLeadTimeState``)."""

    def dirty(self, *, envs: Collection[str | None] | None = None, limit: int = 10_000) -> dict[StreamKey, str]:
        """Stale streams and their tokens."""
        ...

    def history(self, stream: StreamKey) -> list[Deployment]:
        """The stream's deployments with git data, in canonical order."""
        ...

    def records(self, stream: StreamKey) -> dict[str, DeploymentLeadTime]:
        """The stored records of the stream's deployments."""
        ...

    def write(
        self,
        stream: StreamKey,
        token: str,
        *,
        save: Collection[DeploymentLeadTime],
        remove: Collection[str],
        shipped_changed: bool,
    ) -> bool:
        """Store new records unless the stream changed since ``token`` was read."""
        ...


@dataclass(frozen=True, slots=True)
class LeadTimeRefresh:
    """What a refresh did: streams stored, deployments measured anew, conflicts met, and whether none is left."""

    streams: int
    computed: int
    conflicts: int
    complete: bool
    seconds: float


def inputs_digest(deployment: Deployment, previous: Deployment | None, settings: LeadTimeSettings) -> str:
    """What a deployment's record depends on, as a short digest."""

    def ref(d: Deployment | None) -> list[object] | None:
        return None if d is None or d.git is None else [d.id, d.git.repository_id, d.git.commit_sha, d.finished_at]

    parts = [
        ref(deployment),
        ref(previous),
        settings.max_baseline_age_ns,
        settings.rebase_gap_ns,
        settings.limit,
        list(settings.paths_for(deployment.service)),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def plan_stream(
    history: list[Deployment],
    stored: Mapping[str, DeploymentLeadTime],
    source: CommitSource,
    settings: LeadTimeSettings,
) -> tuple[list[DeploymentLeadTime], int]:
    """The stream's records after this refresh (stored ones kept where still valid), and how many were computed."""
    seen: set[str] = set()
    previous: Deployment | None = None
    result: list[DeploymentLeadTime] = []
    computed = 0
    for deployment in history:
        digest = inputs_digest(deployment, previous, settings)
        old = stored.get(deployment.id)
        if old is not None and old.inputs == digest and old.status not in RETRY_STATUSES:
            record = old
        else:
            fresh = deployment_lead_time(deployment, previous, source, settings)
            if fresh is None:  # no git data: never in a history, which holds deployments with a sha only
                continue
            record, computed = replace(fresh, inputs=digest), computed + 1
        kept = tuple(c for c in record.commits if c.sha not in seen)
        if len(kept) < len(record.commits):
            note = f"{len(record.commits) - len(kept)} commits already shipped by an earlier deployment skipped"
            explanation = record.explanation if note in record.explanation else f"{record.explanation}; {note}"
            record = replace(record, commits=kept, explanation=explanation)
        seen.update(c.sha for c in kept)
        result.append(record)
        previous = deployment
    return result, computed


def _canonical(record: DeploymentLeadTime | None) -> DeploymentLeadTime | None:
    # Stored commits come back ordered by lead time, computed ones newest first: compare them in one order.
    if record is None:
        return None
    return replace(record, commits=tuple(sorted(record.commits, key=lambda c: (c.lead_time, c.sha))))


def _shas(record: DeploymentLeadTime | None) -> frozenset[str]:
    return frozenset(c.sha for c in record.commits) if record else frozenset()


def refresh_stream(
    state: LeadTimeState, source: CommitSource, settings: LeadTimeSettings, stream: StreamKey, token: str
) -> tuple[bool, int]:
    """Recompute one stream read at ``token``; whether it was stored, and how many deployments were computed."""
    history = state.history(stream)
    stored = state.records(stream)
    records, computed = plan_stream(history, stored, source, settings)
    changed = [r for r in records if _canonical(stored.get(r.deployment_id)) != _canonical(r)]
    remove = set(stored) - {r.deployment_id for r in records}
    shipped_changed = bool(remove) or any(_shas(stored.get(r.deployment_id)) != _shas(r) for r in changed)
    ok = state.write(stream, token, save=changed, remove=remove, shipped_changed=shipped_changed)
    return ok, computed


def refresh_lead_times(
    *,
    state: LeadTimeState,
    source: CommitSource,
    settings: LeadTimeSettings,
    envs: Collection[str | None] | None = None,
    max_rounds: int = MAX_ROUNDS,
    stop: Callable[[], bool] | None = None,
) -> LeadTimeRefresh:
    """Recompute every stale stream (of ``envs``, when given) until none is left or ``max_rounds`` pass; or, once
    ``stop`` says so, after the stream in progress (the rest stays stale for the next refresh)."""
    started = time.perf_counter()
    done: set[StreamKey] = set()
    computed = conflicts = 0
    for _ in range(max_rounds):
        pending = {s: t for s, t in state.dirty(envs=envs).items() if s not in done}
        if not pending:
            return LeadTimeRefresh(len(done), computed, conflicts, True, time.perf_counter() - started)
        for stream, token in pending.items():
            if stop is not None and stop():
                return LeadTimeRefresh(len(done), computed, conflicts, False, time.perf_counter() - started)
            ok, count = refresh_stream(state, source, settings, stream, token)
            computed += count
            if ok:
                done.add(stream)
            else:
                conflicts += 1
    return LeadTimeRefresh(len(done), computed, conflicts, False, time.perf_counter() - started)
