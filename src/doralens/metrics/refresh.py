"""Incremental recomputation of derived state: verdicts and attributions of the streams writes marked dirty.

A batch of dirty streams (one env) is refreshed in four steps: read the streams' dirty tokens; load their full
histories, the failures touching them and, for neighbouring streams those failures also impact, only the
deployments attribution could pick there (latest before the failure within the window, same sha or version);
run the pure functions (attribution, change-failure detection, recovery); store the results in one transaction
that first checks that nothing it read changed meanwhile. All coupling between streams goes through failures,
which never cross envs, so envs refresh independently. A changed attribution link in a neighbouring stream
marks that stream dirty for the next round, and the loop runs until the streams in scope are clean.

Metrics reads call ``refresh`` first, so they always reflect every write acknowledged before the read began. Where
the backend keeps a change counter (SQLite), a refresh that found nothing to do remembers the counter it read
before looking; the next one with the same configuration and envs stops there when the counter has not moved since,
which saves a narrow question the two reads of the dirty lists. Any commit after that first reading, by any
connection or process, moves the counter, so no acknowledged write is missed.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from doralens.domain.attribution import attribute_failures
from doralens.domain.events import Failure
from doralens.domain.streams import StreamKey, stream_key
from doralens.gcpause import automatic_collection_off
from doralens.metrics.config import EngineConfig
from doralens.metrics.derive import attribution_rows, changed_links, detect_verdicts, stored_verdicts
from doralens.progress import ProgressLog
from doralens.store.base import EventStore
from doralens.store.records import CandidateRequest, RefreshWrite

log = logging.getLogger("doralens.refresh")

# A batch is an env's dirty streams, split when they hold more deployments than this: one batch leaves no
# neighbours to query candidates from, and the cap bounds the memory of a first refresh of a big database.
BATCH_DEPLOYMENTS = 150_000
# Up to this many streams go in one batch without counting their deployments first (the usual, incremental case).
BATCH_STREAMS = 64
MAX_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What a refresh did: streams stored, batches that met a concurrent change, and whether scope is clean."""

    refreshed: int
    conflicts: int
    complete: bool
    seconds: float


def _never() -> bool:
    return False


def refresh(
    *,
    store: EventStore,
    config: EngineConfig,
    envs: Collection[str | None] | None = None,
    max_rounds: int = MAX_ROUNDS,
    stop: Callable[[], bool] = _never,
) -> RefreshReport:
    """Recompute every dirty stream (of ``envs``, when given) until none is left or ``max_rounds`` pass; or, once
    ``stop`` says so, after the batch in progress (the rest stays dirty for the next refresh)."""
    started = time.perf_counter()
    clean_key = (config, None if envs is None else frozenset(envs))
    if _found_clean(store, clean_key):
        return RefreshReport(0, 0, True, time.perf_counter() - started)
    # One refresh at a time per store in this process. A read that arrives while the background refresh works waits
    # for it, then finds little or nothing left, instead of computing the same streams beside it: threads share one
    # interpreter, so both would have taken twice as long (and the slower would have stored nothing).
    with _running_lock(store):
        return _refresh(store, config, envs, clean_key, max_rounds, stop, started)


def _refresh(
    store: EventStore,
    config: EngineConfig,
    envs: Collection[str | None] | None,
    clean_key: CleanKey,
    max_rounds: int,
    stop: Callable[[], bool],
    started: float,
) -> RefreshReport:
    counter = store.backend.change_counter()  # read again: a refresh this one waited for may have committed
    if counter is not None and _clean_at(store, clean_key) == counter:
        return RefreshReport(0, 0, True, time.perf_counter() - started)
    if config.git.refresh_lead_times is not None:
        config.git.refresh_lead_times(envs, stop)
    _settle_settings(store, config)
    done: set[StreamKey] = set()
    conflicts = 0
    for _ in range(max_rounds):
        # A stream stored by this call already reflects every write before the call: skip it if re-dirtied.
        pending = {s: t for s, t in store.dirty_streams(envs=envs).items() if s not in done}
        if not pending:
            if counter is not None and not done:
                _mark_clean(store, clean_key, counter)
            return RefreshReport(len(done), conflicts, True, time.perf_counter() - started)
        progress = ProgressLog(log, "verdicts and attributions", len(pending), "streams")
        for batch in _batches(store, pending):
            if stop():
                progress.finish()
                return RefreshReport(len(done), conflicts, False, time.perf_counter() - started)
            # Tokens read again just before the batch reads its data. A batch before it in this pass may have marked
            # some of these streams again (links it moved onto their deployments); this batch, reading after that
            # write, reflects it, and with the token read then, it clears the mark instead of leaving the stream to
            # the next refresh.
            tokens = {s: t for s, t in store.stream_tokens(batch).items() if t is not None}
            with automatic_collection_off():
                stored = not tokens or refresh_streams(store=store, config=config, tokens=tokens)
            if stored:
                done.update(batch)
            else:
                conflicts += 1
            progress.advance(len(batch))
        progress.finish()
    return RefreshReport(len(done), conflicts, False, time.perf_counter() - started)


# Fingerprints each open store was checked against: the stored one is read once per store, not on every read.
_checked: weakref.WeakKeyDictionary[EventStore, set[str]] = weakref.WeakKeyDictionary()
_checked_lock = threading.Lock()


# Per open store: the change counter at which a refresh of (configuration, envs) last found nothing to do.
CleanKey = tuple[EngineConfig, frozenset[str | None] | None]
_clean: weakref.WeakKeyDictionary[EventStore, dict[CleanKey, int]] = weakref.WeakKeyDictionary()
_clean_lock = threading.Lock()


# Per open store: held while a refresh runs.
_running: weakref.WeakKeyDictionary[EventStore, threading.Lock] = weakref.WeakKeyDictionary()


def _running_lock(store: EventStore) -> threading.Lock:
    with _clean_lock:
        return _running.setdefault(store, threading.Lock())


def _found_clean(store: EventStore, key: CleanKey) -> bool:
    """Whether a refresh of ``key`` found nothing to do and nothing was committed since (without waiting)."""
    counter = store.backend.change_counter()
    return counter is not None and _clean_at(store, key) == counter


def _clean_at(store: EventStore, key: CleanKey) -> int | None:
    with _clean_lock:
        return _clean.get(store, {}).get(key)


def _mark_clean(store: EventStore, key: CleanKey, counter: int) -> None:
    with _clean_lock:
        found = _clean.setdefault(store, {})
        if any(seen != counter for seen in found.values()):
            found.clear()  # marks at an older counter can never match again
        found[key] = counter


def _settle_settings(store: EventStore, config: EngineConfig) -> None:
    """Redo every stream once when the settings derived state depends on differ from those it was stored with."""
    fingerprint = config.fingerprint
    with _checked_lock:
        if fingerprint in _checked.get(store, set()):
            return
    if store.derived_fingerprint() != fingerprint:
        store.invalidate_derived(fingerprint)
    with _checked_lock:
        _checked.setdefault(store, set()).add(fingerprint)


def _batches(store: EventStore, pending: Mapping[StreamKey, str]) -> Iterator[dict[StreamKey, str]]:
    by_env: dict[str | None, dict[StreamKey, str]] = {}
    for stream, token in pending.items():
        by_env.setdefault(stream[1], {})[stream] = token
    for streams in by_env.values():
        keys = sorted(streams, key=lambda s: s[0])
        if len(keys) <= BATCH_STREAMS:
            yield streams
            continue
        sizes = store.stream_sizes(keys)
        batch: dict[StreamKey, str] = {}
        held = 0
        for key in keys:
            if batch and held + sizes[key] > BATCH_DEPLOYMENTS:
                yield batch
                batch, held = {}, 0
            batch[key] = streams[key]
            held += sizes[key]
        if batch:
            yield batch


def refresh_streams(*, store: EventStore, config: EngineConfig, tokens: Mapping[StreamKey, str]) -> bool:
    """Recompute one batch of streams whose dirty tokens were read as ``tokens``; False on a conflict."""
    streams = set(tokens)
    history, stored = store.stream_histories(streams)
    teams: dict[StreamKey, set[str]] = {}
    for d in history:
        if d.team:
            teams.setdefault(stream_key(d), set()).add(d.team)
    failures = store.failures_touching(streams, teams)
    overrides = store.overrides_of([f.id for f in failures])
    requests = _candidate_requests(store, failures, streams, overrides, config.attribution_window_ns)
    # Neighbours' tokens before their data: a write to one after this point is caught when storing.
    neighbor_tokens = store.stream_tokens({r.stream for r in requests})
    candidates = store.candidate_deployments(requests)
    own = {d.id for d in history}
    marks = {d.id: d.mark for d in history if d.mark is not None}
    wanted = {m.remediation.deployment_id for m in marks.values() if m.remediation and m.remediation.deployment_id}
    wanted |= {target for target in overrides.values() if target is not None}
    extras = store.deployments_by_id(wanted - own)
    extras += [d for d in store.deployments_remediated_by(streams) if d.id not in own]

    attributions = attribute_failures(
        failures,
        [*history, *candidates],
        window_ns=config.attribution_window_ns,
        medium_gap_ns=config.medium_gap_ns,
        shipped_by=config.git.shipped_by,
        overrides=overrides,
    )
    found = detect_verdicts(history, extras, failures, attributions, config)
    new_verdicts = stored_verdicts(history, extras, failures, found)
    services = {d.id: d.service for d in (*history, *candidates, *extras)}
    # Commit-range attribution may name a deployment of a neighbouring stream that no candidate request loaded.
    unknown = {a.deployment_id for a in attributions if a.deployment_id and a.deployment_id not in services}
    services.update({d.id: d.service for d in store.deployments_by_id(unknown)} if unknown else {})
    rows = attribution_rows(attributions, services)
    changed = changed_links(store.attributions_of([f.id for f in failures]), rows, failures, streams)
    envs = {env for _, env in (*streams, *neighbor_tokens, *changed)} | {f.env for f in failures}
    write = RefreshWrite(
        tokens=dict(tokens),
        neighbor_tokens=neighbor_tokens,
        verdicts={d_id: v for d_id, v in new_verdicts.items() if stored.get(d_id) != v},
        failure_ids=tuple(f.id for f in failures),
        attributions=tuple(rows),
        dirty=changed,
        envs=frozenset(envs),
    )
    return store.write_refresh(write)


def _candidate_requests(
    store: EventStore,
    failures: list[Failure],
    streams: set[StreamKey],
    overrides: Mapping[str, str | None],
    window_ns: int,
) -> list[CandidateRequest]:
    requests = []
    team_cache: dict[tuple[str | None, str], set[StreamKey]] = {}
    for failure in failures:
        if failure.id in overrides:
            continue  # the user's word needs no candidates
        if failure.services:
            impacted = {(service, failure.env) for service in failure.services}
        elif failure.team:
            key = (failure.env, failure.team)
            if key not in team_cache:
                team_cache[key] = store.team_streams(failure.env, [failure.team])
            impacted = team_cache[key]
        else:
            impacted = set()
        for neighbor in sorted(impacted - streams, key=lambda s: (s[0], s[1] or "")):
            requests.append(
                CandidateRequest(
                    stream=neighbor,
                    before=failure.started_at,
                    not_before=failure.started_at - window_ns,
                    commit_sha=failure.git.commit_sha.lower() if failure.git else None,
                    version=failure.version,
                    team=None if failure.services else failure.team,
                )
            )
    return requests
