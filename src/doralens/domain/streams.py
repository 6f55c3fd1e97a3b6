"""Deployment streams: the deployments of one service and env in their canonical order, and which streams a
failure impacts. Shared by attribution and change-failure detection so both read history the same way; with the
key an env has in derived tables, and the set of streams a change touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

from doralens.domain.events import Deployment, Failure

StreamKey: TypeAlias = tuple[str, str | None]


def env_key(env: str | None) -> str:
    """The key of an env in derived tables: the env itself, '' for none (an env is never empty)."""
    return env or ""


def env_from_key(key: str) -> str | None:
    """The env an env key stands for."""
    return key or None


def touch(found: dict[StreamKey, int], streams: Iterable[StreamKey], since: int) -> None:
    """Add streams to a dirty set, keeping the earliest time per stream."""
    for stream in streams:
        found[stream] = min(since, found.get(stream, since))


def order_key(deployment: Deployment) -> tuple[int, int, str]:
    """Canonical order: ``finished_at``, then ``started_at``, then id, so arrival order never matters."""
    return (deployment.finished_at, deployment.started_at, deployment.id)


def stream_key(deployment: Deployment) -> StreamKey:
    """The (service, env) a deployment belongs to; a missing env is a stream of its own."""
    return (deployment.service, deployment.env)


def group_streams(deployments: Iterable[Deployment]) -> dict[StreamKey, list[Deployment]]:
    """Deployments grouped by (service, env), each stream in canonical order, streams in a stable order."""
    groups: dict[StreamKey, list[Deployment]] = {}
    for deployment in deployments:
        groups.setdefault(stream_key(deployment), []).append(deployment)
    ordered_keys = sorted(groups, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    return {k: sorted(groups[k], key=order_key) for k in ordered_keys}


def change_ref(deployment: Deployment) -> tuple[str, str] | None:
    """What a deployment ships, for spotting redeploys: its commit sha, else its version, else nothing."""
    if deployment.git is not None:
        return ("sha", deployment.git.commit_sha.lower())
    if deployment.version:
        return ("version", deployment.version)
    return None


def impacted_streams(
    failure: Failure, streams: dict[StreamKey, list[Deployment]]
) -> list[tuple[StreamKey, Sequence[Deployment]]]:
    """The streams a failure impacts, with the deployments in each that may relate to it.

    A failure naming services impacts those services in its env. A failure naming only a team impacts, in its
    env, the deployments carrying that team (a stream's team may change over time: filtered per deployment).
    """
    if failure.services:
        keys = [(service, failure.env) for service in dict.fromkeys(failure.services)]
        return [(k, streams[k]) for k in keys if k in streams]
    if failure.team is None:
        return []
    result: list[tuple[StreamKey, Sequence[Deployment]]] = []
    for key, stream in streams.items():
        if key[1] == failure.env:
            of_team = [d for d in stream if d.team == failure.team]
            if of_team:
                result.append((key, of_team))
    return result
