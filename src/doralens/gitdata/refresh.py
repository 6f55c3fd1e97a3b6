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
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from doralens.domain.events import Deployment
from doralens.domain.streams import StreamKey
from doralens.gitdata.commits import CommitSource, RangeRequest
from doralens.gitdata.leadtime import (
    RETRY_STATUSES,
    DeploymentLeadTime,
    LeadTimeSettings,
    plan_lead_time,
    with_range,
)
from doralens.progress import ProgressLog

log = logging.getLogger("doralens.refresh")
MAX_ROUNDS = 5
# Streams' records are stored together up to about this many (``write_many``): on SQLite, in one transaction, so a
# first refresh after a large import does not commit, and write the same index pages, once per stream. After a
# million imported events, 25,000 took the lead-time refresh from 55.8 and 59.5 s (5,000) to 43.2 s; 100,000 gained
# little more (41.4 s), and the server's peak memory (set by the verdicts' batches) did not move.
WRITE_RECORDS = 25_000


@dataclass(frozen=True, slots=True)
class StreamRecords:
    """What a refresh stores for one stream read at ``token``: records to save and to remove, and whether the
    commits the stream shipped changed (commit-range attribution reads them)."""

    stream: StreamKey
    token: str
    save: tuple[DeploymentLeadTime, ...]
    remove: frozenset[str]
    shipped_changed: bool


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

    def write_many(self, writes: Sequence[StreamRecords]) -> set[StreamKey]:
        """Store each stream's new records unless the stream changed since its token was read; the streams stored."""
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
    """The stream's records after this refresh (stored ones kept where still valid), and how many were computed.
    The ranges of the deployments computed anew are read from the source together."""
    planned: list[DeploymentLeadTime | tuple[DeploymentLeadTime, RangeRequest]] = []
    previous: Deployment | None = None
    computed = 0
    for deployment in history:
        digest = inputs_digest(deployment, previous, settings)
        old = stored.get(deployment.id)
        if old is not None and old.inputs == digest and old.status not in RETRY_STATUSES:
            planned.append(old)
        else:
            plan = plan_lead_time(deployment, previous, settings)
            if plan is None:  # no git data: never in a history, which holds deployments with a sha only
                continue
            computed += 1
            if isinstance(plan, DeploymentLeadTime):
                planned.append(replace(plan, inputs=digest))
            else:
                planned.append((replace(plan[0], inputs=digest), plan[1]))
        previous = deployment
    ranges = iter(source.shipped_many([p[1] for p in planned if isinstance(p, tuple)]))
    seen: set[str] = set()
    result: list[DeploymentLeadTime] = []
    for plan in planned:
        record = with_range(plan[0], next(ranges), settings) if isinstance(plan, tuple) else plan
        kept = tuple(c for c in record.commits if c.sha not in seen)
        if len(kept) < len(record.commits):
            note = f"{len(record.commits) - len(kept)} commits already shipped by an earlier deployment skipped"
            explanation = record.explanation if note in record.explanation else f"{record.explanation}; {note}"
            record = replace(record, commits=kept, explanation=explanation)
        seen.update(c.sha for c in kept)
        result.append(record)
    return result, computed


def _canonical(record: DeploymentLeadTime | None) -> DeploymentLeadTime | None:
    # Stored commits come back ordered by lead time, computed ones newest first: compare them in one order.
    if record is None or len(record.commits) < 2:
        return record
    return replace(record, commits=tuple(sorted(record.commits, key=lambda c: (c.lead_time, c.sha))))


def _shas(record: DeploymentLeadTime | None) -> frozenset[str]:
    return frozenset(c.sha for c in record.commits) if record else frozenset()


def stream_records(
    state: LeadTimeState, source: CommitSource, settings: LeadTimeSettings, stream: StreamKey, token: str
) -> tuple[StreamRecords, int]:
    """Recompute one stream read at ``token``: what to store, and how many deployments were computed."""
    history = state.history(stream)
    stored = state.records(stream)
    records, computed = plan_stream(history, stored, source, settings)
    changed = tuple(r for r in records if _canonical(stored.get(r.deployment_id)) != _canonical(r))
    remove = frozenset(stored) - {r.deployment_id for r in records}
    shipped_changed = bool(remove) or any(_shas(stored.get(r.deployment_id)) != _shas(r) for r in changed)
    return StreamRecords(stream, token, changed, remove, shipped_changed), computed


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
    writes: list[StreamRecords] = []

    def flush() -> None:
        nonlocal conflicts
        stored = state.write_many(writes)
        done.update(stored)
        conflicts += len(writes) - len(stored)
        writes.clear()

    for _ in range(max_rounds):
        pending = {s: t for s, t in state.dirty(envs=envs).items() if s not in done}
        if not pending:
            return LeadTimeRefresh(len(done), computed, conflicts, True, time.perf_counter() - started)
        progress = ProgressLog(log, "lead time", len(pending), "streams")
        held = 0
        for stream, token in pending.items():
            if stop is not None and stop():
                flush()
                progress.finish()
                return LeadTimeRefresh(len(done), computed, conflicts, False, time.perf_counter() - started)
            write, count = stream_records(state, source, settings, stream, token)
            computed += count
            writes.append(write)
            held += 1 + len(write.save) + len(write.remove)
            if held >= WRITE_RECORDS:
                flush()
                held = 0
            progress.advance()
        flush()
        progress.finish()
    return LeadTimeRefresh(len(done), computed, conflicts, False, time.perf_counter() - started)
